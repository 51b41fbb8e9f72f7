import datetime
import re

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from licensing.models import Event
from tests.factories import (
    EventFactory,
    LicenseTypeFactory,
    SupportUserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HISTORY_URL = reverse("licensing:history")
UTC = datetime.UTC


def shown_events(response):
    assert response.status_code == 200, response.content.decode()
    return list(response.context["page"].object_list)


def shown_times(response):
    return re.findall(r"<time [^>]*>([^<]+)</time>", response.content.decode())


def test_history_shows_only_own_organization(administrator_client, organization):
    own = EventFactory.create_batch(3, organization=organization)
    foreign = EventFactory.create_batch(4)

    response = administrator_client.get(HISTORY_URL)

    assert set(shown_events(response)) == set(own)
    for event in foreign:
        assertNotContains(response, event.member_email)


def test_history_lists_newest_first(administrator_client, organization):
    start = datetime.datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    events = [
        EventFactory(
            organization=organization, occurred_at=start + datetime.timedelta(hours=n)
        )
        for n in (2, 0, 1)
    ]

    response = administrator_client.get(HISTORY_URL)

    assert shown_events(response) == [events[0], events[2], events[1]]
    assert shown_times(response) == [
        "2025-03-01 11:00",
        "2025-03-01 10:00",
        "2025-03-01 09:00",
    ]


def test_history_pages_hold_25_events(administrator_client, organization):
    start = datetime.datetime(2025, 3, 1, tzinfo=UTC)
    events = [
        EventFactory(
            organization=organization,
            occurred_at=start + datetime.timedelta(minutes=n),
        )
        for n in range(30)
    ]
    EventFactory.create_batch(30)
    newest_first = events[::-1]

    first = administrator_client.get(HISTORY_URL)
    second = administrator_client.get(HISTORY_URL, {"page": 2})

    assert shown_events(first) == newest_first[:25]
    assert shown_events(second) == newest_first[25:]
    assertContains(first, "Page 1 of 2")
    assertContains(first, 'href="?page=2"')
    assertContains(second, "Page 2 of 2")


def test_history_keeps_filters_in_page_links(administrator_client, organization):
    license_type = LicenseTypeFactory()
    EventFactory.create_batch(26, organization=organization, license_type=license_type)

    response = administrator_client.get(HISTORY_URL, {"license_type": license_type.pk})

    assertContains(response, f'href="?license_type={license_type.pk}&amp;page=2"')


def test_history_filters_by_license_type(administrator_client, organization):
    license_type = LicenseTypeFactory()
    chosen = EventFactory.create_batch(
        2, organization=organization, license_type=license_type
    )
    EventFactory(organization=organization)
    EventFactory(license_type=license_type)

    response = administrator_client.get(HISTORY_URL, {"license_type": license_type.pk})

    assert set(shown_events(response)) == set(chosen)


def test_history_filters_by_member(administrator_client, organization, member):
    chosen = EventFactory.create_batch(2, organization=organization, member=member)
    EventFactory(organization=organization)

    response = administrator_client.get(HISTORY_URL, {"member": member.pk})

    assert set(shown_events(response)) == set(chosen)


@pytest.mark.parametrize(
    ("field", "expected_message"),
    [
        ("license_type", "“abc” is not a license type of the catalog."),
        ("member", "“abc” is not a member of your organization."),
    ],
)
def test_history_rejects_invalid_filter(
    administrator_client, organization, field, expected_message
):
    EventFactory(organization=organization)

    response = administrator_client.get(HISTORY_URL, {field: "abc"})

    assert response.status_code == 400, response.content.decode()
    assertContains(response, expected_message, status_code=400)
    assert list(response.context["page"].object_list) == []


@pytest.mark.parametrize("field", ["license_type", "member"])
@pytest.mark.parametrize(
    "value", ["-1", "0", "1.5", "１２", "99999999999999999999", "1\x00"]
)
def test_history_rejects_odd_filter_values(administrator_client, field, value):
    response = administrator_client.get(HISTORY_URL, {field: value})

    assert response.status_code == 400, response.content.decode()
    assert response.context["form"].errors[field]


def test_history_rejects_other_organization_member(administrator_client, organization):
    outsider = UserFactory()
    EventFactory(member=outsider)

    response = administrator_client.get(HISTORY_URL, {"member": outsider.pk})

    assert response.status_code == 400, response.content.decode()
    assertContains(
        response,
        f"“{outsider.pk}” is not a member of your organization.",
        status_code=400,
    )
    assertNotContains(response, outsider.email, status_code=400)


def test_history_forbidden_to_member(member_client, organization):
    EventFactory(organization=organization)

    response = member_client.get(HISTORY_URL)

    assert response.status_code == 403, response.content.decode()


def test_history_forbidden_to_support_staff(client):
    client.force_login(SupportUserFactory())

    response = client.get(HISTORY_URL)

    assert response.status_code == 403, response.content.decode()


def test_history_names_actor_and_source(administrator_client, organization):
    actor = UserFactory(organization=None, full_name="Sam Support", is_staff=True)
    EventFactory(
        organization=organization,
        actor=actor,
        actor_email=actor.email,
        source=Event.Source.ADMIN,
    )
    EventFactory(organization=organization, source=Event.Source.COMMAND)

    response = administrator_client.get(HISTORY_URL)

    assertContains(response, "Sam Support")
    assertContains(response, "Django admin")
    assertContains(response, "Command line")


# Time zones


@pytest.fixture
def winter_event(organization):
    return EventFactory(
        organization=organization,
        occurred_at=datetime.datetime(2025, 1, 15, 17, 30, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("cookie", "expected_time", "expected_zone"),
    [
        # Toronto is five hours behind UTC in January.
        ("America/Toronto", "2025-01-15 12:30", "America/Toronto"),
        ("Asia/Kolkata", "2025-01-15 23:00", "Asia/Kolkata"),
        ("Mars/Olympus_Mons", "2025-01-15 17:30", "UTC"),
        ("", "2025-01-15 17:30", "UTC"),
    ],
)
def test_history_shows_times_in_cookie_zone(
    administrator_client, winter_event, cookie, expected_time, expected_zone
):
    administrator_client.cookies["timezone"] = cookie

    response = administrator_client.get(HISTORY_URL)

    assert shown_times(response) == [expected_time]
    assertContains(response, f"Times are in {expected_zone}.")


def test_history_zone_does_not_leak_to_next_request(administrator_client, winter_event):
    administrator_client.cookies["timezone"] = "America/Toronto"
    administrator_client.get(HISTORY_URL)
    del administrator_client.cookies["timezone"]

    response = administrator_client.get(HISTORY_URL)

    assert shown_times(response) == ["2025-01-15 17:30"]
