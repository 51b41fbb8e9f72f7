"""History details: stored in English by the services, shown in the reader's
language on the History page."""

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.services import deactivate_member, delete_member, move_member
from licensing import details
from licensing.models import Event
from licensing.services import add_holding, change_quantity, remove_holding
from tests.factories import (
    AssignmentFactory,
    EventFactory,
    LicenseTypeFactory,
    OrganizationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HISTORY_URL = reverse("licensing:history")
COMMAND = Event.Source.COMMAND
NBSP = "\N{NO-BREAK SPACE}"


@pytest.fixture
def history(organization):
    """Every kind of detail the services write, through the services."""
    fax = LicenseTypeFactory(name="Virtual Fax")
    holding = add_holding(
        organization=organization,
        license_type=fax,
        quantity=1500,
        acting_user=None,
        source=COMMAND,
    )
    change_quantity(holding=holding, quantity=None, acting_user=None, source=COMMAND)
    leaving, moving, deleted = (
        AssignmentFactory(holding=holding).member for _ in range(3)
    )
    AssignmentFactory(holding=holding)
    deactivate_member(member=leaving, acting_user=None, source=COMMAND)
    move_member(
        member=moving,
        organization=OrganizationFactory(),
        acting_user=None,
        source=COMMAND,
    )
    delete_member(member=deleted, acting_user=None, source=COMMAND)
    remove_holding(holding=holding, acting_user=None, source=COMMAND)
    return set(Event.objects.exclude(detail="").values_list("detail", flat=True))


def test_services_write_details_in_english(history):
    assert history == {
        "Quantity 1500",
        "1500 → unlimited",
        "1 seat released",
        "Released when the member was deactivated",
        "Released when the member moved to another organization",
        "Released when the member was deleted",
        "License type removed from the organization",
    }


def test_every_stored_detail_has_a_french_text(history):
    with translation.override("fr-ca"):
        untranslated = {
            detail for detail in history if details.localize(detail) == detail
        }

    assert untranslated == set()


@pytest.mark.parametrize(
    ("stored", "english", "french"),
    [
        ("Quantity 1500", "Quantity 1,500", f"Quantité{NBSP}: 1{NBSP}500"),
        ("Quantity unlimited", "Quantity unlimited", f"Quantité{NBSP}: illimité"),
        ("20 → unlimited", "20 → unlimited", "20 → illimité"),
        ("unlimited → 2000", "unlimited → 2,000", f"illimité → 2{NBSP}000"),
        ("1 seat released", "1 seat released", "1 siège libéré"),
        ("0 seats released", "0 seats released", "0 siège libéré"),
        ("12 seats released", "12 seats released", "12 sièges libérés"),
        (
            "Released when the member was deleted",
            "Released when the member was deleted",
            "Libéré à la suppression du membre",
        ),
    ],
)
def test_localize_detail(stored, english, french):
    with translation.override("en"):
        assert details.localize(stored) == english
    with translation.override("fr-ca"):
        assert details.localize(stored) == french


@pytest.mark.parametrize(
    "stored",
    ["Imported from the old console", "Quantity five", "20 -> 12", "seats released"],
)
def test_localize_keeps_other_details_as_stored(stored):
    with translation.override("fr-ca"):
        assert details.localize(stored) == stored


def test_history_page_shows_details_in_french(administrator_client, organization):
    EventFactory(
        organization=organization,
        action=Event.Action.HOLDING_REMOVED,
        detail=details.seats_released(3),
    )
    EventFactory(
        organization=organization,
        action=Event.Action.REMOVED,
        member=UserFactory(organization=organization),
        detail=details.RELEASED_ON_DEACTIVATION,
    )

    response = administrator_client.get(
        HISTORY_URL, headers={"Accept-Language": "fr-CA"}
    )

    content = response.content.decode()
    assert response.status_code == 200, content
    assert "(3 sièges libérés)" in content
    assert "(Libéré à la désactivation du membre)" in content
    assert "seats released" not in content
