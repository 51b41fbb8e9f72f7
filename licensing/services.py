"""Every change to seats and holdings goes through this module, whoever calls it.

Each function runs in one transaction, checks who acts, locks the holding row
before counting its seats, and writes one history event per change. Member
changes that release seats live in accounts.services and use the helpers here.

Error messages are translated into the active language when raised. History
details are stored in English (licensing.details), because they are written
once and read in any language.
"""

import logging
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Organization, User

from . import details
from .capabilities import (
    NOT_IN_REGION,
    NOT_IN_ROLLOUT,
    Catalog,
    held_license_types,
    unavailable_reason,
)
from .models import Assignment, Event, Holding, LicenseType

logger = logging.getLogger(__name__)

# How many members a bulk redundancy warning names before "and N others".
REDUNDANT_NAMES_SHOWN = 3


class LicensingError(Exception):
    """A seat rule rejected the change. The message is meant for the person acting."""


class RedundantLicense(LicensingError):
    """The member already has every capability of the type through another one.

    The assignment goes ahead when the caller passes confirm_redundant=True.
    """


def assign_license(
    *,
    holding: Holding,
    member: User,
    acting_user: User | None,
    source: Event.Source = Event.Source.PORTAL,
    confirm_redundant: bool = False,
    catalog: Catalog | None = None,
) -> Assignment:
    """Give `member` one seat of `holding`.

    Raises LicensingError when no seat remains, when the member already holds
    the type, is inactive or belongs to another organization, or when the type
    is automatic or not available to the organization. Raises RedundantLicense
    when another held type already gives all its capabilities, unless
    `confirm_redundant`. Raises PermissionDenied when `acting_user` may not
    manage the holding's organization. A caller that has the organization's
    catalog passes it, to spare the redundancy check from loading it again.
    """
    with transaction.atomic():
        holding = _lock_holding(holding, acting_user, source)
        license_name = holding.license_type.display_name
        _check_available(holding)
        # The caller's copy may be stale: deactivation locks the same row.
        member = User.objects.select_for_update().get(pk=member.pk)
        _check_assignable(holding, member)
        if holding.assignments.filter(member=member).exists():
            raise LicensingError(
                _("%(member)s already holds %(license)s. Nothing was changed.")
                % {"member": member, "license": license_name}
            )
        in_use = holding.assignments.count()
        if holding.quantity is not None and in_use >= holding.quantity:
            raise LicensingError(
                _(
                    "No %(license)s seats remaining (%(in_use)s of %(quantity)s "
                    "in use). Remove the license from another member first."
                )
                % {
                    "license": license_name,
                    "in_use": in_use,
                    "quantity": holding.quantity,
                }
            )
        if not confirm_redundant:
            _check_not_redundant(holding, member, catalog)
        assignment = holding.assignments.create(member=member, assigned_by=acting_user)
        record_event(
            Event.Action.ASSIGNED,
            organization_id=holding.organization_id,
            acting_user=acting_user,
            source=source,
            license_type=holding.license_type,
            member=member,
        )

    logger.info(
        "license assigned holding=%s member=%s actor=%s source=%s",
        holding.pk,
        member.pk,
        _actor_id(acting_user),
        source,
    )
    return assignment


