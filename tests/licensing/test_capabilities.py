"""What a member may use and through which license, what removing a license
takes away, and the warning when a new license would add nothing."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains

from licensing.capabilities import (
    NOT_IN_REGION,
    NOT_IN_ROLLOUT,
    Catalog,
    describe_removal,
    held_license_types,
    may_use,
    member_grants,
    removal_effect,
    unavailable_reason,
    usable_capabilities,
)
from licensing.models import Assignment, Capability, Event, Holding, LicenseType
from licensing.services import (
    LicensingError,
    RedundantLicense,
    assign_license,
    assign_license_to_members,
)
from tests.factories import (
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
SETTINGS_URL = reverse("licensing:organization_licenses")
ASSIGNMENT_ADD_URL = reverse("admin:licensing_assignment_add")

AGENT = "call-queue-agent"
SUPERVISOR = "call-queue-supervisor"
PROFESSIONAL = "professional"
ULTIMATE = "ultimate"


@pytest.fixture
def catalog(db):
    """The license types of fixtures/catalog.json, by slug."""
    call_command("loaddata", "catalog", verbosity=0)
    return {
        license_type.slug: license_type for license_type in LicenseType.objects.all()
    }


@pytest.fixture
def ada(organization):
    return UserFactory(organization=organization, full_name="Ada Lovelace")


def give(member, license_type, **holding_fields):
    """Seat `member` on their organization's holding of the type, creating it."""
    holding, _ = Holding.objects.get_or_create(
        organization=member.organization,
        license_type=license_type,
        defaults={"quantity": 10, **holding_fields},
    )
    AssignmentFactory(holding=holding, member=member)
    return holding


def capability(slug, name=None):
    return Capability.objects.create(slug=slug, name=name or slug.capitalize())


def grant_sources(member):
    """Each capability slug the member has, with the sorted sources of its grants."""
    sources = {}
    for grant in member_grants(member):
        sources.setdefault(grant.capability.slug, []).append(grant.source)
    return {slug: sorted(texts) for slug, texts in sources.items()}


def removal_names(member, removed):
    """The capability names lost and kept, each with its grant source when kept."""
    catalog = Catalog(member.organization)
    lost, kept = removal_effect(catalog, held_license_types(member), removed)
    return (
        [grant.capability.name for grant in lost],
        [(grant.capability.name, grant.source) for grant in kept],
    )


# may_use, member_grants and Catalog.grants


def test_may_use_capability_of_assigned_type(organization, member):
    fax = capability("fax", "Virtual fax")
    license_type = LicenseTypeFactory(name="Virtual Fax")
    license_type.capabilities.add(fax)
    give(member, license_type)
    colleague = UserFactory(organization=organization)

    assert may_use(member, "fax")
    assert not may_use(colleague, "fax")
    assert not may_use(member, "video-meetings")


def test_direct_grant_source_names_type(member):
    license_type = LicenseTypeFactory(name="Virtual Fax")
    license_type.capabilities.add(capability("fax"))
    give(member, license_type)

    [grant] = member_grants(member)

    assert grant.capability.slug == "fax"
    assert grant.license_type == license_type
    assert grant.held == license_type
    assert grant.source == "from Virtual Fax"


def test_usable_capabilities_lists_slugs(member):
    license_type = LicenseTypeFactory()
    license_type.capabilities.add(capability("fax"), capability("voicemail"))
    give(member, license_type)

    assert usable_capabilities(member) == {"fax", "voicemail"}


