"""Every change to seats goes through this module, whoever calls it.

Each function runs in one transaction, checks who acts, locks the holding row
before counting its seats, and writes one history event per change.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import User

from .models import Assignment, Event, Holding

logger = logging.getLogger(__name__)


class LicensingError(Exception):
    """A seat rule rejected the change. The message is meant for the person acting."""


def assign_license(
    *,
    holding: Holding,
    member: User,
    acting_user: User,
    source: Event.Source = Event.Source.PORTAL,
) -> Assignment:
    """Give `member` one seat of `holding`.

    Raises LicensingError when no seat remains, when the member already holds
    the type, is inactive or belongs to another organization, or when the type
    is automatic. Raises PermissionDenied when `acting_user` may not manage
    the holding's organization.
    """
    with transaction.atomic():
        holding = _lock_holding(holding, acting_user)
        license_name = holding.license_type.name
        _check_member(holding, member)
        if not member.is_active:
            raise LicensingError(
                f"{member} is deactivated and cannot be given a license. "
                "Reactivate the account first."
            )
        if holding.assignments.filter(member=member).exists():
            raise LicensingError(
                f"{member} already holds {license_name}. Nothing was changed."
            )
        in_use = holding.assignments.count()
        if holding.quantity is not None and in_use >= holding.quantity:
            raise LicensingError(
                f"No {license_name} seats remaining ({in_use} of {holding.quantity} "
                "in use). Remove the license from another member first."
            )
        assignment = holding.assignments.create(member=member, assigned_by=acting_user)
        _record(Event.Action.ASSIGNED, holding, member, acting_user, source)

    logger.info(
        "license assigned holding=%s member=%s actor=%s source=%s",
        holding.pk,
        member.pk,
        acting_user.pk,
        source,
    )
    return assignment


def remove_license(
    *,
    holding: Holding,
    member: User,
    acting_user: User,
    source: Event.Source = Event.Source.PORTAL,
) -> None:
    """Take back `member`'s seat of `holding`, freeing it at once.

    Raises LicensingError when the member does not hold the type or the type
    is automatic, and PermissionDenied as `assign_license` does.
    """
    with transaction.atomic():
        holding = _lock_holding(holding, acting_user)
        _check_member(holding, member)
        deleted, _ = holding.assignments.filter(member=member).delete()
        if not deleted:
            raise LicensingError(
                f"{member} does not hold {holding.license_type.name}. "
                "Nothing was changed."
            )
        _record(Event.Action.REMOVED, holding, member, acting_user, source)

    logger.info(
        "license removed holding=%s member=%s actor=%s source=%s",
        holding.pk,
        member.pk,
        acting_user.pk,
        source,
    )


def may_manage(user: User, organization_id: int) -> bool:
    """Whether `user` may change the seats of the organization.

    Administrators may change their own organization's seats. Support staff,
    who belong to no organization, may change any organization's seats when
    they hold the model permissions on assignments.
    """
    if not user.is_active:
        return False
    if user.organization_id is not None:
        return user.organization_id == organization_id and user.is_administrator
    return user.is_staff and user.has_perms(
        ["licensing.add_assignment", "licensing.delete_assignment"]
    )


def _lock_holding(holding: Holding, acting_user: User) -> Holding:
    # The row lock makes concurrent seat checks on one holding wait for each
    # other on PostgreSQL. SQLite ignores it; there the connection's IMMEDIATE
    # transaction mode serializes writers instead.
    locked = (
        Holding.objects.select_for_update(of=("self",))
        .select_related("license_type", "organization")
        .get(pk=holding.pk)
    )
    if not may_manage(acting_user, locked.organization_id):
        logger.warning(
            "license change denied holding=%s actor=%s", locked.pk, acting_user.pk
        )
        raise PermissionDenied(
            f"{acting_user} may not change the licenses of {locked.organization}."
        )
    if locked.license_type.is_automatic:
        raise LicensingError(
            f"{locked.license_type.name} is automatic: every member has it, so it "
            "cannot be assigned or removed."
        )
    return locked


def _check_member(holding: Holding, member: User) -> None:
    if member.organization_id != holding.organization_id:
        raise LicensingError(
            f"{member.email} is not a member of {holding.organization}. "
            "Choose a member of this organization."
        )


def _record(action, holding, member, acting_user, source):
    Event.objects.create(
        organization_id=holding.organization_id,
        action=action,
        source=source,
        license_type=holding.license_type,
        license_name=holding.license_type.name,
        member=member,
        member_email=member.email,
        actor=acting_user,
        actor_email=acting_user.email,
    )
