import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from licensing.models import Assignment, Event, Holding
from tests.factories import (
    PASSWORD,
    AdministratorFactory,
    AssignmentFactory,
    AutomaticLicenseTypeFactory,
    HoldingFactory,
    LicenseTypeFactory,
    OrganizationFactory,
    SupportStaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
MY_LICENSES_URL = reverse("licensing:my_licenses")
SETTINGS_URL = reverse("licensing:organization_licenses")
LOGIN_URL = reverse("login")


def assign_url(holding):
    return reverse("licensing:assign", args=[holding.pk])


def remove_url(holding):
    return reverse("licensing:remove", args=[holding.pk])


def member_choices_url(holding):
    return reverse("licensing:member_choices", args=[holding.pk])


def card_html(content, license_type):
    """Return the Settings > Licenses card of `license_type` from a page."""
    match = re.search(
        rf'<details class="card license-card" id="license-{license_type.slug}".*?'
        r"</details>",
        content,
        re.DOTALL,
    )
    assert match, f"No card for {license_type.slug} in:\n{content}"
    return match.group()


def seat_counts(card):
    """Return the Total, In use and Remaining values that a card shows."""
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", card))


def in_use(holding):
    return Holding.objects.with_in_use().get(pk=holding.pk).in_use


def vary_headers(response):
    return [header.strip() for header in response.get("Vary", "").split(",")]


@pytest.fixture
def virtual_fax():
    return LicenseTypeFactory(name="Virtual Fax", slug="virtual-fax")


@pytest.fixture
def pbx_account():
    return AutomaticLicenseTypeFactory(name="PBX Account", slug="pbx-account")


@pytest.fixture
def holding(organization, virtual_fax):
    """Virtual Fax seats of the organization: 5 bought, 2 in use."""
    holding = HoldingFactory(
        organization=organization, license_type=virtual_fax, quantity=5
    )
    AssignmentFactory.create_batch(2, holding=holding)
    return holding


@pytest.fixture
def foreign_holding():
    return HoldingFactory(quantity=5)


# Profile > Licenses


def test_my_licenses_lists_own_and_automatic_types(
    member_client, member, organization, virtual_fax, pbx_account
):
    fax = HoldingFactory(organization=organization, license_type=virtual_fax)
    AssignmentFactory(holding=fax, member=member)
    huddle = HoldingFactory(
        organization=organization, license_type__name="Huddle Video Conference"
    )
    AssignmentFactory(holding=huddle)
    HoldingFactory(organization=organization, license_type__name="Call Queue – Agent")
    LicenseTypeFactory(name="RCon (Receptionist Console)")

    response = member_client.get(MY_LICENSES_URL)

    assert response.status_code == 200, response.content.decode()
    assert set(response.context["license_types"]) == {virtual_fax, pbx_account}
    assertContains(response, "Virtual Fax")
    assertContains(response, "PBX Account")
    assertNotContains(response, "Huddle Video Conference")
    assertNotContains(response, "Call Queue – Agent")
    assertNotContains(response, "RCon (Receptionist Console)")


def test_my_licenses_shows_description_and_features(
    member_client, member, organization
):
    license_type = LicenseTypeFactory(
        description="Sends faxes from the browser.",
        features="Send faxes\nReceive faxes",
    )
    holding = HoldingFactory(organization=organization, license_type=license_type)
    AssignmentFactory(holding=holding, member=member)

    response = member_client.get(MY_LICENSES_URL)

    assertContains(response, "Sends faxes from the browser.")
    assertContains(response, "<li>Send faxes</li>", html=True)
    assertContains(response, "<li>Receive faxes</li>", html=True)


def test_my_licenses_names_administrators_when_only_automatic(
    member_client, organization, pbx_account
):
    AdministratorFactory(
        organization=organization,
        full_name="Grace Hopper",
        email="grace.hopper@example.com",
    )
    AdministratorFactory(
        organization=organization,
        full_name="Inactive Admin",
        email="inactive.admin@example.com",
        is_active=False,
    )
    AdministratorFactory(full_name="Foreign Admin", email="foreign@example.com")

    response = member_client.get(MY_LICENSES_URL)

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "Grace Hopper")
    assertContains(response, 'href="mailto:grace.hopper@example.com"')
    assertNotContains(response, "Inactive Admin")
    assertNotContains(response, "Foreign Admin")