def test_includes_followed_through_chain_of_three(organization):
    top = LicenseTypeFactory(name="Top")
    middle = LicenseTypeFactory(name="Middle")
    bottom = LicenseTypeFactory(name="Bottom")
    top.capabilities.add(capability("top-feature"))
    middle.capabilities.add(capability("middle-feature"))
    bottom.capabilities.add(capability("bottom-feature"))
    top.includes.add(middle)
    middle.includes.add(bottom)
    top_holder = UserFactory(organization=organization)
    middle_holder = UserFactory(organization=organization)
    bottom_holder = UserFactory(organization=organization)
    give(top_holder, top)
    give(middle_holder, middle)
    give(bottom_holder, bottom)

    assert grant_sources(top_holder) == {
        "top-feature": ["from Top"],
        "middle-feature": ["included with Top"],
        "bottom-feature": ["included with Top"],
    }
    assert grant_sources(middle_holder) == {
        "middle-feature": ["from Middle"],
        "bottom-feature": ["included with Middle"],
    }
    assert grant_sources(bottom_holder) == {"bottom-feature": ["from Bottom"]}


def test_includes_cycle_grants_each_capability_once(member):
    first = LicenseTypeFactory(name="First")
    second = LicenseTypeFactory(name="Second")
    first.capabilities.add(capability("first-feature"))
    second.capabilities.add(capability("second-feature"))
    first.includes.add(second)
    second.includes.add(first)
    give(member, first)

    assert grant_sources(member) == {
        "first-feature": ["from First"],
        "second-feature": ["included with First"],
    }


def test_supervisor_includes_agent_in_catalog(catalog, ada):
    give(ada, catalog[SUPERVISOR])

    sources = grant_sources(ada)

    assert sources["queue-agent"] == ["included with Call Queue – Supervisor"]
    assert sources["queue-status"] == ["included with Call Queue – Supervisor"]
    assert sources["queue-supervision"] == ["from Call Queue – Supervisor"]
    assert sources["queue-metrics"] == ["from Call Queue – Supervisor"]
    assert may_use(ada, "queue-agent")


def test_agent_does_not_include_supervisor_in_catalog(catalog, ada):
    give(ada, catalog[AGENT])

    assert may_use(ada, "queue-agent")
    assert may_use(ada, "queue-status")
    assert not may_use(ada, "queue-supervision")
    assert not may_use(ada, "queue-metrics")


def test_holder_of_both_queue_types_has_two_grants(catalog, ada):
    give(ada, catalog[SUPERVISOR])
    give(ada, catalog[AGENT])

    assert grant_sources(ada)["queue-agent"] == [
        "from Call Queue – Agent",
        "included with Call Queue – Supervisor",
    ]


def test_ultimate_includes_professional_in_catalog(catalog, ada):
    give(ada, catalog[ULTIMATE])

    sources = grant_sources(ada)

    assert sources["voicemail"] == ["included with Ultimate"]
    assert sources["softphone"] == ["included with Ultimate"]
    assert sources["ultimate-calling"] == ["from Ultimate"]


def test_automatic_license_gives_every_member(catalog, organization):
    members = UserFactory.create_batch(2, organization=organization)
    outsider = UserFactory(organization=OrganizationFactory(region="DE"))

    for someone in [*members, outsider]:
        assert grant_sources(someone) == {
            "phone-system": ["automatic for every member"]
        }
    assert not Holding.objects.exists()


def test_automatic_factory_type_gives_every_member(member):
    automatic = AutomaticLicenseTypeFactory(name="PBX Account")
    automatic.capabilities.add(capability("phone-system"))

    [grant] = member_grants(member)

    assert grant.held == automatic
    assert grant.source == "automatic for every member"


def test_type_included_in_automatic_type_is_included(member):
    automatic = AutomaticLicenseTypeFactory(name="PBX Account")
    extra = LicenseTypeFactory(name="Voicemail Box")
    extra.capabilities.add(capability("voicemail"))
    automatic.includes.add(extra)

    assert grant_sources(member) == {"voicemail": ["included with PBX Account"]}


