"""Every page runs as many queries for 5 members as for 500.

Each test builds two organizations that differ only in size, sends the same
request as the same kind of user in each, and compares the SQL both ran. The
`fetch_raise` fixture also makes any lazy load of a related object raise
FieldFetchBlocked, so a per-row load fails even where both sizes fit on one
page. Loads through a reverse manager (`member.assignments.all()`) run a
new query rather than a lazy fetch, so only the count comparison catches them.
"""

from dataclasses import dataclass, field

import pytest
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import FieldFetchBlocked
from django.db import connection
from django.db.models import query as query_module
from django.db.models.fetch_modes import FETCH_RAISE
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from licensing.groups import ADMINISTRATORS, ensure_groups
from licensing.models import Assignment, Capability, Event, Holding
from tests.factories import (
    AdministratorFactory,
    AutomaticLicenseTypeFactory,
    LicenseTypeFactory,
    OrganizationFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
SMALL, LARGE = 5, 500
PAGES = [
    "my_licenses",
    "my_licenses_automatic_only",
    "organization_licenses",
    "organization_licenses_open",
    "license_details",
    "members",
    "members_search",
    "members_license_filter",
    "members_without_license",
    "members_administrators",
    "history",
    "troubleshooting_member",
    "troubleshooting_capability",
    "member_panel",
    "member_panel_page",
    "change_member_license",
    "bulk_assign",
    "bulk_remove",
    "licenses_assign",
]


@pytest.fixture
def fetch_raise(monkeypatch):
    """Make every QuerySet created from now on block lazy related loads.

    QuerySet.__init__ reads the module global DEFAULT_FETCH_MODE, so each
    instance it loads raises FieldFetchBlocked instead of running one query
    per row for a relation that select_related or prefetch_related missed.
    """
    monkeypatch.setattr(query_module, "DEFAULT_FETCH_MODE", FETCH_RAISE)
    # The signed-in user's organization is read on every page: one query per
    # request whatever the organization's size, not an N+1. Loading it with
    # the user keeps FETCH_RAISE for the loads that grow with the data.
    monkeypatch.setattr(ModelBackend, "get_user", get_user_with_organization)


def get_user_with_organization(backend, user_id):
    """ModelBackend.get_user that also loads the user's organization."""
    user = User.objects.select_related("organization").filter(pk=user_id).first()
    if user is None or not backend.user_can_authenticate(user):
        return None
    return user


@pytest.fixture
def catalog(db):
    """Four license types with capabilities, one including another, and an
    automatic type."""
    capabilities = [
        Capability.objects.create(slug=f"capability-{n}", name=f"Capability {n}")
        for n in range(5)
    ]
    types = [LicenseTypeFactory() for _ in range(4)]
    for license_type, capability in zip(types, capabilities, strict=False):
        license_type.capabilities.add(capability)
    types[0].includes.add(types[1])
    automatic = AutomaticLicenseTypeFactory()
    automatic.capabilities.add(capabilities[4])
    return types


class SizedOrganization:
    """An organization of `size` members built with bulk inserts.

    Active members hold one or two of the four types, every seventh member is
    an administrator, every tenth is deactivated, and each assignment has a
    history event.
    """

    def __init__(self, size, license_types):
        self.organization = OrganizationFactory()
        self.administrator = AdministratorFactory(organization=self.organization)
        self.holdings = [
            Holding.objects.create(
                organization=self.organization,
                license_type=license_type,
                # The first holding is unlimited, and the others keep spare seats.
                quantity=None if index == 0 else size + 10,
            )
            for index, license_type in enumerate(license_types)
        ]

        organization_id = self.organization.pk
        members = User.objects.bulk_create(
            User(
                organization=self.organization,
                full_name=f"Member {index:04d}",
                email=f"member{index}.org{organization_id}@example.com",
                password="!",
                is_active=index % 10 != 9,
            )
            for index in range(size)
        )

        administrators = ensure_groups()[ADMINISTRATORS]
        User.groups.through.objects.bulk_create(
            User.groups.through(user_id=member.pk, group_id=administrators.pk)
            for member in members[::7]
        )

        assignments = []
        for index, member in enumerate(members):
            if not member.is_active:
                continue
            assignments.append(
                Assignment(
                    holding=self.holdings[index % 4],
                    member=member,
                    assigned_by=self.administrator,
                )
            )
            if index % 2:
                assignments.append(
                    Assignment(holding=self.holdings[(index + 1) % 4], member=member)
                )
        Assignment.objects.bulk_create(assignments)

        Event.objects.bulk_create(
            Event(
                organization=self.organization,
                action=Event.Action.ASSIGNED,
                source=Event.Source.PORTAL,
                license_type=assignment.holding.license_type,
                license_name=assignment.holding.license_type.name,
                member=assignment.member,
                member_email=assignment.member.email,
                actor=self.administrator,
                actor_email=self.administrator.email,
            )
            for assignment in assignments
        )

        # Member 1 holds the second and third types, the second assigned by
        # the administrator. The newcomer has only the automatic type.
        self.member = members[1]
        self.newcomer = User.objects.create(
            organization=self.organization,
            full_name="Newcomer",
            email=f"newcomer.org{organization_id}@example.com",
        )


@dataclass
class PageRequest:
    user: User
    method: str
    url: str
    data: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)


