"""Settings > Licenses: one card per held type, with assign and remove."""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial

from django.contrib import messages
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.models import User, parse_id

from .. import services
from ..capabilities import Catalog, describe_removal
from ..charts import UsageChart, usage_charts
from ..exports import write_assignments_csv
from ..forms import SeatChangeForm, clean_search
from ..models import Assignment, Holding, LicenseType
from .access import administrator_required, get_in_organization

logger = logging.getLogger(__name__)

SETTINGS_TEMPLATE = "licensing/organization_licenses.html"
MEMBER_CHOICES_LIMIT = 10
HOLDERS_SHOWN = 10


@dataclass
class LicenseCard:
    """The figures one card of Settings > Licenses shows about one license type."""

    license_type: LicenseType
    holding: Holding | None  # None for an automatic type, which needs no holding
    in_use: int
    # (member, confirmation text of removing the type from them), by name
    holders: list = field(default_factory=list)
    unavailable_reason: str = ""
    chart: UsageChart | None = None

    @property
    def total(self):
        return None if self.holding is None else self.holding.quantity

    @property
    def remaining(self):
        if self.total is None:
            return None
        return max(self.total - self.in_use, 0)

    @property
    def is_full(self):
        return self.remaining == 0

    @property
    def is_low(self):
        remaining = self.remaining
        return (
            remaining is not None and 0 < remaining <= self.holding.low_seat_threshold
        )

    @property
    def more_holders(self):
        return self.in_use - len(self.holders)

    @property
    def dom_id(self):
        return f"license-{self.license_type.slug}"


def build_license_cards(organization):
    """Build one card per license type the organization holds, in catalog order.

    Automatic types are listed too: every member has them. The number of
    queries does not depend on the number of members.
    """
    catalog = Catalog(organization)
    holdings = (
        Holding.objects.filter(organization=organization)
        .with_in_use()
        .select_related("license_type")
        .prefetch_related("license_type__includes")
    )
    # The first holders of each holding by name, in one query: a card lists
    # HOLDERS_SHOWN of them and links to Members for the rest.
    holders = {}
    for assignment in (
        Assignment.objects.filter(holding__organization=organization)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("holding_id"),
                order_by=[F("member__full_name").asc(), F("member__email").asc()],
            )
        )
        .filter(rank__lte=HOLDERS_SHOWN)
        .select_related("member")
        .order_by("holding_id", "rank")
    ):
        holders.setdefault(assignment.holding_id, []).append(assignment.member)
    held_types = _held_types(catalog, holders)
    holdings = list(holdings)
    charts = usage_charts(organization, holdings)
    cards = [
        LicenseCard(
            holding.license_type,
            holding,
            holding.in_use,
            [
                (
                    member,
                    describe_removal(
                        catalog, held_types[member.pk], holding.license_type, member
                    ),
                )
                for member in holders.get(holding.pk, [])
            ],
            catalog.unavailable_reason(holding.license_type),
            charts[holding.pk],
        )
        for holding in holdings
    ]
    automatic_types = LicenseType.objects.filter(is_automatic=True).prefetch_related(
        "includes"
    )
    if automatic_types:
        member_count = organization.members.filter(is_active=True).count()
        cards += [LicenseCard(t, None, member_count) for t in automatic_types]
    cards.sort(key=lambda card: (card.license_type.position, card.license_type.name))
    return cards


def _held_types(catalog, holders):
    """Map each listed holder to every type they have, automatic ones included."""
    member_ids = [member.pk for members in holders.values() for member in members]
    automatic = [t for t in catalog.types.values() if t.is_automatic]
    held = defaultdict(lambda: list(automatic))
    for member_id, type_id in Assignment.objects.filter(
        member_id__in=member_ids
    ).values_list("member_id", "holding__license_type_id"):
        held[member_id].append(catalog.types[type_id])
    return held


def find_member_choices(holding, search):
    """Active members who do not hold the type, matching the search text.

    Returns at most MEMBER_CHOICES_LIMIT members and whether more match.
    """
    members = holding.organization.members.filter(is_active=True).exclude(
        assignments__holding=holding
    )
    if search:
        members = members.filter(
            Q(full_name__icontains=search) | Q(email__icontains=search)
        )
    found = list(members.order_by("full_name", "email")[: MEMBER_CHOICES_LIMIT + 1])
    return found[:MEMBER_CHOICES_LIMIT], len(found) > MEMBER_CHOICES_LIMIT


