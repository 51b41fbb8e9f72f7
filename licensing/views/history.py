"""Settings > History: the organization's events, newest first."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..forms import HistoryFilterForm
from ..models import Event
from .access import administrator_required

HISTORY_PAGE_SIZE = 25


@administrator_required
@require_GET
def history(request):
    organization = request.user.organization
    form = HistoryFilterForm(request.GET or None, organization=organization)
    events = Event.objects.filter(organization=organization).select_related(
        "member", "actor", "license_type"
    )
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
        events = events.none()
    elif form.is_bound:
        if license_type := form.cleaned_data["license_type"]:
            events = events.filter(license_type=license_type)
        if member := form.cleaned_data["member"]:
            events = events.filter(member=member)
    page = Paginator(events, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(
        request,
        "licensing/history.html",
        {"form": form, "page": page, "filters": filters.urlencode()},
        status=status,
    )
