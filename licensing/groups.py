"""The two permission groups of the portal, defined once.

The data migration and the tests create them with `ensure_groups`, which
takes an app registry so that it works with a migration's historical models
as with the live ones.
"""

from django.apps import apps as live_apps

ADMINISTRATORS = "Administrators"
SUPPORT = "Support"

# An organization's administrators: the one permission that marks them.
ADMINISTRATOR_PERMISSIONS = {
    ("licensing", "holding"): ["manage_licenses"],
}

# Least privilege for the provider's support staff: they see every model of
# the portal, change organizations, holdings, assignments, members, license
# types and the capabilities' names in both languages, and cannot touch
# groups, permissions or superusers.
SUPPORT_PERMISSIONS = {
    ("accounts", "organization"): ["view_organization", "change_organization"],
    ("accounts", "user"): ["view_user", "add_user", "change_user"],
    ("licensing", "licensetype"): ["view_licensetype", "change_licensetype"],
    ("licensing", "capability"): ["view_capability", "change_capability"],
    ("licensing", "holding"): [
        "view_holding",
        "add_holding",
        "change_holding",
        "delete_holding",
    ],
    ("licensing", "assignment"): [
        "view_assignment",
        "add_assignment",
        "delete_assignment",
    ],
    ("licensing", "event"): ["view_event"],
}

CUSTOM_PERMISSION_NAMES = {
    "manage_licenses": "Can assign and remove the organization's licenses",
}


def ensure_groups(apps=live_apps):
    """Create both groups with their permissions, or complete them.

    Django creates permissions only after all migrations have run, so the
    ones needed here are created as its post_migrate handler would.
    """
    groups = {}
    for name, permissions in [
        (ADMINISTRATORS, ADMINISTRATOR_PERMISSIONS),
        (SUPPORT, SUPPORT_PERMISSIONS),
    ]:
        group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=name)
        group.permissions.add(*_permissions(apps, permissions))
        groups[name] = group
    return groups


def _permissions(apps, permissions):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    for (app_label, model_name), codenames in permissions.items():
        model = apps.get_model(app_label, model_name)
        content_type, _ = ContentType.objects.get_or_create(
            app_label=app_label, model=model_name
        )
        for codename in codenames:
            action = codename.split("_", 1)[0]
            default_name = f"Can {action} {model._meta.verbose_name_raw}"
            permission, _ = Permission.objects.get_or_create(
                codename=codename,
                content_type=content_type,
                defaults={"name": CUSTOM_PERMISSION_NAMES.get(codename, default_name)},
            )
            yield permission
