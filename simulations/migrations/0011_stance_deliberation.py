"""The deliberation format, and stance readings of a run."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("personas", "0001_initial"),
        ("simulations", "0010_multimodal"),
        ("tenancy", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="scenario",
            name="format",
            field=models.CharField(
                choices=[
                    ("feed", "Social feed"),
                    ("roundtable", "Roundtable meeting"),
                    ("forum", "Threaded forum"),
                    ("deliberation", "Deliberative poll (small moderated groups)"),
                ],
                default="feed",
                max_length=12,
            ),
        ),
        migrations.CreateModel(
            name="StanceReading",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("step", models.PositiveIntegerField()),
                ("agent_key", models.CharField(max_length=40)),
                ("value", models.SmallIntegerField()),
                (
                    "source",
                    models.CharField(
                        choices=[("model", "Answered by the model"), ("rule", "Derived by the rule policy")],
                        max_length=8,
                    ),
                ),
                ("kind", models.CharField(default="checkpoint", max_length=12)),
                ("text", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenancy.organization",
                    ),
                ),
                (
                    "persona",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="personas.persona",
                    ),
                ),
                (
                    "run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="stance_readings",
                        to="simulations.run",
                    ),
                ),
            ],
            options={
                "ordering": ["step", "agent_key"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("run", "step", "agent_key"), name="one_stance_per_agent_step"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("value__gte", -3), ("value__lte", 3)), name="stance_on_scale"
                    ),
                ],
            },
        ),
    ]