def assign_license_to_members(
    *,
    holding: Holding,
    members: Iterable[User],
    acting_user: User | None,
    source: Event.Source = Event.Source.PORTAL,
    confirm_redundant: bool = False,
    catalog: Catalog | None = None,
) -> list[Assignment]:
    """Give every member of `members` who lacks it one seat of `holding`.

    All or nothing: when any member may not be given a seat, or the seats
    remaining are fewer than the members who need one, nothing is assigned and
    LicensingError says why. Raises RedundantLicense, naming them, when some
    members already have every capability of the type through other types,
    unless `confirm_redundant`. Members who already hold the type are
    skipped. Returns the new assignments.
    """
    with transaction.atomic():
        holding = _lock_holding(holding, acting_user, source)
        license_name = holding.license_type.display_name
        _check_available(holding)
        # Fresh rows, locked as in assign_license; a member listed twice
        # gets one seat.
        members = list(
            User.objects.select_for_update()
            .filter(pk__in={member.pk for member in members})
            .order_by("pk")
        )
        for member in members:
            _check_assignable(holding, member)
        holder_ids = set(holding.assignments.values_list("member_id", flat=True))
        needing = [member for member in members if member.pk not in holder_ids]
        in_use = len(holder_ids)
        if holding.quantity is not None and len(needing) > holding.quantity - in_use:
            if holding.quantity > in_use:
                message = ngettext(
                    "Only %(seats)s of %(license)s remaining (%(in_use)s of "
                    "%(quantity)s in use), but %(needing)s selected member needs "
                    "one. Nothing was changed.",
                    "Only %(seats)s of %(license)s remaining (%(in_use)s of "
                    "%(quantity)s in use), but %(needing)s selected members need "
                    "one. Nothing was changed.",
                    len(needing),
                )
            else:
                message = ngettext(
                    "No %(license)s seats remaining (%(in_use)s of %(quantity)s "
                    "in use), but %(needing)s selected member needs one. Nothing "
                    "was changed.",
                    "No %(license)s seats remaining (%(in_use)s of %(quantity)s "
                    "in use), but %(needing)s selected members need one. Nothing "
                    "was changed.",
                    len(needing),
                )
            raise LicensingError(
                message
                % {
                    "seats": count_seats(holding.quantity - in_use),
                    "license": license_name,
                    "in_use": in_use,
                    "quantity": holding.quantity,
                    "needing": len(needing),
                }
            )
        if not confirm_redundant:
            _check_none_redundant(holding, needing, catalog)
        assignments = Assignment.objects.bulk_create(
            Assignment(holding=holding, member=member, assigned_by=acting_user)
            for member in needing
        )
        Event.objects.bulk_create(
            _event(
                Event.Action.ASSIGNED,
                organization_id=holding.organization_id,
                acting_user=acting_user,
                source=source,
                license_type=holding.license_type,
                member=member,
            )
            for member in needing
        )

    logger.info(
        "license assigned in bulk holding=%s members=%s actor=%s source=%s",
        holding.pk,
        [member.pk for member in needing],
        _actor_id(acting_user),
        source,
    )
    return assignments


def remove_license(
    *,
    holding: Holding,
    member: User,
    acting_user: User | None,
    source: Event.Source = Event.Source.PORTAL,
) -> None:
    """Take back `member`'s seat of `holding`, freeing it at once.

    Raises LicensingError when the member does not hold the type or the type
    is automatic, and PermissionDenied as `assign_license` does.
    """
    with transaction.atomic():
        holding = _lock_holding(holding, acting_user, source)
        if member.organization_id != holding.organization_id:
            raise _not_a_member(holding, member)
        deleted, _per_model = holding.assignments.filter(member=member).delete()
        if not deleted:
            raise LicensingError(
                _("%(member)s does not hold %(license)s. Nothing was changed.")
                % {"member": member, "license": holding.license_type.display_name}
            )
        record_event(
            Event.Action.REMOVED,
            organization_id=holding.organization_id,
            acting_user=acting_user,
            source=source,
            license_type=holding.license_type,
            member=member,
        )

    logger.info(
        "license removed holding=%s member=%s actor=%s source=%s",
        holding.pk,
        member.pk,
        _actor_id(acting_user),
        source,
    )


def remove_license_from_members(
    *,
    holding: Holding,
    members: Iterable[User],
    acting_user: User | None,
    source: Event.Source = Event.Source.PORTAL,
) -> int:
    """Take back `holding`'s seat from every member of `members` who holds one.

    All or nothing: a member of another organization rejects the whole change.
    Members who do not hold the type are skipped. Returns the seats freed.
    """
    with transaction.atomic():
        holding = _lock_holding(holding, acting_user, source)
        members = list(members)
        for member in members:
            if member.organization_id != holding.organization_id:
                raise _not_a_member(holding, member)
        assignments = holding.assignments.filter(member__in=members).select_related(
            "member", "holding__license_type"
        )
        freed = remove_assignments(assignments, acting_user=acting_user, source=source)

    logger.info(
        "license removed in bulk holding=%s freed=%s actor=%s source=%s",
        holding.pk,
        freed,
        _actor_id(acting_user),
        source,
    )
    return freed


def remove_assignments(
    assignments: Iterable[Assignment],
    *,
    acting_user: User | None,
    source: Event.Source,
    detail: str = "",
) -> int:
    """Delete the assignments, one history event each, and return how many.

    The caller holds the transaction and has checked who acts: member
    deactivation and deletion use this to release every seat of a member.
    """
    assignments = list(assignments)
    if not assignments:
        return 0
    Event.objects.bulk_create(
        _event(
            Event.Action.REMOVED,
            organization_id=assignment.holding.organization_id,
            acting_user=acting_user,
            source=source,
            license_type=assignment.holding.license_type,
            member=assignment.member,
            detail=detail,
        )
        for assignment in assignments
    )
    Assignment.objects.filter(pk__in=[a.pk for a in assignments]).delete()
    return len(assignments)


