import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertTemplateUsed

from licensing.models import Assignment, Event, Holding
from tests.admin_forms import action_data, admin_form_data, messages_of
from tests.factories import (
    AdministratorFactory,
    AssignmentFactory,
    AutomaticLicenseTypeFactory,
    EventFactory,
    HoldingFactory,
    LicenseTypeFactory,
    OrganizationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ASSIGNMENT_ADD_URL = reverse("admin:licensing_assignment_add")
ASSIGNMENT_CHANGELIST_URL = reverse("admin:licensing_assignment_changelist")
AUTOCOMPLETE_URL = reverse("admin:autocomplete")


def holding_change_url(holding):
    return reverse("admin:licensing_holding_change", args=[holding.pk])


def in_use(holding):
    return Holding.objects.with_in_use().get(pk=holding.pk).in_use


@pytest.fixture
def holding(organization):
    """Virtual Fax: twelve of twenty seats in use."""
    holding = HoldingFactory(
        organization=organization, license_type__name="Virtual Fax", quantity=20
    )
    AssignmentFactory.create_batch(12, holding=holding)
    return holding


# Holding admin


def test_holding_page_shows_seat_counts(support_client, holding):
    response = support_client.get(holding_change_url(holding))

    assert response.status_code == 200, response.content.decode()
    assertContains(response, '<div class="readonly">12</div>', html=True)
    assertContains(response, '<div class="readonly">8</div>', html=True)


def test_holding_quantity_change_records_event(support_client, support_user, holding):
    url = holding_change_url(holding)
    data = admin_form_data(support_client.get(url))
    data["quantity"] = "12"

    response = support_client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    holding.refresh_from_db()
    assert holding.quantity == 12
    event = Event.objects.get()
    assert event.action == Event.Action.QUANTITY_CHANGED
    assert event.source == Event.Source.ADMIN
    assert event.actor == support_user
    assert event.detail == "20 → 12"


def test_holding_quantity_made_unlimited(support_client, holding):
    url = holding_change_url(holding)
    data = admin_form_data(support_client.get(url))
    data["quantity"] = ""

    response = support_client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    holding.refresh_from_db()
    assert holding.quantity is None
    assert Event.objects.get().detail == "20 → unlimited"


def test_holding_quantity_below_in_use_is_rejected(support_client, holding):
    url = holding_change_url(holding)
    data = admin_form_data(support_client.get(url))
    data["quantity"] = "10"

    response = support_client.post(url, data)

    assert response.status_code == 200, response.content.decode()
    assertContains(
        response,
        "12 seats are in use; remove seats before lowering the quantity to 10.",
    )
    holding.refresh_from_db()
    assert holding.quantity == 20
    assert in_use(holding) == 12
    assert not Event.objects.exists()


@pytest.mark.parametrize("quantity", ["-1", "abc", "1.5"])
def test_holding_invalid_quantity_is_rejected(support_client, holding, quantity):
    url = holding_change_url(holding)
    data = admin_form_data(support_client.get(url))
    data["quantity"] = quantity

    response = support_client.post(url, data)

    assert response.status_code == 200, response.content.decode()
    assert response.context["adminform"].form.errors["quantity"]
    holding.refresh_from_db()
    assert holding.quantity == 20
    assert not Event.objects.exists()


def test_holding_organization_and_type_cannot_change(support_client, holding):
    other_organization = OrganizationFactory()
    other_type = LicenseTypeFactory()
    url = holding_change_url(holding)
    data = admin_form_data(support_client.get(url))
    data["organization"] = str(other_organization.pk)
    data["license_type"] = str(other_type.pk)

    response = support_client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    holding.refresh_from_db()
    assert holding.organization_id != other_organization.pk
    assert holding.license_type_id != other_type.pk
    assert not Event.objects.exists()


def test_holding_add_records_event(support_client, support_user, organization):
    license_type = LicenseTypeFactory()

    response = support_client.post(
        reverse("admin:licensing_holding_add"),
        {
            "organization": organization.pk,
            "license_type": license_type.pk,
            "quantity": "4",
            "low_seat_threshold": "2",
        },
    )

    assert response.status_code == 302, response.content.decode()
    holding = Holding.objects.get(organization=organization)
    assert holding.quantity == 4
    event = Event.objects.get()
    assert event.action == Event.Action.HOLDING_ADDED
    assert event.license_type == license_type
    assert event.actor == support_user
    assert event.detail == "Quantity 4"


def test_holding_add_rejects_automatic_type(support_client, organization):
    response = support_client.post(
        reverse("admin:licensing_holding_add"),
        {
            "organization": organization.pk,
            "license_type": AutomaticLicenseTypeFactory().pk,
            "quantity": "4",
        },
    )

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "is automatic")
    assert not Holding.objects.exists()
    assert not Event.objects.exists()


