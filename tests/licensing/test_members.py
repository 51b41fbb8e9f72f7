"""Settings > Members: the member list, the member panel and bulk changes."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from licensing.models import Assignment, Capability, Event, Holding
from tests.factories import (
    AdministratorFactory,
    AssignmentFactory,
    AutomaticLicenseTypeFactory,
    HoldingFactory,
    LicenseTypeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
MEMBERS_URL = reverse("licensing:members")
BULK_URL = reverse("licensing:bulk_change")


def panel_url(member):
    return reverse("licensing:member_panel", args=[member.pk])


def change_url(member):
    return reverse("licensing:change_member_license", args=[member.pk])


def listed_ids(response):
    """Return the ids of the members whose rows the response shows, in order."""
    content = response.content.decode()
    return [
        int(member_id)
        for member_id in re.findall(
            r'type="checkbox" name="member" value="(\d+)"', content
        )
    ]


def license_badges(content, member):
    """Return the license names in the badges of `member`, in order."""
    match = re.search(
        rf'<span [^>]*id="member-licenses-{member.pk}"[^>]*>'
        r'((?:\s*<span class="badge[^"]*">[^<]*</span>)*)\s*</span>',
        content,
    )
    assert match, f"No license badges for member {member.pk} in:\n{content}"
    return re.findall(r'<span class="badge[^"]*">([^<]*)</span>', match.group(1))


def oob_badges_tag(content, member):
    """Return the opening tag of the out-of-band badges of `member`."""
    match = re.search(rf'<span [^>]*id="member-licenses-{member.pk}"[^>]*>', content)
    assert match, f"No license badges for member {member.pk} in:\n{content}"
    return match.group()


def switch_tag(content, member, holding):
    """Return the panel's switch for the holding, or None without one."""
    match = re.search(
        rf'<input [^>]*name="assigned" [^>]*id="switch-{member.pk}-{holding.pk}"'
        r"[^>]*>",
        content,
    )
    return None if match is None else match.group()


def switch_state(content, member, holding):
    """Return whether the panel's switch is checked, or None without a switch."""
    tag = switch_tag(content, member, holding)
    return None if tag is None else " checked" in tag


def holder_ids(holding):
    return set(holding.assignments.values_list("member_id", flat=True))


def vary_headers(response):
    return [header.strip() for header in response.get("Vary", "").split(",")]


@pytest.fixture
def virtual_fax():
    return LicenseTypeFactory(name="Virtual Fax", slug="virtual-fax", position=20)


@pytest.fixture
def huddle():
    return LicenseTypeFactory(
        name="Huddle Video Conference", slug="huddle", position=10
    )


@pytest.fixture
def pbx_account():
    return AutomaticLicenseTypeFactory(name="PBX Account", slug="pbx-account")


@pytest.fixture
def fax(organization, virtual_fax):
    """Virtual Fax seats of the organization: 5 bought."""
    return HoldingFactory(
        organization=organization, license_type=virtual_fax, quantity=5
    )


@pytest.fixture
def huddle_seats(organization, huddle):
    """Unlimited Huddle seats of the organization."""
    return HoldingFactory(organization=organization, license_type=huddle, quantity=None)


@pytest.fixture
def administrator(organization):
    """The signed-in administrator, with a name no search of these tests matches.

    The shared fixture takes a name from Faker, and one such as "Adam Allen"
    would match the search "ada".
    """
    return AdministratorFactory(
        organization=organization,
        full_name="Zoe Zeller",
        email="zoe.zeller@example.com",
    )


@pytest.fixture
def ada(organization, fax):
    """A member who holds Virtual Fax."""
    ada = UserFactory(
        organization=organization,
        full_name="Ada Lovelace",
        email="ada.work@example.com",
    )
    AssignmentFactory(holding=fax, member=ada)
    return ada


@pytest.fixture
def grace(organization):
    """A member with no license beyond the automatic ones."""
    return UserFactory(
        organization=organization,
        full_name="Grace Hopper",
        email="grace@example.com",
    )


@pytest.fixture
def inactive(organization, fax):
    """A deactivated member who still holds a Virtual Fax row."""
    inactive = UserFactory(
        organization=organization,
        full_name="Inactive Ingrid",
        email="ingrid@example.com",
        is_active=False,
    )
    AssignmentFactory(holding=fax, member=inactive)
    return inactive


@pytest.fixture
def outsider():
    """A member of another organization, with a name the searches match."""
    return UserFactory(full_name="Ada Outsider", email="ada.outsider@example.com")


@pytest.fixture
def foreign_holding():
    return HoldingFactory(quantity=5)


# The member list


def test_members_lists_active_members(
    administrator_client,
    administrator,
    ada,
    grace,
    inactive,
    outsider,
    pbx_account,
    huddle_seats,
):
    AssignmentFactory(holding=huddle_seats, member=ada)

    response = administrator_client.get(MEMBERS_URL)

    assert response.status_code == 200, response.content.decode()
    assert set(listed_ids(response)) == {administrator.pk, ada.pk, grace.pk}
    content = response.content.decode()
    # Assigned types in catalog order, then the automatic ones.
    assert license_badges(content, ada) == [
        "Huddle Video Conference",
        "Virtual Fax",
        "PBX Account",
    ]
    assert license_badges(content, grace) == ["PBX Account"]
    assertContains(response, "3 members match.")
    assertNotContains(response, "Inactive Ingrid")
    assertNotContains(response, "Ada Outsider")


