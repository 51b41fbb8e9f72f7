"""The apps in the main navigation, each shown only to members whose licenses
grant its capability."""

import logging
from dataclasses import dataclass

from django.http import Http404
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET

from accounts.models import User

from ..capabilities import Catalog, usable_capabilities
from ..models import Holding

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Feature:
    slug: str
    title: str
    capability: str
    license_name: str
    offers: tuple[str, ...]


FEATURES = {
    feature.slug: feature
    for feature in [
        Feature(
            "huddle",
            "Huddle",
            "video-meetings",
            "Huddle Video Conference",
            ("Start and join video meetings", "Share your screen", "Meeting controls"),
        ),
        Feature(
            "receptionist-console",
            "Receptionist Console",
            "receptionist-console",
            "RCon (Receptionist Console)",
            ("Handle several calls at once", "Transfer calls by drag and drop"),
        ),
        Feature(
            "fax",
            "Fax",
            "fax",
            "Virtual Fax",
            ("Send faxes", "Receive faxes on your assigned numbers"),
        ),
        Feature(
            "call-queues",
            "Call Queues",
            "queue-agent",
            "Call Queue – Agent or Supervisor",
            ("Sign in to your queues", "Take queue calls", "Queue status"),
        ),
        Feature(
            "ai",
            "AI",
            "ai-meeting-summaries",
            "AI Assistant",
            ("Meeting summaries", "Call insights", "Productivity tools"),
        ),
    ]
}


def navigation(request):
    """Template context: the feature links the signed-in member may open, and
    for administrators the holdings whose seats run low, computed when a
    template first reads them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.organization_id is None:
        return {"feature_links": []}
    usable = usable_capabilities(user, Catalog.for_request(request))
    return {
        "feature_links": [
            feature for feature in FEATURES.values() if feature.capability in usable
        ],
        "seat_alerts": SimpleLazyObject(
            lambda: organization_seat_alerts(user.organization)
        ),
    }


def seat_alerts(holdings) -> dict[str, int]:
    """Count the holdings with no seat left and those with few (at or below
    their warning threshold). The holdings need `in_use` (with_in_use)."""
    full = low = 0
    for holding in holdings:
        full += holding.is_full
        low += holding.is_low
    return {"full": full, "low": low}


def organization_seat_alerts(organization) -> dict[str, int]:
    return seat_alerts(
        Holding.objects.filter(
            organization=organization, quantity__isnull=False
        ).with_in_use()
    )


@require_GET
def feature_page(request, feature):
    feature = FEATURES.get(feature)
    if feature is None:
        raise Http404("No such app.")
    if feature.capability in usable_capabilities(
        request.user, Catalog.for_request(request)
    ):
        return render(request, "licensing/feature.html", {"feature": feature})
    logger.warning("feature denied user=%s feature=%s", request.user.pk, feature.slug)
    administrators = (
        User.objects.filter(
            organization_id=request.user.organization_id
        ).administrators()
        if request.user.organization_id
        else User.objects.none()
    )
    return render(
        request,
        "licensing/feature.html",
        {"feature": feature, "denied": True, "administrators": administrators},
        status=403,
    )
