import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from accounts.models import Organization, User
from licensing.models import Assignment, Capability, Event, Holding
from tests.admin_forms import action_data, admin_form_data, messages_of
from tests.factories import (
    ADMINISTRATORS_GROUP,
    AdministratorFactory,
    AssignmentFactory,
    EventFactory,
    HoldingFactory,
    LicenseTypeFactory,
    OrganizationFactory,
    SuperuserFactory,
    SupportUserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

USER_CHANGELIST_URL = reverse("admin:accounts_user_changelist")


def organization_change_url(organization):
    return reverse("admin:accounts_organization_change", args=[organization.pk])


def user_change_url(user):
    return reverse("admin:accounts_user_change", args=[user.pk])


def inline_prefix(data, holding):
    """Return the form prefix of `holding` in the organization's inline formset."""
    for key, value in data.items():
        match = re.fullmatch(r"(holdings-\d+)-id", key)
        if match and value == str(holding.pk):
            return match.group(1)
    raise AssertionError(f"No inline form for holding {holding.pk} in {data}")


def add_inline_holding(data, license_type, quantity):
    """Append a new holding row to the organization's inline formset data."""
    index = int(data["holdings-TOTAL_FORMS"])
    data["holdings-TOTAL_FORMS"] = str(index + 1)
    data[f"holdings-{index}-license_type"] = str(license_type.pk)
    data[f"holdings-{index}-quantity"] = str(quantity)
    data[f"holdings-{index}-low_seat_threshold"] = "2"
    data[f"holdings-{index}-id"] = ""


def seat_cells(content, holding):
    """Return the total, in use and remaining cells of a holding's row.

    The quantity is an input where the user may change it, and text otherwise.
    """
    row = re.search(
        rf'<tr[^>]*>(?:(?!</tr>).)*name="holdings-\d+-id" value="{holding.pk}"'
        r".*?</tr>",
        content,
        re.DOTALL,
    )
    assert row, content
    cells = {}
    for name in ("quantity", "in_use", "remaining"):
        cell = re.search(
            rf'<td class="field-{name}">\s*(?:<p>(.*?)</p>|<input([^>]*)>)',
            row.group(),
            re.DOTALL,
        )
        assert cell, row.group()
        if cell.group(2) is None:
            cells[name] = cell.group(1).strip()
        else:
            value = re.search(r'value="([^"]*)"', cell.group(2))
            cells[name] = value.group(1) if value else ""
    return cells


@pytest.fixture
def holding(organization):
    """Twelve of twenty seats in use."""
    holding = HoldingFactory(
        organization=organization,
        license_type__name="Virtual Fax",
        quantity=20,
    )
    AssignmentFactory.create_batch(12, holding=holding)
    return holding


# Organization change page and its holdings inline


def test_organization_page_shows_holding_seat_counts(
    support_client, organization, holding
):
    response = support_client.get(organization_change_url(organization))

    assert response.status_code == 200, response.content.decode()
    content = response.content.decode()
    assert "Virtual Fax" in content
    assert seat_cells(content, holding) == {
        "quantity": "20",
        "in_use": "12",
        "remaining": "8",
    }


def test_organization_page_shows_unlimited_remaining(
    support_client, organization, holding
):
    Holding.objects.filter(pk=holding.pk).update(quantity=None)

    response = support_client.get(organization_change_url(organization))

    cells = seat_cells(response.content.decode(), holding)
    assert cells["in_use"] == "12"
    assert cells["remaining"] == "Unlimited"


def test_superuser_renames_organization(superuser_client, organization, holding):
    url = organization_change_url(organization)
    data = admin_form_data(superuser_client.get(url))
    data["name"] = "Renamed Traders"

    response = superuser_client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    organization.refresh_from_db()
    assert organization.name == "Renamed Traders"
    assert not Event.objects.exists()


def test_superuser_adds_organization(superuser_client):
    url = reverse("admin:accounts_organization_add")
    data = admin_form_data(superuser_client.get(url))
    data.update(name="Contoso", region="FR")

    response = superuser_client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    assert Organization.objects.filter(name="Contoso", region="FR").exists()


def test_inline_quantity_change_records_event(
    superuser_client, superuser, organization, holding
):
    url = organization_change_url(organization)
    data = admin_form_data(superuser_client.get(url))
    data[f"{inline_prefix(data, holding)}-quantity"] = "15"

    response = superuser_client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    holding.refresh_from_db()
    assert holding.quantity == 15
    event = Event.objects.get()
    assert event.action == Event.Action.QUANTITY_CHANGED
    assert event.source == Event.Source.ADMIN
    assert event.actor == superuser
    assert event.detail == "20 → 15"


def test_support_changes_quantity_through_inline(
    support_client, support_user, organization, holding
):
    # The Support group may change holdings, and the organization page's
    # holdings inline is where support staff see an organization's seats.
    url = organization_change_url(organization)
    data = admin_form_data(support_client.get(url))
    data[f"{inline_prefix(data, holding)}-quantity"] = "15"

    response = support_client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    holding.refresh_from_db()
    assert holding.quantity == 15
    assert Event.objects.get().actor == support_user


def test_inline_quantity_below_in_use_is_rejected(
    superuser_client, organization, holding
):
    url = organization_change_url(organization)
    data = admin_form_data(superuser_client.get(url))
    data[f"{inline_prefix(data, holding)}-quantity"] = "10"

    response = superuser_client.post(url, data)

    assert response.status_code == 200, response.content.decode()
    assertContains(
        response,
        "12 seats are in use; remove seats before lowering the quantity to 10.",
    )
    holding.refresh_from_db()
    assert holding.quantity == 20
    assert Assignment.objects.filter(holding=holding).count() == 12
    assert not Event.objects.exists()


def test_inline_adding_holding_records_event(
    superuser_client, superuser, organization, holding
):
    huddle = LicenseTypeFactory(name="Huddle Video Conference")
    url = organization_change_url(organization)
    data = admin_form_data(superuser_client.get(url))
    add_inline_holding(data, huddle, 7)

    response = superuser_client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    added = Holding.objects.get(organization=organization, license_type=huddle)
    assert added.quantity == 7
    event = Event.objects.get()
    assert event.action == Event.Action.HOLDING_ADDED
    assert event.license_type == huddle
    assert event.source == Event.Source.ADMIN
    assert event.actor == superuser


def test_inline_deleting_holding_releases_seats(
    superuser_client, superuser, organization, holding
):
    holders = set(holding.assignments.values_list("member_id", flat=True))
    url = organization_change_url(organization)
    data = admin_form_data(superuser_client.get(url))
    data[f"{inline_prefix(data, holding)}-DELETE"] = "on"

    response = superuser_client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    assert not Holding.objects.filter(pk=holding.pk).exists()
    assert not Assignment.objects.filter(member_id__in=holders).exists()
    removed = Event.objects.filter(action=Event.Action.REMOVED)
    assert set(removed.values_list("member_id", flat=True)) == holders
    assert removed.count() == 12
    holding_removed = Event.objects.get(action=Event.Action.HOLDING_REMOVED)
    assert holding_removed.detail == "12 seats released"
    assert holding_removed.actor == superuser
    assert Event.objects.count() == 13


# User admin: search and filters


def changelist_users(response):
    assert response.status_code == 200, response.content.decode()
    return set(response.context["cl"].result_list)


@pytest.mark.parametrize("term", ["lovelace", "ADA LOV", "ada.work@"])
def test_user_search_matches_name_and_email(support_client, organization, term):
    ada = UserFactory(
        organization=organization,
        full_name="Ada Lovelace",
        email="ada.work@example.com",
    )
    UserFactory(organization=organization, full_name="Grace Hopper")

    response = support_client.get(USER_CHANGELIST_URL, {"q": term})

    assert changelist_users(response) == {ada}


def test_user_filter_by_organization(support_client, organization, member):
    UserFactory()

    response = support_client.get(
        USER_CHANGELIST_URL, {"organization__id__exact": organization.pk}
    )

    assert changelist_users(response) == {member}


def test_user_filter_by_active(support_client, organization, member):
    inactive = UserFactory(organization=organization, is_active=False)

    response = support_client.get(USER_CHANGELIST_URL, {"is_active__exact": "0"})

    assert changelist_users(response) == {inactive}


def test_user_filter_by_administrator(support_client, organization, member):
    administrator = AdministratorFactory(organization=organization)
    AdministratorFactory(organization=organization, is_active=False)

    administrators = support_client.get(USER_CHANGELIST_URL, {"administrator": "yes"})
    others = support_client.get(USER_CHANGELIST_URL, {"administrator": "no"})

    assert changelist_users(administrators) == {administrator}
    assert member in changelist_users(others)
    assert administrator not in changelist_users(others)


# User admin: assign a license type to the selected users


@pytest.fixture
def fax_holding(organization):
    """Three Virtual Fax seats, one in use."""
    holding = HoldingFactory(
        organization=organization, license_type__name="Virtual Fax", quantity=3
    )
    AssignmentFactory(holding=holding)
    return holding


def test_assign_action_assigns_every_selected_member(
    support_client, support_user, organization, fax_holding
):
    members = UserFactory.create_batch(2, organization=organization)

    response = support_client.post(
        USER_CHANGELIST_URL,
        action_data(
            "assign_license_type", members, license_type=fax_holding.license_type.pk
        ),
        follow=True,
    )

    assert response.status_code == 200, response.content.decode()
    assert messages_of(response) == ["Assigned Virtual Fax to 2 of 2 members."]
    assert fax_holding.assignments.filter(member__in=members).count() == 2
    events = Event.objects.filter(action=Event.Action.ASSIGNED)
    assert set(events.values_list("member_id", flat=True)) == {m.pk for m in members}
    assert set(events.values_list("actor_id", flat=True)) == {support_user.pk}
    assert set(events.values_list("source", flat=True)) == {Event.Source.ADMIN}


@pytest.mark.parametrize("confirmed", [False, True])
def test_assign_action_redundant_needs_confirmation(
    support_client, organization, confirmed
):
    fax = Capability.objects.create(slug="fax", name="Fax")
    basic = LicenseTypeFactory(name="Basic Fax")
    basic.capabilities.add(fax)
    plus = LicenseTypeFactory(name="Fax Plus")
    plus.capabilities.add(fax)
    member = UserFactory(organization=organization, full_name="Ada Lovelace")
    AssignmentFactory(
        holding__organization=organization, holding__license_type=plus, member=member
    )
    holding = HoldingFactory(organization=organization, license_type=basic)
    data = action_data("assign_license_type", [member], license_type=basic.pk)
    if confirmed:
        data["confirm_redundant"] = "on"

    response = support_client.post(USER_CHANGELIST_URL, data, follow=True)

    assert response.status_code == 200, response.content.decode()
    if confirmed:
        assert messages_of(response) == ["Assigned Basic Fax to 1 of 1 member."]
        assert holding.assignments.filter(member=member).exists()
    else:
        [message] = messages_of(response)
        assert message.startswith("Ada Lovelace already has everything Basic Fax")
        assert not holding.assignments.exists()


def test_assign_action_skips_current_holders(support_client, organization, fax_holding):
    holder = fax_holding.assignments.get().member
    newcomers = UserFactory.create_batch(2, organization=organization)

    response = support_client.post(
        USER_CHANGELIST_URL,
        action_data(
            "assign_license_type",
            [holder, *newcomers],
            license_type=fax_holding.license_type.pk,
        ),
        follow=True,
    )

    assert messages_of(response) == [
        "Assigned Virtual Fax to 2 of 3 members. The others already held it."
    ]
    assert fax_holding.assignments.count() == 3
    assert Event.objects.count() == 2


def test_assign_action_is_all_or_nothing(support_client, organization, fax_holding):
    members = UserFactory.create_batch(3, organization=organization)

    response = support_client.post(
        USER_CHANGELIST_URL,
        action_data(
            "assign_license_type", members, license_type=fax_holding.license_type.pk
        ),
        follow=True,
    )

    assert response.status_code == 200, response.content.decode()
    [message] = messages_of(response)
    assert message.startswith("Only 2 seats of Virtual Fax remaining (1 of 3 in use)")
    assert "3 selected members need one" in message
    assert not fax_holding.assignments.filter(member__in=members).exists()
    assert not Event.objects.exists()


def test_assign_action_rejects_two_organizations(
    support_client, organization, fax_holding
):
    members = [UserFactory(organization=organization), UserFactory()]

    response = support_client.post(
        USER_CHANGELIST_URL,
        action_data(
            "assign_license_type", members, license_type=fax_holding.license_type.pk
        ),
        follow=True,
    )

    [message] = messages_of(response)
    assert message.startswith("Select members of one organization only")
    assert fax_holding.assignments.count() == 1
    assert not Event.objects.exists()


def test_assign_action_without_license_type_changes_nothing(
    support_client, organization, fax_holding
):
    members = UserFactory.create_batch(2, organization=organization)

    response = support_client.post(
        USER_CHANGELIST_URL, action_data("assign_license_type", members), follow=True
    )

    [message] = messages_of(response)
    assert message.startswith("Choose a license type")
    assert fax_holding.assignments.count() == 1


def test_assign_action_rejects_type_not_held(support_client, organization, member):
    unheld = LicenseTypeFactory(name="Call Queue – Agent")

    response = support_client.post(
        USER_CHANGELIST_URL,
        action_data("assign_license_type", [member], license_type=unheld.pk),
        follow=True,
    )

    [message] = messages_of(response)
    assert "holds no Call Queue – Agent" in message
    assert not Assignment.objects.exists()


def test_assign_action_rejects_inactive_member(
    support_client, organization, fax_holding
):
    members = [
        UserFactory(organization=organization),
        UserFactory(organization=organization, is_active=False),
    ]

    response = support_client.post(
        USER_CHANGELIST_URL,
        action_data(
            "assign_license_type", members, license_type=fax_holding.license_type.pk
        ),
        follow=True,
    )

    [message] = messages_of(response)
    assert "is deactivated" in message
    assert fax_holding.assignments.count() == 1
    assert not Event.objects.exists()


# User admin: deactivate and reactivate


@pytest.fixture
def seated_member(organization):
    """A member holding two license types of the organization."""
    member = UserFactory(organization=organization)
    for _ in range(2):
        AssignmentFactory(holding__organization=organization, member=member)
    return member


def test_deactivate_action_releases_every_seat(
    support_client, support_user, seated_member
):
    response = support_client.post(
        USER_CHANGELIST_URL,
        action_data("deactivate_members", [seated_member]),
        follow=True,
    )

    assert response.status_code == 200, response.content.decode()
    assert messages_of(response) == ["Deactivated; 2 seats released."]
    seated_member.refresh_from_db()
    assert not seated_member.is_active
    assert not Assignment.objects.filter(member=seated_member).exists()
    actions = sorted(
        Event.objects.filter(member=seated_member).values_list("action", flat=True)
    )
    assert actions == sorted(
        [Event.Action.REMOVED, Event.Action.REMOVED, Event.Action.MEMBER_DEACTIVATED]
    )
    assert set(Event.objects.values_list("actor_id", flat=True)) == {support_user.pk}


def test_reactivate_action_restores_no_seat(support_client, seated_member):
    support_client.post(
        USER_CHANGELIST_URL, action_data("deactivate_members", [seated_member])
    )
    events_before = Event.objects.count()

    response = support_client.post(
        USER_CHANGELIST_URL,
        action_data("reactivate_members", [seated_member]),
        follow=True,
    )

    assert response.status_code == 200, response.content.decode()
    seated_member.refresh_from_db()
    assert seated_member.is_active
    assert not Assignment.objects.filter(member=seated_member).exists()
    assert Event.objects.count() == events_before + 1
    assert Event.objects.first().action == Event.Action.MEMBER_REACTIVATED


def event_actions(member):
    return sorted(Event.objects.filter(member=member).values_list("action", flat=True))


@pytest.mark.parametrize("factory", [UserFactory, AdministratorFactory])
def test_unticking_active_matches_deactivate_action(
    support_client, organization, factory
):
    by_action = factory(organization=organization)
    by_form = factory(organization=organization)
    for member in (by_action, by_form):
        for _ in range(2):
            AssignmentFactory(holding__organization=organization, member=member)
    support_client.post(
        USER_CHANGELIST_URL, action_data("deactivate_members", [by_action])
    )
    url = user_change_url(by_form)
    data = admin_form_data(support_client.get(url))
    del data["is_active"]

    response = support_client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    by_form.refresh_from_db()
    assert not by_form.is_active
    assert not Assignment.objects.filter(member=by_form).exists()
    assert event_actions(by_form) == event_actions(by_action)


@pytest.mark.parametrize("factory", [UserFactory, AdministratorFactory])
def test_ticking_active_matches_reactivate_action(
    support_client, organization, factory
):
    by_action = factory(organization=organization, is_active=False)
    by_form = factory(organization=organization, is_active=False)
    support_client.post(
        USER_CHANGELIST_URL, action_data("reactivate_members", [by_action])
    )
    url = user_change_url(by_form)
    data = admin_form_data(support_client.get(url))
    data["is_active"] = "on"

    response = support_client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    by_form.refresh_from_db()
    assert by_form.is_active
    assert event_actions(by_form) == event_actions(by_action)


# User admin: administrator role


def test_grant_action_makes_administrator(support_client, support_user, member):
    response = support_client.post(
        USER_CHANGELIST_URL,
        action_data("grant_administrator_role", [member]),
        follow=True,
    )

    assert response.status_code == 200, response.content.decode()
    assert User.objects.get(pk=member.pk).is_administrator
    event = Event.objects.get()
    assert event.action == Event.Action.ADMINISTRATOR_GRANTED
    assert event.member == member
    assert event.actor == support_user


def test_revoke_action_removes_administrator(support_client, administrator):
    response = support_client.post(
        USER_CHANGELIST_URL,
        action_data("revoke_administrator_role", [administrator]),
        follow=True,
    )

    assert response.status_code == 200, response.content.decode()
    assert not User.objects.get(pk=administrator.pk).is_administrator
    event = Event.objects.get()
    assert event.action == Event.Action.ADMINISTRATOR_REVOKED
    assert event.member == administrator


def test_grant_action_skips_existing_administrator(support_client, administrator):
    response = support_client.post(
        USER_CHANGELIST_URL,
        action_data("grant_administrator_role", [administrator]),
        follow=True,
    )

    assert messages_of(response) == ["Changed the administrator role of 0 members."]
    assert not Event.objects.exists()


def test_grant_action_rejects_support_staff(support_client, member):
    other_support = SupportUserFactory()

    response = support_client.post(
        USER_CHANGELIST_URL,
        action_data("grant_administrator_role", [member, other_support]),
        follow=True,
    )

    [message] = messages_of(response)
    assert message.startswith("Support staff belong to no organization")
    assert not User.objects.get(pk=member.pk).is_administrator
    assert not Event.objects.exists()


def test_superuser_group_change_records_role_event(superuser_client, member):
    url = user_change_url(member)
    data = admin_form_data(superuser_client.get(url))
    data["groups"] = [str(Group.objects.get(name=ADMINISTRATORS_GROUP).pk)]

    response = superuser_client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    assert User.objects.get(pk=member.pk).is_administrator
    assert Event.objects.get().action == Event.Action.ADMINISTRATOR_GRANTED


# Members added or moved in the admin


def test_admin_added_member_records_event(support_client, support_user, organization):
    response = support_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "new.member@example.com",
            "full_name": "New Member",
            "organization": organization.pk,
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )

    assert response.status_code == 302, response.content.decode()
    added = User.objects.get(email="new.member@example.com")
    assert added.organization == organization
    event = Event.objects.get()
    assert event.action == Event.Action.MEMBER_ADDED
    assert event.member == added
    assert event.actor == support_user