@pytest.mark.parametrize(
    ("organization_region", "type_regions", "expected"),
    [
        ("CA", ["US"], False),
        ("US", ["US"], True),
        ("CA", ["CA", "US"], True),
        ("DE", ["CA", "US"], False),
        ("DE", [], True),
    ],
)
def test_region_limit_decides_grant(organization_region, type_regions, expected):
    member = UserFactory(organization=OrganizationFactory(region=organization_region))
    license_type = LicenseTypeFactory(name="Regional", regions=type_regions)
    license_type.capabilities.add(capability("regional-feature"))
    give(member, license_type)

    assert may_use(member, "regional-feature") is expected


def test_region_limit_blocks_included_types_too(member):
    regional = LicenseTypeFactory(name="Regional", regions=["US"])
    included = LicenseTypeFactory(name="Anywhere")
    included.capabilities.add(capability("anywhere-feature"))
    regional.includes.add(included)
    give(member, regional)

    assert member.organization.region == "CA"
    assert member_grants(member) == []


@pytest.mark.parametrize("in_rollout", [True, False])
def test_rollout_decides_grant(organization, member, in_rollout):
    license_type = LicenseTypeFactory(name="Beta", requires_rollout=True)
    license_type.capabilities.add(capability("beta-feature"))
    give(member, license_type)
    if in_rollout:
        license_type.rollout_organizations.add(organization)
    license_type.rollout_organizations.add(OrganizationFactory())

    assert may_use(member, "beta-feature") is in_rollout


def test_rollout_list_ignored_without_requires_rollout(member):
    license_type = LicenseTypeFactory(name="Released", requires_rollout=False)
    license_type.capabilities.add(capability("released-feature"))
    license_type.rollout_organizations.add(OrganizationFactory())
    give(member, license_type)

    assert may_use(member, "released-feature")


@pytest.mark.parametrize(
    ("region", "in_rollout", "expected"),
    [
        ("CA", False, False),
        ("CA", True, True),
        ("US", True, True),
        ("DE", True, False),
    ],
)
def test_catalog_ai_assistant_needs_region_and_rollout(
    catalog, region, in_rollout, expected
):
    organization = OrganizationFactory(region=region)
    member = UserFactory(organization=organization)
    give(member, catalog["ai-assistant"])
    if in_rollout:
        catalog["ai-assistant"].rollout_organizations.add(organization)

    assert may_use(member, "ai-meeting-summaries") is expected
    assert may_use(member, "ai-call-insights") is expected
    assert may_use(member, "ai-productivity") is expected


def test_unavailable_reason_names_region_before_rollout(catalog):
    ai_assistant = catalog["ai-assistant"]
    canadian = OrganizationFactory(region="CA")
    german = OrganizationFactory(region="DE")
    ai_assistant.rollout_organizations.add(german)

    assert unavailable_reason(ai_assistant, german) == NOT_IN_REGION
    assert unavailable_reason(ai_assistant, canadian) == NOT_IN_ROLLOUT
    assert unavailable_reason(catalog["virtual-fax"], german) == ""
    assert unavailable_reason(catalog["virtual-fax"], None) == NOT_IN_REGION


def test_unavailable_reason_reads_given_rollouts(catalog, organization):
    ai_assistant = catalog["ai-assistant"]

    assert unavailable_reason(ai_assistant, organization, {ai_assistant.pk}) == ""
    assert unavailable_reason(ai_assistant, organization, set()) == NOT_IN_ROLLOUT


def test_inactive_member_has_no_capability(catalog, organization):
    member = UserFactory(organization=organization, is_active=False)
    holding = HoldingFactory(
        organization=organization, license_type=catalog["virtual-fax"]
    )
    AssignmentFactory(holding=holding, member=member)

    assert member_grants(member) == []
    assert not may_use(member, "fax")
    assert not may_use(member, "phone-system")


def test_support_staff_have_no_capability(catalog):
    support = SupportStaffFactory()

    assert member_grants(support) == []
    assert usable_capabilities(support) == set()
    assert not may_use(support, "phone-system")


