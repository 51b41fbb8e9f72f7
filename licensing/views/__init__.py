from .features import feature_page
from .history import history
from .licenses import (
    assign,
    export_assignments,
    license_details,
    member_choices,
    organization_licenses,
    remove,
)
from .members import bulk_change, change_member_license, member_panel, members
from .profile import my_licenses
from .troubleshooting import troubleshooting

__all__ = [
    "assign",
    "bulk_change",
    "change_member_license",
    "export_assignments",
    "feature_page",
    "history",
    "license_details",
    "member_choices",
    "member_panel",
    "members",
    "my_licenses",
    "organization_licenses",
    "remove",
    "troubleshooting",
]
