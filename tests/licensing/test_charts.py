"""Seat usage over the last 90 days, rebuilt from the history by
licensing.charts and drawn as SVG on the cards of Settings > Licenses.

Days are local dates in the active time zone, which is UTC unless a test
activates another. Every test freezes timezone.now() at 10:30 UTC today, so a
day cannot roll over between writing the history and reading the chart.
"""

import re
import zoneinfo
from datetime import UTC, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from licensing.charts import DAYS, build_usage_charts, usage_charts
from licensing.models import Event, Holding
from licensing.services import add_holding, assign_license, change_quantity
from tests.factories import (
    AssignmentFactory,
    AutomaticLicenseTypeFactory,
    EventFactory,
    HoldingFactory,
    LicenseTypeFactory,
    OrganizationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SETTINGS_URL = reverse("licensing:organization_licenses")
# UTC+14 all year: 10:30 UTC there is 00:30 on the next day.
KIRITIMATI = "Pacific/Kiritimati"


@pytest.fixture(autouse=True)
def utc():
    """Start and end each test in UTC.

    TimezoneMiddleware leaves the zone of a request's cookie active in the
    thread after the response, so an earlier test could leave it set.
    """
    timezone.deactivate()
    yield
    timezone.deactivate()


@pytest.fixture
def now(monkeypatch):
    frozen = datetime.combine(datetime.now(UTC).date(), time(10, 30), tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: frozen)
    return frozen


@pytest.fixture
def fax(organization):
    return LicenseTypeFactory(name="Virtual Fax", slug="virtual-fax")


def holding_with(organization, license_type, *, quantity, in_use):
    holding = HoldingFactory(
        organization=organization, license_type=license_type, quantity=quantity
    )
    AssignmentFactory.create_batch(in_use, holding=holding)
    return Holding.objects.with_in_use().get(pk=holding.pk)


def record(holding, action, when, **fields):
    """Write one history event of the holding's organization and type."""
    return EventFactory(
        organization=holding.organization,
        license_type=holding.license_type,
        action=action,
        occurred_at=when,
        **fields,
    )


def chart_of(holding):
    return usage_charts(holding.organization, [holding])[holding.pk]


def by_days_ago(*spans):
    """Build a 90-day series, oldest first, from (first, last, value) spans.

    Each span covers the days from `first` days ago to `last` days ago, both
    included; together the spans must cover 89 days ago to today.
    """
    values = []
    for first, last, value in spans:
        assert first >= last, (first, last)
        values += [value] * (first - last + 1)
    assert len(values) == DAYS, len(values)
    return values


def day(now, days_ago):
    return now.date() - timedelta(days=days_ago)


# usage_charts from a known history


@pytest.fixture
def history(now, organization, fax):
    """Virtual Fax: 3 of 5 seats in use now, after this history.

    100 and 95 days ago: an assignment and a quantity change, too old to count.
    60 days ago: quantity 3 → 5. 30 days ago: one assignment. 20 days ago: two
    assignments. 10 days ago: one removal. An hour ago: one assignment.
    """
    holding = holding_with(organization, fax, quantity=5, in_use=3)
    record(holding, Event.Action.ASSIGNED, now - timedelta(days=100))
    record(
        holding,
        Event.Action.QUANTITY_CHANGED,
        now - timedelta(days=95),
        quantity_before=1,
        quantity_after=3,
    )
    record(
        holding,
        Event.Action.QUANTITY_CHANGED,
        now - timedelta(days=60),
        quantity_before=3,
        quantity_after=5,
    )
    record(holding, Event.Action.ASSIGNED, now - timedelta(days=30))
    record(holding, Event.Action.ASSIGNED, now - timedelta(days=20))
    record(holding, Event.Action.ASSIGNED, now - timedelta(days=20, hours=2))
    record(holding, Event.Action.REMOVED, now - timedelta(days=10))
    record(holding, Event.Action.ASSIGNED, now - timedelta(hours=1))
    return holding


def test_chart_rebuilds_daily_in_use(history):
    chart = chart_of(history)

    assert chart.in_use == by_days_ago(
        (89, 31, 0), (30, 21, 1), (20, 11, 3), (10, 1, 2), (0, 0, 3)
    )


def test_chart_rebuilds_daily_total(history):
    chart = chart_of(history)

    assert chart.total == by_days_ago((89, 61, 3), (60, 0, 5))


def test_chart_days_end_today(now, history):
    chart = chart_of(history)

    assert len(chart.days) == DAYS
    assert chart.days[0] == day(now, 89)
    assert chart.days[-1] == day(now, 0)
    assert chart.days == sorted(set(chart.days))


def test_chart_summary_names_first_last_and_peak(now, history):
    chart = chart_of(history)

    assert chart.peak == (3, day(now, 20))
    assert chart.summary == (
        f"0 of 3 in use on {day(now, 89):%Y-%m-%d}, 3 of 5 today; "
        f"highest 3 on {day(now, 20):%Y-%m-%d}."
    )


def test_chart_ignores_other_organizations_and_types(now, history, organization):
    expected = chart_of(history)
    other_type = holding_with(
        organization, LicenseTypeFactory(name="Huddle"), quantity=9, in_use=0
    )
    foreign = holding_with(
        OrganizationFactory(), history.license_type, quantity=9, in_use=0
    )
    for holding in (other_type, foreign):
        record(holding, Event.Action.REMOVED, now - timedelta(days=5))
        record(
            holding,
            Event.Action.QUANTITY_CHANGED,
            now - timedelta(days=40),
            quantity_before=1,
            quantity_after=9,
        )
    EventFactory(
        organization=organization,
        license_type=None,
        action=Event.Action.MEMBER_DEACTIVATED,
        occurred_at=now - timedelta(days=3),
    )

    chart = chart_of(history)

    assert chart.in_use == expected.in_use
    assert chart.total == expected.total


def test_chart_ignores_events_older_than_90_days(now, organization, fax):
    holding = holding_with(organization, fax, quantity=4, in_use=2)
    before = chart_of(holding)
    for days_ago in (90, 91, 120, 365):
        record(holding, Event.Action.ASSIGNED, now - timedelta(days=days_ago))
        record(
            holding,
            Event.Action.QUANTITY_CHANGED,
            now - timedelta(days=days_ago, hours=1),
            quantity_before=1,
            quantity_after=4,
        )

    after = chart_of(holding)

    assert after.in_use == before.in_use == [2] * DAYS
    assert after.total == before.total == [4] * DAYS


def test_chart_first_day_boundary(now, organization, fax):
    holding = holding_with(organization, fax, quantity=4, in_use=2)
    record(holding, Event.Action.ASSIGNED, now - timedelta(days=89))
    record(holding, Event.Action.ASSIGNED, now - timedelta(days=88))

    chart = chart_of(holding)

    # The day 89 days ago shows its count at its end, after its assignment.
    assert chart.in_use == by_days_ago((89, 89, 1), (88, 0, 2))


def test_chart_counts_day_up_to_midnight(now, organization, fax):
    holding = holding_with(organization, fax, quantity=4, in_use=1)
    midnight = datetime.combine(now.date(), time(0, 0), tzinfo=UTC)
    record(holding, Event.Action.ASSIGNED, midnight)
    record(holding, Event.Action.REMOVED, midnight - timedelta(microseconds=1))

    chart = chart_of(holding)

    assert chart.in_use == by_days_ago((89, 2, 1), (1, 1, 0), (0, 0, 1))


def test_chart_before_holding_added_is_empty(now, organization, fax):
    holding = holding_with(organization, fax, quantity=4, in_use=1)
    record(
        holding,
        Event.Action.HOLDING_ADDED,
        now - timedelta(days=45),
        member=None,
        quantity_after=4,
    )
    record(holding, Event.Action.ASSIGNED, now - timedelta(days=40))

    chart = chart_of(holding)

    assert chart.in_use == by_days_ago((89, 41, 0), (40, 0, 1))
    assert chart.total == by_days_ago((89, 46, 0), (45, 0, 4))


def test_chart_of_unlimited_holding(now, organization, fax):
    holding = holding_with(organization, fax, quantity=None, in_use=2)
    record(
        holding,
        Event.Action.QUANTITY_CHANGED,
        now - timedelta(days=10),
        quantity_before=3,
        quantity_after=None,
    )

    chart = chart_of(holding)

    assert chart.total == by_days_ago((89, 11, 3), (10, 0, None))
    assert chart.summary == (
        f"2 of 3 in use on {day(now, 89):%Y-%m-%d}, 2 of unlimited today; "
        f"highest 2 on {day(now, 89):%Y-%m-%d}."
    )
    assert len(chart.total_points.split()) == 79


def test_chart_in_use_never_goes_below_zero(now, organization, fax):
    """A history that lacks a removal still never shows a negative count."""
    holding = holding_with(organization, fax, quantity=4, in_use=0)
    record(holding, Event.Action.ASSIGNED, now - timedelta(days=5))

    chart = chart_of(holding)

    assert chart.in_use == [0] * DAYS


def test_charts_of_several_holdings_in_one_call(now, history, organization):
    huddle = holding_with(
        organization, LicenseTypeFactory(name="Huddle"), quantity=2, in_use=1
    )
    record(huddle, Event.Action.ASSIGNED, now - timedelta(days=2))

    charts = usage_charts(organization, [history, huddle])

    assert set(charts) == {history.pk, huddle.pk}
    assert charts[huddle.pk].in_use == by_days_ago((89, 3, 0), (2, 0, 1))
    assert charts[history.pk].in_use[-1] == 3


def test_chart_reads_history_in_one_query(
    now, history, organization, django_assert_num_queries
):
    holdings = [history] + [
        holding_with(organization, LicenseTypeFactory(), quantity=3, in_use=1)
        for _ in range(3)
    ]

    with django_assert_num_queries(1):
        build_usage_charts(organization, holdings)


def test_chart_cached_until_history_changes(
    now, history, organization, django_assert_num_queries
):
    first = usage_charts(organization, [history])

    # One query finds the newest event, and the charts come from the cache.
    with django_assert_num_queries(1):
        again = usage_charts(organization, [history])
    assert again[history.pk].in_use == first[history.pk].in_use

    # A new event, even one dated in the past, changes the key.
    record(history, Event.Action.REMOVED, now - timedelta(days=5))
    with django_assert_num_queries(2):
        changed = usage_charts(organization, [history])
    assert changed[history.pk].in_use[-7] == first[history.pk].in_use[-7] + 1


def test_chart_cache_follows_seat_counts(now, history, organization):
    first = usage_charts(organization, [history])
    # A seat taken without an event of its own still changes today's count.
    AssignmentFactory(holding=history)
    history = Holding.objects.with_in_use().get(pk=history.pk)

    changed = usage_charts(organization, [history])

    assert changed[history.pk].in_use[-1] == first[history.pk].in_use[-1] + 1


def test_chart_cache_follows_time_zone(now, organization, fax):
    holding = holding_with(organization, fax, quantity=5, in_use=1)
    record(holding, Event.Action.ASSIGNED, now)
    in_utc = usage_charts(organization, [holding])

    timezone.activate(zoneinfo.ZoneInfo(KIRITIMATI))
    in_kiritimati = usage_charts(organization, [holding])

    assert in_utc[holding.pk].days[-1] == now.date()
    assert in_kiritimati[holding.pk].days[-1] == now.date() + timedelta(days=1)


def test_chart_from_service_changes_today(now, organization, fax):
    """Changes made through the services today leave the days before as they were."""
    holding = add_holding(
        organization=organization,
        license_type=fax,
        quantity=2,
        acting_user=None,
        source=Event.Source.COMMAND,
    )
    assign_license(
        holding=holding,
        member=UserFactory(organization=organization),
        acting_user=None,
        source=Event.Source.COMMAND,
    )
    change_quantity(
        holding=holding, quantity=6, acting_user=None, source=Event.Source.COMMAND
    )

    chart = chart_of(Holding.objects.with_in_use().get(pk=holding.pk))

    assert chart.in_use == by_days_ago((89, 1, 0), (0, 0, 1))
    assert chart.total == by_days_ago((89, 1, 0), (0, 0, 6))


def test_chart_across_holding_added_again(now, organization, fax):
    """The days before a holding was removed keep the quantity it had then.

    This is the history that remove_holding and add_holding write: a removal
    per released seat, then the holding's own events, the removal carrying the
    quantity the holding had.
    """
    holding = holding_with(organization, fax, quantity=3, in_use=1)
    record(
        holding,
        Event.Action.HOLDING_ADDED,
        now - timedelta(days=50),
        member=None,
        quantity_after=5,
    )
    record(holding, Event.Action.ASSIGNED, now - timedelta(days=40))
    record(holding, Event.Action.ASSIGNED, now - timedelta(days=40))
    record(holding, Event.Action.REMOVED, now - timedelta(days=30))
    record(holding, Event.Action.REMOVED, now - timedelta(days=30))
    record(
        holding,
        Event.Action.HOLDING_REMOVED,
        now - timedelta(days=30),
        member=None,
        quantity_before=5,
    )
    record(
        holding,
        Event.Action.HOLDING_ADDED,
        now - timedelta(days=20),
        member=None,
        quantity_after=3,
    )
    record(holding, Event.Action.ASSIGNED, now - timedelta(days=10))

    chart = chart_of(holding)

    assert chart.in_use == by_days_ago(
        (89, 41, 0), (40, 31, 2), (30, 11, 0), (10, 0, 1)
    )
    over_bought = [
        (shown_day, in_use, total)
        for shown_day, in_use, total in zip(
            chart.days, chart.in_use, chart.total, strict=True
        )
        if total is not None and in_use > total
    ]
    assert over_bought == []
    assert chart.total == by_days_ago((89, 51, 0), (50, 31, 5), (30, 21, 0), (20, 0, 3))


# Days in the active time zone


def test_chart_days_follow_active_time_zone(now, organization, fax):
    holding = holding_with(organization, fax, quantity=4, in_use=1)
    # 09:30 UTC today, which is 23:30 on the same date in Kiritimati, where
    # it is already the next day.
    record(holding, Event.Action.ASSIGNED, now - timedelta(hours=1))

    in_utc = chart_of(holding)
    with timezone.override(zoneinfo.ZoneInfo(KIRITIMATI)):
        in_kiritimati = chart_of(holding)

    assert in_utc.days[-1] == now.date()
    assert in_utc.in_use == by_days_ago((89, 1, 0), (0, 0, 1))
    assert in_kiritimati.days[-1] == now.date() + timedelta(days=1)
    assert in_kiritimati.in_use == by_days_ago((89, 2, 0), (1, 0, 1))


# SVG coordinates


def test_chart_points_of_flat_usage(now, organization, fax):
    holding = holding_with(organization, fax, quantity=4, in_use=2)

    chart = chart_of(holding)

    in_use_points = chart.in_use_points.split()
    total_points = chart.total_points.split()
    assert chart.top == 4
    assert len(in_use_points) == DAYS
    assert in_use_points[0] == "4.0,40.0"
    assert in_use_points[-1] == "296.0,40.0"
    assert total_points[0] == "4.0,4.0"
    assert total_points[-1] == "296.0,4.0"


def test_chart_points_of_empty_holding(now, organization, fax):
    holding = holding_with(organization, fax, quantity=0, in_use=0)

    chart = chart_of(holding)

    points = chart.in_use_points.split()
    assert chart.top == 1
    assert points[0] == "4.0,76.0"
    assert points[-1] == "296.0,76.0"
    assert all(point.endswith(",76.0") for point in points)


def test_chart_points_of_unlimited_holding(now, organization, fax):
    holding = holding_with(organization, fax, quantity=None, in_use=3)

    chart = chart_of(holding)

    assert chart.total_points == ""
    assert chart.top == 3
    assert chart.in_use_points.split()[0] == "4.0,4.0"


# The chart on Settings > Licenses


def chart_figure(content, holding):
    match = re.search(
        rf'<figure class="usage-chart mb-0">\s*<svg [^>]*aria-labelledby="'
        rf'chart-{holding.pk}-title chart-{holding.pk}-text".*?</figure>',
        content,
        re.DOTALL,
    )
    assert match, f"No chart for holding {holding.pk} in:\n{content}"
    return match.group()


def test_settings_card_draws_chart_with_text(now, administrator_client, history):
    # The body of a card that the page loads when it opens.
    response = administrator_client.get(
        reverse("licensing:license_details", args=[history.pk]),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200, response.content.decode()
    figure = chart_figure(response.content.decode(), history)
    chart = chart_of(history)
    assert 'role="img"' in figure
    assert (
        f'<title id="chart-{history.pk}-title">Virtual Fax: seats in use over the '
        "last 90 days</title>"
    ) in figure
    caption = re.search(
        rf'<figcaption [^>]*id="chart-{history.pk}-text">(.*?)</figcaption>',
        figure,
        re.DOTALL,
    )
    assert caption, figure
    assert " ".join(caption.group(1).split()) == (
        "Last 90 days, in use (solid) against bought (dashed): " + chart.summary
    )
    assert f'<polyline points="{chart.in_use_points}"' in figure
    assert f'<polyline points="{chart.total_points}"' in figure


def test_settings_card_chart_matches_context(now, administrator_client, history):
    response = administrator_client.get(SETTINGS_URL, {"open": history.pk})

    [card] = [card for card in response.context["cards"] if card.holding == history]
    assert card.chart.in_use == chart_of(history).in_use
    assert card.chart.total == chart_of(history).total


def test_settings_unlimited_chart_has_no_bought_line(
    now, administrator_client, organization, fax
):
    holding = holding_with(organization, fax, quantity=None, in_use=1)

    response = administrator_client.get(SETTINGS_URL, {"open": holding.pk})

    figure = chart_figure(response.content.decode(), holding)
    assert figure.count("<polyline") == 1
    assert "stroke-dasharray" not in figure
    assert "1 of unlimited today" in figure


def test_settings_automatic_card_has_no_chart(now, administrator_client):
    AutomaticLicenseTypeFactory(name="PBX Account")

    response = administrator_client.get(SETTINGS_URL)

    assertNotContains(response, "usage-chart")


def test_settings_chart_follows_time_zone_cookie(
    now, administrator_client, organization, fax
):
    holding = holding_with(organization, fax, quantity=4, in_use=1)
    record(holding, Event.Action.ASSIGNED, now - timedelta(hours=1))
    administrator_client.cookies["timezone"] = KIRITIMATI

    response = administrator_client.get(SETTINGS_URL, {"open": holding.pk})

    [card] = [card for card in response.context["cards"] if card.holding == holding]
    tomorrow = now.date() + timedelta(days=1)
    assert card.chart.days[-1] == tomorrow
    assert card.chart.in_use == by_days_ago((89, 2, 0), (1, 0, 1))
    assertContains(response, f"1 of 4 today; highest 1 on {now.date():%Y-%m-%d}.")
