"""Changes to members that touch their seats or their administrator role.

Like licensing.services, each function runs in one transaction and writes one
history event per change, naming who acted.
"""

import logging
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from licensing import details
from licensing.groups import ADMINISTRATORS, ensure_groups
from licensing.models import Assignment, Event
from licensing.services import (
    record_event,
    remove_assignments,
    require_permission,
)

from .models import Organization, User

logger = logging.getLogger(__name__)


def deactivate_member(
    *, member: User, acting_user: User | None, source: Event.Source
) -> int:
    """Deactivate a member and release every seat they hold.

    Returns the number of seats released; each release is recorded.
    """
    require_permission(acting_user, source, "accounts.change_user")
    with transaction.atomic():
        member = User.objects.select_for_update().get(pk=member.pk)
        if not member.is_active:
            return 0
        released = release_all_seats(
            member, acting_user, source, details.RELEASED_ON_DEACTIVATION
        )
        member.is_active = False
        member.save(update_fields=["is_active"])
        if member.organization_id is not None:
            record_event(
                Event.Action.MEMBER_DEACTIVATED,
                organization_id=member.organization_id,
                acting_user=acting_user,
                source=source,
                member=member,
                detail=details.seats_released(released),
            )
    logger.info(
        "member deactivated member=%s released=%s actor=%s source=%s",
        member.pk,
        released,
        acting_user.pk if acting_user else None,
        source,
    )
    return released


def reactivate_member(
    *, member: User, acting_user: User | None, source: Event.Source
) -> None:
    """Let a deactivated member sign in again. No seat comes back with it."""
    require_permission(acting_user, source, "accounts.change_user")
    with transaction.atomic():
        member = User.objects.select_for_update().get(pk=member.pk)
        if member.is_active:
            return
        member.is_active = True
        member.save(update_fields=["is_active"])
        if member.organization_id is not None:
            record_event(
                Event.Action.MEMBER_REACTIVATED,
                organization_id=member.organization_id,
                acting_user=acting_user,
                source=source,
                member=member,
            )
    logger.info("member reactivated member=%s source=%s", member.pk, source)


def release_all_seats(
    member: User, acting_user: User | None, source: Event.Source, detail: str
) -> int:
    """Remove every assignment of the member, one event each; return the count.

    The caller holds the transaction and has checked who acts.
    """
    return remove_assignments(
        Assignment.objects.filter(member=member).select_related(
            "member", "holding__license_type"
        ),
        acting_user=acting_user,
        source=source,
        detail=detail,
    )


def in_administrators_group(member: User) -> bool:
    return member.groups.filter(name=ADMINISTRATORS).exists()


def record_member_added(
    *, member: User, acting_user: User | None, source: Event.Source
) -> None:
    """Record that a new member joined their organization."""
    record_event(
        Event.Action.MEMBER_ADDED,
        organization_id=member.organization_id,
        acting_user=acting_user,
        source=source,
        member=member,
    )


def move_member(
    *,
    member: User,
    organization: Organization | None,
    acting_user: User | None,
    source: Event.Source,
) -> int:
    """Move a member to another organization, releasing every seat they hold.

    Seats belong to the old organization's holdings, so none comes along.
    Returns the number of seats released.
    """
    require_permission(acting_user, source, "accounts.change_user")
    with transaction.atomic():
        member = User.objects.select_for_update().get(pk=member.pk)
        released = release_all_seats(
            member,
            acting_user,
            source,
            details.RELEASED_ON_MOVE,
        )
        member.organization = organization
        member.save(update_fields=["organization"])
        if organization is not None:
            record_member_added(member=member, acting_user=acting_user, source=source)
    logger.info(
        "member moved member=%s organization=%s released=%s source=%s",
        member.pk,
        organization.pk if organization else None,
        released,
        source,
    )
    return released


def set_administrator(
    *,
    member: User,
    is_administrator: bool,
    acting_user: User | None,
    source: Event.Source,
) -> bool:
    """Grant or revoke the administrator role. Returns whether anything changed."""
    require_permission(acting_user, source, "accounts.change_user")
    if member.organization_id is None:
        raise PermissionDenied(
            _(
                "%(email)s belongs to no organization, so it cannot be an "
                "organization's administrator."
            )
            % {"email": member.email}
        )
    group = ensure_groups()[ADMINISTRATORS]
    with transaction.atomic():
        in_group = in_administrators_group(member)
        if in_group == is_administrator:
            return False
        if is_administrator:
            member.groups.add(group)
            action = Event.Action.ADMINISTRATOR_GRANTED
        else:
            member.groups.remove(group)
            action = Event.Action.ADMINISTRATOR_REVOKED
        record_event(
            action,
            organization_id=member.organization_id,
            acting_user=acting_user,
            source=source,
            member=member,
        )
    logger.info(
        "administrator role changed member=%s granted=%s source=%s",
        member.pk,
        is_administrator,
        source,
    )
    return True


def delete_member(*, member: User, acting_user: User | None, source: Event.Source):
    """Delete a user after releasing, and recording, every seat they hold."""
    require_permission(acting_user, source, "accounts.delete_user")
    with transaction.atomic():
        release_all_seats(member, acting_user, source, details.RELEASED_ON_DELETION)
        member_id = member.pk
        member.delete()
    logger.info("member deleted member=%s source=%s", member_id, source)


@dataclass(frozen=True)
class MemberRow:
    """One member to import: a checked line of a members file."""

    email: str
    full_name: str
    is_administrator: bool


@dataclass
class ImportResult:
    created: int = 0
    renamed: int = 0
    administrators_granted: int = 0
    administrators_revoked: int = 0


def import_members(
    *,
    organization: Organization,
    rows: list[MemberRow],
    acting_user: User | None,
    source: Event.Source,
) -> ImportResult:
    """Create or update the organization's members from checked rows.

    Emails match existing users regardless of letter case. A new member gets
    no usable password until one is set. Raises PermissionDenied when a row's
    email belongs to a user of another organization.
    """
    require_permission(acting_user, source, "accounts.add_user")
    result = ImportResult()
    with transaction.atomic():
        for row in rows:
            member = User.objects.filter(email__iexact=row.email).first()
            if member is None:
                member = User.objects.create_user(
                    row.email, full_name=row.full_name, organization=organization
                )
                record_member_added(
                    member=member, acting_user=acting_user, source=source
                )
                result.created += 1
            elif member.organization_id != organization.pk:
                raise PermissionDenied(
                    _(
                        "%(email)s belongs to another organization. Nothing was "
                        "imported."
                    )
                    % {"email": row.email}
                )
            elif member.full_name != row.full_name:
                member.full_name = row.full_name
                member.save(update_fields=["full_name"])
                result.renamed += 1
            changed = set_administrator(
                member=member,
                is_administrator=row.is_administrator,
                acting_user=acting_user,
                source=source,
            )
            if changed and row.is_administrator:
                result.administrators_granted += 1
            elif changed:
                result.administrators_revoked += 1
    logger.info(
        "members imported organization=%s created=%s renamed=%s source=%s",
        organization.pk,
        result.created,
        result.renamed,
        source,
    )
    return result