def test_moving_member_releases_seats_of_old_organization(
    support_client, organization, seated_member
):
    other = OrganizationFactory()
    url = user_change_url(seated_member)
    data = admin_form_data(support_client.get(url))
    data["organization"] = str(other.pk)

    response = support_client.post(url, data)

    # The move must be rejected or release the old organization's seats, because
    # a member may only have seats of their own organization's holdings.
    seated_member.refresh_from_db()
    foreign_seats = Assignment.objects.filter(member=seated_member).exclude(
        holding__organization=seated_member.organization
    )
    assert not foreign_seats.exists(), response.content.decode()


# Least privilege of the Support group


@pytest.mark.parametrize(
    "url_name", ["admin:auth_group_changelist", "admin:auth_group_add"]
)
def test_support_cannot_open_group_admin(support_client, url_name):
    response = support_client.get(reverse(url_name))

    assert response.status_code == 403, response.content.decode()


def test_support_cannot_add_group(support_client):
    response = support_client.post(
        reverse("admin:auth_group_add"), {"name": "Escalated"}
    )

    assert response.status_code == 403, response.content.decode()
    assert not Group.objects.filter(name="Escalated").exists()


def test_support_sees_permission_fields_read_only(support_client, member):
    response = support_client.get(user_change_url(member))

    assert response.status_code == 200, response.content.decode()
    form_fields = response.context["adminform"].form.fields
    for name in ("groups", "user_permissions", "is_superuser", "is_staff"):
        assert name not in form_fields
    assert "is_active" in form_fields