def test_holding_remove_action_releases_seats(support_client, holding):
    holders = set(holding.assignments.values_list("member_id", flat=True))

    response = support_client.post(
        reverse("admin:licensing_holding_changelist"),
        action_data("remove_selected_holdings", [holding]),
        follow=True,
    )

    assert response.status_code == 200, response.content.decode()
    assert messages_of(response) == ["Removed 1 holding."]
    assert not Holding.objects.filter(pk=holding.pk).exists()
    assert not Assignment.objects.exists()
    removed = Event.objects.filter(action=Event.Action.REMOVED)
    assert set(removed.values_list("member_id", flat=True)) == holders
    assert Event.objects.filter(action=Event.Action.HOLDING_REMOVED).count() == 1


def test_holding_delete_view_releases_seats(support_client, support_user, holding):
    url = reverse("admin:licensing_holding_delete", args=[holding.pk])

    page = support_client.get(url)
    response = support_client.post(url, {"post": "yes"})

    assert page.status_code == 200, page.content.decode()
    assertContains(page, "<li>Assignments: 12</li>", html=True)
    assert response.status_code == 302, response.content.decode()
    assert not Holding.objects.filter(pk=holding.pk).exists()
    assert Event.objects.filter(action=Event.Action.REMOVED).count() == 12
    holding_removed = Event.objects.get(action=Event.Action.HOLDING_REMOVED)
    assert holding_removed.actor == support_user


# Assignment admin: choosing the holding


def test_assignment_add_without_holding_shows_chooser(support_client, holding):
    automatic = HoldingFactory(license_type=AutomaticLicenseTypeFactory())

    response = support_client.get(ASSIGNMENT_ADD_URL)

    assert response.status_code == 200, response.content.decode()
    assertTemplateUsed(response, "admin/licensing/assignment/choose_holding.html")
    assertContains(
        response, f'<option value="{holding.pk}">Virtual Fax</option>', html=True
    )
    assert f'value="{automatic.pk}"' not in response.content.decode()
    assert "errornote" not in response.content.decode()


@pytest.mark.parametrize("holding_value", ["", "abc", "-1", "99999999999"])
def test_assignment_add_with_invalid_holding_shows_chooser(
    support_client, holding, holding_value
):
    response = support_client.get(ASSIGNMENT_ADD_URL, {"holding": holding_value})

    assert response.status_code == 200, response.content.decode()
    assertTemplateUsed(response, "admin/licensing/assignment/choose_holding.html")
    assertContains(response, "Choose a holding from the list.")


def test_assignment_add_with_holding_shows_form(support_client, holding):
    response = support_client.get(ASSIGNMENT_ADD_URL, {"holding": holding.pk})

    assert response.status_code == 200, response.content.decode()
    form = response.context["adminform"].form
    assert list(form.fields["holding"].queryset) == [holding]
    assert f"holding={holding.pk}" in form.fields["member"].widget.widget.get_url()


# Assignment admin: member autocomplete


def autocomplete_ids(client, holding, term=""):
    response = client.get(
        AUTOCOMPLETE_URL,
        {
            "app_label": "licensing",
            "model_name": "assignment",
            "field_name": "member",
            "holding": holding.pk,
            "term": term,
        },
    )
    assert response.status_code == 200, response.content.decode()
    return {int(result["id"]) for result in response.json()["results"]}


def test_autocomplete_offers_only_eligible_members(
    support_client, organization, holding
):
    eligible = UserFactory.create_batch(2, organization=organization)
    UserFactory(organization=organization, is_active=False)
    UserFactory()
    holder = holding.assignments.first().member

    offered = autocomplete_ids(support_client, holding)

    assert offered == {member.pk for member in eligible}
    assert holder.pk not in offered


def test_autocomplete_filters_by_term(support_client, organization, holding):
    ada = UserFactory(organization=organization, full_name="Ada Lovelace")
    UserFactory(organization=organization, full_name="Grace Hopper")

    assert autocomplete_ids(support_client, holding, "lovelace") == {ada.pk}