def test_my_licenses_only_automatic_for_administrator(
    administrator_client, administrator, pbx_account
):
    response = administrator_client.get(MY_LICENSES_URL)

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "As an administrator, you can assign yourself others.")
    assertContains(
        response, '<a class="alert-link" href="/settings/licenses/">', html=False
    )
    assertNotContains(response, f"mailto:{administrator.email}")


def test_my_licenses_hides_administrators_when_member_has_assignment(
    member_client, member, organization, pbx_account
):
    AdministratorFactory(organization=organization, full_name="Grace Hopper")
    AssignmentFactory(holding__organization=organization, member=member)

    response = member_client.get(MY_LICENSES_URL)

    assert response.status_code == 200, response.content.decode()
    assertNotContains(response, "Grace Hopper")


def test_my_licenses_for_support_staff_explains_no_organization(client):
    client.force_login(SupportStaffFactory())

    response = client.get(MY_LICENSES_URL)

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "belong to no organization")


# Pages, navigation and avatar


@pytest.mark.parametrize(
    ("url_name", "expected_location"),
    [
        ("home", MY_LICENSES_URL),
        ("licensing:profile", MY_LICENSES_URL),
    ],
)
def test_entry_pages_redirect_to_my_licenses(
    member_client, url_name, expected_location
):
    response = member_client.get(reverse(url_name))

    assert response.status_code == 302, response.content.decode()
    assert response.url == expected_location


def test_settings_entry_redirects_to_licenses(administrator_client):
    response = administrator_client.get(reverse("licensing:settings"))

    assert response.status_code == 302, response.content.decode()
    assert response.url == SETTINGS_URL


def test_member_opens_my_licenses(member_client):
    response = member_client.get(MY_LICENSES_URL)

    assert response.status_code == 200, response.content.decode()


@pytest.mark.parametrize(
    "url_name", ["licensing:settings", "licensing:organization_licenses"]
)
def test_member_cannot_open_settings(member_client, url_name):
    response = member_client.get(reverse(url_name), follow=True)

    assert response.status_code == 403, response.content.decode()
    assertContains(
        response,
        "Only your organization&#x27;s administrators can open Settings.",
        status_code=403,
    )


def test_support_staff_cannot_open_settings(client):
    client.force_login(SupportStaffFactory())

    response = client.get(SETTINGS_URL)

    assert response.status_code == 403, response.content.decode()


@pytest.mark.parametrize("url", [MY_LICENSES_URL, SETTINGS_URL])
def test_administrator_opens_every_page(administrator_client, url):
    response = administrator_client.get(url)

    assert response.status_code == 200, response.content.decode()


def test_settings_link_shown_to_administrators(administrator_client):
    response = administrator_client.get(MY_LICENSES_URL)

    assertContains(response, f'href="{reverse("licensing:settings")}"')


def test_settings_link_hidden_from_members(member_client):
    response = member_client.get(MY_LICENSES_URL)

    assertNotContains(response, f'href="{reverse("licensing:settings")}"')
    assertNotContains(response, ">Settings</a>")


def test_avatar_shows_initials(client, organization):
    # Names are saved with composed accents, so E + U+0301 becomes É (U+00C9).
    client.force_login(
        UserFactory(organization=organization, full_name="E\u0301lodie Tremblay")
    )

    response = client.get(MY_LICENSES_URL)

    assertContains(response, '<span aria-hidden="true">\u00c9T</span>')


def test_avatar_menu_escapes_name(client, organization):
    client.force_login(
        UserFactory(organization=organization, full_name="<b>Bold</b> Name")
    )

    response = client.get(MY_LICENSES_URL)

    assertContains(response, "&lt;b&gt;Bold&lt;/b&gt; Name")
    assertNotContains(response, "<b>Bold</b>")