def test_support_cannot_post_permission_fields(support_client, support_user, member):
    administrators = Group.objects.get(name=ADMINISTRATORS_GROUP)
    any_permission = Permission.objects.get(codename="delete_user")
    for target in (member, support_user):
        url = user_change_url(target)
        data = admin_form_data(support_client.get(url))
        data.update(
            is_superuser="on",
            is_staff="on",
            groups=[str(administrators.pk)],
            user_permissions=[str(any_permission.pk)],
        )

        response = support_client.post(url, data)

        assert response.status_code == 302, response.content.decode()
        target = User.objects.get(pk=target.pk)
        assert not target.is_superuser
        assert target.is_staff == (target == support_user)
        assert not target.groups.filter(pk=administrators.pk).exists()
        assert not target.user_permissions.exists()
    assert not Event.objects.exists()


def test_support_cannot_open_superuser_change_page(support_client):
    superuser = SuperuserFactory()

    response = support_client.get(user_change_url(superuser))

    assert response.status_code == 403, response.content.decode()


def test_support_cannot_change_superuser(support_client, superuser):
    url = user_change_url(superuser)

    response = support_client.post(
        url,
        {
            "email": "taken.over@example.com",
            "full_name": superuser.full_name,
            "is_active": "on",
        },
    )

    assert response.status_code == 403, response.content.decode()
    superuser.refresh_from_db()
    assert superuser.email != "taken.over@example.com"