def test_catalog_grants_run_no_query(
    catalog, organization, ada, django_assert_num_queries
):
    give(ada, catalog[SUPERVISOR])
    give(ada, catalog[ULTIMATE])
    held = held_license_types(ada)
    loaded = Catalog(organization)

    with django_assert_num_queries(0):
        grants = loaded.grants(held)

    # Supervisor 2 + Agent 2, Ultimate 1 + Professional 5, PBX Account 1.
    assert len(grants) == 11


def test_catalog_queries_do_not_grow_with_organization(catalog):
    small = OrganizationFactory()
    large = OrganizationFactory()
    for license_type in catalog.values():
        license_type.rollout_organizations.add(large)
        if not license_type.is_automatic:
            holding = HoldingFactory(organization=large, license_type=license_type)
            AssignmentFactory.create_batch(3, holding=holding)

    with CaptureQueriesContext(connection) as small_queries:
        Catalog(small)
    with CaptureQueriesContext(connection) as large_queries:
        Catalog(large)

    assert len(large_queries) == len(small_queries)


# Removal preview: removal_effect and describe_removal


def test_remove_agent_kept_via_supervisor(catalog, ada):
    give(ada, catalog[SUPERVISOR])
    give(ada, catalog[AGENT])

    lost, kept = removal_names(ada, catalog[AGENT])

    assert lost == []
    assert kept == [
        ("Basic queue status", "included with Call Queue – Supervisor"),
        ("Call queue agent", "included with Call Queue – Supervisor"),
    ]


def test_remove_supervisor_loses_supervision(catalog, ada):
    give(ada, catalog[SUPERVISOR])
    give(ada, catalog[AGENT])

    lost, kept = removal_names(ada, catalog[SUPERVISOR])

    assert lost == ["Call queue supervision", "Live queue metrics"]
    assert kept == [
        ("Basic queue status", "from Call Queue – Agent"),
        ("Call queue agent", "from Call Queue – Agent"),
    ]


def test_remove_professional_kept_via_ultimate(catalog, ada):
    give(ada, catalog[ULTIMATE])
    give(ada, catalog[PROFESSIONAL])

    lost, kept = removal_names(ada, catalog[PROFESSIONAL])

    assert lost == []
    assert kept == [
        ("Call forwarding", "included with Ultimate"),
        ("Contact directory", "included with Ultimate"),
        ("Device management", "included with Ultimate"),
        ("Softphone", "included with Ultimate"),
        ("Voicemail", "included with Ultimate"),
    ]


def test_remove_ultimate_loses_own_capability(catalog, ada):
    give(ada, catalog[ULTIMATE])
    give(ada, catalog[PROFESSIONAL])

    lost, kept = removal_names(ada, catalog[ULTIMATE])

    assert lost == ["Ultimate plan calling features"]
    assert [source for _, source in kept] == ["from Professional"] * 5


def test_remove_only_license_loses_all(catalog, ada):
    give(ada, catalog[ULTIMATE])

    lost, kept = removal_names(ada, catalog[ULTIMATE])

    assert lost == [
        "Ultimate plan calling features",
        "Call forwarding",
        "Contact directory",
        "Device management",
        "Softphone",
        "Voicemail",
    ]
    assert kept == []


def test_removal_keeps_capability_of_automatic_type(member):
    automatic = AutomaticLicenseTypeFactory(name="PBX Account")
    shared = capability("phone-system", "Phone system account")
    automatic.capabilities.add(shared)
    extra = LicenseTypeFactory(name="Phone Plus")
    extra.capabilities.add(shared, capability("recording", "Call recording"))
    give(member, extra)

    lost, kept = removal_names(member, extra)

    assert lost == ["Call recording"]
    assert kept == [("Phone system account", "automatic for every member")]


def test_describe_removal_lists_kept_capabilities(catalog, ada):
    give(ada, catalog[SUPERVISOR])
    give(ada, catalog[AGENT])

    text = describe_removal(
        Catalog(ada.organization), held_license_types(ada), catalog[AGENT], ada
    )

    assert text == (
        "Remove Call Queue – Agent from Ada Lovelace? The seat is freed at once. "
        "Kept through other licenses: "
        "Basic queue status (included with Call Queue – Supervisor), "
        "Call queue agent (included with Call Queue – Supervisor)."
    )


