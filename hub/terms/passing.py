"""When a term has passed: the one rule every comparison of a moment with a due moment uses.

A term ends with its last day in Europe/Amsterdam; :func:`~hub.terms.werkdagen.end_of_day` gives 23:59:59 of that day
as the due moment that is stored and shown. The whole last second counts: a moment is within the term when its
Amsterdam date is on or before the due moment's Amsterdam date. An answer at 23:59:59.999999 on the due day is in
time; at 00:00:00 the next day the term has passed.

:func:`passed_before` states the same rule as a bound for a query: at ``now`` exactly the terms whose due moment lies
before the start of now's Amsterdam day have passed (``due < start of day`` if and only if due's Amsterdam date is
earlier than now's, whatever the due moment's time of day).
"""

from __future__ import annotations

from datetime import datetime

from hub.terms.werkdagen import AMSTERDAM, as_local_date

__all__ = ["is_overdue", "passed_before", "within_term"]


def passed_before(now: datetime) -> datetime:
    """The start (00:00) of now's day in Europe/Amsterdam: the terms due before it have passed at ``now``."""
    day = as_local_date(now)
    return datetime(day.year, day.month, day.day, tzinfo=AMSTERDAM)


def is_overdue(due: datetime, now: datetime) -> bool:
    """Has the term that ends at ``due`` passed at ``now``? Only from the day after the due day (Europe/Amsterdam)."""
    return due < passed_before(now)


def within_term(moment: datetime, due: datetime) -> bool:
    """Does ``moment`` (an answer, a procesafspraak) fall within the term that ends at ``due``? Up to and including
    the last microsecond of the due day."""
    return not is_overdue(due, moment)