def test_support_cannot_set_superuser_password(support_client, superuser):
    url = reverse("admin:auth_user_password_change", args=[superuser.pk])

    response = support_client.post(
        url,
        {
            "password1": "a-new-unusual-passphrase",
            "password2": "a-new-unusual-passphrase",
        },
    )

    assert response.status_code == 403, response.content.decode()
    superuser.refresh_from_db()
    assert not superuser.check_password("a-new-unusual-passphrase")


def test_support_cannot_reset_stronger_staff_password(support_client):
    # This staff user has change_group, which the Support group lacks. Setting
    # their password would give that permission to support staff.
    group_manager = UserFactory(organization=None, is_staff=True)
    group_manager.user_permissions.add(Permission.objects.get(codename="change_group"))
    url = reverse("admin:auth_user_password_change", args=[group_manager.pk])

    response = support_client.post(
        url,
        {
            "password1": "a-new-unusual-passphrase",
            "password2": "a-new-unusual-passphrase",
        },
    )

    group_manager.refresh_from_db()
    assert not group_manager.check_password("a-new-unusual-passphrase"), (
        response.status_code
    )


def test_support_actions_skip_superusers(support_client, superuser):
    response = support_client.post(
        USER_CHANGELIST_URL,
        action_data("deactivate_members", [superuser]),
        follow=True,
    )

    assert response.status_code == 200, response.content.decode()
    superuser.refresh_from_db()
    assert superuser.is_active


