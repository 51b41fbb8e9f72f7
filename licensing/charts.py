"""Seat usage over the last 90 days, rebuilt from the history, as SVG points."""

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.cache import cache
from django.db.models import Max
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .details import display_quantity
from .models import Event

DAYS = 90
# How long a built chart stays cached. Its key changes with every input, so
# this only bounds how long an unused entry takes memory.
CACHE_SECONDS = 15 * 60
WIDTH, HEIGHT, MARGIN = 300, 80, 4

# The events that change how many seats are in use or bought.
SEAT_EVENTS = [
    Event.Action.ASSIGNED,
    Event.Action.REMOVED,
    Event.Action.QUANTITY_CHANGED,
    Event.Action.HOLDING_ADDED,
    Event.Action.HOLDING_REMOVED,
]


@dataclass
class UsageChart:
    """Daily seats in use and bought, oldest first, with SVG coordinates."""

    days: list[date]
    in_use: list[int]
    total: list[int | None]

    @property
    def top(self) -> int:
        values = [*self.in_use, *(total for total in self.total if total is not None)]
        return max([*values, 1])

    def _points(self, values) -> str:
        step = (WIDTH - 2 * MARGIN) / max(len(values) - 1, 1)
        scale = (HEIGHT - 2 * MARGIN) / self.top
        return " ".join(
            f"{MARGIN + index * step:.1f},{HEIGHT - MARGIN - value * scale:.1f}"
            for index, value in enumerate(values)
            if value is not None
        )

    @property
    def in_use_points(self) -> str:
        return self._points(self.in_use)

    @property
    def total_points(self) -> str:
        return self._points(self.total)

    @property
    def peak(self) -> tuple[int, date]:
        value = max(self.in_use)
        return value, self.days[self.in_use.index(value)]

    @property
    def summary(self) -> str:
        """The chart in words, for screen readers and as its caption."""
        peak, peak_day = self.peak
        return _(
            "%(first_in_use)s of %(first_total)s in use on %(first_day)s, "
            "%(last_in_use)s of %(last_total)s today; highest %(peak)s on "
            "%(peak_day)s."
        ) % {
            "first_in_use": intcomma(self.in_use[0]),
            "first_total": display_quantity(self.total[0]),
            "first_day": _day(self.days[0]),
            "last_in_use": intcomma(self.in_use[-1]),
            "last_total": display_quantity(self.total[-1]),
            "peak": intcomma(peak),
            "peak_day": _day(peak_day),
        }


def _day(day: date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def usage_charts(organization, holdings) -> dict[int, UsageChart]:
    """Return the last 90 days of each holding, from the cache when nothing
    they are built from has changed.

    The key contains every input: the organization's newest event (history is
    append-only, so any new event changes it), the holdings' counts, the
    local date and the time zone. The holdings need `in_use` (with_in_use).
    """
    newest_event = Event.objects.filter(organization=organization).aggregate(
        newest=Max("pk")
    )["newest"]
    inputs = (
        organization.pk,
        newest_event,
        str(timezone.get_current_timezone()),
        timezone.localdate().isoformat(),
        [
            (holding.pk, holding.license_type_id, holding.in_use, holding.quantity)
            for holding in holdings
        ],
    )
    key = "usage-charts:" + hashlib.sha256(repr(inputs).encode()).hexdigest()
    charts = cache.get(key)
    if charts is None:
        charts = build_usage_charts(organization, holdings)
        cache.set(key, charts, CACHE_SECONDS)
    return charts


def build_usage_charts(organization, holdings) -> dict[int, UsageChart]:
    """Build the last 90 days of each holding, from one query of the history.

    Starting from today's counts, each event is undone going back in time.
    An assignment lowers the days before it by one, and a removal raises
    them. A quantity change or a removed holding restores the previous
    quantity, and before an added holding nothing was bought.
    """
    today = timezone.localdate()
    days = [today - timedelta(days=offset) for offset in range(DAYS - 1, -1, -1)]
    since = timezone.now() - timedelta(days=DAYS)
    by_type = {holding.license_type_id: holding for holding in holdings}
    # Plain tuples: at 10,000 members the 90 days hold a few thousand seat
    # events, and building a model instance for each cost more than the query.
    events = (
        Event.objects.filter(
            organization=organization,
            license_type_id__in=list(by_type),
            action__in=SEAT_EVENTS,
            occurred_at__gte=since,
        )
        .order_by("-occurred_at", "-pk")
        .values_list("license_type_id", "occurred_at", "action", "quantity_before")
    )

    zone = timezone.get_current_timezone()
    changes = {holding.pk: [] for holding in holdings}
    for license_type_id, occurred_at, action, quantity_before in events:
        day = occurred_at.astimezone(zone).date()
        changes[by_type[license_type_id].pk].append((day, action, quantity_before))

    charts = {}
    for holding in holdings:
        in_use, total = holding.in_use, holding.quantity
        daily_in_use, daily_total = [], []
        pending = changes[holding.pk]
        position = 0
        for day in reversed(days):
            daily_in_use.append(in_use)
            daily_total.append(total)
            # Undo the events of this day, so the counts hold for the day before.
            while position < len(pending) and pending[position][0] >= day:
                _, action, quantity_before = pending[position]
                in_use, total = _undo(action, quantity_before, in_use, total)
                position += 1
        charts[holding.pk] = UsageChart(
            days, list(reversed(daily_in_use)), list(reversed(daily_total))
        )
    return charts


def _undo(
    action: str, quantity_before: int | None, in_use: int, total: int | None
) -> tuple[int, int | None]:
    if action == Event.Action.ASSIGNED:
        return max(in_use - 1, 0), total
    if action == Event.Action.REMOVED:
        return in_use + 1, total
    if action in (Event.Action.QUANTITY_CHANGED, Event.Action.HOLDING_REMOVED):
        # A removal's seats were released by REMOVED events of their own.
        return in_use, quantity_before
    return 0, 0  # HOLDING_ADDED: before it, no seat was bought