@pytest.mark.parametrize("holding_value", ["", "abc", "99999999999"])
def test_autocomplete_without_holding_offers_nobody(
    support_client, organization, holding_value
):
    UserFactory(organization=organization)

    response = support_client.get(
        AUTOCOMPLETE_URL,
        {
            "app_label": "licensing",
            "model_name": "assignment",
            "field_name": "member",
            "holding": holding_value,
            "term": "",
        },
    )

    assert response.status_code == 200, response.content.decode()
    assert response.json()["results"] == []


# Assignment admin: assigning a seat


def add_assignment(client, holding, member):
    return client.post(
        f"{ASSIGNMENT_ADD_URL}?holding={holding.pk}",
        {"holding": holding.pk, "member": member.pk},
    )


def test_assignment_add_assigns_through_service(
    support_client, support_user, organization, holding
):
    member = UserFactory(organization=organization)

    response = add_assignment(support_client, holding, member)

    assert response.status_code == 302, response.content.decode()
    assignment = Assignment.objects.get(holding=holding, member=member)
    assert assignment.assigned_by == support_user
    event = Event.objects.get()
    assert event.action == Event.Action.ASSIGNED
    assert event.member == member
    assert event.actor == support_user
    assert event.source == Event.Source.ADMIN


def test_assignment_add_beyond_quantity_is_rejected(
    support_client, organization, holding
):
    Holding.objects.filter(pk=holding.pk).update(quantity=12)
    member = UserFactory(organization=organization)

    response = add_assignment(support_client, holding, member)

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "No Virtual Fax seats remaining (12 of 12 in use)")
    assert in_use(holding) == 12
    assert not Assignment.objects.filter(member=member).exists()
    assert not Event.objects.exists()


def test_assignment_add_rejects_other_organization_member(support_client, holding):
    outsider = UserFactory()

    response = add_assignment(support_client, holding, outsider)

    assert response.status_code == 200, response.content.decode()
    assert response.context["adminform"].form.errors["member"]
    assert not Assignment.objects.filter(member=outsider).exists()
    assert not Event.objects.exists()


@pytest.mark.parametrize("value", ["abc", "12abc", "-1", "1.5"])
def test_assignment_add_member_not_an_id(support_client, holding, value):
    response = support_client.post(
        f"{ASSIGNMENT_ADD_URL}?holding={holding.pk}",
        {"holding": holding.pk, "member": value},
    )

    assert response.status_code == 200, response.content.decode()
    assert response.context["adminform"].form.errors["member"]
    assert not Event.objects.exists()


def test_assignment_add_rejects_inactive_member(support_client, organization, holding):
    inactive = UserFactory(organization=organization, is_active=False)

    response = add_assignment(support_client, holding, inactive)

    assert response.status_code == 200, response.content.decode()
    assert response.context["adminform"].form.errors["member"]
    assert not Assignment.objects.filter(member=inactive).exists()


def test_assignment_add_rejects_current_holder(support_client, holding):
    holder = holding.assignments.first().member

    response = add_assignment(support_client, holding, holder)

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "already holds Virtual Fax")
    assert in_use(holding) == 12
    assert not Event.objects.exists()


def test_assignment_add_ignores_holding_swapped_in_body(
    support_client, organization, holding
):
    other_holding = HoldingFactory(quantity=5)
    member = UserFactory(organization=other_holding.organization)

    response = support_client.post(
        f"{ASSIGNMENT_ADD_URL}?holding={holding.pk}",
        {"holding": other_holding.pk, "member": member.pk},
    )

    assert response.status_code == 200, response.content.decode()
    assert not Assignment.objects.filter(member=member).exists()


# Assignment admin: change list


def changelist_assignments(response):
    assert response.status_code == 200, response.content.decode()
    return set(response.context["cl"].result_list)


def test_assignment_changelist_filters_by_organization(support_client, holding):
    HoldingFactory(quantity=3)
    AssignmentFactory(holding=Holding.objects.exclude(pk=holding.pk).get())

    response = support_client.get(
        ASSIGNMENT_CHANGELIST_URL,
        {"holding__organization__id__exact": holding.organization_id},
    )

    assert changelist_assignments(response) == set(holding.assignments.all())