def test_support_cannot_delete_users(support_client, member):
    delete_url = reverse("admin:accounts_user_delete", args=[member.pk])

    page = support_client.get(delete_url)
    posted = support_client.post(delete_url, {"post": "yes"})
    action = support_client.post(
        USER_CHANGELIST_URL, action_data("delete_selected", [member])
    )

    assert page.status_code == 403, page.content.decode()
    assert posted.status_code == 403, posted.content.decode()
    # The action is not offered, so the change list redirects with the message
    # "No action selected".
    assert action.status_code == 302, action.content.decode()
    assert User.objects.filter(pk=member.pk).exists()


def test_support_has_no_delete_action(support_client):
    response = support_client.get(USER_CHANGELIST_URL)

    assert response.status_code == 200, response.content.decode()
    assertNotContains(response, 'value="delete_selected"')


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:accounts_organization_add",
        "admin:licensing_licensetype_add",
    ],
)
def test_support_cannot_add_catalog_or_organization(support_client, url_name):
    response = support_client.get(reverse(url_name))

    assert response.status_code == 403, response.content.decode()


def test_support_cannot_delete_organization(support_client, organization):
    url = reverse("admin:accounts_organization_delete", args=[organization.pk])

    response = support_client.post(url, {"post": "yes"})

    assert response.status_code == 403, response.content.decode()
    assert Organization.objects.filter(pk=organization.pk).exists()


