"""Seat invariants under random sequences of service calls.

A Hypothesis state machine calls the services that change seats, quantities
and members, valid and invalid calls mixed, and keeps a model of what the
database should contain. After every step it checks the design's invariants:
in use never above total, assignments only within one organization, no seat
for an inactive member, and one history event per successful change.
"""

from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from accounts.models import User
from accounts.services import deactivate_member, reactivate_member
from licensing.models import Assignment, Event, Holding
from licensing.services import (
    LicensingError,
    assign_license,
    assign_license_to_members,
    change_quantity,
    remove_license,
)
from tests.factories import (
    AdministratorFactory,
    HoldingFactory,
    LicenseTypeFactory,
    OrganizationFactory,
    SupportUserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MEMBERS_PER_ORGANIZATION = 4  # the administrator and three members
# Two holdings per organization: (quantity of the first, of the second).
# None is unlimited.
QUANTITIES = [(2, None), (1, 3)]

# Who calls a service, and from where.
ACTORS = ["administrator-0", "administrator-1", "support", "command", "nobody"]


@dataclass
class Organization:
    """The ids of one organization's rows, as the machine built them."""

    pk: int
    administrator_id: int
    member_ids: list[int]
    holding_ids: list[int]


class SeatMachine(RuleBasedStateMachine):
    """Call the services at random and compare the database with a model.

    Each example runs inside a savepoint that teardown() rolls back, so the
    examples of one test share no rows.
    """

    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        try:
            self.build()
        except BaseException:
            # Hypothesis calls teardown() only for a machine it could build.
            self.teardown()
            raise

    def build(self):
        license_types = [LicenseTypeFactory(), LicenseTypeFactory()]
        self.organizations = []
        for quantities in QUANTITIES:
            organization = OrganizationFactory()
            administrator = AdministratorFactory(organization=organization)
            members = UserFactory.create_batch(
                MEMBERS_PER_ORGANIZATION - 1, organization=organization
            )
            holdings = [
                HoldingFactory(
                    organization=organization,
                    license_type=license_type,
                    quantity=quantity,
                )
                for license_type, quantity in zip(
                    license_types, quantities, strict=True
                )
            ]
            self.organizations.append(
                Organization(
                    pk=organization.pk,
                    administrator_id=administrator.pk,
                    member_ids=[administrator.pk, *(m.pk for m in members)],
                    holding_ids=[h.pk for h in holdings],
                )
            )
        self.support = SupportUserFactory()
        self.member_ids = [m for o in self.organizations for m in o.member_ids]
        self.holding_ids = [h for o in self.organizations for h in o.holding_ids]

        # The model: what the database must contain after every step.
        self.seats: set[tuple[int, int]] = set()
        self.quantities = {
            holding_id: quantity
            for organization, quantities in zip(
                self.organizations, QUANTITIES, strict=True
            )
            for holding_id, quantity in zip(
                organization.holding_ids, quantities, strict=True
            )
        }
        self.active = dict.fromkeys(self.member_ids, True)
        self.organization_of_member = {
            member_id: organization.pk
            for organization in self.organizations
            for member_id in organization.member_ids
        }
        self.organization_of_holding = {
            holding_id: organization.pk
            for organization in self.organizations
            for holding_id in organization.holding_ids
        }
        self.events = 0

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    # Choosing rows and actors

    @initialize()
    def start_without_events(self):
        assert Event.objects.count() == 0

    def actor(self, name) -> tuple[User | None, Event.Source]:
        if name.startswith("administrator-"):
            organization = self.organizations[int(name.rsplit("-", 1)[1])]
            user = User.objects.get(pk=organization.administrator_id)
            return user, Event.Source.PORTAL
        if name == "support":
            return User.objects.get(pk=self.support.pk), Event.Source.ADMIN
        if name == "command":
            return None, Event.Source.COMMAND
        return None, Event.Source.PORTAL

    def may_change_seats(self, actor_name, holding_id) -> bool:
        """Whether the actor may assign and remove seats of the holding."""
        if actor_name.startswith("administrator-"):
            organization = self.organizations[int(actor_name.rsplit("-", 1)[1])]
            return (
                organization.pk == self.organization_of_holding[holding_id]
                and self.active[organization.administrator_id]
            )
        return actor_name in ("support", "command")

    @staticmethod
    def may_change_holdings_and_members(actor_name) -> bool:
        # Administrators of an organization lack the model permissions on
        # holdings and users, which the Support group has.
        return actor_name in ("support", "command")

    def seats_of(self, holding_id) -> int:
        return sum(1 for holding, _ in self.seats if holding == holding_id)

    def full_holding_ids(self) -> list[int]:
        return [
            holding_id
            for holding_id, quantity in self.quantities.items()
            if quantity is not None and self.seats_of(holding_id) >= quantity
        ]

    def call(self, change, expected_error, **arguments):
        """Call a service and check that it raises `expected_error`, if any.

        A rejected call must leave the database exactly as it was.
        """
        before = database_state()
        if expected_error is None:
            return change(**arguments)
        with pytest.raises(expected_error):
            change(**arguments)
        assert database_state() == before
        return None

    # Rules. Each change has a rule that draws rows and actors the change
    # usually accepts, so that holdings fill up and members lose seats, and a
    # rule that draws from every row and actor, so that most calls are
    # rejected. One prediction serves both.

    @rule(
        organization=st.integers(0, 1),
        holding_slot=st.integers(0, 1),
        member_slot=st.integers(0, MEMBERS_PER_ORGANIZATION - 1),
        actor_name=st.sampled_from(["own administrator", "support", "command"]),
    )
    def assign(self, organization, holding_slot, member_slot, actor_name):
        self.try_assign(
            self.organizations[organization].holding_ids[holding_slot],
            self.organizations[organization].member_ids[member_slot],
            self.own(actor_name, organization),
        )

    @rule(
        holding_index=st.integers(0, 3),
        member_index=st.integers(0, 7),
        actor_name=st.sampled_from(ACTORS),
    )
    def assign_anywhere(self, holding_index, member_index, actor_name):
        self.try_assign(
            self.holding_ids[holding_index],
            self.member_ids[member_index],
            actor_name,
        )

    @rule(
        organization=st.integers(0, 1),
        member_slot=st.integers(0, MEMBERS_PER_ORGANIZATION - 1),
        actor_name=st.sampled_from(["own administrator", "support", "command"]),
    )
    def assign_every_holding(self, organization, member_slot, actor_name):
        # Members with several seats are the ones whose deactivation must
        # release, and record, each seat.
        for holding_id in self.organizations[organization].holding_ids:
            self.try_assign(
                holding_id,
                self.organizations[organization].member_ids[member_slot],
                self.own(actor_name, organization),
            )

    @precondition(lambda self: self.full_holding_ids())
    @rule(
        full_index=st.integers(0, 3),
        member_slot=st.integers(0, MEMBERS_PER_ORGANIZATION - 1),
        actor_name=st.sampled_from(["own administrator", "support", "command"]),
    )
    def assign_to_full_holding(self, full_index, member_slot, actor_name):
        full = self.full_holding_ids()
        holding_id = full[full_index % len(full)]
        organization = next(
            index
            for index, candidate in enumerate(self.organizations)
            if holding_id in candidate.holding_ids
        )
        self.try_assign(
            holding_id,
            self.organizations[organization].member_ids[member_slot],
            self.own(actor_name, organization),
        )

    @rule(
        organization=st.integers(0, 1),
        holding_slot=st.integers(0, 1),
        member_slots=st.lists(
            st.integers(0, MEMBERS_PER_ORGANIZATION - 1),
            min_size=1,
            max_size=MEMBERS_PER_ORGANIZATION,
            unique=True,
        ),
        actor_name=st.sampled_from(["own administrator", "support", "command"]),
    )
    def assign_in_bulk(self, organization, holding_slot, member_slots, actor_name):
        members = self.organizations[organization].member_ids
        self.try_assign_in_bulk(
            self.organizations[organization].holding_ids[holding_slot],
            [members[slot] for slot in member_slots],
            self.own(actor_name, organization),
        )

    @rule(
        holding_index=st.integers(0, 3),
        member_indexes=st.lists(st.integers(0, 7), min_size=1, max_size=4, unique=True),
        actor_name=st.sampled_from(ACTORS),
    )
    def assign_in_bulk_anywhere(self, holding_index, member_indexes, actor_name):
        self.try_assign_in_bulk(
            self.holding_ids[holding_index],
            [self.member_ids[index] for index in member_indexes],
            actor_name,
        )

    @rule(
        organization=st.integers(0, 1),
        holding_slot=st.integers(0, 1),
        member_slot=st.integers(0, MEMBERS_PER_ORGANIZATION - 1),
        actor_name=st.sampled_from(["own administrator", "support", "command"]),
    )
    def remove(self, organization, holding_slot, member_slot, actor_name):
        self.try_remove(
            self.organizations[organization].holding_ids[holding_slot],
            self.organizations[organization].member_ids[member_slot],
            self.own(actor_name, organization),
        )

    @rule(
        holding_index=st.integers(0, 3),
        member_index=st.integers(0, 7),
        actor_name=st.sampled_from(ACTORS),
    )
    def remove_anywhere(self, holding_index, member_index, actor_name):
        self.try_remove(
            self.holding_ids[holding_index],
            self.member_ids[member_index],
            actor_name,
        )

    @rule(
        holding_index=st.integers(0, 3),
        quantity=st.none() | st.integers(-1, 4),
        actor_name=st.sampled_from(ACTORS),
    )
    def set_quantity(self, holding_index, quantity, actor_name):
        holding_id = self.holding_ids[holding_index]
        if not self.may_change_holdings_and_members(actor_name):
            expected_error = PermissionDenied
        elif quantity is not None and quantity < max(0, self.seats_of(holding_id)):
            expected_error = LicensingError
        else:
            expected_error = None
        acting_user, source = self.actor(actor_name)

        self.call(
            change_quantity,
            expected_error,
            holding=Holding.objects.get(pk=holding_id),
            quantity=quantity,
            acting_user=acting_user,
            source=source,
        )

        if expected_error is None and self.quantities[holding_id] != quantity:
            self.quantities[holding_id] = quantity
            self.events += 1

    @rule(
        holding_index=st.integers(0, 3),
        difference=st.integers(-1, 1),
        actor_name=st.sampled_from(["support", "command"]),
    )
    def set_quantity_near_in_use(self, holding_index, difference, actor_name):
        # Holdings with the most seats first: one below their seats in use
        # is the quantity the service must reject.
        holding_ids = sorted(self.holding_ids, key=lambda h: -self.seats_of(h))
        holding_id = holding_ids[holding_index]
        self.set_quantity(
            self.holding_ids.index(holding_id),
            self.seats_of(holding_id) + difference,
            actor_name,
        )

    @precondition(lambda self: self.seats)
    @rule(
        holder_index=st.integers(0, 2),
        actor_name=st.sampled_from(["support", "command"]),
    )
    def deactivate_holder(self, holder_index, actor_name):
        # Members with the most seats first, so that small indexes, which
        # Hypothesis draws often, release several seats at once.
        holders = sorted(
            {member_id for _, member_id in self.seats},
            key=lambda member_id: (
                -sum(1 for _, holder in self.seats if holder == member_id),
                member_id,
            ),
        )
        self.deactivate(
            self.member_ids.index(holders[holder_index % len(holders)]), actor_name
        )

    @rule(member_index=st.integers(0, 7), actor_name=st.sampled_from(ACTORS))
    def deactivate(self, member_index, actor_name):
        member_id = self.member_ids[member_index]
        expected_error = (
            None
            if self.may_change_holdings_and_members(actor_name)
            else PermissionDenied
        )
        acting_user, source = self.actor(actor_name)

        released = self.call(
            deactivate_member,
            expected_error,
            member=User.objects.get(pk=member_id),
            acting_user=acting_user,
            source=source,
        )

        if expected_error is None and self.active[member_id]:
            member_seats = {seat for seat in self.seats if seat[1] == member_id}
            assert released == len(member_seats)
            self.seats -= member_seats
            self.active[member_id] = False
            # One event per released seat and one for the deactivation.
            self.events += len(member_seats) + 1

    @precondition(lambda self: not all(self.active.values()))
    @rule(
        inactive_index=st.integers(0, 7),
        actor_name=st.sampled_from(["support", "command"]),
    )
    def reactivate_inactive(self, inactive_index, actor_name):
        inactive = [m for m in self.member_ids if not self.active[m]]
        self.reactivate(
            self.member_ids.index(inactive[inactive_index % len(inactive)]),
            actor_name,
        )

    @rule(member_index=st.integers(0, 7), actor_name=st.sampled_from(ACTORS))
    def reactivate(self, member_index, actor_name):
        member_id = self.member_ids[member_index]
        expected_error = (
            None
            if self.may_change_holdings_and_members(actor_name)
            else PermissionDenied
        )
        acting_user, source = self.actor(actor_name)

        self.call(
            reactivate_member,
            expected_error,
            member=User.objects.get(pk=member_id),
            acting_user=acting_user,
            source=source,
        )

        if expected_error is None and not self.active[member_id]:
            self.active[member_id] = True
            self.events += 1

    # Predictions shared by the rules

    @staticmethod
    def own(actor_name, organization):
        if actor_name == "own administrator":
            return f"administrator-{organization}"
        return actor_name

    def try_assign(self, holding_id, member_id, actor_name):
        quantity = self.quantities[holding_id]
        if not self.may_change_seats(actor_name, holding_id):
            expected_error = PermissionDenied
        elif (
            self.organization_of_member[member_id]
            != self.organization_of_holding[holding_id]
            or not self.active[member_id]
            or (holding_id, member_id) in self.seats
            or (quantity is not None and self.seats_of(holding_id) >= quantity)
        ):
            expected_error = LicensingError
        else:
            expected_error = None
        acting_user, source = self.actor(actor_name)

        self.call(
            assign_license,
            expected_error,
            holding=Holding.objects.get(pk=holding_id),
            member=User.objects.get(pk=member_id),
            acting_user=acting_user,
            source=source,
        )

        if expected_error is None:
            self.seats.add((holding_id, member_id))
            self.events += 1

    def try_assign_in_bulk(self, holding_id, member_ids, actor_name):
        quantity = self.quantities[holding_id]
        needing = [m for m in member_ids if (holding_id, m) not in self.seats]
        if not self.may_change_seats(actor_name, holding_id):
            expected_error = PermissionDenied
        elif any(
            self.organization_of_member[m] != self.organization_of_holding[holding_id]
            or not self.active[m]
            for m in member_ids
        ) or (
            quantity is not None and len(needing) > quantity - self.seats_of(holding_id)
        ):
            expected_error = LicensingError
        else:
            expected_error = None
        acting_user, source = self.actor(actor_name)

        self.call(
            assign_license_to_members,
            expected_error,
            holding=Holding.objects.get(pk=holding_id),
            members=list(User.objects.filter(pk__in=member_ids)),
            acting_user=acting_user,
            source=source,
        )

        if expected_error is None:
            self.seats.update((holding_id, m) for m in needing)
            self.events += len(needing)

    def try_remove(self, holding_id, member_id, actor_name):
        if not self.may_change_seats(actor_name, holding_id):
            expected_error = PermissionDenied
        elif (holding_id, member_id) not in self.seats:
            # Also the case for a member of another organization.
            expected_error = LicensingError
        else:
            expected_error = None
        acting_user, source = self.actor(actor_name)

        self.call(
            remove_license,
            expected_error,
            holding=Holding.objects.get(pk=holding_id),
            member=User.objects.get(pk=member_id),
            acting_user=acting_user,
            source=source,
        )

        if expected_error is None:
            self.seats.discard((holding_id, member_id))
            self.events += 1

    # Invariants

    @invariant()
    def in_use_never_above_total(self):
        for holding in Holding.objects.with_in_use():
            if holding.quantity is not None:
                assert holding.in_use <= holding.quantity, holding

    @invariant()
    def seats_only_within_one_organization(self):
        crossing = Assignment.objects.exclude(
            holding__organization=F("member__organization")
        )
        assert not crossing.exists(), list(crossing)

    @invariant()
    def no_seat_for_inactive_member(self):
        seated = Assignment.objects.filter(member__is_active=False)
        assert not seated.exists(), list(seated)

    @invariant()
    def one_event_per_change(self):
        assert Event.objects.count() == self.events

    @invariant()
    def database_matches_model(self):
        assert set(Assignment.objects.values_list("holding_id", "member_id")) == (
            self.seats
        )
        assert dict(Holding.objects.values_list("pk", "quantity")) == self.quantities
        assert (
            dict(
                User.objects.filter(pk__in=self.member_ids).values_list(
                    "pk", "is_active"
                )
            )
            == self.active
        )


def database_state():
    """Return every row a service call may change."""
    return (
        sorted(Assignment.objects.values_list("holding_id", "member_id")),
        sorted(Holding.objects.values_list("pk", "quantity")),
        sorted(User.objects.values_list("pk", "is_active", "organization_id")),
        Event.objects.count(),
    )


SEAT_MACHINE_SETTINGS = settings(
    max_examples=50,
    stateful_step_count=30,
    deadline=None,
    # The example database would write a .hypothesis folder into the working
    # tree. A failure prints the steps that reproduce it instead.
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_seat_invariants_hold(db):
    run_state_machine_as_test(SeatMachine, settings=SEAT_MACHINE_SETTINGS)


# Cases the machine above does not generate, kept as plain tests


def test_bulk_assign_with_member_listed_twice(db):
    holding = HoldingFactory(quantity=5)
    member = UserFactory(organization=holding.organization)
    administrator = AdministratorFactory(organization=holding.organization)

    try:
        assign_license_to_members(
            holding=holding, members=[member, member], acting_user=administrator
        )
    except IntegrityError as error:
        pytest.fail(f"A member listed twice raised {error!r}")

    assert Assignment.objects.filter(holding=holding, member=member).count() == 1
    assert Event.objects.count() == 1


def test_assign_rechecks_member_deactivated_meanwhile(db):
    # A request loads the member, and another request deactivates them
    # before the first one assigns. The seat must still be rejected.
    holding = HoldingFactory(quantity=5)
    administrator = AdministratorFactory(organization=holding.organization)
    loaded = UserFactory(organization=holding.organization)
    deactivate_member(
        member=User.objects.get(pk=loaded.pk),
        acting_user=None,
        source=Event.Source.COMMAND,
    )

    with pytest.raises(LicensingError):
        assign_license(holding=holding, member=loaded, acting_user=administrator)

    assert not Assignment.objects.filter(member=loaded).exists()