def page_requests(sized: SizedOrganization) -> dict[str, PageRequest]:
    """Return the request of each counted page for one organization."""
    administrator, member, newcomer = sized.administrator, sized.member, sized.newcomer
    first, second = sized.holdings[0], sized.holdings[1]
    members_url = reverse("licensing:members")
    troubleshooting_url = reverse("licensing:troubleshooting")
    change_url = reverse("licensing:change_member_license", args=[newcomer.pk])
    return {
        "my_licenses": PageRequest(member, "get", reverse("licensing:my_licenses")),
        "my_licenses_automatic_only": PageRequest(
            newcomer, "get", reverse("licensing:my_licenses")
        ),
        "organization_licenses_open": PageRequest(
            administrator,
            "get",
            reverse("licensing:organization_licenses"),
            {"open": second.pk},
        ),
        "license_details": PageRequest(
            administrator,
            "get",
            reverse("licensing:license_details", args=[second.pk]),
            headers=HTMX,
        ),
        "organization_licenses": PageRequest(
            administrator, "get", reverse("licensing:organization_licenses")
        ),
        "members": PageRequest(administrator, "get", members_url),
        "members_search": PageRequest(
            administrator, "get", members_url, {"q": "member 0"}, HTMX
        ),
        "members_license_filter": PageRequest(
            administrator, "get", members_url, {"license": first.pk}
        ),
        "members_without_license": PageRequest(
            administrator, "get", members_url, {"license": "none"}
        ),
        "members_administrators": PageRequest(
            administrator, "get", members_url, {"administrators": "on"}
        ),
        "history": PageRequest(administrator, "get", reverse("licensing:history")),
        "troubleshooting_member": PageRequest(
            administrator, "get", troubleshooting_url, {"member": member.pk}
        ),
        "troubleshooting_capability": PageRequest(
            administrator, "get", troubleshooting_url, {"capability": "capability-1"}
        ),
        "member_panel": PageRequest(
            administrator,
            "get",
            reverse("licensing:member_panel", args=[member.pk]),
            headers=HTMX,
        ),
        "member_panel_page": PageRequest(
            administrator, "get", reverse("licensing:member_panel", args=[member.pk])
        ),
        "change_member_license": PageRequest(
            administrator,
            "post",
            change_url,
            {"holding": first.pk, "assigned": "on"},
            HTMX,
        ),
        "bulk_assign": PageRequest(
            administrator,
            "post",
            reverse("licensing:bulk_change"),
            {"action": "assign", "holding": first.pk, "member": [newcomer.pk]},
            HTMX,
        ),
        "bulk_remove": PageRequest(
            administrator,
            "post",
            reverse("licensing:bulk_change"),
            {"action": "remove", "holding": second.pk, "member": [member.pk]},
            HTMX,
        ),
        "licenses_assign": PageRequest(
            administrator,
            "post",
            reverse("licensing:assign", args=[first.pk]),
            {"member": newcomer.pk},
            HTMX,
        ),
    }


def captured_sql(client, request: PageRequest) -> list[str]:
    """Send the request and return the SQL of every query it ran."""
    client.force_login(request.user)
    send = getattr(client, request.method)
    with CaptureQueriesContext(connection) as queries:
        response = send(request.url, request.data, headers=request.headers)
    assert response.status_code == 200, response.content.decode()
    return [query["sql"] for query in queries.captured_queries]


def test_fetch_raise_blocks_lazy_related_load(catalog, fetch_raise):
    SizedOrganization(SMALL, catalog)
    assignment = Assignment.objects.first()

    with pytest.raises(FieldFetchBlocked):
        assignment.member  # noqa: B018


@pytest.mark.parametrize("page", PAGES)
def test_query_count_independent_of_size(client, catalog, fetch_raise, page):
    small = SizedOrganization(SMALL, catalog)
    large = SizedOrganization(LARGE, catalog)

    small_sql = captured_sql(client, page_requests(small)[page])
    large_sql = captured_sql(client, page_requests(large)[page])

    report = "\n".join(
        [f"{SMALL} members:", *small_sql, f"\n{LARGE} members:", *large_sql]
    )
    assert len(small_sql) == len(large_sql), report
