"""Seat checks under real concurrency: threads with their own PostgreSQL connections.

Each thread opens its own connection, so the test runs outside a test
transaction (`transaction=True`). The flush after it deletes the groups that
the migrations create; the factories create them again where needed.
"""

import threading

import pytest
from django.db import connection

from licensing.models import Assignment, Event, Holding
from licensing.services import LicensingError, assign_license
from tests.factories import (
    AdministratorFactory,
    AssignmentFactory,
    HoldingFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason=(
            "needs row locks and one connection per thread: set DATABASE_URL to "
            "a PostgreSQL database, for example "
            "postgres://postgres@127.0.0.1:5432/test"
        ),
    ),
]

THREAD_TIMEOUT_SECONDS = 60


def run_at_once(calls):
    """Run each call in its own thread, released together by a barrier.

    Returns what each call returned or raised, in the order of `calls`.
    """
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            # Connect before the barrier so that the calls start together.
            connection.ensure_connection()
            barrier.wait(timeout=THREAD_TIMEOUT_SECONDS)
            outcomes[index] = call()
        except Exception as error:  # The test inspects every outcome.
            outcomes[index] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, call))
        for index, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=THREAD_TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a thread timed out"
    return outcomes


def assign_call(holding, member, administrator):
    return lambda: assign_license(
        holding=holding, member=member, acting_user=administrator
    )


def test_concurrent_assigns_take_only_the_last_seat():
    seats = 5
    holding = HoldingFactory(quantity=seats)
    administrator = AdministratorFactory(organization=holding.organization)
    AssignmentFactory.create_batch(seats - 1, holding=holding)
    members = UserFactory.create_batch(8, organization=holding.organization)

    outcomes = run_at_once(
        [assign_call(holding, member, administrator) for member in members]
    )

    assigned = [outcome for outcome in outcomes if isinstance(outcome, Assignment)]
    rejected = [o for o in outcomes if isinstance(o, LicensingError)]
    assert len(assigned) == 1, outcomes
    assert len(rejected) == 7, outcomes
    assert Holding.objects.with_in_use().get(pk=holding.pk).in_use == seats
    assert Event.objects.filter(action=Event.Action.ASSIGNED).count() == 1


def test_concurrent_assigns_of_one_member_create_one_assignment():
    holding = HoldingFactory(quantity=None)
    administrator = AdministratorFactory(organization=holding.organization)
    member = UserFactory(organization=holding.organization)

    outcomes = run_at_once([assign_call(holding, member, administrator)] * 5)

    assigned = [outcome for outcome in outcomes if isinstance(outcome, Assignment)]
    rejected = [o for o in outcomes if isinstance(o, LicensingError)]
    assert len(assigned) == 1, outcomes
    assert len(rejected) == 4, outcomes
    assert Assignment.objects.filter(holding=holding, member=member).count() == 1
    assert Event.objects.filter(action=Event.Action.ASSIGNED).count() == 1
