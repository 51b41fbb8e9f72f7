"""Settings > Troubleshooting: what a member can use and through which
license, and who has a capability."""

import importlib
import re
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from licensing.models import Capability, Holding, LicenseType
from tests.factories import (
    AdministratorFactory,
    AssignmentFactory,
    OrganizationFactory,
    SupportStaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = reverse("licensing:troubleshooting")
# licensing.views re-exports the view under the module's name.
troubleshooting_module = importlib.import_module("licensing.views.troubleshooting")
ASSIGNED_AT = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def utc():
    """Start and end each test in UTC.

    TimezoneMiddleware leaves the zone of a request's cookie active in the
    thread after the response, so an earlier test could leave it set.
    """
    timezone.deactivate()
    yield
    timezone.deactivate()


@pytest.fixture
def catalog(db):
    """The license types of fixtures/catalog.json, by slug."""
    call_command("loaddata", "catalog", verbosity=0)
    return {
        license_type.slug: license_type for license_type in LicenseType.objects.all()
    }


@pytest.fixture
def grace(organization):
    return AdministratorFactory(organization=organization, full_name="Grace Hopper")


@pytest.fixture
def grace_client(client, grace):
    client.force_login(grace)
    return client


@pytest.fixture
def ada(organization):
    return UserFactory(
        organization=organization, full_name="Ada Lovelace", email="ada@example.com"
    )


def holding_of(organization, license_type, quantity=10):
    holding, _ = Holding.objects.get_or_create(
        organization=organization,
        license_type=license_type,
        defaults={"quantity": quantity},
    )
    return holding


def give(member, license_type, **assignment_fields):
    holding = holding_of(member.organization, license_type)
    AssignmentFactory(holding=holding, member=member, **assignment_fields)
    return holding


def text_of(html):
    """Return the visible text of an HTML fragment, with whitespace collapsed."""
    inline_tags_removed = re.sub(r"</?span[^>]*>", "", html)
    return " ".join(re.sub(r"<[^>]+>", " ", inline_tags_removed).split())


def status_row(response, capability_name):
    """Return the text of the member table's row for one capability."""
    content = response.content.decode()
    match = re.search(
        rf"<tr>\s*<td>{re.escape(capability_name)}</td>(.*?)</tr>", content, re.DOTALL
    )
    assert match, f"No row for {capability_name} in:\n{content}"
    return text_of(match.group(1))


def holders_section(response):
    """Return the text under the "Who has …" heading."""
    content = response.content.decode()
    match = re.search(r'<h3 class="h5">Who has .*?</section>', content, re.DOTALL)
    assert match, f"No capability section in:\n{content}"
    return text_of(match.group())


def check_member(client, member, **params):
    return client.get(URL, {"member": member.pk, **params})


# Who may open it


def test_members_are_forbidden(member_client, ada):
    response = member_client.get(URL, {"member": ada.pk})

    assert response.status_code == 403, response.content.decode()


def test_support_staff_are_forbidden(client):
    client.force_login(SupportStaffFactory())

    response = client.get(URL)

    assert response.status_code == 403, response.content.decode()


def test_page_without_choice_shows_form_only(grace_client, catalog):
    response = grace_client.get(URL)

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "Choose a member…")
    assertContains(response, "Choose a capability…")
    assertNotContains(response, "can use</h3>")
    assertNotContains(response, "Who has")


def test_page_rejects_post(grace_client, ada):
    response = grace_client.post(URL, {"member": ada.pk})

    assert response.status_code == 405, response.content.decode()


# A member: what they can use


def test_member_capability_through_included_type(grace_client, catalog, grace, ada):
    give(
        ada,
        catalog["call-queue-supervisor"],
        assigned_by=grace,
        assigned_at=ASSIGNED_AT,
    )

    response = check_member(grace_client, ada)

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "What Ada Lovelace can use")
    assert status_row(response, "Call queue agent") == (
        "Available Included with Call Queue – Supervisor, "
        "assigned by Grace Hopper on 2026-03-02"
    )
    assert status_row(response, "Call queue supervision") == (
        "Available From Call Queue – Supervisor, assigned by Grace Hopper on 2026-03-02"
    )