def test_members_orders_by_name(administrator_client, administrator, organization):
    zoe = UserFactory(organization=organization, full_name="Zoë Zimmer")
    bea = UserFactory(organization=organization, full_name="Bea Adams")
    administrator.full_name = "Mia Moreau"
    administrator.save()

    response = administrator_client.get(MEMBERS_URL)

    assert listed_ids(response) == [bea.pk, administrator.pk, zoe.pk]


def test_members_shows_fifty_per_page(administrator_client, organization):
    UserFactory.create_batch(50, organization=organization)
    expected = list(
        organization.members.filter(is_active=True)
        .order_by("full_name", "email")
        .values_list("pk", flat=True)
    )

    first = administrator_client.get(MEMBERS_URL)
    second = administrator_client.get(MEMBERS_URL, {"page": 2})

    assert first.status_code == 200, first.content.decode()
    assert second.status_code == 200, second.content.decode()
    assert len(expected) == 51
    assert listed_ids(first) == expected[:50]
    assert listed_ids(second) == expected[50:]
    assertContains(first, "51 members match.")
    assertContains(first, "Page 1 of 2")
    assertContains(second, "Page 2 of 2")


def test_members_page_links_keep_filters(administrator_client, organization, fax):
    members = UserFactory.create_batch(51, organization=organization)
    for member in members:
        AssignmentFactory(holding=fax, member=member)
    fax.quantity = None
    fax.save()

    response = administrator_client.get(
        MEMBERS_URL, {"q": "example.com", "license": fax.pk}
    )

    assert response.status_code == 200, response.content.decode()
    match = re.search(
        r'<a class="page-link" href="\?([^"]+)"', response.content.decode()
    )
    assert match, response.content.decode()
    query = parse_qs(match.group(1).replace("&amp;", "&"))
    assert query == {"q": ["example.com"], "license": [str(fax.pk)], "page": ["2"]}


@pytest.mark.parametrize("search", ["lovelace", "ADA LOVE", "ada.work@", "  Ada  "])
def test_members_search_by_name_and_email(administrator_client, ada, grace, search):
    response = administrator_client.get(MEMBERS_URL, {"q": search})

    assert response.status_code == 200, response.content.decode()
    assert listed_ids(response) == [ada.pk]
    assertNotContains(response, "Grace Hopper")


def test_members_search_skips_outsiders_and_inactive(
    administrator_client, ada, inactive, outsider
):
    response = administrator_client.get(MEMBERS_URL, {"q": "example.com"}, headers=HTMX)

    assert response.status_code == 200, response.content.decode()
    assert ada.pk in listed_ids(response)
    assert inactive.pk not in listed_ids(response)
    assert outsider.pk not in listed_ids(response)


@pytest.mark.parametrize("search", ["élodie", "ÉLODIE", "Élodie"])
def test_members_search_ignores_accented_case(
    administrator_client, organization, search
):
    elodie = UserFactory(organization=organization, full_name="Élodie Tremblay")

    response = administrator_client.get(MEMBERS_URL, {"q": search})

    assert response.status_code == 200, response.content.decode()
    assert listed_ids(response) == [elodie.pk]


def test_members_search_reports_no_match(administrator_client, ada):
    response = administrator_client.get(MEMBERS_URL, {"q": "nobody"}, headers=HTMX)

    assert response.status_code == 200, response.content.decode()
    assert listed_ids(response) == []
    assertContains(response, "0 members match.")
    assertContains(response, "No member matches these filters.")


def test_members_search_drops_null_character(administrator_client, ada):
    # As the member search of Settings > Licenses does.
    response = administrator_client.get(MEMBERS_URL, {"q": "a\x00da"}, headers=HTMX)

    assert response.status_code == 200, response.content.decode()
    assert listed_ids(response) == [ada.pk]


def test_members_htmx_returns_only_results(administrator_client, ada):
    response = administrator_client.get(MEMBERS_URL, {"q": "ada"}, headers=HTMX)

    assert response.status_code == 200, response.content.decode()
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="member-results">'), content
    assert "<html" not in content
    assert 'id="member-filters"' not in content
    assert 'id="bulk-form"' not in content
    assert listed_ids(response) == [ada.pk]


def test_members_without_htmx_returns_full_page(administrator_client, ada):
    response = administrator_client.get(MEMBERS_URL, {"q": "ada"})

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "<html")
    assertContains(response, 'id="member-filters"')
    assertContains(response, 'id="member-results"')


def test_members_history_restore_returns_full_page(administrator_client, ada):
    response = administrator_client.get(
        MEMBERS_URL,
        {"q": "ada"},
        headers={**HTMX, "HX-History-Restore-Request": "true"},
    )

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "<html")


@pytest.mark.parametrize("htmx", [True, False])
def test_members_varies_on_htmx_header(administrator_client, htmx):
    response = administrator_client.get(MEMBERS_URL, headers=HTMX if htmx else {})

    assert response.status_code == 200, response.content.decode()
    assert "HX-Request" in vary_headers(response)


