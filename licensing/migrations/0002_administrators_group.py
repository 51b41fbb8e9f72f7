from django.db import migrations

GROUP_NAME = "Administrators"


def create_group(apps, schema_editor):
    # Django creates permissions only after all migrations have run, so this
    # one is created here, exactly as the post_migrate handler would.
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(
        app_label="licensing", model="holding"
    )
    permission, _ = Permission.objects.get_or_create(
        codename="manage_licenses",
        content_type=content_type,
        defaults={"name": "Can assign and remove the organization's licenses"},
    )
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    group.permissions.add(permission)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