def add_holding(
    *,
    organization: Organization,
    license_type: LicenseType,
    quantity: int | None,
    acting_user: User | None,
    source: Event.Source = Event.Source.ADMIN,
    low_seat_threshold: int = 2,
) -> Holding:
    """Give the organization seats of a license type it does not hold yet."""
    require_permission(acting_user, source, "licensing.add_holding")
    if license_type.is_automatic:
        raise LicensingError(
            _("%(license)s is automatic: every member has it, so it needs no holding.")
            % {"license": license_type.display_name}
        )
    _check_quantity(quantity)
    with transaction.atomic():
        if Holding.objects.filter(
            organization=organization, license_type=license_type
        ).exists():
            raise LicensingError(
                _(
                    "%(organization)s already holds %(license)s. Change the "
                    "quantity of that holding instead."
                )
                % {"organization": organization, "license": license_type.display_name}
            )
        holding = Holding.objects.create(
            organization=organization,
            license_type=license_type,
            quantity=quantity,
            low_seat_threshold=low_seat_threshold,
        )
        record_event(
            Event.Action.HOLDING_ADDED,
            organization_id=organization.pk,
            acting_user=acting_user,
            source=source,
            license_type=license_type,
            detail=details.quantity(quantity),
            quantity_after=quantity,
        )
    logger.info(
        "holding added holding=%s organization=%s actor=%s",
        holding.pk,
        organization.pk,
        _actor_id(acting_user),
    )
    return holding


def change_quantity(
    *,
    holding: Holding,
    quantity: int | None,
    acting_user: User | None,
    source: Event.Source = Event.Source.ADMIN,
) -> Holding:
    """Set the number of seats of a holding; None makes it unlimited.

    Raises LicensingError when the new quantity is below the seats in use.
    """
    require_permission(acting_user, source, "licensing.change_holding")
    _check_quantity(quantity)
    with transaction.atomic():
        holding = _lock_holding(holding, acting_user, source, check_manager=False)
        in_use = holding.assignments.count()
        if quantity is not None and quantity < in_use:
            raise LicensingError(
                ngettext(
                    "%(in_use)s seat is in use; remove seats before lowering the "
                    "quantity to %(quantity)s.",
                    "%(in_use)s seats are in use; remove seats before lowering the "
                    "quantity to %(quantity)s.",
                    in_use,
                )
                % {"in_use": in_use, "quantity": quantity}
            )
        previous = holding.quantity
        if previous == quantity:
            return holding
        holding.quantity = quantity
        holding.save(update_fields=["quantity"])
        record_event(
            Event.Action.QUANTITY_CHANGED,
            organization_id=holding.organization_id,
            acting_user=acting_user,
            source=source,
            license_type=holding.license_type,
            detail=details.quantity_change(previous, quantity),
            quantity_before=previous,
            quantity_after=quantity,
        )
    logger.info(
        "holding quantity changed holding=%s from=%s to=%s actor=%s",
        holding.pk,
        previous,
        quantity,
        _actor_id(acting_user),
    )
    return holding


def set_low_seat_threshold(
    *,
    holding: Holding,
    threshold: int,
    acting_user: User | None,
    source: Event.Source = Event.Source.ADMIN,
) -> None:
    """Set how few remaining seats make the holding show a warning.

    A display setting, so it writes no history event.
    """
    require_permission(acting_user, source, "licensing.change_holding")
    if threshold < 0:
        raise LicensingError(
            _("The warning threshold %(threshold)s is invalid: enter 0 or more seats.")
            % {"threshold": threshold}
        )
    Holding.objects.filter(pk=holding.pk).update(low_seat_threshold=threshold)
    logger.info(
        "holding threshold changed holding=%s threshold=%s actor=%s",
        holding.pk,
        threshold,
        _actor_id(acting_user),
    )