def test_member_capability_through_two_types(grace_client, catalog, grace, ada):
    give(
        ada,
        catalog["call-queue-supervisor"],
        assigned_by=grace,
        assigned_at=ASSIGNED_AT,
    )
    give(
        ada,
        catalog["call-queue-agent"],
        assigned_by=None,
        assigned_at=datetime(2026, 4, 1, 9, 0, tzinfo=UTC),
    )

    response = check_member(grace_client, ada)

    assert status_row(response, "Call queue agent") == (
        "Available "
        "From Call Queue – Agent, assigned on 2026-04-01 "
        "Included with Call Queue – Supervisor, assigned by Grace Hopper on 2026-03-02"
    )


def test_member_automatic_capability_has_no_assignment(grace_client, catalog, ada):
    response = check_member(grace_client, ada)

    assert status_row(response, "Phone system account") == (
        "Available Automatic for every member"
    )


def test_member_assignment_date_in_viewer_time_zone(grace_client, catalog, grace, ada):
    give(
        ada,
        catalog["virtual-fax"],
        assigned_by=grace,
        assigned_at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC),
    )
    grace_client.cookies["timezone"] = "Pacific/Auckland"

    response = check_member(grace_client, ada)

    assert status_row(response, "Virtual fax") == (
        "Available From Virtual Fax, assigned by Grace Hopper on 2026-03-03"
    )


def test_member_missing_capability_states_holding(
    grace_client, catalog, organization, ada
):
    fax = holding_of(organization, catalog["virtual-fax"], quantity=5)
    AssignmentFactory.create_batch(2, holding=fax)
    holding_of(organization, catalog["rcon"], quantity=None)

    response = check_member(grace_client, ada)

    assert status_row(response, "Virtual fax") == (
        "Missing Needs Virtual Fax: 2 of 5 seats in use"
    )
    assert status_row(response, "Receptionist console") == (
        "Missing Needs RCon (Receptionist Console): unlimited seats"
    )
    assert status_row(response, "Video meetings") == (
        "Missing Needs Huddle Video Conference: your organization holds none"
    )
    assert status_row(response, "Call queue agent") == (
        "Missing Needs Call Queue – Agent: your organization holds none "
        "Needs Call Queue – Supervisor: your organization holds none"
    )
    assert status_row(response, "Voicemail") == (
        "Missing Needs Professional: your organization holds none "
        "Needs Ultimate: your organization holds none"
    )


def test_member_missing_capability_states_full_holding(
    grace_client, catalog, organization, ada
):
    fax = holding_of(organization, catalog["virtual-fax"], quantity=2)
    AssignmentFactory.create_batch(2, holding=fax)

    response = check_member(grace_client, ada)

    assert status_row(response, "Virtual fax") == (
        "Missing Needs Virtual Fax: 2 of 2 seats in use"
    )


def test_member_missing_capability_states_rollout(
    grace_client, catalog, organization, ada
):
    give(ada, catalog["ai-assistant"])

    response = check_member(grace_client, ada)

    assert status_row(response, "AI meeting summaries") == (
        "Missing Needs AI Assistant: not yet available for your organization"
    )


def test_member_missing_capability_states_region(catalog):
    organization = OrganizationFactory(region="DE")
    catalog["ai-assistant"].rollout_organizations.add(organization)
    administrator = AdministratorFactory(organization=organization)
    member = UserFactory(organization=organization, full_name="Ada Lovelace")
    give(member, catalog["ai-assistant"])
    client = Client()
    client.force_login(administrator)

    response = check_member(client, member)

    assert status_row(response, "AI call insights") == (
        "Missing Needs AI Assistant: not available in your region"
    )