# Deleting users and organizations


def test_deleting_user_releases_seats_with_events(
    superuser_client, superuser, seated_member
):
    member_pk, email = seated_member.pk, seated_member.email
    url = reverse("admin:accounts_user_delete", args=[member_pk])

    response = superuser_client.post(url, {"post": "yes"})

    assert response.status_code == 302, response.content.decode()
    assert not User.objects.filter(pk=member_pk).exists()
    assert not Assignment.objects.filter(member_id=member_pk).exists()
    removed = Event.objects.filter(action=Event.Action.REMOVED)
    assert removed.count() == 2
    assert set(removed.values_list("member_email", flat=True)) == {email}
    assert set(removed.values_list("actor_id", flat=True)) == {superuser.pk}


def test_delete_action_releases_seats_with_events(superuser_client, seated_member):
    response = superuser_client.post(
        USER_CHANGELIST_URL,
        {**action_data("delete_selected", [seated_member]), "post": "yes"},
    )

    assert response.status_code == 302, response.content.decode()
    assert not User.objects.filter(pk=seated_member.pk).exists()
    assert Event.objects.filter(action=Event.Action.REMOVED).count() == 2


def build_organization_with_history(organization):
    """Give the organization a holding, five seats and their events."""
    holding = HoldingFactory(organization=organization, quantity=10)
    for assignment in AssignmentFactory.create_batch(5, holding=holding):
        EventFactory(
            organization=organization,
            license_type=holding.license_type,
            member=assignment.member,
        )
    return holding