def test_describe_removal_lists_lost_and_kept(catalog, ada):
    give(ada, catalog[SUPERVISOR])
    give(ada, catalog[AGENT])

    text = describe_removal(
        Catalog(ada.organization), held_license_types(ada), catalog[SUPERVISOR], ada
    )

    assert text == (
        "Remove Call Queue – Supervisor from Ada Lovelace? The seat is freed at "
        "once. Ada Lovelace loses: Call queue supervision, Live queue metrics. "
        "Kept through other licenses: "
        "Basic queue status (from Call Queue – Agent), "
        "Call queue agent (from Call Queue – Agent)."
    )


def test_describe_removal_of_only_license(catalog, ada):
    give(ada, catalog["virtual-fax"])

    text = describe_removal(
        Catalog(ada.organization), held_license_types(ada), catalog["virtual-fax"], ada
    )

    assert text == (
        "Remove Virtual Fax from Ada Lovelace? The seat is freed at once. "
        "Ada Lovelace loses: Virtual fax."
    )


def remove_button_confirmation(content, holding, member):
    """Return the hx-confirm text of the Remove form of `member` on a card."""
    match = re.search(
        r'<form method="post" action="'
        + re.escape(reverse("licensing:remove", args=[holding.pk]))
        + r'"[^>]*hx-confirm="([^"]*)"[^>]*>\s*<input type="hidden" '
        r'name="csrfmiddlewaretoken" value="[^"]*">\s*'
        rf'<input type="hidden" name="member" value="{member.pk}">',
        content,
    )
    assert match, f"No Remove form for member {member.pk} in:\n{content}"
    return match.group(1)


def test_settings_remove_buttons_carry_removal_text(
    catalog, organization, administrator_client, ada
):
    supervisor = give(ada, catalog[SUPERVISOR])
    agent = give(ada, catalog[AGENT])
    grace = UserFactory(organization=organization, full_name="Grace Hopper")
    give(grace, catalog[AGENT])

    response = administrator_client.get(SETTINGS_URL, {"open": agent.pk})

    assert response.status_code == 200, response.content.decode()
    content = response.content.decode()
    assert remove_button_confirmation(content, agent, ada) == escape(
        "Remove Call Queue – Agent from Ada Lovelace? The seat is freed at once. "
        "Kept through other licenses: "
        "Basic queue status (included with Call Queue – Supervisor), "
        "Call queue agent (included with Call Queue – Supervisor)."
    )
    assert remove_button_confirmation(content, agent, grace) == escape(
        "Remove Call Queue – Agent from Grace Hopper? The seat is freed at once. "
        "Grace Hopper loses: Basic queue status, Call queue agent."
    )
    response = administrator_client.get(SETTINGS_URL, {"open": supervisor.pk})
    content = response.content.decode()
    assert remove_button_confirmation(content, supervisor, ada) == escape(
        "Remove Call Queue – Supervisor from Ada Lovelace? The seat is freed at "
        "once. Ada Lovelace loses: Call queue supervision, Live queue metrics. "
        "Kept through other licenses: "
        "Basic queue status (from Call Queue – Agent), "
        "Call queue agent (from Call Queue – Agent)."
    )


def test_settings_removal_text_escapes_member_name(
    catalog, organization, administrator_client
):
    member = UserFactory(organization=organization, full_name='Zoë "Z" O\'Neil')
    holding = give(member, catalog["virtual-fax"])

    response = administrator_client.get(SETTINGS_URL, {"open": holding.pk})

    confirmation = remove_button_confirmation(
        response.content.decode(), holding, member
    )
    assert confirmation == escape(
        'Remove Virtual Fax from Zoë "Z" O\'Neil? The seat is freed at once. '
        'Zoë "Z" O\'Neil loses: Virtual fax.'
    )


