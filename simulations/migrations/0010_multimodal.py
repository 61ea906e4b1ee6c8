"""Stimulus pictures: alt text on a stimulus, and the keyframes of a video ad."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("simulations", "0009_lean_run_row"), ("tenancy", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="stimulus",
            name="alt_text",
            field=models.TextField(blank=True),
        ),
        migrations.CreateModel(
            name="StimulusKeyframe",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("image", models.ImageField(upload_to="stimuli/keyframes/")),
                ("position", models.PositiveSmallIntegerField(default=0)),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenancy.organization",
                    ),
                ),
                (
                    "stimulus",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="keyframes",
                        to="simulations.stimulus",
                    ),
                ),
            ],
            options={"ordering": ["position", "id"]},
        ),
    ]
