# The run row made lean: the panel snapshot moves to RunPanel, the world to snapshots and per-step deltas; shards.

import django.db.models.deletion
from django.db import migrations, models

GATE_KEY = "quality_gate"  # where the gate's counts were kept in the old state


def move_worlds_out(apps, schema_editor):
    """Each run's panel snapshot moves to its RunPanel row (the Run row stays small), its current
    state becomes the snapshot before its next step (runs already had one a step) and the
    quality gate's counts a column of their own."""
    Run = apps.get_model("simulations", "Run")
    RunPanel = apps.get_model("simulations", "RunPanel")
    RunSnapshot = apps.get_model("simulations", "RunSnapshot")
    for run in Run.objects.all().iterator(chunk_size=100):
        state = dict(run.state or {})
        RunPanel.objects.create(run_id=run.pk, organization_id=run.organization_id, data=run.panel_snapshot or {})
        if state and not RunSnapshot.objects.filter(run_id=run.pk, step=run.next_step).exists():
            RunSnapshot.objects.create(
                run_id=run.pk, organization_id=run.organization_id, step=run.next_step, state=state
            )
        Run.objects.filter(pk=run.pk).update(quality_gate=state.get(GATE_KEY) or {})


def move_worlds_back(apps, schema_editor):
    Run = apps.get_model("simulations", "Run")
    RunPanel = apps.get_model("simulations", "RunPanel")
    RunSnapshot = apps.get_model("simulations", "RunSnapshot")
    for panel in RunPanel.objects.all().iterator(chunk_size=100):
        run = Run.objects.get(pk=panel.run_id)
        latest = RunSnapshot.objects.filter(run_id=run.pk, step=run.next_step).first()
        Run.objects.filter(pk=run.pk).update(panel_snapshot=panel.data, state=latest.state if latest else {})


class Migration(migrations.Migration):

    dependencies = [
        ('simulations', '0008_panel_question_cost'),
        ('tenancy', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='run',
            name='quality_gate',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.CreateModel(
            name='RunPanel',
            fields=[
                ('run', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='frozen_panel', serialize=False, to='simulations.run')),
                ('data', models.JSONField(blank=True, default=dict)),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.organization')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='RunShard',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('step', models.PositiveIntegerField()),
                ('index', models.PositiveIntegerField()),
                ('start', models.PositiveIntegerField()),
                ('stop', models.PositiveIntegerField()),
                ('lease_owner', models.CharField(blank=True, max_length=64)),
                ('lease_expires_at', models.DateTimeField(blank=True, db_index=True, null=True)),
                ('done', models.BooleanField(default=False)),
                ('decisions', models.JSONField(blank=True, default=list)),
                ('gate', models.JSONField(blank=True, default=dict)),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.organization')),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='shards', to='simulations.run')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('run', 'step', 'index'), name='one_shard_per_index')],
            },
        ),
        migrations.CreateModel(
            name='RunStep',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('step', models.PositiveIntegerField()),
                ('decisions', models.JSONField(default=list)),
                ('gate', models.JSONField(blank=True, default=dict)),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.organization')),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='steps', to='simulations.run')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('run', 'step'), name='one_delta_per_step')],
            },
        ),
        migrations.RunPython(move_worlds_out, move_worlds_back),
        migrations.RemoveField(
            model_name='run',
            name='panel_snapshot',
        ),
        migrations.RemoveField(
            model_name='run',
            name='state',
        ),
    ]
