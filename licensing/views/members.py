"""Settings > Members: every member with their licenses, one by one or in bulk."""

import logging
from functools import partial

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, F, OuterRef, Q
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.models import User, parse_id

from .. import services
from ..capabilities import Catalog
from ..forms import (
    NO_EXTRA_LICENSE,
    BulkChangeForm,
    MemberFilterForm,
    shown_value,
)
from ..models import Assignment, Holding
from .access import administrator_required, get_in_organization

logger = logging.getLogger(__name__)

MEMBERS_TEMPLATE = "licensing/members.html"
MEMBERS_PAGE_SIZE = 50
FILTER_FIELDS = ("q", "license", "administrators")


def filter_members(organization, filters):
    """Active members of the organization that match the cleaned filters."""
    members = organization.members.filter(is_active=True)
    if search := filters.get("q"):
        members = members.filter(
            Q(full_name__icontains=search) | Q(email__icontains=search)
        )
    license = filters.get("license")
    if license == NO_EXTRA_LICENSE:
        members = members.exclude(
            Exists(Assignment.objects.filter(member=OuterRef("pk")))
        )
    elif isinstance(license, Holding):
        members = members.filter(
            Exists(Assignment.objects.filter(member=OuterRef("pk"), holding=license))
        )
    if filters.get("administrators"):
        members = members.filter(pk__in=User.objects.administrators().values("pk"))
    return members.order_by("full_name", "email")


@administrator_required
@require_GET
@vary_on_headers("HX-Request")
def members(request):
    holdings = _holdings(request.user.organization)
    form = MemberFilterForm(request.GET, holdings=holdings)
    return _render_members(
        request, form, holdings, status=200 if form.is_valid() else 400
    )


@administrator_required
@require_GET
@vary_on_headers("HX-Request")
def member_panel(request, member_id):
    member = get_in_organization(
        request, User.objects.filter(is_active=True), member_id
    )
    if not request.htmx:
        holdings = _holdings(request.user.organization)
        form = MemberFilterForm(QueryDict(), holdings=holdings)
        return _render_members(request, form, holdings, open_member=member)
    return _render_panel(request, member)


@administrator_required
@require_POST
@vary_on_headers("HX-Request")
def change_member_license(request, member_id):
    """Assign or remove one license type of one member, from the member's panel."""
    member = get_in_organization(
        request, User.objects.filter(is_active=True), member_id
    )
    raw_holding = request.POST.get("holding", "")
    holding_id = parse_id(raw_holding)
    if holding_id is None:
        if raw_holding:
            error = _(
                "“%(value)s” is not a license type held by your organization. "
                "Choose one of the switches."
            ) % {"value": shown_value(raw_holding)}
        else:
            error = _("The license type is missing. Choose one of the switches.")
        return _panel_error(request, member, error, status=400)
    holding = get_in_organization(
        request, Holding.objects.select_related("license_type"), holding_id
    )
    assigned = request.POST.get("assigned") == "on"
    if assigned:
        # The confirmation an administrator gives after a RedundantLicense warning.
        confirmed = request.POST.get("confirm") == "redundant"
        change = partial(
            services.assign_license,
            confirm_redundant=confirmed,
            catalog=Catalog.for_request(request),
        )
    else:
        change = services.remove_license
    name = holding.license_type.display_name
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
        return _panel_error(
            request,
            member,
            str(error),
            confirm_holding=holding if redundant else None,
            status=409,
        )
    if assigned:
        notice = _("%(member)s now holds %(license)s.")
    else:
        notice = _("%(license)s was removed from %(member)s.")
    notice %= {"member": member, "license": name}
    if not request.htmx:
        messages.success(request, notice)
        return redirect("licensing:member_panel", member_id=member.pk)
    return _render_panel(request, member, panel_notice=notice)


@administrator_required
@require_POST
@vary_on_headers("HX-Request")
def bulk_change(request):
    """Assign or remove one license type for the selected members, all or nothing."""
    organization = request.user.organization
    holdings = _holdings(organization)
    filters = MemberFilterForm(request.POST, holdings=holdings)
    active_members = organization.members.filter(is_active=True)
    form = BulkChangeForm(request.POST, holdings=holdings, members=active_members)
    if not form.is_valid() or not filters.is_valid():
        error = " ".join(
            message
            for errors in [*form.errors.values(), *filters.errors.values()]
            for message in errors
        )
        return _bulk_response(request, filters, holdings, error=error, status=400)

    holding = form.cleaned_data["holding"]
    if form.cleaned_data["everyone_matching"]:
        selected = filter_members(organization, filters.cleaned_data)
    else:
        selected = active_members.filter(pk__in=form.cleaned_data["member"])
    try:
        if form.cleaned_data["action"] == BulkChangeForm.ASSIGN:
            changed = len(
                services.assign_license_to_members(
                    holding=holding,
                    members=selected,
                    acting_user=request.user,
                    confirm_redundant=form.cleaned_data["confirm_redundant"],
                    catalog=Catalog.for_request(request),
                )
            )
            if changed:
                notice = ngettext(
                    "Assigned %(license)s to %(count)s member.",
                    "Assigned %(license)s to %(count)s members.",
                    changed,
                )
            else:
                notice = _(
                    "Every selected member already holds %(license)s. Nothing "
                    "was changed."
                )
        else:
            changed = services.remove_license_from_members(
                holding=holding, members=selected, acting_user=request.user
            )
            if changed:
                notice = ngettext(
                    "Removed %(license)s from %(count)s member.",
                    "Removed %(license)s from %(count)s members.",
                    changed,
                )
            else:
                notice = _("No selected member holds %(license)s. Nothing was changed.")
        notice %= {"license": holding.license_type.display_name, "count": changed}
    except (services.LicensingError, PermissionDenied) as error:
        logger.info(
            "bulk license change rejected holding=%s actor=%s reason=%s",
            holding.pk,
            request.user.pk,
            error,
        )
        return _bulk_response(request, filters, holdings, error=str(error), status=409)
    return _bulk_response(request, filters, holdings, notice=notice)