# Redundancy in assign_license


def test_assign_redundant_type_raises(catalog, administrator, ada):
    give(ada, catalog[SUPERVISOR])
    agent = HoldingFactory(organization=ada.organization, license_type=catalog[AGENT])

    with pytest.raises(RedundantLicense) as raised:
        assign_license(holding=agent, member=ada, acting_user=administrator)

    assert str(raised.value) == (
        "Ada Lovelace already has everything Call Queue – Agent gives, through "
        "Call Queue – Supervisor. Assigning it uses a seat for nothing new; "
        "confirm to assign it anyway."
    )
    assert isinstance(raised.value, LicensingError)
    assert not agent.assignments.exists()
    assert not Event.objects.exists()


def test_assign_redundant_type_with_confirmation(catalog, administrator, ada):
    give(ada, catalog[SUPERVISOR])
    agent = HoldingFactory(organization=ada.organization, license_type=catalog[AGENT])

    assignment = assign_license(
        holding=agent, member=ada, acting_user=administrator, confirm_redundant=True
    )

    assert assignment.holding == agent
    assert assignment.member == ada
    event = Event.objects.get()
    assert event.action == Event.Action.ASSIGNED
    assert event.member == ada


def test_bulk_assign_redundant_names_members(catalog, administrator, ada):
    organization = ada.organization
    others = [
        UserFactory(organization=organization, full_name=name)
        for name in ("Bo Ek", "Cy Fu", "Di Gu", "Ed Ho")
    ]
    for member in [ada, *others]:
        give(member, catalog[SUPERVISOR])
    fresh = UserFactory(organization=organization, full_name="New Member")
    agent = HoldingFactory(organization=organization, license_type=catalog[AGENT])

    with pytest.raises(RedundantLicense) as raised:
        assign_license_to_members(
            holding=agent, members=[fresh, ada, *others], acting_user=administrator
        )

    assert str(raised.value) == (
        "Ada Lovelace, Bo Ek, Cy Fu and 2 others already have everything "
        "Call Queue – Agent gives. Assigning it uses seats for nothing new; tick "
        "“Assign even if redundant” to assign it anyway."
    )
    assert not agent.assignments.exists()
    assert not Event.objects.filter(action=Event.Action.ASSIGNED).exists()


def test_bulk_assign_redundant_with_confirmation(catalog, administrator, ada):
    give(ada, catalog[SUPERVISOR])
    fresh = UserFactory(organization=ada.organization)
    agent = HoldingFactory(organization=ada.organization, license_type=catalog[AGENT])

    assigned = assign_license_to_members(
        holding=agent,
        members=[ada, fresh],
        acting_user=administrator,
        confirm_redundant=True,
    )

    assert {assignment.member for assignment in assigned} == {ada, fresh}


def test_bulk_assign_page_refuses_redundant(catalog, administrator_client, ada):
    give(ada, catalog[SUPERVISOR])
    agent = HoldingFactory(organization=ada.organization, license_type=catalog[AGENT])
    url = reverse("licensing:bulk_change")
    data = {"action": "assign", "holding": agent.pk, "member": [ada.pk]}

    refused = administrator_client.post(url, data, headers={"HX-Request": "true"})
    confirmed = administrator_client.post(
        url, {**data, "confirm_redundant": "on"}, headers={"HX-Request": "true"}
    )

    assert refused.status_code == 409, refused.content.decode()
    assertContains(refused, "Ada Lovelace already has everything", status_code=409)
    assert confirmed.status_code == 200, confirmed.content.decode()
    assertContains(confirmed, "Assigned Call Queue – Agent to 1 member.")
    assert agent.assignments.filter(member=ada).exists()