def remove_holding(
    *,
    holding: Holding,
    acting_user: User | None,
    source: Event.Source = Event.Source.ADMIN,
) -> int:
    """Delete a holding, releasing its seats first. Returns the seats released."""
    require_permission(acting_user, source, "licensing.delete_holding")
    with transaction.atomic():
        holding = _lock_holding(holding, acting_user, source, check_manager=False)
        released = remove_assignments(
            holding.assignments.select_related("member", "holding__license_type"),
            acting_user=acting_user,
            source=source,
            detail=details.HOLDING_REMOVED,
        )
        record_event(
            Event.Action.HOLDING_REMOVED,
            organization_id=holding.organization_id,
            acting_user=acting_user,
            source=source,
            license_type=holding.license_type,
            detail=details.seats_released(released),
            quantity_before=holding.quantity,
        )
        holding_id = holding.pk
        holding.delete()
    logger.info(
        "holding removed holding=%s released=%s actor=%s",
        holding_id,
        released,
        _actor_id(acting_user),
    )
    return released


def may_manage(user: User | None, organization_id: int) -> bool:
    """Return whether `user` may change the seats of the organization.

    Administrators may change their own organization's seats. Support staff,
    who belong to no organization, may change any organization's seats when
    they hold the model permissions on assignments.
    """
    if user is None or not user.is_active:
        return False
    if user.organization_id is not None:
        return user.organization_id == organization_id and user.is_administrator
    return user.is_staff and user.has_perms(
        ["licensing.add_assignment", "licensing.delete_assignment"]
    )


def record_event(action: Event.Action, **fields) -> Event:
    """Write one history event; takes the keyword arguments of `_event`."""
    event = _event(action, **fields)
    event.save()
    return event


def _event(
    action: Event.Action,
    *,
    organization_id: int,
    acting_user: User | None,
    source: Event.Source,
    license_type: LicenseType | None = None,
    member: User | None = None,
    detail: str = "",
    quantity_before: int | None = None,
    quantity_after: int | None = None,
) -> Event:
    return Event(
        organization_id=organization_id,
        action=action,
        source=source,
        license_type=license_type,
        # The English name is recorded. Event.display_license_name shows the
        # type's French name to French viewers.
        license_name=license_type.name if license_type else "",
        member=member,
        member_email=member.email if member else "",
        actor=acting_user,
        actor_email=acting_user.email if acting_user else "",
        detail=detail,
        quantity_before=quantity_before,
        quantity_after=quantity_after,
    )


def _lock_holding(
    holding: Holding,
    acting_user: User | None,
    source: Event.Source,
    *,
    check_manager: bool = True,
) -> Holding:
    # The row lock makes concurrent seat checks on one holding wait for each
    # other on PostgreSQL. SQLite ignores it; there the connection's IMMEDIATE
    # transaction mode serializes writers instead.
    locked = (
        Holding.objects.select_for_update(of=("self",))
        .select_related("license_type", "organization")
        .get(pk=holding.pk)
    )
    if check_manager and not _may_act(acting_user, source, locked.organization_id):
        logger.warning(
            "license change denied holding=%s actor=%s",
            locked.pk,
            _actor_id(acting_user),
        )
        raise PermissionDenied(
            _("%(user)s may not change the licenses of %(organization)s.")
            % {"user": acting_user, "organization": locked.organization}
        )
    if check_manager and locked.license_type.is_automatic:
        raise LicensingError(
            _(
                "%(license)s is automatic: every member has it, so it cannot be "
                "assigned or removed."
            )
            % {"license": locked.license_type.display_name}
        )
    return locked


def _may_act(acting_user: User | None, source: Event.Source, organization_id) -> bool:
    # As in require_permission, only management commands may act without a user.
    if acting_user is None:
        return source == Event.Source.COMMAND
    return may_manage(acting_user, organization_id)


def require_permission(
    acting_user: User | None, source: Event.Source, permission: str
) -> None:
    """Raise PermissionDenied unless `acting_user` is active and has `permission`.

    Management commands run by an operator with shell access may act without
    a user; every other caller names one.
    """
    if acting_user is None and source == Event.Source.COMMAND:
        return
    if acting_user is None or not acting_user.is_active:
        allowed = False
    else:
        allowed = acting_user.has_perm(permission)
    if not allowed:
        logger.warning(
            "change denied actor=%s permission=%s", _actor_id(acting_user), permission
        )
        if acting_user is None:
            message = _(
                "An anonymous user lacks the permission %(permission)s needed for "
                "this change."
            )
        else:
            message = _(
                "%(user)s lacks the permission %(permission)s needed for this change."
            )
        raise PermissionDenied(
            message % {"user": acting_user, "permission": permission}
        )