def test_members_filter_by_license_type(
    administrator_client, organization, ada, grace, inactive, huddle_seats
):
    AssignmentFactory(holding=huddle_seats, member=grace)
    holder = UserFactory(organization=organization, full_name="Alan Turing")
    AssignmentFactory(holding=ada.assignments.get().holding, member=holder)

    fax_response = administrator_client.get(
        MEMBERS_URL, {"license": ada.assignments.get().holding_id}
    )
    huddle_response = administrator_client.get(
        MEMBERS_URL, {"license": huddle_seats.pk}
    )

    assert fax_response.status_code == 200, fax_response.content.decode()
    assert listed_ids(fax_response) == [ada.pk, holder.pk]
    assert listed_ids(huddle_response) == [grace.pk]


def test_members_filter_no_extra_license(
    administrator_client, administrator, organization, ada, grace, pbx_account
):
    inactive_without_license = UserFactory(organization=organization, is_active=False)

    response = administrator_client.get(MEMBERS_URL, {"license": "none"})

    assert response.status_code == 200, response.content.decode()
    assert set(listed_ids(response)) == {administrator.pk, grace.pk}
    assert inactive_without_license.pk not in listed_ids(response)
    assert license_badges(response.content.decode(), grace) == ["PBX Account"]


def test_members_filter_administrators(
    administrator_client, administrator, organization, ada, grace
):
    second = AdministratorFactory(organization=organization)
    AdministratorFactory(organization=organization, is_active=False)
    AdministratorFactory()

    response = administrator_client.get(MEMBERS_URL, {"administrators": "on"})

    assert response.status_code == 200, response.content.decode()
    assert set(listed_ids(response)) == {administrator.pk, second.pk}


def test_members_marks_administrators(administrator_client, administrator, grace):
    response = administrator_client.get(MEMBERS_URL)

    content = response.content.decode()
    rows = re.findall(r'<li class="member-row.*?</li>', content, re.DOTALL)
    marked = {
        int(re.search(r'name="member" value="(\d+)"', row).group(1))
        for row in rows
        if ">Administrator</span>" in row
    }
    assert marked == {administrator.pk}


def test_members_combines_search_and_filters(
    administrator_client, organization, ada, fax
):
    ada_admin = AdministratorFactory(organization=organization, full_name="Ada Admin")
    AssignmentFactory(holding=fax, member=ada_admin)
    AdministratorFactory(organization=organization, full_name="Ada Nolicense")

    response = administrator_client.get(
        MEMBERS_URL, {"q": "ada", "license": fax.pk, "administrators": "on"}
    )

    assert response.status_code == 200, response.content.decode()
    assert listed_ids(response) == [ada_admin.pk]


@pytest.mark.parametrize("htmx", [True, False])
@pytest.mark.parametrize("value", ["abc", "0", "-1", "99999999999999999999"])
def test_members_invalid_filter_is_bad_request(administrator_client, ada, value, htmx):
    response = administrator_client.get(
        MEMBERS_URL, {"license": value}, headers=HTMX if htmx else {}
    )

    assert response.status_code == 400, response.content.decode()
    assertContains(
        response,
        f"“{value}” is not a license type your organization holds.",
        status_code=400,
    )
    assert listed_ids(response) == []


def test_members_foreign_filter_is_bad_request(
    administrator_client, ada, foreign_holding
):
    AssignmentFactory(holding=foreign_holding)

    response = administrator_client.get(MEMBERS_URL, {"license": foreign_holding.pk})

    assert response.status_code == 400, response.content.decode()
    assertContains(
        response,
        f"“{foreign_holding.pk}” is not a license type your organization holds.",
        status_code=400,
    )
    assert listed_ids(response) == []


def test_members_invalid_page_shows_last_page(administrator_client, ada):
    response = administrator_client.get(MEMBERS_URL, {"page": "99"})

    assert response.status_code == 200, response.content.decode()
    assert ada.pk in listed_ids(response)


@pytest.mark.parametrize(
    ("method", "url_name", "takes_member"),
    [
        ("get", "licensing:members", False),
        ("get", "licensing:member_panel", True),
        ("post", "licensing:change_member_license", True),
        ("post", "licensing:bulk_change", False),
    ],
)
def test_member_cannot_use_members_page(
    member_client, grace, fax, method, url_name, takes_member
):
    url = reverse(url_name, args=[grace.pk] if takes_member else [])
    data = {"holding": fax.pk, "assigned": "on", "action": "assign", "member": grace.pk}

    response = getattr(member_client, method)(url, data, headers=HTMX)

    assert response.status_code == 403, response.content.decode()
    assertContains(
        response,
        "Only your organization&#x27;s administrators can open Settings.",
        status_code=403,
    )
    assert holder_ids(fax) == set()
    assert not Event.objects.exists()


def test_members_rejects_post(administrator_client):
    response = administrator_client.post(MEMBERS_URL)

    assert response.status_code == 405, response.content.decode()


# The member panel


