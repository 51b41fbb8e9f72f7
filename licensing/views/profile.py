"""Profile > Licenses: what the signed-in member holds and what it lets them use."""

from collections import defaultdict

from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.models import User

from ..capabilities import Catalog, held_license_types


@require_GET
def my_licenses(request):
    member = request.user
    if member.organization_id is None:
        # Support staff belong to no organization and hold no licenses.
        return render(request, "licensing/my_licenses.html", {"license_types": []})
    catalog = Catalog.for_request(request)
    license_types = held_license_types(member, catalog)
    grants = defaultdict(list)
    for grant in catalog.grants(license_types):
        grants[grant.held.pk].append(grant)
    for license_type in license_types:
        license_type.grants = grants[license_type.pk]
        license_type.unavailable_reason = catalog.unavailable_reason(license_type)
    only_automatic = all(license_type.is_automatic for license_type in license_types)
    administrators = []
    if only_automatic and not member.is_administrator:
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
