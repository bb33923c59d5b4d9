from django.db import migrations

from learnify.progress.badges import DEFAULT_BADGES


def create_badges(apps, schema_editor):
    Badge = apps.get_model("progress", "Badge")
    for badge in DEFAULT_BADGES:
        Badge.objects.update_or_create(code=badge["code"], defaults=badge)


def remove_badges(apps, schema_editor):
    Badge = apps.get_model("progress", "Badge")
    Badge.objects.filter(code__in=[b["code"] for b in DEFAULT_BADGES]).delete()


class Migration(migrations.Migration):
    dependencies = [("progress", "0001_initial")]

    operations = [migrations.RunPython(create_badges, remove_badges)]