# Settings > Licenses


def test_settings_shows_one_card_per_held_type(
    administrator_client, organization, holding, virtual_fax, pbx_account
):
    huddle = HoldingFactory(
        organization=organization, license_type__name="Huddle Video Conference"
    )
    unheld = LicenseTypeFactory(name="RCon (Receptionist Console)")
    foreign = HoldingFactory(license_type__name="Call Queue – Agent")

    response = administrator_client.get(SETTINGS_URL)

    assert response.status_code == 200, response.content.decode()
    content = response.content.decode()
    assert content.count('<details class="card license-card"') == 3
    card_html(content, virtual_fax)
    card_html(content, huddle.license_type)
    card_html(content, pbx_account)
    assert f'id="license-{unheld.slug}"' not in content
    assert "RCon (Receptionist Console)" not in content
    assert f'id="license-{foreign.license_type.slug}"' not in content


def test_settings_shows_unlimited_for_automatic_type(
    administrator_client, organization, pbx_account
):
    UserFactory.create_batch(3, organization=organization)
    UserFactory(organization=organization, is_active=False)

    response = administrator_client.get(SETTINGS_URL)

    card = card_html(response.content.decode(), pbx_account)
    # 3 members and the administrator are active.
    assert seat_counts(card) == {
        "Total": "Unlimited",
        "In use": "4",
        "Remaining": "Unlimited",
    }


def test_settings_shows_unlimited_for_holding_without_quantity(
    administrator_client, organization
):
    holding = HoldingFactory(organization=organization, quantity=None)
    AssignmentFactory.create_batch(3, holding=holding)

    response = administrator_client.get(SETTINGS_URL)

    card = card_html(response.content.decode(), holding.license_type)
    assert seat_counts(card) == {
        "Total": "Unlimited",
        "In use": "3",
        "Remaining": "Unlimited",
    }


def test_settings_sends_cards_closed_with_counts(
    administrator_client, holding, virtual_fax
):
    response = administrator_client.get(SETTINGS_URL)

    card = card_html(response.content.decode(), virtual_fax)
    assert seat_counts(card) == {"Total": "5", "In use": "2", "Remaining": "3"}
    assert " open>" not in card.split("\n", 1)[0]
    for assignment in holding.assignments.all():
        assert assignment.member.email not in card
    details_url = reverse("licensing:license_details", args=[holding.pk])
    assert f'hx-get="{details_url}"' in card
    assert f'href="?open={holding.pk}#license-virtual-fax"' in card


def test_settings_open_card_shows_holders(administrator_client, holding, virtual_fax):
    response = administrator_client.get(SETTINGS_URL, {"open": holding.pk})

    card = card_html(response.content.decode(), virtual_fax)
    assert seat_counts(card) == {"Total": "5", "In use": "2", "Remaining": "3"}
    assert " open>" in card.split("\n", 1)[0]
    for assignment in holding.assignments.all():
        assert assignment.member.email in card


def test_license_details_sends_card_body(administrator_client, holding):
    response = administrator_client.get(
        reverse("licensing:license_details", args=[holding.pk]), headers=HTMX
    )

    assert response.status_code == 200, response.content.decode()
    content = response.content.decode()
    assert content.lstrip().startswith('<div class="card-body')
    assert "<html" not in content
    for assignment in holding.assignments.all():
        assert assignment.member.email in content
    assert f'aria-label="Assign {holding.license_type.name}' in content
    assert "HX-Request" in response["Vary"].split(", ")


def test_license_details_without_htmx_opens_card(administrator_client, holding):
    response = administrator_client.get(
        reverse("licensing:license_details", args=[holding.pk])
    )

    assert response.status_code == 302
    assert response["Location"] == (
        f"{SETTINGS_URL}?open={holding.pk}#license-virtual-fax"
    )


def test_license_details_of_foreign_holding_not_found(
    administrator_client, foreign_holding
):
    response = administrator_client.get(
        reverse("licensing:license_details", args=[foreign_holding.pk]), headers=HTMX
    )

    assert response.status_code == 404


