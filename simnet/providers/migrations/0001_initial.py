# The two models moved here from simulations with their tables: this records them in the state only.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('tenancy', '0001_initial'),
        ('simulations', '0004_action_seen_feed'),  # the tables already exist
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='ProviderConfig',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=80)),
                        ('kind', models.CharField(choices=[('offline', 'Offline model (SmolLM2-135M, on this server)'), ('baseline', 'Rule baseline (no LLM)'), ('anthropic', 'Anthropic'), ('openai_compat', 'OpenAI-compatible server')], max_length=20)),
                        ('model', models.CharField(blank=True, max_length=120)),
                        ('base_url', models.URLField(blank=True, max_length=300)),
                        ('secret_ciphertext', models.TextField(blank=True)),
                        ('secret_hint', models.CharField(blank=True, max_length=12)),
                        ('max_concurrency', models.PositiveIntegerField(default=4)),
                        ('is_default', models.BooleanField(default=False)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.organization')),
                    ],
                    options={
                        'db_table': 'simulations_providerconfig',
                    },
                ),
                migrations.CreateModel(
                    name='DecisionCacheEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=64)),
                        ('text', models.TextField()),
                        ('data', models.JSONField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.organization')),
                    ],
                    options={
                        'db_table': 'simulations_decisioncacheentry',
                        'constraints': [models.UniqueConstraint(fields=('organization', 'key'), name='one_cached_decision')],
                    },
                ),
            ],
        ),
    ]
