"""Settings > Licenses: one card per held type, with assign and remove."""

import logging
from dataclasses import dataclass, field
from functools import partial

from django.contrib import messages
from django.db import connection
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.models import User, parse_id

from .. import services
from ..capabilities import Catalog, describe_removal
from ..charts import UsageChart, usage_charts
from ..exports import write_assignments_csv
from ..forms import SeatChangeForm, clean_search, shown_value
from ..models import Assignment, Holding, LicenseType, seat_alerts
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
    unavailable_reason: str = ""
    # Whether the card body is filled in: the holders, the chart and the
    # assign form. Other cards load it when they are opened.
    detailed: bool = True
    # (member, confirmation text of removing the type from them), by name
    holders: list = field(default_factory=list)
    chart: UsageChart | None = None

    @property
    def total(self):
        return None if self.holding is None else self.holding.quantity

    @property
    def remaining(self):
        return None if self.holding is None else self.holding.remaining

    @property
    def is_full(self):
        return self.holding is not None and self.holding.is_full

    @property
    def is_low(self):
        return self.holding is not None and self.holding.is_low

    @property
    def more_holders(self):
        return self.in_use - len(self.holders)

    @property
    def dom_id(self):
        return card_id(self.license_type)


def card_id(license_type: LicenseType) -> str:
    """Return the HTML id of the license type's card on Settings > Licenses."""
    return f"license-{license_type.slug}"


def card_url(holding: Holding, search: str = "") -> str:
    """Return the address of Settings > Licenses with the holding's card open
    and scrolled to, and its member search filled in when `search` is given."""
    query = {"open": holding.pk} | ({"q": search} if search else {})
    url = reverse("licensing:organization_licenses")
    return f"{url}?{urlencode(query)}#{card_id(holding.license_type)}"


def organization_holdings(organization, catalog) -> list[Holding]:
    """Return the organization's holdings with their `in_use` counts and their
    license types taken from the catalog."""
    holdings = list(Holding.objects.filter(organization=organization).with_in_use())
    for holding in holdings:
        holding.license_type = catalog.types[holding.license_type_id]
    return holdings


def build_license_cards(
    organization, catalog, holdings, *, detailed=(), automatic=True
):
    """Build one card per holding, and with `automatic` one per automatic type,
    in catalog order: every member has those.

    Only the holdings in `detailed` get their holders and usage chart; the
    page sends the other cards closed, and each loads its body when opened.
    The number of queries does not depend on the number of members.
    """
    cards = [
        LicenseCard(
            holding.license_type,
            holding,
            holding.in_use,
            catalog.unavailable_reason(holding.license_type),
            detailed=holding in detailed,
        )
        for holding in holdings
    ]
    detailed_cards = [card for card in cards if card.detailed]
    if detailed_cards:
        detailed_holdings = [card.holding for card in detailed_cards]
        holders = first_holders(organization, detailed_holdings)
        held_types = catalog.held_types(
            [member.pk for members in holders.values() for member in members]
        )
        charts = usage_charts(organization, detailed_holdings)
        for card in detailed_cards:
            card.holders = [
                (
                    member,
                    describe_removal(
                        catalog, held_types[member.pk], card.license_type, member
                    ),
                )
                for member in holders[card.holding.pk]
            ]
            card.chart = charts[card.holding.pk]
    if automatic and catalog.automatic_types:
        member_count = organization.members.filter(is_active=True).count()
        cards += [LicenseCard(t, None, member_count) for t in catalog.automatic_types]
    cards.sort(key=lambda card: (card.license_type.position, card.license_type.name))
    return cards


