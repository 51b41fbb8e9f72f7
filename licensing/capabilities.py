"""What a member can use, and through which license.

License types grant capabilities, include other types (followed
transitively, so a Supervisor has every Agent capability), and may be
limited to some regions or to the organizations in a rollout. `may_use`
is the one answer to "may this member use capability X?".
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organization, User

from .models import Assignment, Capability, LicenseType

# Lazy, so each page shows them in its own language. licensing.services
# compares a reason with them to choose its error message.
NOT_IN_REGION = gettext_lazy("Not available in your region")
NOT_IN_ROLLOUT = gettext_lazy("Not yet available for your organization")


@dataclass(frozen=True)
class Grant:
    """One way a member has a capability."""

    capability: Capability
    # The type whose capability it is.
    license_type: LicenseType
    # The type the member holds, which is license_type itself or includes it.
    held: LicenseType

    @property
    def source(self) -> str:
        if self.held != self.license_type:
            return _("included with %(license)s") % {"license": self.held.display_name}
        if self.held.is_automatic:
            return _("automatic for every member")
        return _("from %(license)s") % {"license": self.held.display_name}


def unavailable_reason(
    license_type: LicenseType,
    organization: Organization | None,
    rollouts: set[int] | None = None,
) -> str:
    """Return why the organization may not use the type, or "" when it may.

    `rollouts` contains the ids of the types whose rollout includes the
    organization; without it, the rollout is looked up in the database.
    """
    if organization is None:
        return NOT_IN_REGION
    if license_type.regions and organization.region not in license_type.regions:
        return NOT_IN_REGION
    if license_type.requires_rollout:
        if rollouts is None:
            in_rollout = license_type.rollout_organizations.filter(
                pk=organization.pk
            ).exists()
        else:
            in_rollout = license_type.pk in rollouts
        if not in_rollout:
            return NOT_IN_ROLLOUT
    return ""


class Catalog:
    """The license types with their capabilities and inclusions, loaded once.

    One instance serves one request: it costs four queries (types,
    capabilities, inclusions and the organization's rollouts) whatever the
    size of the organization.
    """

    def __init__(self, organization: Organization | None):
        self.organization = organization
        self.types = {
            license_type.pk: license_type
            for license_type in LicenseType.objects.prefetch_related(
                "capabilities", "includes"
            )
        }
        self.rollouts = (
            set(organization.rollouts.values_list("pk", flat=True))
            if organization
            else set()
        )
        self._unavailable_reasons: dict[int, str] = {}
        self._granted: dict[int, list[tuple[Capability, LicenseType]]] = {}

    @classmethod
    def for_request(cls, request) -> "Catalog":
        """Return the catalog of the signed-in user's organization, built once
        per request and shared by the view and the navigation."""
        if not hasattr(request, "_catalog"):
            request._catalog = cls(request.user.organization)
        return request._catalog

    @property
    def automatic_types(self) -> list[LicenseType]:
        return [t for t in self.types.values() if t.is_automatic]

    def held_types(self, member_ids: list[int]) -> dict[int, list[LicenseType]]:
        """Map each member id to the types the member has, assigned or
        automatic, in catalog order, with one query of their assignments."""
        assigned = defaultdict(set)
        for member_id, type_id in Assignment.objects.filter(
            member_id__in=member_ids
        ).values_list("member_id", "holding__license_type_id"):
            assigned[member_id].add(type_id)
        return {
            member_id: [
                license_type
                for license_type in self.types.values()
                if license_type.is_automatic or license_type.pk in assigned[member_id]
            ]
            for member_id in member_ids
        }

    def unavailable_reason(self, license_type: LicenseType) -> str:
        if license_type.pk not in self._unavailable_reasons:
            self._unavailable_reasons[license_type.pk] = unavailable_reason(
                license_type, self.organization, self.rollouts
            )
        return self._unavailable_reasons[license_type.pk]

    def with_included(self, held: LicenseType) -> list[LicenseType]:
        """Return the type and every type it includes, directly or through others."""
        found, pending = [], [held.pk]
        while pending:
            license_type = self.types[pending.pop()]
            if license_type in found:
                continue
            found.append(license_type)
            pending += [included.pk for included in license_type.includes.all()]
        return found

    def types_granting(self, capability_slug: str) -> list[LicenseType]:
        """Return every type that gives the capability, directly or by
        inclusion, whether or not the organization may use it."""
        return [
            license_type
            for license_type in self.types.values()
            if any(
                capability.slug == capability_slug
                for included in self.with_included(license_type)
                for capability in included.capabilities.all()
            )
        ]

    def grants(self, held_types: list[LicenseType]) -> list[Grant]:
        """Return every capability the held types give, with where each comes from."""
        return [
            Grant(capability, license_type, held)
            for held in held_types
            for capability, license_type in self._granted_by(held.pk)
        ]

    def _granted_by(self, held_id: int) -> list[tuple[Capability, LicenseType]]:
        """Return each capability a holder of the type may use, with the type,
        itself or an included one, that gives it.

        Computed once per type: the Licenses page asks for every holder it
        lists, and walking the prefetched relations each time cost more than
        the page's queries.
        """
        if held_id not in self._granted:
            held = self.types[held_id]
            granted = []
            if not self.unavailable_reason(held):
                for license_type in self.with_included(held):
                    # An included type limited to other regions gives nothing here.
                    if self.unavailable_reason(license_type):
                        continue
                    granted += [
                        (capability, license_type)
                        for capability in license_type.capabilities.all()
                    ]
            self._granted[held_id] = granted
        return self._granted[held_id]


def held_license_types(
    member: User, catalog: Catalog | None = None
) -> list[LicenseType]:
    """Return the member's assigned types plus the automatic ones, in catalog order.

    With a catalog, the types are its instances and only the member's
    assignments are read.
    """
    if member.organization_id is None or not member.is_active:
        return []
    if catalog is not None:
        return catalog.held_types([member.pk])[member.pk]
    # A subquery on member_id, which its index serves. An OR across joins
    # to the assignments would scan every organization's assignments.
    assigned = Assignment.objects.filter(member=member).values(
        "holding__license_type_id"
    )
    return list(LicenseType.objects.filter(Q(is_automatic=True) | Q(pk__in=assigned)))


def member_grants(member: User, catalog: Catalog | None = None) -> list[Grant]:
    catalog = catalog or Catalog(member.organization)
    return catalog.grants(held_license_types(member, catalog))


def usable_capabilities(member: User, catalog: Catalog | None = None) -> set[str]:
    """Return the slugs of every capability the member may use."""
    return {grant.capability.slug for grant in member_grants(member, catalog)}


def may_use(member: User, capability: str) -> bool:
    """Return whether the member may use the capability with this slug now."""
    return capability in usable_capabilities(member)


def removal_effect(
    catalog: Catalog, held_types: list[LicenseType], removed: LicenseType
) -> tuple[list[Grant], list[Grant]]:
    """Split the grants of `removed` into those the member loses and keeps.

    Returns the grants of `removed` that no other held type gives, and the
    grants of other held types that cover capabilities `removed` also gives.
    """
    others = [t for t in held_types if t.pk != removed.pk]
    other_grants = {grant.capability.pk: grant for grant in catalog.grants(others)}
    lost, kept = [], []
    for grant in catalog.grants([removed]):
        if grant.capability.pk in other_grants:
            kept.append(other_grants[grant.capability.pk])
        else:
            lost.append(grant)
    return lost, kept


def describe_removal(
    catalog: Catalog, held_types: list[LicenseType], removed: LicenseType, member
) -> str:
    """Return the confirmation shown before `removed` is taken from the member."""
    lost, kept = removal_effect(catalog, held_types, removed)
    sentences = [
        _("Remove %(license)s from %(member)s? The seat is freed at once.")
        % {"license": removed.display_name, "member": member}
    ]
    if lost:
        sentences.append(
            _("%(member)s loses: %(capabilities)s.")
            % {
                "member": member,
                "capabilities": ", ".join(
                    grant.capability.display_name for grant in lost
                ),
            }
        )
    if kept:
        sentences.append(
            _("Kept through other licenses: %(capabilities)s.")
            % {
                "capabilities": ", ".join(
                    f"{grant.capability.display_name} ({grant.source})"
                    for grant in kept
                )
            }
        )
    return " ".join(sentences)
