"""Settings > Troubleshooting: what a member can use and why, and who has a
capability."""

from collections import defaultdict
from dataclasses import dataclass

from django import forms
from django.shortcuts import render
from django.utils.text import get_text_list
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from ..capabilities import Catalog, Grant, held_license_types
from ..models import Assignment, Capability, Holding, LicenseType
from .access import administrator_required

HOLDERS_LIMIT = 200


class TroubleshootingForm(forms.Form):
    member = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label=gettext_lazy("Choose a member…"),
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={
            "invalid_choice": gettext_lazy(
                "“%(value)s” is not an active member of your organization. "
                "Choose one from the list."
            )
        },
    )
    capability = forms.ModelChoiceField(
        queryset=Capability.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label=gettext_lazy("Choose a capability…"),
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={
            "invalid_choice": gettext_lazy(
                "“%(value)s” is not a capability. Choose one from the list."
            )
        },
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = organization.members.filter(
            is_active=True
        ).order_by("full_name", "email")


@dataclass
class CapabilityStatus:
    """One capability as it stands for one member."""

    capability: Capability
    grants: list[Grant]
    # Types that would give the capability: each with the organization's
    # holding of it (None where it holds none) and why it is unavailable ("").
    options: list[tuple[LicenseType, Holding | None, str]]
    assignments: dict[int, Assignment]

    @property
    def available(self) -> bool:
        return bool(self.grants)

    @property
    def grant_rows(self) -> list[tuple[Grant, Assignment | None]]:
        """Each grant with the assignment behind it; automatic types have none."""
        return [(grant, self.assignments.get(grant.held.pk)) for grant in self.grants]


@administrator_required
@require_GET
def troubleshooting(request):
    organization = request.user.organization
    form = TroubleshootingForm(request.GET or None, organization=organization)
    context = {"form": form}
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    elif form.is_bound:
        catalog = Catalog.for_request(request)
        if member := form.cleaned_data["member"]:
            context["member"] = member
            context["statuses"] = _member_statuses(catalog, organization, member)
        if capability := form.cleaned_data["capability"]:
            context["capability"] = capability
            context.update(_capability_holders(catalog, organization, capability))
    return render(request, "licensing/troubleshooting.html", context, status=status)


def _member_statuses(catalog, organization, member) -> list[CapabilityStatus]:
    held = held_license_types(member, catalog)
    grants = defaultdict(list)
    for grant in catalog.grants(held):
        grants[grant.capability.pk].append(grant)
    holdings = {
        holding.license_type_id: holding
        for holding in Holding.objects.filter(organization=organization).with_in_use()
    }
    assignments = {
        assignment.holding.license_type_id: assignment
        for assignment in Assignment.objects.filter(member=member).select_related(
            "holding", "assigned_by"
        )
    }
    capabilities = {
        capability.pk: capability
        for license_type in catalog.types.values()
        for capability in license_type.capabilities.all()
    }
    return [
        CapabilityStatus(
            capability,
            grants[capability.pk],
            [
                (
                    license_type,
                    holdings.get(license_type.pk),
                    catalog.unavailable_reason(license_type),
                )
                for license_type in catalog.types_granting(capability.slug)
            ],
            assignments,
        )
        # By the English name in every language, as Capability's ordering.
        for capability in sorted(capabilities.values(), key=lambda c: c.name)
    ]


def _capability_holders(catalog, organization, capability) -> dict:
    types = catalog.types_granting(capability.slug)
    usable = [t for t in types if not catalog.unavailable_reason(t)]
    if any(license_type.is_automatic for license_type in usable):
        return {"everyone": True}
    holders = defaultdict(list)
    assignments = (
        Assignment.objects.filter(
            holding__organization=organization,
            holding__license_type__in=usable,
            member__is_active=True,
        )
        .select_related("member", "holding__license_type")
        .order_by("member__full_name", "member__email")[: HOLDERS_LIMIT + 1]
    )
    for assignment in assignments:
        holders[assignment.member].append(assignment.holding.license_type)
    # One row beyond the limit tells whether the list was cut. The limit
    # counts assignments: a member with two granting types takes two.
    shown = list(holders.items())
    return {
        "holders": shown[:HOLDERS_LIMIT],
        "granting_types": types,
        # "A, B or C", with the separators of the active language.
        "granting_names": get_text_list([t.display_name for t in types]),
        "limited": len(assignments) > HOLDERS_LIMIT,
    }