def test_panel_shows_switch_per_held_type(
    administrator_client, ada, fax, huddle_seats, pbx_account, foreign_holding
):
    LicenseTypeFactory(name="RCon (Receptionist Console)")

    response = administrator_client.get(panel_url(ada), headers=HTMX)

    assert response.status_code == 200, response.content.decode()
    content = response.content.decode()
    assert switch_state(content, ada, fax) is True
    assert switch_state(content, ada, huddle_seats) is False
    assert switch_state(content, ada, foreign_holding) is None
    assert content.count('name="assigned"') == 2
    assert "RCon (Receptionist Console)" not in content
    assert foreign_holding.license_type.name not in content
    automatic_switch = rf'id="switch-{ada.pk}-pbx-account" checked disabled>'
    assert re.search(automatic_switch, content), content


def test_panel_htmx_returns_fragment(administrator_client, ada):
    response = administrator_client.get(panel_url(ada), headers=HTMX)

    assert response.status_code == 200, response.content.decode()
    assertNotContains(response, "<html")
    assertContains(response, "Licenses of Ada Lovelace")
    assert "HX-Request" in vary_headers(response)


def test_panel_without_htmx_opens_in_members_page(administrator_client, ada, fax):
    response = administrator_client.get(panel_url(ada))

    assert response.status_code == 200, response.content.decode()
    content = response.content.decode()
    assert "<html" in content
    assert 'id="member-results"' in content
    assert switch_state(content, ada, fax) is True
    assert "HX-Request" in vary_headers(response)


@pytest.mark.parametrize("htmx", [True, False])
def test_panel_of_foreign_member_is_not_found(administrator_client, outsider, htmx):
    response = administrator_client.get(
        panel_url(outsider), headers=HTMX if htmx else {}
    )

    assert response.status_code == 404, response.content.decode()


def test_panel_of_inactive_member_is_not_found(administrator_client, inactive):
    response = administrator_client.get(panel_url(inactive), headers=HTMX)

    assert response.status_code == 404, response.content.decode()


def test_switch_on_assigns_license(
    administrator_client, administrator, grace, fax, huddle_seats, pbx_account
):
    response = administrator_client.post(
        change_url(grace), {"holding": fax.pk, "assigned": "on"}, headers=HTMX
    )

    assert response.status_code == 200, response.content.decode()
    content = response.content.decode()
    assert holder_ids(fax) == {grace.pk}
    assert "Grace Hopper now holds Virtual Fax." in content
    assert switch_state(content, grace, fax) is True
    assert switch_state(content, grace, huddle_seats) is False
    assert 'hx-swap-oob="true"' in oob_badges_tag(content, grace)
    assert license_badges(content, grace) == ["Virtual Fax", "PBX Account"]
    event = Event.objects.get()
    assert event.action == Event.Action.ASSIGNED
    assert event.member == grace
    assert event.actor == administrator
    assert event.source == Event.Source.PORTAL


