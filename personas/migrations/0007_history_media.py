"""The alt text of an imported post's media."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("personas", "0006_populationjob")]

    operations = [
        migrations.AddField(
            model_name="historyitem",
            name="media_alt",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