@pytest.mark.parametrize("open_value", ["abc", "-1", "²", "99999999999999999999"])
def test_settings_ignores_invalid_open_value(administrator_client, holding, open_value):
    response = administrator_client.get(SETTINGS_URL, {"open": open_value})

    assert response.status_code == 200, response.content.decode()
    assert response.context["open_holding"] is None


def test_settings_does_not_open_foreign_holding(administrator_client, foreign_holding):
    response = administrator_client.get(SETTINGS_URL, {"open": foreign_holding.pk})

    assert response.status_code == 200, response.content.decode()
    assert response.context["open_holding"] is None


def test_htmx_assign_updates_card_counts(
    administrator_client, holding, organization, virtual_fax
):
    member = UserFactory(organization=organization, full_name="Ada Lovelace")

    response = administrator_client.post(
        assign_url(holding), {"member": member.pk}, headers=HTMX
    )

    assert response.status_code == 200, response.content.decode()
    content = response.content.decode()
    assert "<html" not in content
    assert seat_counts(card_html(content, virtual_fax)) == {
        "Total": "5",
        "In use": "3",
        "Remaining": "2",
    }
    assert "Ada Lovelace now holds Virtual Fax." in content
    assert in_use(holding) == 3


def test_htmx_remove_updates_card_counts(
    administrator_client, holding, organization, virtual_fax
):
    member = UserFactory(organization=organization, full_name="Ada Lovelace")
    AssignmentFactory(holding=holding, member=member)

    response = administrator_client.post(
        remove_url(holding), {"member": member.pk}, headers=HTMX
    )

    assert response.status_code == 200, response.content.decode()
    content = response.content.decode()
    assert seat_counts(card_html(content, virtual_fax)) == {
        "Total": "5",
        "In use": "2",
        "Remaining": "3",
    }
    assert "Virtual Fax was removed from Ada Lovelace." in content
    assert in_use(holding) == 2


@pytest.mark.parametrize(
    ("change", "expected_totals"),
    [
        ("assign", "3 of 5 limited seats in use, 2 remaining"),
        ("remove", "1 of 5 limited seats in use, 4 remaining"),
    ],
)
def test_htmx_change_sends_seat_totals_out_of_band(
    administrator_client, holding, change, expected_totals
):
    if change == "assign":
        url = assign_url(holding)
        member = UserFactory(organization=holding.organization)
    else:
        url = remove_url(holding)
        member = holding.assignments.first().member

    response = administrator_client.post(url, {"member": member.pk}, headers=HTMX)

    assert response.status_code == 200, response.content.decode()
    match = re.search(
        r'<p id="seat-totals"[^>]*>(.*?)</p>', response.content.decode(), re.DOTALL
    )
    assert match, response.content.decode()
    assert 'hx-swap-oob="true"' in match.group()
    assert expected_totals in " ".join(match.group(1).split())


def test_full_page_seat_totals_not_out_of_band(administrator_client, holding):
    response = administrator_client.get(SETTINGS_URL)

    match = re.search(r'<p id="seat-totals"[^>]*>', response.content.decode())
    assert match, response.content.decode()
    assert "hx-swap-oob" not in match.group()


def test_assign_without_htmx_redirects_with_message(
    administrator_client, holding, organization, virtual_fax
):
    member = UserFactory(organization=organization, full_name="Ada Lovelace")

    response = administrator_client.post(
        assign_url(holding), {"member": member.pk, "q": "ada"}
    )

    assert response.status_code == 302, response.content.decode()
    location = urlsplit(response.url)
    assert location.path == SETTINGS_URL
    assert parse_qs(location.query) == {"open": [str(holding.pk)], "q": ["ada"]}
    assert location.fragment == "license-virtual-fax"

    page = administrator_client.get(response.url)

    assertContains(page, "Ada Lovelace now holds Virtual Fax.")
    card = card_html(page.content.decode(), virtual_fax)
    assert seat_counts(card) == {"Total": "5", "In use": "3", "Remaining": "2"}