def _holdings(organization):
    return list(
        Holding.objects.filter(organization=organization)
        .select_related("license_type")
        .order_by("license_type__position", "license_type__name")
    )


def _bulk_response(request, filters, holdings, *, notice="", error="", status=200):
    if request.htmx:
        return _render_members(
            request, filters, holdings, notice=notice, error=error, status=status
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    query = QueryDict(mutable=True)
    for name in FILTER_FIELDS:
        if value := request.POST.get(name):
            query[name] = value
    return redirect(f"{reverse('licensing:members')}?{query.urlencode()}")


def _render_members(
    request,
    form,
    holdings,
    *,
    open_member=None,
    notice="",
    error="",
    panel_error="",
    confirm_holding=None,
    status=200,
):
    organization = request.user.organization
    if form.is_valid():
        matching = filter_members(organization, form.cleaned_data)
    else:
        matching = organization.members.none()
    page = Paginator(matching.with_administrator_flag(), MEMBERS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    _attach_licenses(page.object_list, Catalog.for_request(request))
    filters = QueryDict(mutable=True)
    for name in FILTER_FIELDS:
        if value := request.GET.get(name) or request.POST.get(name):
            filters[name] = value
    context = {
        "form": form,
        "holdings": holdings,
        "automatic_types": Catalog.for_request(request).automatic_types,
        "page": page,
        "filters": filters.urlencode(),
        "notice": notice,
        "error": error,
    }
    if open_member is not None:
        context.update(
            _panel_context(open_member, holdings, Catalog.for_request(request))
        )
        context.update(panel_error=panel_error, confirm_holding=confirm_holding)
    template = MEMBERS_TEMPLATE
    if request.htmx and not request.htmx.history_restore_request:
        template = f"{MEMBERS_TEMPLATE}#results"
    return render(request, template, context, status=status)


def _panel_error(request, member, error, *, confirm_holding=None, status):
    """Render a rejected change: the panel for htmx, else the whole page with
    the member's panel open."""
    if request.htmx:
        return _render_panel(
            request,
            member,
            panel_error=error,
            confirm_holding=confirm_holding,
            status=status,
        )
    holdings = _holdings(request.user.organization)
    return _render_members(
        request,
        MemberFilterForm(QueryDict(), holdings=holdings),
        holdings,
        open_member=member,
        panel_error=error,
        confirm_holding=confirm_holding,
        status=status,
    )


def _render_panel(
    request,
    member,
    *,
    panel_notice="",
    panel_error="",
    confirm_holding=None,
    status=200,
):
    holdings = _holdings(request.user.organization)
    context = {
        **_panel_context(member, holdings, Catalog.for_request(request)),
        "automatic_types": Catalog.for_request(request).automatic_types,
        "panel_notice": panel_notice,
        "panel_error": panel_error,
        "confirm_holding": confirm_holding,
        "oob": True,
    }
    return render(request, f"{MEMBERS_TEMPLATE}#panel_update", context, status=status)


def _panel_context(member, holdings, catalog):
    """Return the panel's switches: (holding, held, why it cannot be switched
    on), the reason empty where it can."""
    held = set(
        Assignment.objects.filter(member=member).values_list("holding_id", flat=True)
    )
    member.licenses = [
        holding.license_type for holding in holdings if holding.pk in held
    ]
    full = set(
        Holding.objects.filter(pk__in=[holding.pk for holding in holdings])
        .with_in_use()
        .filter(in_use__gte=F("quantity"))
        .values_list("pk", flat=True)
    )
    switches = []
    for holding in holdings:
        reason = ""
        if holding.pk not in held:
            reason = catalog.unavailable_reason(holding.license_type) or (
                _("no seat left") if holding.pk in full else ""
            )
        switches.append((holding, holding.pk in held, reason))
    return {"member": member, "switches": switches}


def _attach_licenses(members, catalog):
    """Set `member.licenses` on each member of the page, in catalog order,
    with one query."""
    # A list of ids: PostgreSQL runs a sliced queryset as a hash semi join
    # over every assignment.
    held = catalog.held_types([member.pk for member in members])
    for member in members:
        member.licenses = [t for t in held[member.pk] if not t.is_automatic]