def test_member_lists_every_capability_by_name(grace_client, catalog, ada):
    response = check_member(grace_client, ada)

    statuses = response.context["statuses"]
    names = [status.capability.name for status in statuses]
    assert names == sorted(Capability.objects.values_list("name", flat=True))
    assert len(names) == 21
    available = [status.capability.slug for status in statuses if status.available]
    assert available == ["phone-system"]


def test_member_context_links_grant_to_assignment(grace_client, catalog, grace, ada):
    give(ada, catalog["call-queue-supervisor"], assigned_by=grace)

    response = check_member(grace_client, ada)

    [status] = [
        status
        for status in response.context["statuses"]
        if status.capability.slug == "queue-status"
    ]
    [(grant, assignment)] = status.grant_rows
    assert grant.held == catalog["call-queue-supervisor"]
    assert grant.license_type == catalog["call-queue-agent"]
    assert assignment.member == ada
    assert assignment.assigned_by == grace


# A capability: who has it


def test_capability_lists_holders_through_each_type(
    grace_client, catalog, organization, ada
):
    bob = UserFactory(organization=organization, full_name="Bob Builder")
    carol = UserFactory(organization=organization, full_name="Carol Danvers")
    give(ada, catalog["call-queue-agent"])
    give(bob, catalog["call-queue-supervisor"])
    give(carol, catalog["call-queue-agent"])
    give(carol, catalog["call-queue-supervisor"])
    give(UserFactory(organization=organization), catalog["virtual-fax"])

    response = grace_client.get(URL, {"capability": "queue-agent"})

    assert response.status_code == 200, response.content.decode()
    holders = [
        (member.full_name, [t.slug for t in types])
        for member, types in response.context["holders"]
    ]
    assert holders == [
        ("Ada Lovelace", ["call-queue-agent"]),
        ("Bob Builder", ["call-queue-supervisor"]),
        ("Carol Danvers", ["call-queue-agent", "call-queue-supervisor"]),
    ]
    text = holders_section(response)
    assert "Ada Lovelace ada@example.com through Call Queue – Agent" in text
    assert "through Call Queue – Agent, Call Queue – Supervisor" in text


def test_capability_skips_inactive_and_foreign_holders(
    grace_client, catalog, organization, ada
):
    give(ada, catalog["virtual-fax"])
    inactive = UserFactory(
        organization=organization, full_name="Inactive Ian", is_active=False
    )
    give(inactive, catalog["virtual-fax"])
    give(UserFactory(full_name="Foreign Fay"), catalog["virtual-fax"])

    response = grace_client.get(URL, {"capability": "fax"})

    assert [member for member, _ in response.context["holders"]] == [ada]
    assertNotContains(response, "Inactive Ian")
    assertNotContains(response, "Foreign Fay")


def test_automatic_capability_has_every_active_member(grace_client, catalog):
    response = grace_client.get(URL, {"capability": "phone-system"})

    assert response.status_code == 200, response.content.decode()
    assert response.context["everyone"] is True
    assert holders_section(response) == (
        "Who has Phone system account "
        "Every active member: an automatic license gives it."
    )


def test_capability_without_holders_names_types(grace_client, catalog):
    fax = grace_client.get(URL, {"capability": "fax"})
    queue = grace_client.get(URL, {"capability": "queue-agent"})

    assert holders_section(fax) == (
        "Who has Virtual fax No member has Virtual fax. It comes with Virtual Fax."
    )
    assert holders_section(queue) == (
        "Who has Call queue agent No member has Call queue agent. It comes with "
        "Call Queue – Agent or Call Queue – Supervisor."
    )


def test_capability_of_unavailable_type_has_no_holder(
    grace_client, catalog, organization, ada
):
    give(ada, catalog["ai-assistant"])

    before = grace_client.get(URL, {"capability": "ai-call-insights"})
    catalog["ai-assistant"].rollout_organizations.add(organization)
    after = grace_client.get(URL, {"capability": "ai-call-insights"})

    assert holders_section(before) == (
        "Who has AI call insights No member has AI call insights. It comes with "
        "AI Assistant."
    )
    assert [member for member, _ in after.context["holders"]] == [ada]