def test_remove_without_htmx_redirects_with_message(
    administrator_client, holding, organization, virtual_fax
):
    member = UserFactory(organization=organization, full_name="Ada Lovelace")
    AssignmentFactory(holding=holding, member=member)

    response = administrator_client.post(remove_url(holding), {"member": member.pk})

    assert response.status_code == 302, response.content.decode()
    page = administrator_client.get(response.url)
    assertContains(page, "Virtual Fax was removed from Ada Lovelace.")
    card = card_html(page.content.decode(), virtual_fax)
    assert seat_counts(card) == {"Total": "5", "In use": "2", "Remaining": "3"}


def test_assign_writes_event_naming_administrator(
    administrator_client, administrator, holding, organization
):
    member = UserFactory(organization=organization)

    administrator_client.post(assign_url(holding), {"member": member.pk}, headers=HTMX)

    event = Event.objects.get()
    assert event.actor == administrator
    assert event.member == member
    assert event.source == Event.Source.PORTAL


@pytest.mark.parametrize("change", ["assign", "remove"])
def test_member_post_is_forbidden(member_client, holding, change):
    target = holding.assignments.first().member
    url = assign_url(holding) if change == "assign" else remove_url(holding)
    before = set(Assignment.objects.values_list("pk", flat=True))

    response = member_client.post(url, {"member": target.pk}, headers=HTMX)

    assert response.status_code == 403, response.content.decode()
    assert set(Assignment.objects.values_list("pk", flat=True)) == before
    assert not Event.objects.exists()


@pytest.mark.parametrize("change", ["assign", "remove"])
def test_foreign_holding_is_not_found(administrator_client, foreign_holding, change):
    holder = AssignmentFactory(holding=foreign_holding).member
    newcomer = UserFactory(organization=foreign_holding.organization)
    member = newcomer if change == "assign" else holder
    url = (
        assign_url(foreign_holding)
        if change == "assign"
        else remove_url(foreign_holding)
    )

    response = administrator_client.post(url, {"member": member.pk}, headers=HTMX)

    assert response.status_code == 404, response.content.decode()
    assert in_use(foreign_holding) == 1
    assert not Event.objects.exists()


def test_member_choices_of_foreign_holding_is_not_found(
    administrator_client, foreign_holding
):
    response = administrator_client.get(
        member_choices_url(foreign_holding), headers=HTMX
    )

    assert response.status_code == 404, response.content.decode()


@pytest.mark.parametrize("change", ["assign", "remove"])
def test_foreign_member_is_not_found(administrator_client, holding, change):
    outsider = UserFactory()
    url = assign_url(holding) if change == "assign" else remove_url(holding)

    response = administrator_client.post(url, {"member": outsider.pk}, headers=HTMX)

    assert response.status_code == 404, response.content.decode()
    assert in_use(holding) == 2
    assert not Event.objects.exists()


@pytest.mark.parametrize("change", ["assign", "remove"])
@pytest.mark.parametrize("member_id", ["abc", "-1", "１２", "0", "1.5", "1e3"])
def test_invalid_member_id_is_bad_request(
    administrator_client, holding, change, member_id
):
    url = assign_url(holding) if change == "assign" else remove_url(holding)

    response = administrator_client.post(url, {"member": member_id}, headers=HTMX)

    assert response.status_code == 400, response.content.decode()
    assertContains(response, f"“{member_id}” is not a member id", status_code=400)
    assert in_use(holding) == 2
    assert not Event.objects.exists()


@pytest.mark.parametrize("data", [{"member": ""}, {}])
def test_missing_member_id_is_bad_request(administrator_client, holding, data):
    response = administrator_client.post(assign_url(holding), data, headers=HTMX)

    assert response.status_code == 400, response.content.decode()
    assertContains(response, "No member was chosen.", status_code=400)
    assert in_use(holding) == 2


def test_invalid_member_id_without_htmx_shows_full_page(administrator_client, holding):
    response = administrator_client.post(assign_url(holding), {"member": "abc"})

    assert response.status_code == 400, response.content.decode()
    assertContains(response, "<html", status_code=400)
    assertContains(response, "“abc” is not a member id", status_code=400)


