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

from ..capabilities import Catalog, usable_capabilities
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
    feature = FEATURES.get(feature)
    if feature is None:
        raise Http404(_("No such app."))
    if feature.capability in usable_capabilities(
        request.user, Catalog.for_request(request)
    ):
        return render(request, "licensing/feature.html", {"feature": feature})
    logger.warning("feature denied user=%s feature=%s", request.user.pk, feature.slug)
    granting = Catalog.for_request(request).types_granting(feature.capability)
    context = {
        "feature": feature,
        "denied": True,
        # The catalog's names, in the viewer's language.
        "licenses": get_text_list([t.display_name for t in granting], _("or")),
    }
    if request.user.is_administrator:
        # She can assign it to herself: point at the first card that grants it.
        holding = (
            Holding.objects.filter(
                organization_id=request.user.organization_id,
                license_type__in=granting,
            )
            .select_related("license_type")
            .first()
        )
        context["card_url"] = holding and card_url(holding)
        context["holding"] = holding
    elif request.user.organization_id:
        context["administrators"] = User.objects.filter(
            organization_id=request.user.organization_id
        ).administrators()
    return render(request, "licensing/feature.html", context, status=403)