def count_seats(count: int) -> str:
    """Return "1 seat" or "N seats" in the active language."""
    return ngettext("%(count)s seat", "%(count)s seats", count) % {"count": count}


def _check_available(holding: Holding) -> None:
    license_type, organization = holding.license_type, holding.organization
    reason = unavailable_reason(license_type, organization)
    if reason == NOT_IN_REGION:
        raise LicensingError(
            _(
                "%(license)s is not available in %(region)s, where %(organization)s "
                "is. Nothing was changed."
            )
            % {
                "license": license_type.display_name,
                "region": organization.region.name,
                "organization": organization,
            }
        )
    if reason == NOT_IN_ROLLOUT:
        raise LicensingError(
            _(
                "%(license)s is not yet available for %(organization)s: it is still "
                "being rolled out. Nothing was changed."
            )
            % {"license": license_type.display_name, "organization": organization}
        )


def _redundancy_providers(
    catalog: Catalog, license_type: LicenseType, held: list[LicenseType]
) -> list[str]:
    """Return the names of the held types that together give every capability
    of `license_type`, or [] when they leave some capability out."""
    offered = catalog.grants([license_type])
    others = [held_type for held_type in held if held_type.pk != license_type.pk]
    covering = {grant.capability.pk: grant.held for grant in catalog.grants(others)}
    if not offered or any(grant.capability.pk not in covering for grant in offered):
        return []
    return sorted({covering[grant.capability.pk].display_name for grant in offered})


def _check_none_redundant(
    holding: Holding, members: list[User], catalog: Catalog | None
) -> None:
    """Raise RedundantLicense when any of `members` already has every
    capability of the holding's type through other held types."""
    catalog = catalog or Catalog(holding.organization)
    held = catalog.held_types([member.pk for member in members])
    redundant = [
        member
        for member in members
        if _redundancy_providers(catalog, holding.license_type, held[member.pk])
    ]
    if redundant:
        shown = [str(member) for member in redundant[:REDUNDANT_NAMES_SHOWN]]
        if len(redundant) > REDUNDANT_NAMES_SHOWN:
            others = len(redundant) - REDUNDANT_NAMES_SHOWN
            shown.append(
                ngettext("%(count)s other", "%(count)s others", others)
                % {"count": others}
            )
        raise RedundantLicense(
            ngettext(
                "%(members)s already has everything %(license)s gives. "
                "Assigning it uses a seat for nothing new; tick “Assign even "
                "if redundant” to assign it anyway.",
                "%(members)s already have everything %(license)s gives. "
                "Assigning it uses seats for nothing new; tick “Assign even "
                "if redundant” to assign it anyway.",
                len(redundant),
            )
            % {
                "members": get_text_list(shown, _("and")),
                "license": holding.license_type.display_name,
            }
        )


def _check_not_redundant(
    holding: Holding, member: User, catalog: Catalog | None
) -> None:
    catalog = catalog or Catalog(holding.organization)
    providers = _redundancy_providers(
        catalog, holding.license_type, held_license_types(member, catalog)
    )
    if providers:
        raise RedundantLicense(
            _(
                "%(member)s already has everything %(license)s gives, through "
                "%(providers)s. Assigning it uses a seat for nothing new; confirm "
                "to assign it anyway."
            )
            % {
                "member": member,
                "license": holding.license_type.display_name,
                "providers": get_text_list(providers, _("and")),
            }
        )


def _check_assignable(holding: Holding, member: User) -> None:
    if member.organization_id != holding.organization_id:
        raise _not_a_member(holding, member)
    if not member.is_active:
        raise LicensingError(
            _(
                "%(member)s is deactivated and cannot be given a license. "
                "Reactivate the account first."
            )
            % {"member": member}
        )


def _check_quantity(quantity: int | None) -> None:
    if quantity is not None and quantity < 0:
        raise LicensingError(
            _(
                "The quantity %(quantity)s is invalid: enter 0 or more seats, or "
                "leave it empty for unlimited."
            )
            % {"quantity": quantity}
        )


def _not_a_member(holding: Holding, member: User) -> LicensingError:
    return LicensingError(
        _(
            "%(email)s is not a member of %(organization)s. Choose a member of this "
            "organization."
        )
        % {"email": member.email, "organization": holding.organization}
    )


def _actor_id(acting_user: User | None):
    return acting_user.pk if acting_user else None
