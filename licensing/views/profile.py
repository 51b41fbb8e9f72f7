"""Profile > Licenses: what the signed-in member holds."""

from django.db.models import Q
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.models import User

from ..models import LicenseType


@require_GET
def my_licenses(request):
    member = request.user
    if member.organization_id is None:
        # Support staff belong to no organization and hold no licenses.
        return render(request, "licensing/my_licenses.html", {"license_types": []})
    license_types = list(
        LicenseType.objects.filter(
            Q(is_automatic=True) | Q(holdings__assignments__member=member)
        )
        .distinct()
        .prefetch_related("includes")
    )
    only_automatic = all(license_type.is_automatic for license_type in license_types)
    administrators = []
    if only_automatic:
        administrators = User.objects.filter(
            organization_id=member.organization_id
        ).administrators()
    return render(
        request,
        "licensing/my_licenses.html",
        {
            "license_types": license_types,
            "only_automatic": only_automatic,
            "administrators": administrators,
        },
    )
