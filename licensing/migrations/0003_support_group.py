from django.db import migrations

GROUP_NAME = "Support"

# Least privilege for the provider's support staff: they see every model of the
# portal, change assignments, holdings and members, and cannot touch groups,
# permissions or organizations.
PERMISSIONS = {
    ("accounts", "organization"): ["view"],
    ("accounts", "user"): ["view", "add", "change"],
    ("licensing", "licensetype"): ["view"],
    ("licensing", "holding"): ["view", "add", "change", "delete"],
    ("licensing", "assignment"): ["view", "add", "delete"],
    ("licensing", "event"): ["view"],
}


def create_group(apps, schema_editor):
    # Django creates model permissions only after all migrations have run, so
    # the ones this group needs are created here as the post_migrate handler
    # would create them.
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    for (app_label, model_name), actions in PERMISSIONS.items():
        model = apps.get_model(app_label, model_name)
        content_type, _ = ContentType.objects.get_or_create(
            app_label=app_label, model=model_name
        )
        for action in actions:
            permission, _ = Permission.objects.get_or_create(
                codename=f"{action}_{model_name}",
                content_type=content_type,
                defaults={"name": f"Can {action} {model._meta.verbose_name_raw}"},
            )
            group.permissions.add(permission)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0002_administrators_group"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