def test_assign_wider_type_not_redundant(catalog, administrator, ada):
    give(ada, catalog[AGENT])
    supervisor = HoldingFactory(
        organization=ada.organization, license_type=catalog[SUPERVISOR]
    )

    assign_license(holding=supervisor, member=ada, acting_user=administrator)

    assert supervisor.assignments.filter(member=ada).exists()


def test_redundancy_names_every_covering_type(organization, administrator, ada):
    first, second = capability("first-feature"), capability("second-feature")
    left = LicenseTypeFactory(name="Left")
    right = LicenseTypeFactory(name="Right")
    both = LicenseTypeFactory(name="Both")
    left.capabilities.add(first)
    right.capabilities.add(second)
    both.capabilities.add(first, second)
    give(ada, right)
    give(ada, left)
    holding = HoldingFactory(organization=organization, license_type=both)

    with pytest.raises(RedundantLicense) as raised:
        assign_license(holding=holding, member=ada, acting_user=administrator)

    assert "Both gives, through Left and Right." in str(raised.value)


def test_redundant_through_automatic_type(organization, administrator, ada):
    automatic = AutomaticLicenseTypeFactory(name="PBX Account")
    phone_system = capability("phone-system")
    automatic.capabilities.add(phone_system)
    same = LicenseTypeFactory(name="Phone Only")
    same.capabilities.add(phone_system)
    holding = HoldingFactory(organization=organization, license_type=same)

    with pytest.raises(RedundantLicense) as raised:
        assign_license(holding=holding, member=ada, acting_user=administrator)

    assert "through PBX Account." in str(raised.value)


def test_empty_type_never_redundant(organization, administrator, ada):
    holding = HoldingFactory(organization=organization, license_type__name="Empty")

    assign_license(holding=holding, member=ada, acting_user=administrator)

    assert holding.assignments.filter(member=ada).exists()


def test_unavailable_held_type_not_redundant(organization, administrator, ada):
    feature = capability("shared-feature")
    regional = LicenseTypeFactory(name="Regional", regions=["US"])
    regional.capabilities.add(feature)
    anywhere = LicenseTypeFactory(name="Anywhere")
    anywhere.capabilities.add(feature)
    give(ada, regional)
    holding = HoldingFactory(organization=organization, license_type=anywhere)

    assign_license(holding=holding, member=ada, acting_user=administrator)

    assert holding.assignments.filter(member=ada).exists()


# Redundancy in the portal


def assign_url(holding):
    return reverse("licensing:assign", args=[holding.pk])


def test_settings_redundant_assign_asks_confirmation(
    catalog, administrator_client, ada
):
    give(ada, catalog[SUPERVISOR])
    agent = HoldingFactory(organization=ada.organization, license_type=catalog[AGENT])

    response = administrator_client.post(
        assign_url(agent), {"member": ada.pk}, headers=HTMX
    )

    assert response.status_code == 409, response.content.decode()
    assertContains(
        response,
        "Ada Lovelace already has everything Call Queue – Agent gives, through "
        "Call Queue – Supervisor.",
        status_code=409,
    )
    assertContains(
        response,
        '<input type="hidden" name="confirm" value="redundant">',
        html=True,
        status_code=409,
    )
    assertContains(
        response,
        f'<input type="hidden" name="member" value="{ada.pk}">',
        status_code=409,
    )
    assertContains(
        response,
        "Assign Call Queue – Agent to Ada Lovelace anyway</button>",
        status_code=409,
    )
    assert not agent.assignments.exists()
    assert not Event.objects.exists()


def test_settings_confirmed_redundant_assign_redirects(
    catalog, administrator_client, ada
):
    give(ada, catalog[SUPERVISOR])
    agent = HoldingFactory(organization=ada.organization, license_type=catalog[AGENT])

    response = administrator_client.post(
        assign_url(agent), {"member": ada.pk, "confirm": "redundant"}
    )

    assert response.status_code == 302, response.content.decode()
    assert agent.assignments.filter(member=ada).exists()
    assert Event.objects.get().action == Event.Action.ASSIGNED