def first_holders(organization, holdings) -> dict[int, list[User]]:
    """Return the first HOLDERS_SHOWN holders of each holding by name, in one query.

    A card lists that many and links to Members for the rest. Each holding
    gets a sub-select that walks the organization's members in name order
    (the user_organization_name index) and stops at HOLDERS_SHOWN holders;
    UNION ALL joins them. Ranking every assignment of the organization with
    ROW_NUMBER instead took 31 ms on PostgreSQL and 40 ms on SQLite at 10,000
    members, against 8 and 2 ms. The SQL is written out because Django's
    union() cannot slice its parts on SQLite.
    """
    if not holdings:
        return {}
    quote = connection.ops.quote_name
    member_table = quote(User._meta.db_table)
    assignment_table = quote(Assignment._meta.db_table)
    parts, params = [], []
    for position, holding in enumerate(holdings):
        # NOTE: a holding with very few holders walks most of the organization
        # before its sub-select stops.
        parts.append(
            f"SELECT * FROM (SELECT member.*, %s AS holding_id "
            f"FROM {member_table} member WHERE member.organization_id = %s "
            f"AND EXISTS (SELECT 1 FROM {assignment_table} assignment "
            "WHERE assignment.holding_id = %s AND assignment.member_id = member.id) "
            f"ORDER BY member.full_name, member.email LIMIT %s) holders_{position}"
        )
        params += [holding.pk, organization.pk, holding.pk, HOLDERS_SHOWN]
    holders = {holding.pk: [] for holding in holdings}
    # UNION ALL returns each part's rows in turn and in the part's order, on
    # PostgreSQL (an Append node) and on SQLite alike.
    for member in User.objects.raw(" UNION ALL ".join(parts), params):
        holders[member.holding_id].append(member)
    return holders


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
@vary_on_headers("HX-Request")
def organization_licenses(request):
    organization = request.user.organization
    open_holding = None
    requested = request.GET.get("open", "")
    if (holding_id := parse_id(requested)) is not None:
        open_holding = (
            Holding.objects.filter(pk=holding_id, organization=organization)
            .select_related("license_type", "organization")
            .first()
        )
    if requested and open_holding is None:
        # A stale bookmark, for example: show the page with a warning that
        # explains why no card is open.
        messages.warning(
            request,
            _(
                "“%(value)s” names no license your organization holds. Open one "
                "from the list below."
            )
            % {"value": shown_value(requested)},
        )
    search = clean_search(request.GET.get("q", ""))
    return _render_licenses(request, open_holding=open_holding, search=search)


@administrator_required
@require_GET
@vary_on_headers("HX-Request")
def license_details(request, holding_id):
    """Send the body of one card, which the page loads when the card opens."""
    holding = _get_holding(request, holding_id)
    if not request.htmx:
        return redirect(card_url(holding))
    return _render_licenses(request, open_holding=holding, fragment="card_body")


@administrator_required
@require_GET
@vary_on_headers("HX-Request")
def member_choices(request, holding_id):
    holding = _get_holding(request, holding_id)
    search = clean_search(request.GET.get("q", ""))
    if not request.htmx:
        return redirect(card_url(holding, search))
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
        partial(
            services.assign_license,
            confirm_redundant=confirmed,
            catalog=Catalog.for_request(request),
        ),
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
        "license": holding.license_type.display_name,
    }
    if request.htmx:
        return _render_licenses(
            request, open_holding=holding, search=search, notice=notice
        )
    messages.success(request, notice)
    return redirect(card_url(holding, search))


def _render_licenses(
    request,
    *,
    open_holding=None,
    search="",
    error="",
    notice="",
    confirm_member=None,
    status=200,
    fragment="seat_change",
):
    """Render Settings > Licenses, or for htmx only `fragment` of the open card.

    The "seat_change" fragment, the response to a change, also carries the
    page's seat totals, swapped out of band, so every count on the page stays
    current without a reload.
    """
    organization = request.user.organization
    catalog = Catalog.for_request(request)
    holdings = organization_holdings(organization, catalog)
    limited = [holding for holding in holdings if holding.quantity is not None]
    # An htmx change swaps one card: the others are neither built nor sent.
    one_card = request.htmx and open_holding is not None
    if one_card:
        shown = [holding for holding in holdings if holding.pk == open_holding.pk]
    else:
        shown = holdings
    cards = build_license_cards(
        organization,
        catalog,
        shown,
        detailed=[open_holding] if open_holding else [],
        automatic=not one_card,
    )
    context = {
        "cards": cards,
        "type_count": len(holdings)
        + sum(license_type.is_automatic for license_type in catalog.types.values()),
        # The navigation would count the same seats again.
        "seat_alerts": seat_alerts(limited),
        "seat_totals": {
            "total": sum(holding.quantity for holding in limited),
            "in_use": sum(holding.in_use for holding in limited),
            "remaining": sum(holding.remaining for holding in limited),
        },
        "open_holding": open_holding,
        "q": search,
        "error": error,
        "notice": notice,
        "confirm_member": confirm_member,
    }
    open_card = open_holding and next(
        (card for card in cards if card.holding == open_holding), None
    )
    # A full or unavailable card shows no assign form, so no members to pick.
    if open_card and not (open_card.is_full or open_card.unavailable_reason):
        context["choices"], context["more_choices"] = find_member_choices(
            open_holding, search
        )
    template = SETTINGS_TEMPLATE
    if request.htmx and open_holding is not None:
        template = f"{SETTINGS_TEMPLATE}#{fragment}"
        [context["card"]] = cards
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
