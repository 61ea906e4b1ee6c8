"""Schedule the watchdog that resumes runs whose worker died (every minute)."""

from django.db import migrations


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="simnet-watchdog",
        defaults={"func": "simulations.tasks.watchdog", "schedule_type": "I", "minutes": 1, "repeats": -1},
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="simnet-watchdog").delete()


class Migration(migrations.Migration):
    dependencies = [("simulations", "0001_initial"), ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more")]
    operations = [migrations.RunPython(create_schedule, delete_schedule)]
