"""Where a license type may be assigned: region limits and rollouts in the
service, the Django admin and the portal; and the warnings when few or no
seats remain."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from licensing.capabilities import may_use
from licensing.models import Event, Holding, LicenseType
from licensing.services import (
    LicensingError,
    assign_license,
    assign_license_to_members,
    remove_license,
    set_low_seat_threshold,
)
from tests.admin_forms import action_data, admin_form_data, messages_of
from tests.factories import (
    AdministratorFactory,
    AssignmentFactory,
    HoldingFactory,
    LicenseTypeFactory,
    OrganizationFactory,
    SupportStaffFactory,
    SupportUserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
SETTINGS_URL = reverse("licensing:organization_licenses")
MEMBERS_URL = reverse("licensing:members")
ASSIGNMENT_ADD_URL = reverse("admin:licensing_assignment_add")
USER_CHANGELIST_URL = reverse("admin:accounts_user_changelist")

NOT_IN_REGION = "Not available in your region"
NOT_IN_ROLLOUT = "Not yet available for your organization"


@pytest.fixture
def catalog(db):
    """The license types of fixtures/catalog.json, by slug."""
    call_command("loaddata", "catalog", verbosity=0)
    return {
        license_type.slug: license_type for license_type in LicenseType.objects.all()
    }


@pytest.fixture
def ai_assistant(catalog):
    """AI Assistant: sold in Canada and the United States, during a rollout."""
    return catalog["ai-assistant"]


@pytest.fixture
def german_organization():
    return OrganizationFactory(name="Acme GmbH", region="DE")


@pytest.fixture
def canadian_organization():
    return OrganizationFactory(name="Acme Inc", region="CA")


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def holding_with(organization, license_type, *, quantity=10, in_use=0, **fields):
    holding = HoldingFactory(
        organization=organization,
        license_type=license_type,
        quantity=quantity,
        **fields,
    )
    AssignmentFactory.create_batch(in_use, holding=holding)
    return holding


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


def status_badges(card):
    return re.findall(r'<span class="license-status badge [^"]*">([^<]*)</span>', card)


def settings_menu_badges(response):
    """Return the badges beside Licenses in the Settings menu."""
    content = response.content.decode()
    nav = re.search(
        r'<nav class="col-md-3" aria-label="Settings">.*?</nav>', content, re.DOTALL
    )
    assert nav, f"No Settings menu in:\n{content}"
    return re.findall(r'<span class="badge [^"]*">([^<]*)</span>', nav.group())


def assert_unchanged(holding):
    assert not holding.assignments.exists()
    assert not Event.objects.exists()


# Region and rollout in the service


def test_assign_out_of_region_raises(ai_assistant, german_organization):
    ai_assistant.rollout_organizations.add(german_organization)
    holding = holding_with(german_organization, ai_assistant)
    member = UserFactory(organization=german_organization)
    administrator = AdministratorFactory(organization=german_organization)

    with pytest.raises(LicensingError) as raised:
        assign_license(holding=holding, member=member, acting_user=administrator)

    assert str(raised.value) == (
        "AI Assistant is not available in Germany, where Acme GmbH is. "
        "Nothing was changed."
    )
    assert_unchanged(holding)


def test_assign_outside_rollout_raises(ai_assistant, canadian_organization):
    holding = holding_with(canadian_organization, ai_assistant)
    member = UserFactory(organization=canadian_organization)
    administrator = AdministratorFactory(organization=canadian_organization)

    with pytest.raises(LicensingError) as raised:
        assign_license(holding=holding, member=member, acting_user=administrator)

    assert str(raised.value) == (
        "AI Assistant is not yet available for Acme Inc: it is still being rolled "
        "out. Nothing was changed."
    )
    assert_unchanged(holding)


def test_assign_inside_rollout_succeeds(ai_assistant, canadian_organization):
    ai_assistant.rollout_organizations.add(canadian_organization)
    holding = holding_with(canadian_organization, ai_assistant)
    member = UserFactory(organization=canadian_organization)
    administrator = AdministratorFactory(organization=canadian_organization)

    assign_license(holding=holding, member=member, acting_user=administrator)

    assert holding.assignments.filter(member=member).exists()
    assert may_use(member, "ai-call-insights")


def test_assign_by_command_outside_rollout_raises(ai_assistant, canadian_organization):
    holding = holding_with(canadian_organization, ai_assistant)
    member = UserFactory(organization=canadian_organization)

    with pytest.raises(LicensingError, match="not yet available for Acme Inc"):
        assign_license(
            holding=holding,
            member=member,
            acting_user=None,
            source=Event.Source.COMMAND,
        )

    assert_unchanged(holding)


@pytest.mark.parametrize(
    ("organization_fixture", "in_rollout", "message"),
    [
        (
            "german_organization",
            True,
            "AI Assistant is not available in Germany, where Acme GmbH is. "
            "Nothing was changed.",
        ),
        (
            "canadian_organization",
            False,
            "AI Assistant is not yet available for Acme Inc: it is still being "
            "rolled out. Nothing was changed.",
        ),
    ],
)
def test_bulk_assign_unavailable_type_raises(
    request, ai_assistant, organization_fixture, in_rollout, message
):
    organization = request.getfixturevalue(organization_fixture)
    if in_rollout:
        ai_assistant.rollout_organizations.add(organization)
    holding = holding_with(organization, ai_assistant)
    members = UserFactory.create_batch(2, organization=organization)
    administrator = AdministratorFactory(organization=organization)

    with pytest.raises(LicensingError) as raised:
        assign_license_to_members(
            holding=holding, members=members, acting_user=administrator
        )

    assert str(raised.value) == message
    assert_unchanged(holding)


def test_region_limit_on_custom_type(organization, administrator, member):
    us_only = LicenseTypeFactory(name="US Calling", regions=["US"])
    holding = holding_with(organization, us_only)

    with pytest.raises(LicensingError) as raised:
        assign_license(holding=holding, member=member, acting_user=administrator)

    assert str(raised.value).startswith("US Calling is not available in Canada, where")
    assert_unchanged(holding)


def test_unavailable_type_can_still_be_removed(ai_assistant, canadian_organization):
    holding = holding_with(canadian_organization, ai_assistant)
    member = UserFactory(organization=canadian_organization)
    AssignmentFactory(holding=holding, member=member)
    administrator = AdministratorFactory(organization=canadian_organization)

    remove_license(holding=holding, member=member, acting_user=administrator)

    assert not holding.assignments.exists()
    assert Event.objects.get().action == Event.Action.REMOVED


# Region and rollout in the Django admin


def test_admin_assignment_add_out_of_region(
    support_client, ai_assistant, german_organization
):
    ai_assistant.rollout_organizations.add(german_organization)
    holding = holding_with(german_organization, ai_assistant)
    member = UserFactory(organization=german_organization)

    response = support_client.post(
        f"{ASSIGNMENT_ADD_URL}?holding={holding.pk}",
        {"holding": holding.pk, "member": member.pk},
    )

    assert response.status_code == 200, response.content.decode()
    assert response.context["adminform"].form.errors["member"] == [
        "AI Assistant is not available in Germany, where Acme GmbH is. "
        "Nothing was changed."
    ]
    assert_unchanged(holding)


def test_admin_assignment_add_outside_rollout(
    support_client, ai_assistant, canadian_organization
):
    holding = holding_with(canadian_organization, ai_assistant)
    member = UserFactory(organization=canadian_organization)

    response = support_client.post(
        f"{ASSIGNMENT_ADD_URL}?holding={holding.pk}",
        {"holding": holding.pk, "member": member.pk},
    )

    assert response.status_code == 200, response.content.decode()
    assertContains(
        response,
        "AI Assistant is not yet available for Acme Inc: it is still being rolled "
        "out. Nothing was changed.",
    )
    assert_unchanged(holding)


def test_admin_user_action_outside_rollout(
    support_client, ai_assistant, canadian_organization
):
    holding = holding_with(canadian_organization, ai_assistant)
    members = UserFactory.create_batch(2, organization=canadian_organization)

    response = support_client.post(
        USER_CHANGELIST_URL,
        action_data("assign_license_type", members, license_type=ai_assistant.pk),
        follow=True,
    )

    assert response.status_code == 200, response.content.decode()
    assert messages_of(response) == [
        "AI Assistant is not yet available for Acme Inc: it is still being rolled "
        "out. Nothing was changed."
    ]
    assert_unchanged(holding)


def test_admin_user_action_out_of_region(
    support_client, ai_assistant, german_organization
):
    ai_assistant.rollout_organizations.add(german_organization)
    holding = holding_with(german_organization, ai_assistant)
    members = UserFactory.create_batch(2, organization=german_organization)

    response = support_client.post(
        USER_CHANGELIST_URL,
        action_data("assign_license_type", members, license_type=ai_assistant.pk),
        follow=True,
    )

    assert messages_of(response) == [
        "AI Assistant is not available in Germany, where Acme GmbH is. "
        "Nothing was changed."
    ]
    assert_unchanged(holding)


def license_type_change_url(license_type):
    return reverse("admin:licensing_licensetype_change", args=[license_type.pk])


def test_admin_rollout_change_takes_effect(
    support_client, ai_assistant, canadian_organization
):
    member = UserFactory(organization=canadian_organization)
    holding = holding_with(canadian_organization, ai_assistant)
    AssignmentFactory(holding=holding, member=member)
    url = license_type_change_url(ai_assistant)
    data = admin_form_data(support_client.get(url))
    data["rollout_organizations"] = [str(canadian_organization.pk)]

    response = support_client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    assert list(ai_assistant.rollout_organizations.all()) == [canadian_organization]
    assert may_use(member, "ai-meeting-summaries")
    assert (
        signed_in(member).get(reverse("licensing:feature", args=["ai"])).status_code
        == 200
    )


def test_admin_region_change_takes_effect(support_client, catalog, organization):
    member = UserFactory(organization=organization)
    fax = catalog["virtual-fax"]
    AssignmentFactory(holding=holding_with(organization, fax), member=member)
    url = license_type_change_url(fax)
    data = admin_form_data(support_client.get(url))
    data["regions"] = ["US", "GB"]

    response = support_client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    fax.refresh_from_db()
    assert [country.code for country in fax.regions] == ["GB", "US"]
    assert not may_use(member, "fax")


def test_admin_license_type_page_shows_availability(support_client, ai_assistant):
    response = support_client.get(license_type_change_url(ai_assistant))

    assert response.status_code == 200, response.content.decode()
    form = response.context["adminform"].form
    assert {"regions", "requires_rollout", "rollout_organizations"} <= set(form.fields)
    assertContains(response, "Availability")


# Region and rollout in the portal


@pytest.fixture
def canadian_administrator(canadian_organization):
    return AdministratorFactory(organization=canadian_organization)


@pytest.fixture
def canadian_client(canadian_administrator):
    return signed_in(canadian_administrator)


def test_settings_card_outside_rollout(
    canadian_client, catalog, ai_assistant, canadian_organization
):
    ai_holding = holding_with(canadian_organization, ai_assistant)
    fax_holding = holding_with(canadian_organization, catalog["virtual-fax"])

    response = canadian_client.get(SETTINGS_URL, {"open": ai_holding.pk})

    assert response.status_code == 200, response.content.decode()
    ai_card = card_html(response.content.decode(), ai_assistant)
    assert status_badges(ai_card) == [NOT_IN_ROLLOUT]
    assert f"{NOT_IN_ROLLOUT}: AI Assistant cannot be assigned." in ai_card
    assert 'aria-label="Assign AI Assistant"' not in ai_card
    assert "/assign/" not in ai_card
    response = canadian_client.get(SETTINGS_URL, {"open": fax_holding.pk})
    fax_card = card_html(response.content.decode(), catalog["virtual-fax"])
    assert status_badges(fax_card) == []
    assert 'aria-label="Assign Virtual Fax"' in fax_card


def test_settings_card_out_of_region(catalog, ai_assistant, german_organization):
    ai_assistant.rollout_organizations.add(german_organization)
    holding = holding_with(german_organization, ai_assistant)
    client = signed_in(AdministratorFactory(organization=german_organization))

    response = client.get(SETTINGS_URL, {"open": holding.pk})

    ai_card = card_html(response.content.decode(), ai_assistant)
    assert status_badges(ai_card) == [NOT_IN_REGION]
    assert f"{NOT_IN_REGION}: AI Assistant cannot be assigned." in ai_card
    assert 'aria-label="Assign AI Assistant"' not in ai_card


def test_settings_card_inside_rollout_offers_assign(
    canadian_client, ai_assistant, canadian_organization
):
    ai_assistant.rollout_organizations.add(canadian_organization)
    holding = holding_with(canadian_organization, ai_assistant)

    response = canadian_client.get(SETTINGS_URL, {"open": holding.pk})

    ai_card = card_html(response.content.decode(), ai_assistant)
    assert status_badges(ai_card) == []
    assert 'aria-label="Assign AI Assistant"' in ai_card


def test_settings_card_shows_reason_before_seat_state(
    canadian_client, ai_assistant, canadian_organization
):
    holding_with(canadian_organization, ai_assistant, quantity=2, in_use=2)

    response = canadian_client.get(SETTINGS_URL)

    ai_card = card_html(response.content.decode(), ai_assistant)
    assert status_badges(ai_card) == [NOT_IN_ROLLOUT]


def test_unavailable_card_keeps_remove(
    canadian_client, ai_assistant, canadian_organization
):
    holding = holding_with(canadian_organization, ai_assistant)
    member = UserFactory(organization=canadian_organization, full_name="Ada Lovelace")
    AssignmentFactory(holding=holding, member=member)

    response = canadian_client.get(SETTINGS_URL, {"open": holding.pk})

    ai_card = card_html(response.content.decode(), ai_assistant)
    assert 'aria-label="Remove AI Assistant from Ada Lovelace"' in ai_card


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_raw_assign_outside_rollout_rejected(
    canadian_client, ai_assistant, canadian_organization, headers
):
    holding = holding_with(canadian_organization, ai_assistant)
    member = UserFactory(organization=canadian_organization)

    response = canadian_client.post(
        reverse("licensing:assign", args=[holding.pk]),
        {"member": member.pk},
        headers=headers,
    )

    assert response.status_code == 409, response.content.decode()
    assertContains(
        response,
        "AI Assistant is not yet available for Acme Inc: it is still being rolled "
        "out. Nothing was changed.",
        status_code=409,
    )
    assertNotContains(response, 'name="confirm"', status_code=409)
    assert_unchanged(holding)


def test_raw_assign_out_of_region_rejected(ai_assistant, german_organization):
    ai_assistant.rollout_organizations.add(german_organization)
    holding = holding_with(german_organization, ai_assistant)
    member = UserFactory(organization=german_organization)
    client = signed_in(AdministratorFactory(organization=german_organization))

    response = client.post(
        reverse("licensing:assign", args=[holding.pk]),
        {"member": member.pk, "confirm": "redundant"},
        headers=HTMX,
    )

    assert response.status_code == 409, response.content.decode()
    assertContains(
        response,
        "AI Assistant is not available in Germany, where Acme GmbH is.",
        status_code=409,
    )
    assert_unchanged(holding)


def test_member_panel_outside_rollout_rejected(
    canadian_client, ai_assistant, canadian_organization
):
    holding = holding_with(canadian_organization, ai_assistant)
    member = UserFactory(organization=canadian_organization)

    response = canadian_client.post(
        reverse("licensing:change_member_license", args=[member.pk]),
        {"holding": holding.pk, "assigned": "on"},
        headers=HTMX,
    )

    assert response.status_code == 409, response.content.decode()
    assertContains(response, "not yet available for Acme Inc", status_code=409)
    assert_unchanged(holding)


def test_bulk_assign_outside_rollout_is_rejected(
    canadian_client, ai_assistant, canadian_organization
):
    holding = holding_with(canadian_organization, ai_assistant)
    members = UserFactory.create_batch(2, organization=canadian_organization)

    response = canadian_client.post(
        reverse("licensing:bulk_change"),
        {
            "action": "assign",
            "holding": holding.pk,
            "member": [member.pk for member in members],
        },
        headers=HTMX,
    )

    assert response.status_code == 409, response.content.decode()
    assertContains(response, "not yet available for Acme Inc", status_code=409)
    assert_unchanged(holding)


def test_my_licenses_explains_unavailable_type(ai_assistant, canadian_organization):
    member = UserFactory(organization=canadian_organization)
    holding = holding_with(canadian_organization, ai_assistant)
    AssignmentFactory(holding=holding, member=member)

    response = signed_in(member).get(reverse("licensing:my_licenses"))

    assert response.status_code == 200, response.content.decode()
    assertContains(response, f"{NOT_IN_ROLLOUT}: it gives you nothing for now.")
    assertNotContains(response, "AI meeting summaries")


# Seats left: card warnings


@pytest.mark.parametrize(
    ("quantity", "in_use", "threshold", "expected"),
    [
        (5, 3, 2, ["Few seats left"]),
        (5, 4, 2, ["Few seats left"]),
        (5, 2, 2, []),
        (5, 5, 2, ["No seats left"]),
        (5, 4, 0, []),
        (5, 4, 1, ["Few seats left"]),
        (0, 0, 2, ["No seats left"]),
        (None, 3, 2, []),
    ],
)
def test_settings_card_seat_warning(
    administrator_client, organization, quantity, in_use, threshold, expected
):
    license_type = LicenseTypeFactory(name="Virtual Fax")
    holding_with(
        organization,
        license_type,
        quantity=quantity,
        in_use=in_use,
        low_seat_threshold=threshold,
    )

    response = administrator_client.get(SETTINGS_URL)

    assert response.status_code == 200, response.content.decode()
    card = card_html(response.content.decode(), license_type)
    assert status_badges(card) == expected


def test_settings_card_low_text(administrator_client, organization):
    license_type = LicenseTypeFactory(name="Virtual Fax")
    holding = holding_with(organization, license_type, quantity=5, in_use=3)

    response = administrator_client.get(SETTINGS_URL, {"open": holding.pk})

    card = card_html(response.content.decode(), license_type)
    assert "Only 2 seats left, at or below the warning level of 2." in card
    [card_state] = response.context["cards"]
    assert card_state.is_low
    assert not card_state.is_full


def test_settings_card_full_text(administrator_client, organization):
    license_type = LicenseTypeFactory(name="Virtual Fax")
    holding = holding_with(organization, license_type, quantity=5, in_use=5)

    response = administrator_client.get(SETTINGS_URL, {"open": holding.pk})

    card = card_html(response.content.decode(), license_type)
    assert (
        "All 5 seats in use. Remove Virtual Fax from a member to free a seat." in card
    )
    [card_state] = response.context["cards"]
    assert card_state.is_full
    assert not card_state.is_low
    # No member is offered: no search box and no Assign buttons.
    assert 'role="search"' not in card
    assert "Assign Virtual Fax to" not in card
    assert "choices" not in response.context


def test_settings_card_with_a_seat_left_offers_members(
    administrator_client, organization
):
    license_type = LicenseTypeFactory(name="Virtual Fax")
    holding = holding_with(organization, license_type, quantity=5, in_use=4)
    UserFactory(organization=organization, full_name="Alan Turing")

    response = administrator_client.get(SETTINGS_URL, {"open": holding.pk})

    card = card_html(response.content.decode(), license_type)
    assert 'role="search"' in card
    assert "Assign Virtual Fax to Alan Turing" in card


# Seats left: the Settings menu badge


@pytest.fixture
def alert_holdings(organization):
    """One full and two low holdings, one with room, one unlimited."""
    holding_with(organization, LicenseTypeFactory(), quantity=2, in_use=2)
    holding_with(organization, LicenseTypeFactory(), quantity=5, in_use=4)
    holding_with(
        organization, LicenseTypeFactory(), quantity=3, in_use=2, low_seat_threshold=1
    )
    holding_with(organization, LicenseTypeFactory(), quantity=10, in_use=1)
    holding_with(organization, LicenseTypeFactory(), quantity=None, in_use=4)
    holding_with(OrganizationFactory(), LicenseTypeFactory(), quantity=1, in_use=1)


@pytest.mark.parametrize(
    "url_name",
    [
        "licensing:organization_licenses",
        "licensing:members",
        "licensing:troubleshooting",
        "licensing:history",
    ],
)
def test_settings_menu_counts_full_and_low(
    administrator_client, alert_holdings, url_name
):
    response = administrator_client.get(reverse(url_name))

    assert response.status_code == 200, response.content.decode()
    assert settings_menu_badges(response) == ["1 full", "2 low"]


def test_settings_menu_without_alerts_has_no_badge(administrator_client, organization):
    holding_with(organization, LicenseTypeFactory(), quantity=10, in_use=1)

    response = administrator_client.get(SETTINGS_URL)

    assert settings_menu_badges(response) == []


def test_settings_menu_follows_assignments(administrator_client, organization):
    holding = holding_with(
        organization, LicenseTypeFactory(), quantity=3, in_use=1, low_seat_threshold=1
    )
    members = UserFactory.create_batch(2, organization=organization)
    assign_url = reverse("licensing:assign", args=[holding.pk])

    before = administrator_client.get(SETTINGS_URL)
    administrator_client.post(assign_url, {"member": members[0].pk})
    low = administrator_client.get(SETTINGS_URL)
    administrator_client.post(assign_url, {"member": members[1].pk})
    full = administrator_client.get(SETTINGS_URL)

    assert settings_menu_badges(before) == []
    assert settings_menu_badges(low) == ["1 low"]
    assert settings_menu_badges(full) == ["1 full"]


def test_members_see_no_settings_menu(member_client, alert_holdings):
    response = member_client.get(reverse("licensing:my_licenses"))

    assertNotContains(response, "1 full")
    assertNotContains(response, 'aria-label="Settings"')


# Seats left: set_low_seat_threshold


@pytest.fixture
def fax_holding(organization):
    return holding_with(
        organization, LicenseTypeFactory(name="Virtual Fax"), quantity=5
    )


def threshold_of(holding):
    return Holding.objects.get(pk=holding.pk).low_seat_threshold


def test_set_threshold_by_support_staff(support_user, fax_holding):
    set_low_seat_threshold(holding=fax_holding, threshold=4, acting_user=support_user)

    assert threshold_of(fax_holding) == 4
    assert not Event.objects.exists()


def test_set_threshold_zero_turns_warning_off(support_user, fax_holding):
    set_low_seat_threshold(holding=fax_holding, threshold=0, acting_user=support_user)

    assert threshold_of(fax_holding) == 0


def test_set_threshold_by_command(fax_holding):
    set_low_seat_threshold(
        holding=fax_holding,
        threshold=3,
        acting_user=None,
        source=Event.Source.COMMAND,
    )

    assert threshold_of(fax_holding) == 3


@pytest.mark.parametrize("threshold", [-1, -100])
def test_set_negative_threshold_is_rejected(support_user, fax_holding, threshold):
    with pytest.raises(LicensingError) as raised:
        set_low_seat_threshold(
            holding=fax_holding, threshold=threshold, acting_user=support_user
        )

    assert str(raised.value) == (
        f"The warning threshold {threshold} is invalid: enter 0 or more seats."
    )
    assert threshold_of(fax_holding) == 2


@pytest.mark.parametrize(
    "acting_user",
    [
        pytest.param(lambda organization: None, id="nobody"),
        pytest.param(
            lambda organization: AdministratorFactory(organization=organization),
            id="organization-administrator",
        ),
        pytest.param(
            lambda organization: UserFactory(organization=organization), id="member"
        ),
        pytest.param(
            lambda organization: SupportStaffFactory(),
            id="staff-without-holding-permission",
        ),
        pytest.param(
            lambda organization: SupportUserFactory(is_active=False),
            id="inactive-support",
        ),
    ],
)
def test_set_threshold_needs_permission(organization, fax_holding, acting_user):
    user = acting_user(organization)

    with pytest.raises(PermissionDenied):
        set_low_seat_threshold(holding=fax_holding, threshold=4, acting_user=user)

    assert threshold_of(fax_holding) == 2


def test_set_threshold_checks_permission_before_value(organization, fax_holding):
    administrator = AdministratorFactory(organization=organization)

    with pytest.raises(PermissionDenied):
        set_low_seat_threshold(
            holding=fax_holding, threshold=-1, acting_user=administrator
        )


def test_raised_threshold_shows_warning(
    administrator_client, support_user, organization
):
    license_type = LicenseTypeFactory(name="Virtual Fax")
    holding = holding_with(organization, license_type, quantity=5, in_use=2)

    before = administrator_client.get(SETTINGS_URL)
    set_low_seat_threshold(holding=holding, threshold=3, acting_user=support_user)
    after = administrator_client.get(SETTINGS_URL)

    assert status_badges(card_html(before.content.decode(), license_type)) == []
    assert status_badges(card_html(after.content.decode(), license_type)) == [
        "Few seats left"
    ]
    assert settings_menu_badges(after) == ["1 low"]


def test_admin_holding_form_sets_threshold(support_client, fax_holding):
    url = reverse("admin:licensing_holding_change", args=[fax_holding.pk])
    data = admin_form_data(support_client.get(url))
    data["low_seat_threshold"] = "4"

    response = support_client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    assert threshold_of(fax_holding) == 4
    assert not Event.objects.exists()


def test_admin_holding_form_rejects_negative_threshold(support_client, fax_holding):
    url = reverse("admin:licensing_holding_change", args=[fax_holding.pk])
    data = admin_form_data(support_client.get(url))
    data["low_seat_threshold"] = "-1"

    response = support_client.post(url, data)

    assert response.status_code == 200, response.content.decode()
    assert response.context["adminform"].form.errors["low_seat_threshold"]
    assert threshold_of(fax_holding) == 2


def test_htmx_assign_updates_settings_menu_badge(administrator_client, organization):
    """After an htmx change every count on the page must stay current, as
    _render_licenses promises, and the menu badge is one of them.
    """
    holding = holding_with(organization, LicenseTypeFactory(), quantity=2, in_use=1)
    member = UserFactory(organization=organization)

    response = administrator_client.post(
        reverse("licensing:assign", args=[holding.pk]),
        {"member": member.pk},
        headers=HTMX,
    )

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "1 full</span>")