@administrator_required
@require_GET
def organization_licenses(request):
    organization = request.user.organization
    open_holding = None
    if (holding_id := parse_id(request.GET.get("open", ""))) is not None:
        open_holding = Holding.objects.filter(
            pk=holding_id, organization=organization
        ).first()
    search = clean_search(request.GET.get("q", ""))
    return _render_licenses(request, open_holding=open_holding, search=search)


@administrator_required
@require_GET
@vary_on_headers("HX-Request")
def member_choices(request, holding_id):
    holding = _get_holding(request, holding_id)
    search = clean_search(request.GET.get("q", ""))
    if not request.htmx:
        query = urlencode({"open": holding.pk, "q": search})
        return redirect(f"{reverse('licensing:organization_licenses')}?{query}")
    choices, more = find_member_choices(holding, search)
    return render(
        request,
        f"{SETTINGS_TEMPLATE}#member_choices",
        {"holding": holding, "choices": choices, "more_choices": more, "q": search},
    )


@administrator_required
@require_POST
@vary_on_headers("HX-Request")
def assign(request, holding_id):
    # The confirmation an administrator gives after a RedundantLicense warning.
    confirmed = request.POST.get("confirm") == "redundant"
    return _change_seat(
        request,
        holding_id,
        partial(services.assign_license, confirm_redundant=confirmed),
        gettext_lazy("%(member)s now holds %(license)s."),
    )


@administrator_required
@require_POST
@vary_on_headers("HX-Request")
def remove(request, holding_id):
    return _change_seat(
        request,
        holding_id,
        services.remove_license,
        gettext_lazy("%(license)s was removed from %(member)s."),
    )


def _get_holding(request, holding_id):
    return get_in_organization(
        request,
        Holding.objects.select_related("license_type", "organization"),
        holding_id,
    )


def _change_seat(request, holding_id, change, success_message):
    holding = _get_holding(request, holding_id)
    form = SeatChangeForm(request.POST)
    if not form.is_valid():
        error = " ".join(
            message for errors in form.errors.values() for message in errors
        )
        search = form.cleaned_data.get("q", "")
        return _render_licenses(
            request, open_holding=holding, search=search, error=error, status=400
        )
    search = form.cleaned_data["q"]
    member = get_in_organization(request, User.objects, form.cleaned_data["member"])
    try:
        change(holding=holding, member=member, acting_user=request.user)
    except services.LicensingError as error:
        logger.info(
            "license change rejected holding=%s member=%s actor=%s reason=%s",
            holding.pk,
            member.pk,
            request.user.pk,
            error,
        )
        redundant = isinstance(error, services.RedundantLicense)
        return _render_licenses(
            request,
            open_holding=holding,
            search=search,
            error=str(error),
            confirm_member=member if redundant else None,
            status=409,
        )
    notice = success_message % {
        "member": member,
        "license": holding.license_type.name,
    }
    if request.htmx:
        return _render_licenses(
            request, open_holding=holding, search=search, notice=notice
        )
    messages.success(request, notice)
    query = urlencode({"open": holding.pk, "q": search})
    url = reverse("licensing:organization_licenses")
    return redirect(f"{url}?{query}#license-{holding.license_type.slug}")


def _render_licenses(
    request,
    *,
    open_holding=None,
    search="",
    error="",
    notice="",
    confirm_member=None,
    status=200,
):
    """Render Settings > Licenses, or only the changed card for htmx.

    The htmx answer also carries the page's seat totals, swapped out of band,
    so every count on the page stays current without a reload.
    """
    cards = build_license_cards(request.user.organization)
    limited = [card for card in cards if card.total is not None]
    context = {
        "cards": cards,
        "seat_totals": {
            "total": sum(card.total for card in limited),
            "in_use": sum(card.in_use for card in limited),
            "remaining": sum(card.remaining for card in limited),
        },
        "open_holding": open_holding,
        "q": search,
        "error": error,
        "notice": notice,
        "confirm_member": confirm_member,
    }
    if open_holding is not None:
        context["choices"], context["more_choices"] = find_member_choices(
            open_holding, search
        )
    template = SETTINGS_TEMPLATE
    if request.htmx and open_holding is not None:
        template = f"{SETTINGS_TEMPLATE}#seat_change"
        context["card"] = next(c for c in cards if c.holding == open_holding)
        context["oob"] = True
    return render(request, template, context, status=status)


@administrator_required
@require_GET
def export_assignments(request):
    organization = request.user.organization
    filename = (
        f"{slugify(organization.name)}-assignments-{timezone.localdate():%Y-%m-%d}.csv"
    )
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
    write_assignments_csv(organization, response)
    return response
