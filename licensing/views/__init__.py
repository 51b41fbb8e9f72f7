from .history import history
from .licenses import (
    assign,
    export_assignments,
    member_choices,
    organization_licenses,
    remove,
)
from .profile import my_licenses

__all__ = [
    "assign",
    "export_assignments",
    "history",
    "member_choices",
    "my_licenses",
    "organization_licenses",
    "remove",
]