@pytest.mark.parametrize(
    ("holding", "message"),
    [
        ("", "The license type is missing. Choose one of the switches."),
        ("fax", "“fax” is not a license type held by your organization."),
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
def test_switch_with_bad_holding_names_it(
    administrator_client, grace, fax, holding, message, htmx
):
    response = administrator_client.post(
        change_url(grace),
        {"holding": holding, "assigned": "on"},
        headers=HTMX if htmx else {},
    )

    assert response.status_code == 400, response.content.decode()
    assertContains(response, message, status_code=400)
    # Without htmx the browser gets the whole page, layout included.
    assert ("<html" in response.content.decode()) is not htmx
    assert holder_ids(fax) == set()


def test_switch_off_removes_license(
    administrator_client, administrator, ada, fax, pbx_account
):
    response = administrator_client.post(
        change_url(ada), {"holding": fax.pk}, headers=HTMX
    )

    assert response.status_code == 200, response.content.decode()
    content = response.content.decode()
    assert holder_ids(fax) == set()
    assert "Virtual Fax was removed from Ada Lovelace." in content
    assert switch_state(content, ada, fax) is False
    assert 'hx-swap-oob="true"' in oob_badges_tag(content, ada)
    assert license_badges(content, ada) == ["PBX Account"]
    event = Event.objects.get()
    assert event.action == Event.Action.REMOVED
    assert event.member == ada
    assert event.actor == administrator


def test_switch_without_htmx_redirects_to_panel(administrator_client, grace, fax):
    response = administrator_client.post(
        change_url(grace), {"holding": fax.pk, "assigned": "on"}
    )

    assert response.status_code == 302, response.content.decode()
    assert response.url == panel_url(grace)
    assert "HX-Request" in vary_headers(response)
    page = administrator_client.get(response.url)
    assertContains(page, "Grace Hopper now holds Virtual Fax.")
    assert switch_state(page.content.decode(), grace, fax) is True


def test_switch_without_seats_is_conflict(
    administrator_client, organization, grace, fax
):
    AssignmentFactory.create_batch(5, holding=fax)
    before = holder_ids(fax)

    response = administrator_client.post(
        change_url(grace), {"holding": fax.pk, "assigned": "on"}, headers=HTMX
    )

    assert response.status_code == 409, response.content.decode()
    content = response.content.decode()
    assert (
        "No Virtual Fax seats remaining (5 of 5 in use). Remove the license from "
        "another member first." in content
    )
    assert switch_state(content, grace, fax) is False
    assert 'hx-swap-oob="true"' in oob_badges_tag(content, grace)
    assert holder_ids(fax) == before
    assert not Event.objects.exists()


def test_panel_disables_switches_that_cannot_be_switched_on(
    administrator_client, organization, grace, fax
):
    AssignmentFactory.create_batch(5, holding=fax)
    elsewhere = HoldingFactory(
        organization=organization,
        license_type=LicenseTypeFactory(name="Elsewhere", regions=["US"]),
    )
    spare = HoldingFactory(organization=organization, quantity=5)

    response = administrator_client.get(panel_url(grace), headers=HTMX)

    content = response.content.decode()
    assert " disabled" in switch_tag(content, grace, fax)
    assert "Virtual Fax <span" in content
    assert "(no seat left)" in content
    assert " disabled" in switch_tag(content, grace, elsewhere)
    assert "(Not available in your region)" in content
    assert " disabled" not in switch_tag(content, grace, spare)


def test_panel_keeps_held_switch_of_full_holding_enabled(
    administrator_client, grace, fax
):
    AssignmentFactory(holding=fax, member=grace)
    AssignmentFactory.create_batch(4, holding=fax)

    response = administrator_client.get(panel_url(grace), headers=HTMX)

    tag = switch_tag(response.content.decode(), grace, fax)
    assert " checked" in tag
    assert " disabled" not in tag


def test_switch_rejected_without_htmx_shows_page(administrator_client, grace, fax):
    # The panel's <noscript> Save button posts without htmx.
    AssignmentFactory.create_batch(5, holding=fax)

    response = administrator_client.post(
        change_url(grace), {"holding": fax.pk, "assigned": "on"}
    )

    assert response.status_code == 409, response.content.decode()
    assertContains(response, "No Virtual Fax seats remaining", status_code=409)
    assertContains(response, "<html", status_code=409)
    assertNotContains(response, "hx-swap-oob", status_code=409)


def alert_text(response):
    """Return the text of the first alert in the response."""
    content = response.content.decode()
    match = re.search(r'role="alert"[^>]*>([^<]+)<', content)
    assert match, content
    return match.group(1).strip()


@pytest.mark.parametrize(
    ("situation", "expected_error"),
    [
        (
            "no seats",
            "No Virtual Fax seats remaining (5 of 5 in use). Remove the license "
            "from another member first.",
        ),
        (
            "already holds",
            "Alan Turing already holds Virtual Fax. Nothing was changed.",
        ),
        (
            "does not hold",
            "Alan Turing does not hold Virtual Fax. Nothing was changed.",
        ),
    ],
)
def test_switch_errors_match_licenses_page(
    administrator_client, organization, fax, situation, expected_error
):
    member = UserFactory(organization=organization, full_name="Alan Turing")
    if situation == "no seats":
        AssignmentFactory.create_batch(5, holding=fax)
    elif situation == "already holds":
        AssignmentFactory(holding=fax, member=member)
    before = holder_ids(fax)
    if situation == "does not hold":
        panel_data = {"holding": fax.pk}
        licenses_url = reverse("licensing:remove", args=[fax.pk])
    else:
        panel_data = {"holding": fax.pk, "assigned": "on"}
        licenses_url = reverse("licensing:assign", args=[fax.pk])

    panel = administrator_client.post(change_url(member), panel_data, headers=HTMX)
    licenses = administrator_client.post(
        licenses_url, {"member": member.pk}, headers=HTMX
    )

    assert panel.status_code == 409, panel.content.decode()
    assert licenses.status_code == 409, licenses.content.decode()
    assert alert_text(panel) == expected_error
    assert alert_text(licenses) == expected_error
    assert holder_ids(fax) == before
    assert not Event.objects.exists()


def test_switch_redundant_license_can_be_confirmed(
    administrator_client, organization, grace
):
    queue = Capability.objects.create(slug="queue-agent", name="Queue agent")
    agent = LicenseTypeFactory(name="Call Queue – Agent")
    agent.capabilities.add(queue)
    supervisor = LicenseTypeFactory(name="Call Queue – Supervisor")
    supervisor.includes.add(agent)
    agent_seats = HoldingFactory(organization=organization, license_type=agent)
    supervisor_seats = HoldingFactory(
        organization=organization, license_type=supervisor
    )
    AssignmentFactory(holding=supervisor_seats, member=grace)

    warned = administrator_client.post(
        change_url(grace), {"holding": agent_seats.pk, "assigned": "on"}, headers=HTMX
    )
    # The Licenses page takes confirm=redundant after this warning.
    confirmed = administrator_client.post(
        change_url(grace),
        {"holding": agent_seats.pk, "assigned": "on", "confirm": "redundant"},
        headers=HTMX,
    )

    assert warned.status_code == 409, warned.content.decode()
    assertContains(warned, "confirm to assign it anyway", status_code=409)
    assert confirmed.status_code == 200, confirmed.content.decode()
    assert holder_ids(agent_seats) == {grace.pk}


def test_switch_for_foreign_member_is_not_found(
    administrator_client, outsider, foreign_holding, fax
):
    AssignmentFactory(holding=foreign_holding, member=outsider)

    for holding in (fax, foreign_holding):
        response = administrator_client.post(
            change_url(outsider), {"holding": holding.pk}, headers=HTMX
        )

        assert response.status_code == 404, response.content.decode()
    assert holder_ids(foreign_holding) == {outsider.pk}
    assert not Event.objects.exists()


@pytest.mark.parametrize("assigned", [True, False])
def test_switch_for_foreign_holding_is_not_found(
    administrator_client, ada, foreign_holding, assigned
):
    data = {"holding": foreign_holding.pk}
    if assigned:
        data["assigned"] = "on"

    response = administrator_client.post(change_url(ada), data, headers=HTMX)

    assert response.status_code == 404, response.content.decode()
    assert holder_ids(foreign_holding) == set()
    assert not Event.objects.exists()


def test_switch_for_inactive_member_is_not_found(administrator_client, inactive, fax):
    response = administrator_client.post(
        change_url(inactive), {"holding": fax.pk}, headers=HTMX
    )

    assert response.status_code == 404, response.content.decode()
    assert inactive.pk in holder_ids(fax)
    assert not Event.objects.exists()


@pytest.mark.parametrize("holding_id", ["abc", "-1", "99999999999999999999"])
def test_switch_with_invalid_holding_is_bad_request(
    administrator_client, grace, fax, holding_id
):
    response = administrator_client.post(
        change_url(grace), {"holding": holding_id, "assigned": "on"}, headers=HTMX
    )

    assert response.status_code == 400, response.content.decode()
    assertContains(response, f"“{holding_id}” is not a license type", status_code=400)
    assert not Assignment.objects.filter(member=grace).exists()


def test_switch_rejects_get(administrator_client, grace):
    response = administrator_client.get(change_url(grace))

    assert response.status_code == 405, response.content.decode()


# Bulk changes


def post_bulk(client, data, *, htmx=True):
    return client.post(BULK_URL, data, headers=HTMX if htmx else {})


def test_bulk_assigns_selected_members(
    administrator_client, administrator, organization, ada, grace, fax
):
    alan = UserFactory(organization=organization, full_name="Alan Turing")

    response = post_bulk(
        administrator_client,
        {"action": "assign", "holding": fax.pk, "member": [grace.pk, alan.pk]},
    )

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "Assigned Virtual Fax to 2 members.")
    assert holder_ids(fax) == {ada.pk, grace.pk, alan.pk}
    events = Event.objects.filter(action=Event.Action.ASSIGNED)
    assert sorted(event.member_id for event in events) == sorted([grace.pk, alan.pk])
    assert {event.actor_id for event in events} == {administrator.pk}
    assert {event.source for event in events} == {Event.Source.PORTAL}
    content = response.content.decode()
    assert license_badges(content, grace) == ["Virtual Fax"]


def test_bulk_removes_selected_members(
    administrator_client, organization, ada, grace, fax
):
    alan = UserFactory(organization=organization, full_name="Alan Turing")
    AssignmentFactory(holding=fax, member=alan)

    response = post_bulk(
        administrator_client,
        {"action": "remove", "holding": fax.pk, "member": [ada.pk, alan.pk]},
    )

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "Removed Virtual Fax from 2 members.")
    assert holder_ids(fax) == set()
    events = Event.objects.filter(action=Event.Action.REMOVED)
    assert sorted(event.member_id for event in events) == sorted([ada.pk, alan.pk])
    assert Event.objects.count() == 2