@pytest.mark.parametrize(
    "member_id",
    [
        # 20 digits: the longest value the form accepts, beyond any 64-bit key.
        "99999999999999999999",
        # The largest signed 64-bit integer plus one.
        "9223372036854775808",
    ],
)
def test_member_id_beyond_64_bits_is_rejected(administrator_client, holding, member_id):
    response = administrator_client.post(
        assign_url(holding), {"member": member_id}, headers=HTMX
    )

    assert response.status_code in (400, 404), response.content.decode()
    assert in_use(holding) == 2


def test_holding_id_beyond_64_bits_is_not_found(administrator_client, member):
    url = reverse("licensing:assign", args=[99999999999999999999])

    response = administrator_client.post(url, {"member": member.pk}, headers=HTMX)

    assert response.status_code == 404, response.content.decode()


@pytest.mark.parametrize("htmx", [True, False])
def test_assign_without_seats_is_conflict(
    administrator_client, organization, virtual_fax, htmx
):
    holding = HoldingFactory(
        organization=organization, license_type=virtual_fax, quantity=10
    )
    AssignmentFactory.create_batch(10, holding=holding)
    member = UserFactory(organization=organization)

    response = administrator_client.post(
        assign_url(holding), {"member": member.pk}, headers=HTMX if htmx else {}
    )

    assert response.status_code == 409, response.content.decode()
    assertContains(
        response,
        "No Virtual Fax seats remaining (10 of 10 in use)",
        status_code=409,
    )
    assert in_use(holding) == 10
    assert not Event.objects.exists()


def test_assign_to_inactive_member_is_conflict(
    administrator_client, holding, organization
):
    inactive = UserFactory(organization=organization, is_active=False)

    response = administrator_client.post(
        assign_url(holding), {"member": inactive.pk}, headers=HTMX
    )

    assert response.status_code == 409, response.content.decode()
    assertContains(response, "is deactivated", status_code=409)
    assert in_use(holding) == 2


def test_assign_get_is_not_allowed(administrator_client, holding):
    response = administrator_client.get(assign_url(holding))

    assert response.status_code == 405, response.content.decode()


@pytest.mark.parametrize("change", ["assign", "remove"])
def test_seat_change_varies_on_htmx_header(
    administrator_client, holding, organization, change
):
    if change == "assign":
        url = assign_url(holding)
        member = UserFactory(organization=organization)
    else:
        url = remove_url(holding)
        member = holding.assignments.first().member

    response = administrator_client.post(url, {"member": member.pk}, headers=HTMX)

    assert response.status_code == 200, response.content.decode()
    assert "HX-Request" in vary_headers(response)


@pytest.mark.parametrize(("htmx", "expected_status"), [(True, 200), (False, 302)])
def test_member_choices_varies_on_htmx_header(
    administrator_client, holding, htmx, expected_status
):
    response = administrator_client.get(
        member_choices_url(holding), headers=HTMX if htmx else {}
    )

    assert response.status_code == expected_status, response.content.decode()
    assert "HX-Request" in vary_headers(response)


@pytest.mark.parametrize("htmx", [True, False])
def test_licenses_page_varies_on_htmx_header(administrator_client, holding, htmx):
    # With htmx and an open card, the response is that card only.
    response = administrator_client.get(
        SETTINGS_URL, {"open": holding.pk}, headers=HTMX if htmx else {}
    )

    assert response.status_code == 200, response.content.decode()
    assert "HX-Request" in vary_headers(response)


# Member search


def test_member_choices_excludes_holders_inactive_and_outsiders(
    administrator_client, administrator, holding, organization
):
    eligible = UserFactory(organization=organization)
    UserFactory(organization=organization, is_active=False)
    UserFactory()

    response = administrator_client.get(member_choices_url(holding), headers=HTMX)

    assert response.status_code == 200, response.content.decode()
    assert set(response.context["choices"]) == {eligible, administrator}


