"""The apps in the main navigation, each shown only to members whose licenses
grant its capability."""

import logging
from dataclasses import dataclass

from django.http import Http404
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.models import User

from ..capabilities import Catalog, held_license_types, usable_capabilities
from ..forms import shown_value
from ..models import Holding, seat_alerts
from .licenses import card_url

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Feature:
    slug: str
    title: str
    capability: str
    offers: tuple[str, ...]


FEATURES = {
    feature.slug: feature
    for feature in [
        Feature(
            "huddle",
            "Huddle",
            "video-meetings",
            (
                gettext_lazy("Start and join video meetings"),
                gettext_lazy("Share your screen"),
                gettext_lazy("Meeting controls"),
            ),
        ),
        Feature(
            "receptionist-console",
            gettext_lazy("Receptionist Console"),
            "receptionist-console",
            (
                gettext_lazy("Handle several calls at once"),
                gettext_lazy("Transfer calls by drag and drop"),
            ),
        ),
        Feature(
            "fax",
            gettext_lazy("Fax"),
            "fax",
            (
                gettext_lazy("Send faxes"),
                gettext_lazy("Receive faxes on your assigned numbers"),
            ),
        ),
        Feature(
            "call-queues",
            gettext_lazy("Call Queues"),
            "queue-agent",
            (
                gettext_lazy("Sign in to your queues"),
                gettext_lazy("Take queue calls"),
                gettext_lazy("Queue status"),
            ),
        ),
        Feature(
            "ai",
            # Translators: the short name of the artificial intelligence app.
            gettext_lazy("AI"),
            "ai-meeting-summaries",
            (
                gettext_lazy("Meeting summaries"),
                gettext_lazy("Call insights"),
                gettext_lazy("Productivity tools"),
            ),
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


def organization_seat_alerts(organization) -> dict[str, int]:
    return seat_alerts(
        Holding.objects.filter(
            organization=organization, quantity__isnull=False
        ).with_in_use()
    )


@require_GET
def feature_page(request, feature):
    if feature not in FEATURES:
        # 404.html shows messages that contain "was not found".
        raise Http404(
            _("App “%(name)s” was not found.") % {"name": shown_value(feature)}
        )
    feature = FEATURES[feature]
    catalog = Catalog.for_request(request)
    if feature.capability in usable_capabilities(request.user, catalog):
        return render(request, "licensing/feature.html", {"feature": feature})
    logger.warning("feature denied user=%s feature=%s", request.user.pk, feature.slug)
    return render(
        request,
        "licensing/feature.html",
        {"feature": feature, "denied": True, **_denied_context(request, feature)},
        status=403,
    )


def _denied_context(request, feature):
    """Return the context that explains why the viewer cannot open the app
    and what would open it."""
    user, catalog = request.user, Catalog.for_request(request)
    granting = catalog.types_granting(feature.capability)
    held = {license_type.pk for license_type in held_license_types(user, catalog)}
    for license_type in granting:
        if license_type.pk in held:
            # Held but unavailable to the organization, so it grants nothing.
            return {
                "held_unavailable": license_type,
                "unavailable_reason": catalog.unavailable_reason(license_type),
            }
    available = [t for t in granting if not catalog.unavailable_reason(t)]
    context = {
        # The catalog's names, in the viewer's language.
        "licenses": get_text_list([t.display_name for t in granting], _("or")),
        "unavailable_reason": (
            catalog.unavailable_reason(granting[0])
            if granting and not available
            else ""
        ),
    }
    if context["unavailable_reason"] or not user.organization_id:
        return context
    if user.is_administrator:
        # She can assign it to herself: point at a card with a seat left, or
        # else at a full one, where she can free a seat.
        holdings = sorted(
            Holding.objects.filter(
                organization_id=user.organization_id, license_type__in=available
            )
            .with_in_use()
            .select_related("license_type"),
            key=lambda holding: holding.is_full,
        )
        if holdings:
            context["holding"] = holdings[0]
            context["card_url"] = card_url(holdings[0])
    else:
        context["administrators"] = User.objects.filter(
            organization_id=user.organization_id
        ).administrators()
    return context