def test_settings_confirmed_redundant_assign_htmx(catalog, administrator_client, ada):
    give(ada, catalog[SUPERVISOR])
    agent = HoldingFactory(organization=ada.organization, license_type=catalog[AGENT])

    response = administrator_client.post(
        assign_url(agent), {"member": ada.pk, "confirm": "redundant"}, headers=HTMX
    )

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "Ada Lovelace now holds Call Queue – Agent.")
    assertNotContains(response, 'name="confirm"')
    assert agent.assignments.filter(member=ada).exists()


@pytest.mark.parametrize("confirm", ["", "yes", "REDUNDANT"])
def test_settings_other_confirm_value_still_warns(
    catalog, administrator_client, ada, confirm
):
    give(ada, catalog[SUPERVISOR])
    agent = HoldingFactory(organization=ada.organization, license_type=catalog[AGENT])

    response = administrator_client.post(
        assign_url(agent), {"member": ada.pk, "confirm": confirm}, headers=HTMX
    )

    assert response.status_code == 409, response.content.decode()
    assert not agent.assignments.exists()


def test_confirmed_assign_keeps_seat_limit(catalog, administrator_client, ada):
    give(ada, catalog[SUPERVISOR])
    agent = HoldingFactory(
        organization=ada.organization, license_type=catalog[AGENT], quantity=0
    )

    response = administrator_client.post(
        assign_url(agent), {"member": ada.pk, "confirm": "redundant"}, headers=HTMX
    )

    assert response.status_code == 409, response.content.decode()
    assertContains(
        response,
        "No Call Queue – Agent seats remaining (0 of 0 in use)",
        status_code=409,
    )
    assertNotContains(response, 'name="confirm"', status_code=409)
    assert not agent.assignments.exists()


def test_member_panel_confirms_redundant_assign(catalog, administrator_client, ada):
    """The panel's 409 message ends "confirm to assign it anyway", so the panel
    must accept confirm=redundant as Settings > Licenses does.
    """
    give(ada, catalog[SUPERVISOR])
    agent = HoldingFactory(organization=ada.organization, license_type=catalog[AGENT])
    url = reverse("licensing:change_member_license", args=[ada.pk])

    warning = administrator_client.post(
        url, {"holding": agent.pk, "assigned": "on"}, headers=HTMX
    )
    confirmed = administrator_client.post(
        url,
        {"holding": agent.pk, "assigned": "on", "confirm": "redundant"},
        headers=HTMX,
    )

    assert warning.status_code == 409, warning.content.decode()
    assertContains(warning, 'name="confirm" value="redundant"', status_code=409)
    assert confirmed.status_code == 200, confirmed.content.decode()
    assert agent.assignments.filter(member=ada).exists()


def test_admin_add_form_confirms_redundant(catalog, support_client, ada):
    """The form's error ends "confirm to assign it anyway", so the form must
    offer a field to confirm with.
    """
    give(ada, catalog[SUPERVISOR])
    agent = HoldingFactory(organization=ada.organization, license_type=catalog[AGENT])

    response = support_client.post(
        f"{ASSIGNMENT_ADD_URL}?holding={agent.pk}",
        {"holding": agent.pk, "member": ada.pk},
    )

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "confirm to assign it anyway")
    form = response.context["adminform"].form
    assert any("confirm" in name for name in form.fields), list(form.fields)
    assert not Assignment.objects.filter(holding=agent).exists()


def test_redundant_assign_foreign_administrator_denied(catalog, organization):
    ada = UserFactory(organization=organization, full_name="Ada Lovelace")
    give(ada, catalog[SUPERVISOR])
    agent = HoldingFactory(organization=organization, license_type=catalog[AGENT])
    foreign_administrator = AdministratorFactory()

    with pytest.raises(PermissionDenied):
        assign_license(holding=agent, member=ada, acting_user=foreign_administrator)

    assert not agent.assignments.exists()