@pytest.mark.parametrize("search", ["lovelace", "ADA LOVE", "ada.work@"])
def test_member_choices_filter_by_name_and_email(
    administrator_client, holding, organization, search
):
    ada = UserFactory(
        organization=organization,
        full_name="Ada Lovelace",
        email="ada.work@example.com",
    )
    UserFactory(
        organization=organization,
        full_name="Grace Hopper",
        email="grace@example.com",
    )

    response = administrator_client.get(
        member_choices_url(holding), {"q": search}, headers=HTMX
    )

    assert response.status_code == 200, response.content.decode()
    assert response.context["choices"] == [ada]
    assertContains(response, "Ada Lovelace")
    assertNotContains(response, "Grace Hopper")


def test_member_choices_reports_no_match(administrator_client, holding):
    response = administrator_client.get(
        member_choices_url(holding), {"q": "nobody-matches"}, headers=HTMX
    )

    assert response.status_code == 200, response.content.decode()
    assert response.context["choices"] == []
    assertContains(response, "matches “nobody-matches”")


def test_member_choices_without_htmx_redirects_to_open_card(
    administrator_client, holding
):
    response = administrator_client.get(member_choices_url(holding), {"q": "ada"})

    assert response.status_code == 302, response.content.decode()
    location = urlsplit(response.url)
    assert location.path == SETTINGS_URL
    assert parse_qs(location.query) == {"open": [str(holding.pk)], "q": ["ada"]}


# Sign-in, sign-out and anonymous users


def anonymous_requests(holding):
    """Return (method, path) for every page and action of the portal."""
    return [
        ("get", reverse("home")),
        ("get", reverse("licensing:profile")),
        ("get", MY_LICENSES_URL),
        ("get", reverse("licensing:settings")),
        ("get", SETTINGS_URL),
        ("get", member_choices_url(holding)),
        ("post", assign_url(holding)),
        ("post", remove_url(holding)),
    ]


def test_anonymous_user_redirected_to_sign_in(client, holding):
    member = holding.assignments.first().member
    for method, path in anonymous_requests(holding):
        if method == "post":
            response = client.post(path, {"member": member.pk})
        else:
            response = client.get(path)

        assert response.status_code == 302, f"{method} {path}"
        location = urlsplit(response.url)
        assert location.path == LOGIN_URL, f"{method} {path}"
        assert parse_qs(location.query)["next"] == [path], f"{method} {path}"

    assert in_use(holding) == 2


def test_sign_in_ignores_email_case(client, organization):
    UserFactory(organization=organization, email="ann.lee@example.com")

    response = client.post(
        LOGIN_URL, {"username": "Ann.Lee@EXAMPLE.com", "password": PASSWORD}
    )

    assert response.status_code == 302, response.content.decode()
    assert response.url == MY_LICENSES_URL
    assert client.get(MY_LICENSES_URL).status_code == 200


def test_sign_in_rejects_wrong_password(client, member):
    response = client.post(LOGIN_URL, {"username": member.email, "password": "wrong"})

    assert response.status_code == 200, response.content.decode()
    assert response.context["form"].errors
    assert client.get(MY_LICENSES_URL).status_code == 302


def test_sign_in_follows_next(client, administrator):
    response = client.post(
        f"{LOGIN_URL}?next={SETTINGS_URL}",
        {"username": administrator.email, "password": PASSWORD, "next": SETTINGS_URL},
    )

    assert response.status_code == 302, response.content.decode()
    assert response.url == SETTINGS_URL


def test_login_page_renders_for_anonymous_user(client):
    response = client.get(LOGIN_URL)

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "Sign in")


def test_sign_out_with_post(member_client):
    response = member_client.post(reverse("logout"))

    assert response.status_code == 302, response.content.decode()
    assert response.url == LOGIN_URL
    assert member_client.get(MY_LICENSES_URL).status_code == 302


def test_sign_out_rejects_get(member_client):
    response = member_client.get(reverse("logout"))

    assert response.status_code == 405, response.content.decode()
    assert member_client.get(MY_LICENSES_URL).status_code == 200