def test_bulk_assign_skips_holders(administrator_client, ada, grace, fax):
    response = post_bulk(
        administrator_client,
        {"action": "assign", "holding": fax.pk, "member": [ada.pk, grace.pk]},
    )

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "Assigned Virtual Fax to 1 member.")
    assert holder_ids(fax) == {ada.pk, grace.pk}
    assert list(Event.objects.values_list("member_id", flat=True)) == [grace.pk]


def test_bulk_remove_skips_non_holders(administrator_client, ada, grace, fax):
    response = post_bulk(
        administrator_client,
        {"action": "remove", "holding": fax.pk, "member": [ada.pk, grace.pk]},
    )

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "Removed Virtual Fax from 1 member.")
    assert list(Event.objects.values_list("member_id", flat=True)) == [ada.pk]


def test_bulk_remove_from_non_holders_says_nothing_changed(
    administrator_client, grace, fax
):
    response = post_bulk(
        administrator_client,
        {"action": "remove", "holding": fax.pk, "member": [grace.pk]},
    )

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "No selected member holds Virtual Fax. Nothing was")
    assertNotContains(response, "from 0 members")
    assert not Event.objects.exists()


def test_bulk_assign_to_holders_says_nothing_changed(administrator_client, ada, fax):
    response = post_bulk(
        administrator_client,
        {"action": "assign", "holding": fax.pk, "member": [ada.pk]},
    )

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "Every selected member already holds Virtual Fax.")
    assertNotContains(response, "to 0 members")
    assert not Event.objects.exists()


def test_bulk_counts_repeated_member_once(administrator_client, grace, fax):
    response = post_bulk(
        administrator_client,
        {"action": "assign", "holding": fax.pk, "member": [grace.pk, grace.pk]},
    )

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "Assigned Virtual Fax to 1 member.")
    assert Event.objects.count() == 1


