"""Seat usage over the last 90 days, rebuilt from the history, as SVG points."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .models import Event

DAYS = 90
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
            "first_total": _total(self.total[0]),
            "first_day": _day(self.days[0]),
            "last_in_use": intcomma(self.in_use[-1]),
            "last_total": _total(self.total[-1]),
            "peak": intcomma(peak),
            "peak_day": _day(peak_day),
        }


def _total(total: int | None) -> str:
    # Translators: the seats bought, in "3 of unlimited in use".
    return _("unlimited") if total is None else intcomma(total)


def _day(day: date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def usage_charts(organization, holdings) -> dict[int, UsageChart]:
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
    events = Event.objects.filter(
        organization=organization,
        license_type_id__in=list(by_type),
        action__in=SEAT_EVENTS,
        occurred_at__gte=since,
    ).order_by("-occurred_at", "-pk")

    changes = {holding.pk: [] for holding in holdings}
    for event in events:
        changes[by_type[event.license_type_id].pk].append(event)

    charts = {}
    for holding in holdings:
        in_use, total = holding.in_use, holding.quantity
        daily_in_use, daily_total = [], []
        pending = changes[holding.pk]
        for day in reversed(days):
            daily_in_use.append(in_use)
            daily_total.append(total)
            # Undo the events of this day, so the counts hold for the day before.
            while pending and timezone.localdate(pending[0].occurred_at) >= day:
                in_use, total = _undo(pending.pop(0), in_use, total)
        charts[holding.pk] = UsageChart(
            days, list(reversed(daily_in_use)), list(reversed(daily_total))
        )
    return charts


def _undo(event: Event, in_use: int, total: int | None) -> tuple[int, int | None]:
    if event.action == Event.Action.ASSIGNED:
        return max(in_use - 1, 0), total
    if event.action == Event.Action.REMOVED:
        return in_use + 1, total
    if event.action in (Event.Action.QUANTITY_CHANGED, Event.Action.HOLDING_REMOVED):
        # A removal's seats were released by REMOVED events of their own.
        return in_use, event.quantity_before
    return 0, 0  # HOLDING_ADDED: before it, no seat was bought
