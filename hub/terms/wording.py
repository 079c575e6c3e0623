"""Dutch words for dates and due moments, independent of the system locale."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hub.terms.passing import is_overdue
from hub.terms.werkdagen import AMSTERDAM, WerkdagCalendar, as_local_date, default_calendar, require_aware

__all__ = ["DAGEN", "MAANDEN", "WERKDAGEN_HORIZON", "describe_due", "format_datum"]

DAGEN = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
MAANDEN = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)

#: Up to this many werkdagen ahead a due day reads "over N werkdagen"; further ahead it is named by its date.
WERKDAGEN_HORIZON = 5


def format_datum(day: date, *, year: bool = True) -> str:
    """A Dutch date such as "woensdag 29 april 2026", or "woensdag 29 april" without the year (an aware datetime
    gives its day in Europe/Amsterdam)."""
    d = as_local_date(day)
    text = f"{DAGEN[d.weekday()]} {d.day} {MAANDEN[d.month - 1]}"
    return f"{text} {d.year}" if year else text


def _werkdagen(n: int) -> str:
    return "1 werkdag" if n == 1 else f"{n} werkdagen"


def describe_due(due: datetime, now: datetime, calendar: WerkdagCalendar | None = None) -> str:
    """How the inbox names a due moment, seen at ``now`` (both aware; compared as days in Europe/Amsterdam).

    - due today: "vandaag" (a term passes only when its day is over: :mod:`hub.terms.passing`);
    - due on the next calendar day: "morgen";
    - due later, on a werkdag at most ``WERKDAGEN_HORIZON`` werkdagen ahead: "over N werkdagen" (or
      "over 1 werkdag");
    - due later still (or on a day that is not a werkdag): "op woensdag 29 april 2026";
    - overdue: "1 werkdag te laat" / "N werkdagen te laat", counting the werkdagen after the due day up to and
      including today; when no werkdag has passed yet (due Friday, now Saturday): "verlopen op vrijdag …".
    """
    cal = default_calendar() if calendar is None else calendar
    due_local = require_aware(due, "due").astimezone(AMSTERDAM)
    now_local = require_aware(now, "now").astimezone(AMSTERDAM)
    due_day, today = due_local.date(), now_local.date()
    if not is_overdue(due, now):
        if due_day == today:
            return "vandaag"
        if due_day == today + timedelta(days=1):
            return "morgen"
        ahead = cal.werkdagen_between(today, due_day)
        if 1 <= ahead <= WERKDAGEN_HORIZON and cal.is_werkdag(due_day):
            return f"over {_werkdagen(ahead)}"
        return f"op {format_datum(due_day)}"
    late = cal.werkdagen_between(due_day, today)
    if late == 0:
        return f"verlopen op {format_datum(due_day)}"
    return f"{_werkdagen(late)} te laat"
