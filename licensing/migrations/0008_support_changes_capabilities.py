from django.db import migrations

from licensing.groups import SUPPORT, ensure_groups


def add_permissions(apps, schema_editor):
    # Completes both groups with the permissions licensing.groups lists now,
    # which include change_capability for Support.
    ensure_groups(apps)


def remove_permission(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    support = Group.objects.filter(name=SUPPORT).first()
    if support is not None:
        support.permissions.remove(
            *Permission.objects.filter(
                codename="change_capability", content_type__app_label="licensing"
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0007_french_catalog"),
    ]

    operations = [migrations.RunPython(add_permissions, remove_permission)]