def test_bulk_assign_without_seats_changes_nothing(
    administrator_client, organization, ada, grace, fax
):
    AssignmentFactory.create_batch(3, holding=fax)
    alan = UserFactory(organization=organization, full_name="Alan Turing")
    before = holder_ids(fax)

    response = post_bulk(
        administrator_client,
        {"action": "assign", "holding": fax.pk, "member": [grace.pk, alan.pk]},
    )

    assert response.status_code == 409, response.content.decode()
    assertContains(
        response,
        "Only 1 seat of Virtual Fax remaining (4 of 5 in use), but 2 selected "
        "members need one. Nothing was changed.",
        status_code=409,
    )
    assert holder_ids(fax) == before
    assert not Event.objects.exists()


def test_bulk_matching_without_seats_changes_nothing(
    administrator_client, organization, ada, fax
):
    UserFactory.create_batch(5, organization=organization)
    before = holder_ids(fax)

    response = post_bulk(
        administrator_client,
        {
            "action": "assign",
            "holding": fax.pk,
            "everyone_matching": "on",
            "license": "none",
        },
    )

    # The administrator and the 5 new members hold no license; 4 seats remain.
    assert response.status_code == 409, response.content.decode()
    assertContains(
        response,
        "Only 4 seats of Virtual Fax remaining (1 of 5 in use), but 6 selected "
        "members need one. Nothing was changed.",
        status_code=409,
    )
    assert holder_ids(fax) == before
    assert not Event.objects.exists()


def test_bulk_assigns_everyone_matching_search(
    administrator_client,
    administrator,
    organization,
    ada,
    grace,
    outsider,
    fax,
    huddle_seats,
):
    alan = UserFactory(organization=organization, full_name="Alan Adams")
    UserFactory(organization=organization, full_name="Adam Inactive", is_active=False)

    response = post_bulk(
        administrator_client,
        {
            "action": "assign",
            "holding": huddle_seats.pk,
            "everyone_matching": "on",
            "q": "ada",
        },
    )

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "Assigned Huddle Video Conference to 2 members.")
    assert holder_ids(huddle_seats) == {ada.pk, alan.pk}
    assert sorted(Event.objects.values_list("member_id", flat=True)) == sorted(
        [ada.pk, alan.pk]
    )
    # The response lists the members that still match the search.
    assert set(listed_ids(response)) == {ada.pk, alan.pk}


def test_bulk_assigns_everyone_without_license(
    administrator_client, administrator, ada, grace, fax, huddle_seats
):
    response = post_bulk(
        administrator_client,
        {
            "action": "assign",
            "holding": huddle_seats.pk,
            "everyone_matching": "on",
            "license": "none",
        },
    )

    assert response.status_code == 200, response.content.decode()
    assert holder_ids(huddle_seats) == {administrator.pk, grace.pk}
    assert Event.objects.count() == 2


def test_bulk_assigns_every_administrator(
    administrator_client, administrator, organization, ada, grace, huddle_seats
):
    second = AdministratorFactory(organization=organization)
    AdministratorFactory()

    response = post_bulk(
        administrator_client,
        {
            "action": "assign",
            "holding": huddle_seats.pk,
            "everyone_matching": "on",
            "administrators": "on",
        },
    )

    assert response.status_code == 200, response.content.decode()
    assert holder_ids(huddle_seats) == {administrator.pk, second.pk}
    assert Event.objects.count() == 2


def test_bulk_removes_everyone_filtered(
    administrator_client, organization, ada, grace, inactive, fax
):
    alan = UserFactory(organization=organization, full_name="Alan Turing")
    AssignmentFactory(holding=fax, member=alan)

    response = post_bulk(
        administrator_client,
        {
            "action": "remove",
            "holding": fax.pk,
            "everyone_matching": "on",
            "license": fax.pk,
        },
    )

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "Removed Virtual Fax from 2 members.")
    # The inactive member's seat is not listed on Members and stays.
    assert holder_ids(fax) == {inactive.pk}
    assert sorted(Event.objects.values_list("member_id", flat=True)) == sorted(
        [ada.pk, alan.pk]
    )


def test_bulk_everyone_matching_ignores_selection(
    administrator_client, ada, grace, huddle_seats
):
    response = post_bulk(
        administrator_client,
        {
            "action": "assign",
            "holding": huddle_seats.pk,
            "everyone_matching": "on",
            "q": "grace",
            "member": [ada.pk],
        },
    )

    assert response.status_code == 200, response.content.decode()
    assert holder_ids(huddle_seats) == {grace.pk}


@pytest.mark.parametrize("htmx", [True, False])
def test_bulk_without_members_is_bad_request(administrator_client, fax, htmx):
    response = post_bulk(
        administrator_client, {"action": "assign", "holding": fax.pk}, htmx=htmx
    )
    if not htmx:
        # Without htmx the error comes back as a message after a redirect.
        assert response.status_code == 302, response.content.decode()
        response = administrator_client.get(response.url)
        expected_status = 200
    else:
        expected_status = 400

    assert response.status_code == expected_status, response.content.decode()
    assertContains(
        response,
        "Select at least one member, or every member matching the filter.",
        status_code=expected_status,
    )
    assert holder_ids(fax) == set()
    assert not Event.objects.exists()


