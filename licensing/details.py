"""The details of history events: written once in English, read in any language.

The services store each detail in English, so the CSV export, the admin and
scripts read one stable text. `localize` shows a stored detail in the active
language on the History page. A detail in none of the forms below is shown
as stored.
"""

import re

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

HOLDING_REMOVED = gettext_noop("License type removed from the organization")
RELEASED_ON_DEACTIVATION = gettext_noop("Released when the member was deactivated")
RELEASED_ON_MOVE = gettext_noop(
    "Released when the member moved to another organization"
)
RELEASED_ON_DELETION = gettext_noop("Released when the member was deleted")
PHRASES = {
    HOLDING_REMOVED,
    RELEASED_ON_DEACTIVATION,
    RELEASED_ON_MOVE,
    RELEASED_ON_DELETION,
}

UNLIMITED = "unlimited"
_QUANTITY = r"(\d+|unlimited)"
QUANTITY_PATTERN = re.compile(rf"Quantity {_QUANTITY}")
QUANTITY_CHANGE_PATTERN = re.compile(rf"{_QUANTITY} → {_QUANTITY}")
SEATS_RELEASED_PATTERN = re.compile(r"(\d+) seats? released")


def quantity(seats: int | None) -> str:
    """Return the detail of a new holding: "Quantity 5"."""
    return f"Quantity {_english_quantity(seats)}"


def quantity_change(before: int | None, after: int | None) -> str:
    """Return the detail of a quantity change: "20 → unlimited"."""
    return f"{_english_quantity(before)} → {_english_quantity(after)}"


def seats_released(count: int) -> str:
    """Return the detail of seats freed at once: "1 seat released"."""
    return f"{count} seat{'' if count == 1 else 's'} released"


def display_quantity(seats: int | None) -> str:
    """Return a quantity in the active language, "unlimited" for None."""
    # Translators: the seats bought, in "3 of unlimited in use".
    return _("unlimited") if seats is None else intcomma(seats)


def localize(detail: str) -> str:
    """Return a stored detail in the active language."""
    if detail in PHRASES:
        return _(detail)
    if match := QUANTITY_PATTERN.fullmatch(detail):
        return _("Quantity %(quantity)s") % {
            "quantity": _display_stored_quantity(match[1])
        }
    if match := QUANTITY_CHANGE_PATTERN.fullmatch(detail):
        before, after = map(_display_stored_quantity, match.groups())
        return f"{before} → {after}"
    if match := SEATS_RELEASED_PATTERN.fullmatch(detail):
        count = int(match[1])
        return ngettext(
            "%(count)s seat released", "%(count)s seats released", count
        ) % {"count": intcomma(count)}
    return detail


def _english_quantity(seats: int | None) -> str:
    return UNLIMITED if seats is None else str(seats)


def _display_stored_quantity(text: str) -> str:
    return display_quantity(None if text == UNLIMITED else int(text))
