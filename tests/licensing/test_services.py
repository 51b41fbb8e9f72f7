import pytest
from django.core.exceptions import PermissionDenied

from licensing.models import Assignment, Event, Holding
from licensing.services import LicensingError, assign_license, remove_license
from tests.factories import (
    AdministratorFactory,
    AssignmentFactory,
    AutomaticLicenseTypeFactory,
    HoldingFactory,
    LicenseTypeFactory,
    SupportStaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def in_use(holding):
    return Holding.objects.with_in_use().get(pk=holding.pk).in_use


@pytest.fixture
def holding(organization):
    return HoldingFactory(organization=organization, quantity=3)


@pytest.fixture
def virtual_fax_holding(organization):
    virtual_fax = LicenseTypeFactory(name="Virtual Fax", slug="virtual-fax")
    return HoldingFactory(organization=organization, license_type=virtual_fax)


def test_assign_creates_assignment(holding, member, administrator):
    assignment = assign_license(
        holding=holding, member=member, acting_user=administrator
    )

    assert assignment.holding == holding
    assert assignment.member == member
    assert assignment.assigned_by == administrator
    assert in_use(holding) == 1


def test_remove_frees_the_seat(holding, member, administrator):
    AssignmentFactory(holding=holding, member=member)

    remove_license(holding=holding, member=member, acting_user=administrator)

    assert in_use(holding) == 0
    assert not Assignment.objects.filter(member=member).exists()


def test_assign_fills_the_last_seat(virtual_fax_holding, member, administrator):
    AssignmentFactory.create_batch(9, holding=virtual_fax_holding)

    assign_license(
        holding=virtual_fax_holding, member=member, acting_user=administrator
    )

    assert in_use(virtual_fax_holding) == 10


def test_assign_rejects_when_no_seats_remain(
    virtual_fax_holding, member, administrator
):
    AssignmentFactory.create_batch(10, holding=virtual_fax_holding)

    with pytest.raises(LicensingError) as raised:
        assign_license(
            holding=virtual_fax_holding, member=member, acting_user=administrator
        )

    assert str(raised.value).startswith(
        "No Virtual Fax seats remaining (10 of 10 in use)"
    )
    assert in_use(virtual_fax_holding) == 10
    assert not Assignment.objects.filter(member=member).exists()
    assert not Event.objects.exists()


def test_assign_rejects_when_quantity_lowered_below_in_use(
    virtual_fax_holding, member, administrator
):
    AssignmentFactory.create_batch(10, holding=virtual_fax_holding)
    Holding.objects.filter(pk=virtual_fax_holding.pk).update(quantity=8)

    with pytest.raises(LicensingError) as raised:
        assign_license(
            holding=virtual_fax_holding, member=member, acting_user=administrator
        )

    assert str(raised.value).startswith("No Virtual Fax seats remaining (10 of 8")
    assert in_use(virtual_fax_holding) == 10


def test_assign_reads_quantity_from_database_not_argument(
    virtual_fax_holding, member, administrator
):
    # The caller's object still has quantity 10, but the row has 2, both in use.
    AssignmentFactory.create_batch(2, holding=virtual_fax_holding)
    Holding.objects.filter(pk=virtual_fax_holding.pk).update(quantity=2)

    with pytest.raises(LicensingError):
        assign_license(
            holding=virtual_fax_holding, member=member, acting_user=administrator
        )

    assert virtual_fax_holding.quantity == 10
    assert in_use(virtual_fax_holding) == 2


def test_assign_unlimited_never_runs_out(organization, administrator):
    holding = HoldingFactory(organization=organization, quantity=None)
    AssignmentFactory.create_batch(25, holding=holding)
    member = UserFactory(organization=organization)

    assign_license(holding=holding, member=member, acting_user=administrator)

    assert in_use(holding) == 26


def test_assign_rejects_member_who_already_holds_it(holding, member, administrator):
    AssignmentFactory(holding=holding, member=member)

    with pytest.raises(LicensingError) as raised:
        assign_license(holding=holding, member=member, acting_user=administrator)

    assert "already holds" in str(raised.value)
    assert in_use(holding) == 1
    assert not Event.objects.exists()


def test_remove_rejects_member_without_the_license(holding, member, administrator):
    AssignmentFactory(holding=holding)

    with pytest.raises(LicensingError) as raised:
        remove_license(holding=holding, member=member, acting_user=administrator)

    assert "does not hold" in str(raised.value)
    assert in_use(holding) == 1
    assert not Event.objects.exists()


def test_assign_rejects_inactive_member(holding, organization, administrator):
    inactive = UserFactory(organization=organization, is_active=False)

    with pytest.raises(LicensingError) as raised:
        assign_license(holding=holding, member=inactive, acting_user=administrator)

    assert "deactivated" in str(raised.value)
    assert in_use(holding) == 0
    assert not Event.objects.exists()


def test_assign_rejects_automatic_type(organization, member, administrator):
    # No page offers a holding of an automatic type; one made directly reaches
    # the check in the service.
    holding = HoldingFactory(
        organization=organization, license_type=AutomaticLicenseTypeFactory()
    )

    with pytest.raises(LicensingError) as raised:
        assign_license(holding=holding, member=member, acting_user=administrator)

    assert "is automatic" in str(raised.value)
    assert in_use(holding) == 0
    assert not Event.objects.exists()


def test_remove_rejects_automatic_type(organization, member, administrator):
    holding = HoldingFactory(
        organization=organization, license_type=AutomaticLicenseTypeFactory()
    )
    AssignmentFactory(holding=holding, member=member)

    with pytest.raises(LicensingError) as raised:
        remove_license(holding=holding, member=member, acting_user=administrator)

    assert "is automatic" in str(raised.value)
    assert in_use(holding) == 1
    assert not Event.objects.exists()


def test_assign_rejects_member_of_another_organization(holding, administrator):
    outsider = UserFactory()

    with pytest.raises(LicensingError) as raised:
        assign_license(holding=holding, member=outsider, acting_user=administrator)

    assert outsider.email in str(raised.value)
    assert in_use(holding) == 0
    assert not Event.objects.exists()


def test_remove_rejects_member_of_another_organization(holding, administrator):
    # A row that the service would never write: an outsider on this holding.
    outsider = UserFactory()
    Assignment.objects.create(holding=holding, member=outsider)

    with pytest.raises(LicensingError):
        remove_license(holding=holding, member=outsider, acting_user=administrator)

    assert in_use(holding) == 1
    assert not Event.objects.exists()


def test_assign_denies_plain_member(holding, organization, member):
    colleague = UserFactory(organization=organization)

    with pytest.raises(PermissionDenied):
        assign_license(holding=holding, member=colleague, acting_user=member)

    assert in_use(holding) == 0
    assert not Event.objects.exists()


def test_remove_denies_plain_member(holding, organization, member):
    colleague = UserFactory(organization=organization)
    AssignmentFactory(holding=holding, member=colleague)

    with pytest.raises(PermissionDenied):
        remove_license(holding=holding, member=colleague, acting_user=member)

    assert in_use(holding) == 1
    assert not Event.objects.exists()


def test_assign_denies_administrator_of_another_organization(holding, member):
    foreign_administrator = AdministratorFactory()

    with pytest.raises(PermissionDenied):
        assign_license(
            holding=holding, member=member, acting_user=foreign_administrator
        )

    assert in_use(holding) == 0
    assert not Event.objects.exists()


def test_remove_denies_administrator_of_another_organization(holding, member):
    AssignmentFactory(holding=holding, member=member)
    foreign_administrator = AdministratorFactory()

    with pytest.raises(PermissionDenied):
        remove_license(
            holding=holding, member=member, acting_user=foreign_administrator
        )

    assert in_use(holding) == 1
    assert not Event.objects.exists()


def test_assign_denies_inactive_administrator(holding, organization, member):
    inactive_administrator = AdministratorFactory(
        organization=organization, is_active=False
    )

    with pytest.raises(PermissionDenied):
        assign_license(
            holding=holding, member=member, acting_user=inactive_administrator
        )

    assert in_use(holding) == 0


def test_support_staff_may_assign_and_remove(holding, member):
    support = SupportStaffFactory()

    assign_license(holding=holding, member=member, acting_user=support)
    assert in_use(holding) == 1

    remove_license(holding=holding, member=member, acting_user=support)
    assert in_use(holding) == 0


@pytest.mark.parametrize("codenames", [[], ["add_assignment"], ["delete_assignment"]])
def test_assign_denies_support_staff_without_both_permissions(
    holding, member, codenames
):
    support = SupportStaffFactory(permissions=codenames)

    with pytest.raises(PermissionDenied):
        assign_license(holding=holding, member=member, acting_user=support)

    assert in_use(holding) == 0


def test_assign_denies_non_staff_user_without_organization(holding, member):
    # The assignment permissions alone do not make a user support staff.
    user = SupportStaffFactory(is_staff=False)

    with pytest.raises(PermissionDenied):
        assign_license(holding=holding, member=member, acting_user=user)

    assert in_use(holding) == 0


def test_assign_records_event(holding, member, administrator):
    assign_license(holding=holding, member=member, acting_user=administrator)

    event = Event.objects.get()
    assert event.action == Event.Action.ASSIGNED
    assert event.source == Event.Source.PORTAL
    assert event.organization == holding.organization
    assert event.license_type == holding.license_type
    assert event.license_name == holding.license_type.name
    assert event.member == member
    assert event.member_email == member.email
    assert event.actor == administrator
    assert event.actor_email == administrator.email


def test_remove_records_event_with_given_source(holding, member):
    support = SupportStaffFactory()
    AssignmentFactory(holding=holding, member=member)

    remove_license(
        holding=holding, member=member, acting_user=support, source=Event.Source.ADMIN
    )

    event = Event.objects.get()
    assert event.action == Event.Action.REMOVED
    assert event.source == Event.Source.ADMIN
    assert event.license_name == holding.license_type.name
    assert event.member == member
    assert event.member_email == member.email
    assert event.actor == support
    assert event.actor_email == support.email


def test_each_change_records_its_own_event(holding, organization, administrator):
    first, second = UserFactory.create_batch(2, organization=organization)

    assign_license(holding=holding, member=first, acting_user=administrator)
    assign_license(holding=holding, member=second, acting_user=administrator)
    remove_license(holding=holding, member=first, acting_user=administrator)

    recorded = list(
        Event.objects.order_by("pk").values_list("action", "member_id", "actor_id")
    )
    assert recorded == [
        (Event.Action.ASSIGNED, first.pk, administrator.pk),
        (Event.Action.ASSIGNED, second.pk, administrator.pk),
        (Event.Action.REMOVED, first.pk, administrator.pk),
    ]