@pytest.mark.parametrize("action", ["assign", "remove"])
def test_bulk_with_foreign_member_changes_nothing(
    administrator_client, ada, grace, outsider, fax, action
):
    AssignmentFactory(holding=fax, member=grace)
    before = holder_ids(fax)

    response = post_bulk(
        administrator_client,
        {"action": action, "holding": fax.pk, "member": [grace.pk, outsider.pk]},
    )

    assert response.status_code == 400, response.content.decode()
    assertContains(
        response,
        f"Member {outsider.pk} is not an active member of your organization.",
        status_code=400,
    )
    assert holder_ids(fax) == before
    assert not Assignment.objects.filter(member=outsider).exists()
    assert not Event.objects.exists()


def test_bulk_with_inactive_member_changes_nothing(
    administrator_client, grace, inactive, fax
):
    before = holder_ids(fax)

    response = post_bulk(
        administrator_client,
        {"action": "remove", "holding": fax.pk, "member": [grace.pk, inactive.pk]},
    )

    assert response.status_code == 400, response.content.decode()
    assertContains(
        response,
        f"Member {inactive.pk} is not an active member of your organization.",
        status_code=400,
    )
    assert holder_ids(fax) == before
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    "member_id", ["abc", "-1", "0", "1.5", "１２", "99999999999999999999"]
)
def test_bulk_with_invalid_member_id_is_bad_request(
    administrator_client, grace, fax, member_id
):
    response = post_bulk(
        administrator_client,
        {"action": "assign", "holding": fax.pk, "member": [grace.pk, member_id]},
    )

    assert response.status_code == 400, response.content.decode()
    assertContains(response, f"“{member_id}” is not a member id.", status_code=400)
    assert holder_ids(fax) == set()
    assert not Event.objects.exists()


@pytest.mark.parametrize("holding_id", ["", "abc", "foreign"])
def test_bulk_with_invalid_holding_is_bad_request(
    administrator_client, grace, foreign_holding, holding_id
):
    if holding_id == "foreign":
        holding_id = str(foreign_holding.pk)

    response = post_bulk(
        administrator_client,
        {"action": "assign", "holding": holding_id, "member": [grace.pk]},
    )

    assert response.status_code == 400, response.content.decode()
    if holding_id:
        expected = f"“{holding_id}” is not a license type your organization holds."
    else:
        expected = "Choose the license type to assign or remove."
    assertContains(response, expected, status_code=400)
    assert not Assignment.objects.exists()
    assert not Event.objects.exists()


def test_bulk_with_invalid_action_is_bad_request(administrator_client, grace, fax):
    response = post_bulk(
        administrator_client,
        {"action": "delete", "holding": fax.pk, "member": [grace.pk]},
    )

    assert response.status_code == 400, response.content.decode()
    assertContains(response, "“delete” is not an action.", status_code=400)
    assert holder_ids(fax) == set()


def test_bulk_invalid_filter_is_bad_request(administrator_client, grace, fax):
    response = post_bulk(
        administrator_client,
        {
            "action": "assign",
            "holding": fax.pk,
            "everyone_matching": "on",
            "license": "abc",
        },
    )

    assert response.status_code == 400, response.content.decode()
    assertContains(
        response,
        "“abc” is not a license type your organization holds.",
        status_code=400,
    )
    assert holder_ids(fax) == set()
    assert not Event.objects.exists()


def test_bulk_without_htmx_redirects_with_filters(administrator_client, grace, fax):
    response = post_bulk(
        administrator_client,
        {
            "action": "assign",
            "holding": fax.pk,
            "member": [grace.pk],
            "q": "grace",
            "license": "none",
        },
        htmx=False,
    )

    assert response.status_code == 302, response.content.decode()
    location = urlsplit(response.url)
    assert location.path == MEMBERS_URL
    assert parse_qs(location.query) == {"q": ["grace"], "license": ["none"]}
    page = administrator_client.get(response.url)
    assertContains(page, "Assigned Virtual Fax to 1 member.")
    assert holder_ids(fax) == {grace.pk}


def test_bulk_rejects_get(administrator_client):
    response = administrator_client.get(BULK_URL)

    assert response.status_code == 405, response.content.decode()


def test_bulk_seat_count_matches_holding(administrator_client, organization, fax):
    members = UserFactory.create_batch(5, organization=organization)

    response = post_bulk(
        administrator_client,
        {"action": "assign", "holding": fax.pk, "member": [m.pk for m in members]},
    )

    assert response.status_code == 200, response.content.decode()
    assert Holding.objects.with_in_use().get(pk=fax.pk).in_use == 5


def test_bulk_form_asks_for_confirmation(administrator_client, ada):
    response = administrator_client.get(reverse("licensing:members"))

    form = re.search(r'<form id="bulk-form"[^>]*>', response.content.decode(), re.S)
    assert form, response.content.decode()
    assert (
        'hx-confirm="Apply this change to every selected member? It takes effect '
        'at once."'
    ) in form.group()
