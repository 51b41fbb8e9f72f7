"""What a member can use, and through which license.

License types grant capabilities, include other types (followed
transitively, so a Supervisor has every Agent capability), and may be
limited to some regions or to the organizations in a rollout. `may_use`
is the one answer to "may this member use capability X?".
"""

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organization, User

from .models import Capability, LicenseType

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
            return _("included with %(license)s") % {"license": self.held.name}
        if self.held.is_automatic:
            return _("automatic for every member")
        return _("from %(license)s") % {"license": self.held.name}


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

    def unavailable_reason(self, license_type: LicenseType) -> str:
        return unavailable_reason(license_type, self.organization, self.rollouts)

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

    def grants(self, held_types: list[LicenseType]) -> list[Grant]:
        """Return every capability the held types give, with where each comes from."""
        grants = []
        for held in held_types:
            if self.unavailable_reason(held):
                continue
            for license_type in self.with_included(self.types[held.pk]):
                # An included type limited to other regions gives nothing here.
                if self.unavailable_reason(license_type):
                    continue
                grants += [
                    Grant(capability, license_type, held)
                    for capability in license_type.capabilities.all()
                ]
        return grants


def held_license_types(member: User) -> list[LicenseType]:
    """Return the member's assigned types plus the automatic ones, in catalog order."""
    if member.organization_id is None or not member.is_active:
        return []
    return list(
        LicenseType.objects.filter(
            Q(is_automatic=True) | Q(holdings__assignments__member=member)
        ).distinct()
    )


def member_grants(member: User, catalog: Catalog | None = None) -> list[Grant]:
    catalog = catalog or Catalog(member.organization)
    return catalog.grants(held_license_types(member))


def usable_capabilities(member: User) -> set[str]:
    """Return the slugs of every capability the member may use."""
    return {grant.capability.slug for grant in member_grants(member)}


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
        % {"license": removed.name, "member": member}
    ]
    if lost:
        sentences.append(
            _("%(member)s loses: %(capabilities)s.")
            % {
                "member": member,
                "capabilities": ", ".join(grant.capability.name for grant in lost),
            }
        )
    if kept:
        sentences.append(
            _("Kept through other licenses: %(capabilities)s.")
            % {
                "capabilities": ", ".join(
                    f"{grant.capability.name} ({grant.source})" for grant in kept
                )
            }
        )
    return " ".join(sentences)