def test_capability_holders_are_limited(
    grace_client, catalog, organization, monkeypatch
):
    monkeypatch.setattr(troubleshooting_module, "HOLDERS_LIMIT", 3)
    for name in ["Dan", "Bea", "Cid", "Abe"]:
        give(UserFactory(organization=organization, full_name=name), catalog["huddle"])

    response = grace_client.get(URL, {"capability": "video-meetings"})

    names = [member.full_name for member, _ in response.context["holders"]]
    assert names == ["Abe", "Bea", "Cid"]
    assertContains(response, "Showing the first members by name.")


def test_capability_holders_at_limit_are_complete(
    grace_client, catalog, organization, monkeypatch
):
    """Exactly HOLDERS_LIMIT holders are every holder, so nothing is cut off."""
    monkeypatch.setattr(troubleshooting_module, "HOLDERS_LIMIT", 3)
    for name in ["Bea", "Cid", "Abe"]:
        give(UserFactory(organization=organization, full_name=name), catalog["huddle"])

    response = grace_client.get(URL, {"capability": "video-meetings"})

    assert len(response.context["holders"]) == 3
    assertNotContains(response, "Showing the first members by name.")


def test_member_and_capability_together(grace_client, catalog, ada):
    give(ada, catalog["virtual-fax"])

    response = grace_client.get(URL, {"member": ada.pk, "capability": "fax"})

    assert response.status_code == 200, response.content.decode()
    assert status_row(response, "Virtual fax").startswith("Available From Virtual Fax")
    assert [member for member, _ in response.context["holders"]] == [ada]


# Invalid choices


@pytest.mark.parametrize(
    ("value", "shown"),
    [("abc", "abc"), ("0", "0"), ("99999999", "99999999"), ("1.5", "1.5")],
)
def test_invalid_member_id_is_rejected(grace_client, catalog, value, shown):
    response = grace_client.get(URL, {"member": value})

    assert response.status_code == 400, response.content.decode()
    assertContains(
        response,
        f"“{shown}” is not an active member of your organization. "
        "Choose one from the list.",
        status_code=400,
    )
    assertNotContains(response, "can use</h3>", status_code=400)


def test_foreign_member_is_rejected(grace_client, catalog):
    foreign = UserFactory(full_name="Foreign Fay")

    response = grace_client.get(URL, {"member": foreign.pk})

    assert response.status_code == 400, response.content.decode()
    assertContains(
        response,
        f"“{foreign.pk}” is not an active member of your organization.",
        status_code=400,
    )
    assertNotContains(response, "What Foreign Fay can use", status_code=400)


def test_inactive_member_is_rejected(grace_client, catalog, organization):
    inactive = UserFactory(organization=organization, is_active=False)

    response = grace_client.get(URL, {"member": inactive.pk})

    assert response.status_code == 400, response.content.decode()


def test_support_staff_id_is_rejected(grace_client, catalog):
    response = grace_client.get(URL, {"member": SupportStaffFactory().pk})

    assert response.status_code == 400, response.content.decode()


@pytest.mark.parametrize("value", ["no-such-capability", "Fax", "7"])
def test_unknown_capability_is_rejected(grace_client, catalog, value):
    response = grace_client.get(URL, {"capability": value})

    assert response.status_code == 400, response.content.decode()
    assertContains(
        response,
        f"“{value}” is not a capability. Choose one from the list.",
        status_code=400,
    )
    assertNotContains(response, "Who has", status_code=400)


def test_invalid_capability_hides_valid_member(grace_client, catalog, ada):
    response = grace_client.get(URL, {"member": ada.pk, "capability": "nope"})

    assert response.status_code == 400, response.content.decode()
    assertNotContains(response, "What Ada Lovelace can use", status_code=400)
