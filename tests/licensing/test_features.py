"""The apps behind /apps/<feature>/ and the main navigation, which show each
app only to members whose licenses grant its capability."""

import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from licensing.capabilities import may_use
from licensing.models import Holding, LicenseType
from licensing.services import (
    assign_license,
    assign_license_to_members,
    remove_license,
)
from licensing.views.features import FEATURES
from tests.factories import (
    AdministratorFactory,
    AssignmentFactory,
    OrganizationFactory,
    SupportStaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MY_LICENSES_URL = reverse("licensing:my_licenses")

# Each app, the catalog type that opens it and the capability that type gives.
GATED = [
    ("huddle", "huddle", "video-meetings"),
    ("receptionist-console", "rcon", "receptionist-console"),
    ("fax", "virtual-fax", "fax"),
    ("call-queues", "call-queue-agent", "queue-agent"),
    ("ai", "ai-assistant", "ai-meeting-summaries"),
]
ALL_FEATURES = ["huddle", "receptionist-console", "fax", "call-queues", "ai"]
# The catalog's types that give each app's capability, as the denied page
# names them.
NEEDED_LICENSES = {
    "huddle": "Huddle Video Conference",
    "receptionist-console": "RCon (Receptionist Console)",
    "fax": "Virtual Fax",
    "call-queues": "Call Queue – Agent or Call Queue – Supervisor",
    "ai": "AI Assistant",
}


@pytest.fixture
def catalog(db):
    """The license types of fixtures/catalog.json, by slug."""
    call_command("loaddata", "catalog", verbosity=0)
    return {
        license_type.slug: license_type for license_type in LicenseType.objects.all()
    }


@pytest.fixture
def in_ai_rollout(catalog, organization):
    """Put the organization, in Canada, in the AI Assistant rollout."""
    catalog["ai-assistant"].rollout_organizations.add(organization)


@pytest.fixture
def grace(organization):
    return AdministratorFactory(
        organization=organization,
        full_name="Grace Hopper",
        email="grace.hopper@example.com",
    )


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def feature_url(slug):
    return reverse("licensing:feature", args=[slug])


def holding_of(organization, license_type):
    holding, _ = Holding.objects.get_or_create(
        organization=organization, license_type=license_type, defaults={"quantity": 10}
    )
    return holding


def give(member, license_type):
    holding = holding_of(member.organization, license_type)
    AssignmentFactory(holding=holding, member=member)
    return holding


def navigation_features(response):
    """Return the app slugs that the main navigation links to, in page order."""
    content = response.content.decode()
    nav = re.search(r'<nav aria-label="Main".*?</nav>', content, re.DOTALL)
    assert nav, f"No main navigation in:\n{content}"
    prefix = re.escape(feature_url("slug").removesuffix("slug/"))
    return re.findall(rf'href="{prefix}([^/"]+)/"', nav.group())


def test_gated_table_matches_features():
    assert [slug for slug, _, _ in GATED] == list(FEATURES)
    for slug, _, capability in GATED:
        assert FEATURES[slug].capability == capability


# Gated pages


@pytest.mark.parametrize(("feature", "license_slug", "capability"), GATED)
def test_feature_page_opens_with_license(
    catalog, in_ai_rollout, member, feature, license_slug, capability
):
    give(member, catalog[license_slug])

    response = signed_in(member).get(feature_url(feature))

    assert response.status_code == 200, response.content.decode()
    assertContains(response, f'<h1 class="h3">{FEATURES[feature].title}</h1>')
    for offer in FEATURES[feature].offers:
        assertContains(response, f"<li>{offer}</li>", html=True)
    assertNotContains(response, "which you do not hold")
    assert may_use(member, capability)


@pytest.mark.parametrize(("feature", "license_slug", "capability"), GATED)
def test_feature_denied_names_administrators(
    catalog,
    in_ai_rollout,
    organization,
    member,
    grace,
    feature,
    license_slug,
    capability,
):
    AdministratorFactory(
        organization=organization, full_name="Inactive Admin", is_active=False
    )
    AdministratorFactory(full_name="Foreign Admin")
    others = [slug for slug, _, _ in GATED if slug != feature]
    for other_feature, other_license, _ in GATED:
        if other_feature != feature:
            give(member, catalog[other_license])

    response = signed_in(member).get(feature_url(feature))

    assert response.status_code == 403, response.content.decode()
    assertContains(
        response,
        f"{FEATURES[feature].title} needs the {NEEDED_LICENSES[feature]} "
        "license, which you do not hold.",
        status_code=403,
    )
    assertContains(response, "Grace Hopper", status_code=403)
    assertContains(response, 'href="mailto:grace.hopper@example.com"', status_code=403)
    assertNotContains(response, "Inactive Admin", status_code=403)
    assertNotContains(response, "Foreign Admin", status_code=403)
    assert not may_use(member, capability)
    assert navigation_features(response) == others


def test_feature_denied_without_administrators(catalog, member):
    response = signed_in(member).get(feature_url("fax"))

    assert response.status_code == 403, response.content.decode()
    assertContains(
        response,
        "Your organization has no administrator yet: contact your provider's support.",
        status_code=403,
    )


def test_feature_denied_administrator_is_sent_to_the_card(catalog, grace):
    AdministratorFactory(organization=grace.organization, full_name="Ada Lovelace")
    holding = holding_of(grace.organization, catalog["virtual-fax"])

    response = signed_in(grace).get(feature_url("fax"))

    assert response.status_code == 403, response.content.decode()
    assertContains(
        response, "As an administrator, you can assign it to yourself.", status_code=403
    )
    assertContains(
        response,
        f'href="/settings/licenses/?open={holding.pk}#license-virtual-fax"',
        status_code=403,
    )
    # Another administrator is not whom she has to ask.
    assertNotContains(response, "Ada Lovelace", status_code=403)
    assertNotContains(response, "mailto:", status_code=403)


def test_feature_denied_administrator_links_first_granting_card(catalog, grace):
    supervisor = holding_of(grace.organization, catalog["call-queue-supervisor"])
    agent = holding_of(grace.organization, catalog["call-queue-agent"])

    response = signed_in(grace).get(feature_url("call-queues"))

    first = min((agent, supervisor), key=lambda holding: holding.license_type.position)
    assertContains(
        response,
        f"Open {first.license_type.name} in Settings > Licenses",
        status_code=403,
    )


def test_feature_denied_administrator_without_holding(catalog, grace):
    response = signed_in(grace).get(feature_url("fax"))

    assert response.status_code == 403, response.content.decode()
    assertContains(
        response,
        "Your organization holds no seats of Virtual Fax: contact your provider's "
        "support to buy some.",
        status_code=403,
    )
    assertNotContains(response, "/settings/licenses/?open=", status_code=403)


def test_denied_administrator_full_holding(catalog, grace):
    holding = holding_of(grace.organization, catalog["virtual-fax"])
    AssignmentFactory.create_batch(holding.quantity, holding=holding)

    response = signed_in(grace).get(feature_url("fax"))

    assertContains(
        response,
        "All seats of Virtual Fax are in use: remove it from a member to free one "
        "for yourself.",
        status_code=403,
    )
    assertContains(
        response,
        f'href="/settings/licenses/?open={holding.pk}#license-virtual-fax"',
        status_code=403,
    )
    assertNotContains(response, "you can assign it to yourself", status_code=403)


def test_denied_administrator_card_with_seat(catalog, grace):
    agent = holding_of(grace.organization, catalog["call-queue-agent"])
    AssignmentFactory.create_batch(agent.quantity, holding=agent)
    supervisor = holding_of(grace.organization, catalog["call-queue-supervisor"])

    response = signed_in(grace).get(feature_url("call-queues"))

    assertContains(
        response, "As an administrator, you can assign it to yourself.", status_code=403
    )
    assertContains(
        response, f"/settings/licenses/?open={supervisor.pk}#", status_code=403
    )
    assertNotContains(response, f"?open={agent.pk}#", status_code=403)


@pytest.mark.parametrize("viewer", ["grace", "member"])
def test_feature_denied_outside_rollout_says_so(catalog, grace, member, viewer):
    holding_of(grace.organization, catalog["ai-assistant"])

    response = signed_in({"grace": grace, "member": member}[viewer]).get(
        feature_url("ai")
    )

    assertContains(
        response,
        "Not yet available for your organization: AI Assistant cannot be assigned.",
        status_code=403,
    )
    assertNotContains(response, "/settings/licenses/?open=", status_code=403)
    assertNotContains(response, "mailto:", status_code=403)
    assertNotContains(response, "to buy some", status_code=403)


def test_feature_denied_support_staff_hold_no_licenses(catalog):
    response = signed_in(SupportStaffFactory()).get(feature_url("fax"))

    assertContains(
        response,
        "Support staff belong to no organization, so they hold no licenses.",
        status_code=403,
    )
    assertNotContains(response, "no administrator yet", status_code=403)


def test_call_queues_open_with_supervisor(catalog, member):
    give(member, catalog["call-queue-supervisor"])

    response = signed_in(member).get(feature_url("call-queues"))

    assert response.status_code == 200, response.content.decode()
    assert navigation_features(response) == ["call-queues"]


def test_call_queues_need_more_than_professional(catalog, member):
    give(member, catalog["ultimate"])

    response = signed_in(member).get(feature_url("call-queues"))

    assert response.status_code == 403, response.content.decode()
    assert navigation_features(response) == []


def test_ai_page_needs_rollout(catalog, organization, member, grace):
    give(member, catalog["ai-assistant"])
    client = signed_in(member)

    before = client.get(feature_url("ai"))
    catalog["ai-assistant"].rollout_organizations.add(organization)
    after = client.get(feature_url("ai"))

    assert before.status_code == 403, before.content.decode()
    # He holds it already: asking an administrator would not help.
    assertContains(before, "AI needs AI Assistant, which you hold.", status_code=403)
    assertContains(
        before,
        "Not yet available for your organization: it gives you nothing for now.",
        status_code=403,
    )
    assertNotContains(before, "Grace Hopper", status_code=403)
    assert navigation_features(before) == []
    assert after.status_code == 200, after.content.decode()
    assert navigation_features(after) == ["ai"]


def test_ai_page_closed_outside_region(catalog):
    organization = OrganizationFactory(region="DE")
    catalog["ai-assistant"].rollout_organizations.add(organization)
    member = UserFactory(organization=organization)
    give(member, catalog["ai-assistant"])

    response = signed_in(member).get(feature_url("ai"))

    assert response.status_code == 403, response.content.decode()
    assert navigation_features(response) == []


@pytest.mark.parametrize("slug", ["chat", "Fax", "huddle-video", "call-queue"])
def test_unknown_feature_is_not_found(catalog, member, slug):
    give(member, catalog["virtual-fax"])

    response = signed_in(member).get(feature_url(slug))

    assertContains(response, f"App “{slug}” was not found.", status_code=404)


def test_feature_page_rejects_post(catalog, member):
    give(member, catalog["virtual-fax"])

    response = signed_in(member).post(feature_url("fax"))

    assert response.status_code == 405, response.content.decode()


def test_feature_page_requires_sign_in(client, catalog):
    response = client.get(feature_url("fax"))

    assert response.status_code == 302, response.content.decode()
    assert response.url.startswith(reverse("login"))


def test_support_staff_get_no_app(catalog):
    client = signed_in(SupportStaffFactory())

    response = client.get(feature_url("huddle"))

    assert response.status_code == 403, response.content.decode()
    assert response.context["feature_links"] == []


# Main navigation


def test_navigation_lists_only_usable_apps(catalog, member):
    give(member, catalog["virtual-fax"])
    give(member, catalog["huddle"])

    response = signed_in(member).get(MY_LICENSES_URL)

    assert response.status_code == 200, response.content.decode()
    assert navigation_features(response) == ["huddle", "fax"]


def test_navigation_without_licenses_lists_no_app(catalog, member):
    response = signed_in(member).get(MY_LICENSES_URL)

    assert navigation_features(response) == []
    assert response.context["feature_links"] == []


def test_navigation_lists_every_app_in_order(catalog, in_ai_rollout, member):
    for _, license_slug, _ in GATED:
        give(member, catalog[license_slug])

    response = signed_in(member).get(MY_LICENSES_URL)

    assert navigation_features(response) == ALL_FEATURES


def test_navigation_marks_current_app(catalog, member):
    give(member, catalog["virtual-fax"])
    give(member, catalog["huddle"])

    response = signed_in(member).get(feature_url("fax"))

    assertContains(
        response,
        f'<a class="nav-link active" aria-current="page" href="{feature_url("fax")}">'
        "Fax</a>",
        html=True,
    )
    assertContains(
        response,
        f'<a class="nav-link" href="{feature_url("huddle")}">Huddle</a>',
        html=True,
    )


def test_administrator_navigation_follows_own_licenses(catalog, organization, grace):
    give(grace, catalog["huddle"])

    response = signed_in(grace).get(MY_LICENSES_URL)

    assert navigation_features(response) == ["huddle"]
    assertContains(response, f'href="{reverse("licensing:settings")}"')


def test_navigation_ignores_colleagues_licenses(catalog, organization, member):
    colleague = UserFactory(organization=organization)
    give(colleague, catalog["virtual-fax"])

    response = signed_in(member).get(MY_LICENSES_URL)

    assert navigation_features(response) == []


# The next request after a change


def test_settings_assign_and_remove_change_next_request(
    catalog, organization, member, grace
):
    holding = holding_of(organization, catalog["virtual-fax"])
    administrator = signed_in(grace)
    client = signed_in(member)

    closed = client.get(feature_url("fax"))
    assigned = administrator.post(
        reverse("licensing:assign", args=[holding.pk]), {"member": member.pk}
    )
    opened = client.get(feature_url("fax"))
    removed = administrator.post(
        reverse("licensing:remove", args=[holding.pk]), {"member": member.pk}
    )
    closed_again = client.get(feature_url("fax"))

    assert closed.status_code == 403, closed.content.decode()
    assert assigned.status_code == 302, assigned.content.decode()
    assert opened.status_code == 200, opened.content.decode()
    assert navigation_features(opened) == ["fax"]
    assert removed.status_code == 302, removed.content.decode()
    assert closed_again.status_code == 403, closed_again.content.decode()
    assert navigation_features(closed_again) == []


def test_member_panel_switch_changes_next_request(catalog, organization, member, grace):
    holding = holding_of(organization, catalog["huddle"])
    administrator = signed_in(grace)
    client = signed_in(member)
    url = reverse("licensing:change_member_license", args=[member.pk])

    administrator.post(url, {"holding": holding.pk, "assigned": "on"})
    opened = client.get(feature_url("huddle"))
    administrator.post(url, {"holding": holding.pk})
    closed = client.get(feature_url("huddle"))

    assert opened.status_code == 200, opened.content.decode()
    assert navigation_features(opened) == ["huddle"]
    assert closed.status_code == 403, closed.content.decode()
    assert navigation_features(closed) == []


def test_service_assign_and_remove_change_next_request(
    catalog, organization, member, grace
):
    holding = holding_of(organization, catalog["rcon"])
    client = signed_in(member)

    assign_license(holding=holding, member=member, acting_user=grace)
    opened = client.get(feature_url("receptionist-console"))
    remove_license(holding=holding, member=member, acting_user=grace)
    closed = client.get(feature_url("receptionist-console"))

    assert opened.status_code == 200, opened.content.decode()
    assert navigation_features(opened) == ["receptionist-console"]
    assert closed.status_code == 403, closed.content.decode()
    assert navigation_features(closed) == []


def test_bulk_assign_changes_next_request(catalog, organization, member, grace):
    holding = holding_of(organization, catalog["call-queue-agent"])
    client = signed_in(member)

    assign_license_to_members(holding=holding, members=[member], acting_user=grace)
    response = client.get(feature_url("call-queues"))

    assert response.status_code == 200, response.content.decode()
    assert navigation_features(response) == ["call-queues"]


# Profile > Licenses: what each held type lets the member use


def test_my_licenses_lists_capabilities_with_sources(catalog, member):
    give(member, catalog["call-queue-supervisor"])

    response = signed_in(member).get(MY_LICENSES_URL)

    assert response.status_code == 200, response.content.decode()
    assertContains(
        response,
        '<li>Call queue agent <span class="text-body-secondary small">'
        "(included with Call Queue – Supervisor)</span></li>",
        html=True,
    )
    assertContains(
        response,
        '<li>Call queue supervision <span class="text-body-secondary small">'
        "(from Call Queue – Supervisor)</span></li>",
        html=True,
    )
    assertContains(
        response,
        '<li>Phone system account <span class="text-body-secondary small">'
        "(automatic for every member)</span></li>",
        html=True,
    )


def test_feature_denied_names_licenses_in_french(catalog, member):
    response = signed_in(member).get(
        feature_url("fax"), headers={"Accept-Language": "fr-CA"}
    )

    assert response.status_code == 403, response.content.decode()
    content = response.content.decode()
    assert catalog["virtual-fax"].name_fr in content
    assert "Virtual Fax" not in content
