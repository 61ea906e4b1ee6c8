"""The Reddit upload connector joins the importer choices."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("scraping", "0003_import_watchdog_schedule"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importjob",
            name="connector",
            field=models.CharField(
                choices=[
                    ("x_archive", "X (Twitter) data archive"),
                    ("x_api", "X (Twitter) API"),
                    ("bluesky", "Bluesky"),
                    ("mastodon", "Mastodon"),
                    ("tabular", "CSV or JSONL file"),
                    ("reddit", "Reddit export or API JSON"),
                ],
                max_length=20,
            ),
        ),
    ]
