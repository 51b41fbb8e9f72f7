from django.db import migrations

from licensing.groups import ADMINISTRATORS, SUPPORT, ensure_groups


def create_groups(apps, schema_editor):
    ensure_groups(apps)


def delete_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=[ADMINISTRATORS, SUPPORT]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0004_capabilities_regions_rollout"),
        ("accounts", "0002_member_search_indexes"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, delete_groups)]