def test_sign_out_form_in_avatar_menu(member_client):
    response = member_client.get(MY_LICENSES_URL)

    assertContains(response, f'<form method="post" action="{reverse("logout")}">')


# CSRF token for htmx requests


def hx_headers_csrf_token(content):
    match = re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'>", content)
    assert match, content
    return match.group(1)


def test_htmx_post_with_body_csrf_header_succeeds(administrator, holding, organization):
    client = Client(enforce_csrf_checks=True)
    client.force_login(administrator)
    token = hx_headers_csrf_token(client.get(SETTINGS_URL).content.decode())
    member = UserFactory(organization=organization)

    response = client.post(
        assign_url(holding),
        {"member": member.pk},
        headers={**HTMX, "X-CSRFToken": token},
    )

    assert response.status_code == 200, response.content.decode()
    assert in_use(holding) == 3


def test_htmx_post_without_csrf_header_is_forbidden(
    administrator, holding, organization
):
    client = Client(enforce_csrf_checks=True)
    client.force_login(administrator)
    client.get(SETTINGS_URL)
    member = UserFactory(organization=organization)

    response = client.post(assign_url(holding), {"member": member.pk}, headers=HTMX)

    assert response.status_code == 403, response.content.decode()
    assert in_use(holding) == 2


# Query counts


def build_organization(member_count):
    """Create an organization of `member_count` members with seats on 3 types.

    Each member holds one or two license types, and one administrator is added
    per ten members, plus one. Returns an administrator, a member holding two
    types, a member holding only the automatic type, and the first holding.
    """
    organization = OrganizationFactory()
    holdings = [
        HoldingFactory(organization=organization, quantity=None) for _ in range(3)
    ]
    holdings[0].license_type.includes.add(holdings[1].license_type)
    members = UserFactory.create_batch(member_count, organization=organization)
    for index, member in enumerate(members):
        AssignmentFactory(holding=holdings[index % 3], member=member)
        if index % 2:
            AssignmentFactory(holding=holdings[(index + 1) % 3], member=member)
    administrators = [
        AdministratorFactory(organization=organization)
        for _ in range(member_count // 10 + 1)
    ]
    member_with_only_automatic = UserFactory(organization=organization)
    return administrators[0], members[1], member_with_only_automatic, holdings[0]


def count_queries(client, user, url):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content.decode()
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.parametrize(
    "page", ["settings", "settings_open_card", "my_licenses", "my_licenses_automatic"]
)
def test_query_count_independent_of_members(client, page):
    automatic = AutomaticLicenseTypeFactory()
    automatic.includes.add(LicenseTypeFactory())
    counted = []
    for member_count in (5, 200):
        administrator, member, automatic_only, holding = build_organization(
            member_count
        )
        user, url = {
            "settings": (administrator, SETTINGS_URL),
            "settings_open_card": (administrator, f"{SETTINGS_URL}?open={holding.pk}"),
            "my_licenses": (member, MY_LICENSES_URL),
            "my_licenses_automatic": (automatic_only, MY_LICENSES_URL),
        }[page]
        counted.append(count_queries(client, user, url))

    small, large = counted
    assert len(small) == len(large), "\n".join(large)


@pytest.mark.parametrize("search", ["ada\x00", "\x00"])
def test_member_choices_handles_null_character(administrator_client, holding, search):
    response = administrator_client.get(
        member_choices_url(holding), {"q": search}, headers=HTMX
    )

    assert response.status_code in (200, 400), response.content.decode()


def test_settings_handles_null_character_search(administrator_client, holding):
    response = administrator_client.get(
        SETTINGS_URL, {"open": holding.pk, "q": "ada\x00"}
    )

    assert response.status_code in (200, 400), response.content.decode()


def test_seat_change_drops_null_character_from_search(
    administrator_client, holding, organization
):
    member = UserFactory(organization=organization)

    response = administrator_client.post(
        assign_url(holding), {"member": member.pk, "q": "ada\x00"}, headers=HTMX
    )

    assert response.status_code == 200, response.content.decode()
    assert in_use(holding) == 3
    assert 'name="q" value="ada"' in response.content.decode()
