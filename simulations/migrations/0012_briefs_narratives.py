"""Briefs (a brief and its editable draft) and model-written narrative reports."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("simulations", "0011_stance_deliberation")]

    operations = [
        # Briefs
        migrations.CreateModel(
            name="BriefDraft",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("title", models.CharField(max_length=160)),
                ("source_kind", models.CharField(max_length=10)),
                ("source_name", models.CharField(blank=True, max_length=255)),
                ("text", models.TextField(blank=True)),
                (
                    "origin",
                    models.CharField(
                        choices=[
                            ("extracted", "Extracted from the brief by a hosted model"),
                            ("template", "Started from a template (no model read anything)"),
                            ("example", "Written by hand as an example"),
                        ],
                        default="extracted",
                        max_length=10,
                    ),
                ),
                ("provider_label", models.CharField(blank=True, max_length=200)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "Queued"),
                            ("running", "Running"),
                            ("completed", "Completed"),
                            ("failed", "Failed"),
                        ],
                        db_index=True,
                        default="queued",
                        max_length=10,
                    ),
                ),
                ("status_reason", models.TextField(blank=True)),
                ("draft", models.JSONField(blank=True, default=dict)),
                ("edited", models.BooleanField(default=False)),
                ("cost_usd", models.DecimalField(decimal_places=6, default=0, max_digits=12)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenancy.organization",
                    ),
                ),
                (
                    "panel",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="personas.panel",
                    ),
                ),
                (
                    "provider_config",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="providers.providerconfig",
                    ),
                ),
                (
                    "scenario",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="simulations.scenario",
                    ),
                ),
            ],
            options={"ordering": ["-created_at", "-id"]},
        ),
        # Narratives
        migrations.CreateModel(
            name="NarrativeReport",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("provider_label", models.CharField(blank=True, max_length=200)),
                ("question", models.TextField(blank=True)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "Queued"),
                            ("running", "Running"),
                            ("completed", "Completed"),
                            ("failed", "Failed"),
                        ],
                        db_index=True,
                        default="queued",
                        max_length=10,
                    ),
                ),
                ("status_reason", models.TextField(blank=True)),
                ("text", models.TextField(blank=True)),
                ("citations", models.JSONField(blank=True, default=list)),
                ("dropped_citations", models.JSONField(blank=True, default=list)),
                ("tool_calls", models.JSONField(blank=True, default=list)),
                ("rounds", models.PositiveIntegerField(default=0)),
                ("stop", models.CharField(blank=True, max_length=20)),
                ("usage", models.JSONField(blank=True, default=dict)),
                ("cost_usd", models.DecimalField(decimal_places=6, default=0, max_digits=12)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenancy.organization",
                    ),
                ),
                (
                    "provider_config",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="providers.providerconfig",
                    ),
                ),
                (
                    "run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="narratives",
                        to="simulations.run",
                    ),
                ),
            ],
            options={"ordering": ["-created_at", "-id"]},
        ),
    ]