def test_assignment_changelist_filters_by_license_type(
    support_client, organization, holding
):
    other = AssignmentFactory(holding__organization=organization)

    response = support_client.get(
        ASSIGNMENT_CHANGELIST_URL,
        {"holding__license_type__id__exact": other.holding.license_type_id},
    )

    assert changelist_assignments(response) == {other}


@pytest.mark.parametrize("term", ["lovelace", "ADA LOV", "ada.work@"])
def test_assignment_changelist_searches_by_member(
    support_client, organization, holding, term
):
    ada = UserFactory(
        organization=organization,
        full_name="Ada Lovelace",
        email="ada.work@example.com",
    )
    assignment = AssignmentFactory(holding=holding, member=ada)

    response = support_client.get(ASSIGNMENT_CHANGELIST_URL, {"q": term})

    assert changelist_assignments(response) == {assignment}


def test_assignment_remove_action_records_events(support_client, support_user, holding):
    chosen = list(holding.assignments.all()[:3])
    members = {assignment.member_id for assignment in chosen}

    response = support_client.post(
        ASSIGNMENT_CHANGELIST_URL,
        action_data("remove_selected_assignments", chosen),
        follow=True,
    )

    assert response.status_code == 200, response.content.decode()
    assert messages_of(response) == ["Removed 3 seats."]
    assert in_use(holding) == 9
    assert not Assignment.objects.filter(member_id__in=members).exists()
    removed = Event.objects.filter(action=Event.Action.REMOVED)
    assert set(removed.values_list("member_id", flat=True)) == members
    assert removed.count() == 3
    assert set(removed.values_list("actor_id", flat=True)) == {support_user.pk}


def test_assignment_admin_has_no_delete_selected(support_client, holding):
    response = support_client.get(ASSIGNMENT_CHANGELIST_URL)

    assert response.status_code == 200, response.content.decode()
    assert 'value="delete_selected"' not in response.content.decode()


def test_assignment_cannot_be_changed(support_client, holding):
    assignment = holding.assignments.first()
    other_member = UserFactory(organization=holding.organization)
    url = reverse("admin:licensing_assignment_change", args=[assignment.pk])

    response = support_client.post(
        url, {"holding": holding.pk, "member": other_member.pk}
    )

    assert response.status_code == 403, response.content.decode()
    assignment.refresh_from_db()
    assert assignment.member_id != other_member.pk


def add_assignments(count):
    """Add `count` assignments spread over four organizations and two types."""
    holdings = [HoldingFactory(quantity=None) for _ in range(4)]
    for index in range(count):
        holding = holdings[index % 4]
        AssignmentFactory(
            holding=holding,
            assigned_by=AdministratorFactory(organization=holding.organization),
        )


def changelist_query_count(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ASSIGNMENT_CHANGELIST_URL)
    assert response.status_code == 200, response.content.decode()
    return len(queries.captured_queries)


def test_assignment_changelist_queries_do_not_grow(support_client):
    add_assignments(10)
    support_client.get(ASSIGNMENT_CHANGELIST_URL)
    with_10 = changelist_query_count(support_client)

    add_assignments(190)
    with_200 = changelist_query_count(support_client)

    assert with_200 == with_10


# Event admin


def test_support_views_events(support_client):
    event = EventFactory()

    changelist = support_client.get(reverse("admin:licensing_event_changelist"))
    detail = support_client.get(
        reverse("admin:licensing_event_change", args=[event.pk])
    )

    assert changelist.status_code == 200, changelist.content.decode()
    assert detail.status_code == 200, detail.content.decode()
    assert event.member_email in changelist.content.decode()


@pytest.mark.parametrize("client_fixture", ["support_client", "superuser_client"])
def test_event_admin_has_no_add_change_delete(request, client_fixture):
    client = request.getfixturevalue(client_fixture)
    event = EventFactory(detail="original")
    change_url = reverse("admin:licensing_event_change", args=[event.pk])

    add = client.get(reverse("admin:licensing_event_add"))
    change = client.post(change_url, {"detail": "edited"})
    delete = client.post(
        reverse("admin:licensing_event_delete", args=[event.pk]), {"post": "yes"}
    )
    changelist = client.get(reverse("admin:licensing_event_changelist"))

    assert add.status_code == 403, add.content.decode()
    assert change.status_code == 403, change.content.decode()
    assert delete.status_code == 403, delete.content.decode()
    assert 'value="delete_selected"' not in changelist.content.decode()
    event = Event.objects.get(pk=event.pk)
    assert event.detail == "original"
