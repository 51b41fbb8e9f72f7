import pytest
from django.db import transaction

from accounts import services as accounts_services
from accounts.services import MemberRow
from licensing import services
from licensing.models import Event
from tests.factories import (
    AdministratorFactory,
    AssignmentFactory,
    EventFactory,
    HoldingFactory,
    LicenseTypeFactory,
    SuperuserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ADMIN = Event.Source.ADMIN


# Append-only rows


def test_saving_existing_event_raises():
    event = EventFactory(detail="original")
    event.detail = "edited"

    with pytest.raises(TypeError, match="append-only"):
        event.save()

    assert Event.objects.get(pk=event.pk).detail == "original"


def test_deleting_event_raises():
    event = EventFactory()

    with pytest.raises(TypeError, match="append-only"):
        event.delete()

    assert Event.objects.filter(pk=event.pk).exists()


def test_queryset_update_raises():
    EventFactory(detail="original")

    with pytest.raises(TypeError, match="append-only"):
        Event.objects.update(detail="edited")
    with pytest.raises(TypeError, match="append-only"):
        Event.objects.filter(detail="original").update(detail="edited")

    assert Event.objects.get().detail == "original"


def test_queryset_delete_raises():
    EventFactory()

    with pytest.raises(TypeError, match="append-only"):
        Event.objects.all().delete()
    with pytest.raises(TypeError, match="append-only"):
        Event.objects.filter(source=Event.Source.PORTAL).delete()

    assert Event.objects.count() == 1


def test_bulk_update_raises():
    event = EventFactory(detail="original")
    event.detail = "edited"

    # bulk_update runs in an atomic block without a savepoint; the outer block
    # keeps the test transaction usable after the error.
    with pytest.raises(TypeError, match="append-only"), transaction.atomic():
        Event.objects.bulk_update([event], ["detail"])

    assert Event.objects.get().detail == "original"


def test_event_keeps_names_after_member_deleted():
    event = EventFactory()
    email, license_name = event.member_email, event.license_name

    event.member.delete()

    event = Event.objects.get(pk=event.pk)
    assert event.member is None
    assert event.member_email == email
    assert event.license_name == license_name


# One event per change


@pytest.fixture
def actor():
    return SuperuserFactory()


@pytest.fixture
def holding(organization):
    return HoldingFactory(organization=organization, quantity=5)


def assign(holding, member, actor):
    services.assign_license(
        holding=holding, member=member, acting_user=actor, source=ADMIN
    )


def remove(holding, member, actor):
    AssignmentFactory(holding=holding, member=member)
    services.remove_license(
        holding=holding, member=member, acting_user=actor, source=ADMIN
    )


def change_quantity(holding, member, actor):
    services.change_quantity(holding=holding, quantity=7, acting_user=actor)


def add_holding(holding, member, actor):
    services.add_holding(
        organization=holding.organization,
        license_type=LicenseTypeFactory(),
        quantity=3,
        acting_user=actor,
    )


def remove_holding(holding, member, actor):
    services.remove_holding(holding=holding, acting_user=actor)


def deactivate(holding, member, actor):
    accounts_services.deactivate_member(member=member, acting_user=actor, source=ADMIN)


def reactivate(holding, member, actor):
    member.is_active = False
    member.save(update_fields=["is_active"])
    accounts_services.reactivate_member(member=member, acting_user=actor, source=ADMIN)


def grant(holding, member, actor):
    accounts_services.set_administrator(
        member=member, is_administrator=True, acting_user=actor, source=ADMIN
    )


def revoke(holding, member, actor):
    administrator = AdministratorFactory(organization=holding.organization)
    accounts_services.set_administrator(
        member=administrator, is_administrator=False, acting_user=actor, source=ADMIN
    )


def import_member(holding, member, actor):
    accounts_services.import_members(
        organization=holding.organization,
        rows=[MemberRow("new.member@example.com", "New Member", False)],
        acting_user=None,
        source=Event.Source.COMMAND,
    )


@pytest.mark.parametrize(
    ("change", "expected_action"),
    [
        (assign, Event.Action.ASSIGNED),
        (remove, Event.Action.REMOVED),
        (change_quantity, Event.Action.QUANTITY_CHANGED),
        (add_holding, Event.Action.HOLDING_ADDED),
        (remove_holding, Event.Action.HOLDING_REMOVED),
        (deactivate, Event.Action.MEMBER_DEACTIVATED),
        (reactivate, Event.Action.MEMBER_REACTIVATED),
        (grant, Event.Action.ADMINISTRATOR_GRANTED),
        (revoke, Event.Action.ADMINISTRATOR_REVOKED),
        (import_member, Event.Action.MEMBER_ADDED),
    ],
)
def test_each_change_writes_one_event(holding, member, actor, change, expected_action):
    change(holding, member, actor)

    event = Event.objects.get()
    assert event.action == expected_action
    assert event.organization == holding.organization


@pytest.mark.parametrize(
    "change", [change_quantity, add_holding, remove_holding, deactivate, grant]
)
def test_event_names_the_actor(holding, member, actor, change):
    change(holding, member, actor)

    event = Event.objects.get()
    assert event.actor == actor
    assert event.actor_email == actor.email
    assert event.source == ADMIN


def test_unchanged_quantity_writes_no_event(holding, actor):
    services.change_quantity(holding=holding, quantity=5, acting_user=actor)

    assert not Event.objects.exists()


def test_deactivating_inactive_member_writes_no_event(organization, actor):
    inactive = UserFactory(organization=organization, is_active=False)

    accounts_services.deactivate_member(
        member=inactive, acting_user=actor, source=ADMIN
    )

    assert not Event.objects.exists()


def test_rejected_change_writes_no_event(holding, actor):
    AssignmentFactory.create_batch(5, holding=holding)

    with pytest.raises(services.LicensingError):
        services.change_quantity(holding=holding, quantity=4, acting_user=actor)

    assert not Event.objects.exists()