def test_organization_delete_page_counts_assignments(superuser_client, organization):
    # This organization has no events. The next test adds them.
    holding = HoldingFactory(organization=organization, quantity=10)
    AssignmentFactory.create_batch(5, holding=holding)
    url = reverse("admin:accounts_organization_delete", args=[organization.pk])

    response = superuser_client.get(url)

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "<li>Assignments: 5</li>", html=True)


def test_organization_with_history_delete_page_counts_assignments(
    superuser_client, organization
):
    build_organization_with_history(organization)
    url = reverse("admin:accounts_organization_delete", args=[organization.pk])

    response = superuser_client.get(url)

    assert response.status_code == 200, response.content.decode()
    assertContains(response, "<li>Assignments: 5</li>", html=True)


def test_deleting_organization_leaves_nothing_of_it(superuser_client, organization):
    holding = build_organization_with_history(organization)
    other_event = EventFactory()
    url = reverse("admin:accounts_organization_delete", args=[organization.pk])

    response = superuser_client.post(url, {"post": "yes"})

    assert response.status_code == 302, response.content.decode()
    assert not Organization.objects.filter(pk=organization.pk).exists()
    assert not Holding.objects.filter(pk=holding.pk).exists()
    assert not Assignment.objects.filter(holding_id=holding.pk).exists()
    assert not Event.objects.filter(organization_id=organization.pk).exists()
    assert list(Event.objects.all()) == [other_event]
