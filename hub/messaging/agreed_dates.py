"""The date of a procesafspraak: given, not in the past, within a year, and a werkdag of the gemeente (not a Saturday
or Sunday, not a feestdag or decree day, not one of the gemeente's closing days).

A date that is not a werkdag is refused, never moved silently: the form is shown again with the reason and the next
werkdag filled in, and sending it again agrees on that day (the user sees and confirms what is stored).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hub.terms import WerkdagCalendar, as_local_date, format_datum

AGREED_DATE_HORIZON = timedelta(days=366)


@dataclass(frozen=True)
class DateProblem:
    message: str  # for the form, in Dutch
    instead: date | None = None  # a date the form fills in for the user to confirm


def agreed_date_problem(agreed: date | None, now: datetime, calendar: WerkdagCalendar) -> DateProblem | None:
    """What is wrong with ``agreed`` as a procesafspraak's date at ``now`` on the gemeente's ``calendar``; None when
    nothing is."""
    if agreed is None:
        return DateProblem("Vul de datum in waarop het antwoord uiterlijk komt.")
    today = as_local_date(now)
    if agreed < today:
        return DateProblem("De afgesproken datum ligt in het verleden. Kies vandaag of later.")
    if agreed > today + AGREED_DATE_HORIZON:
        return DateProblem("Kies een datum binnen een jaar.")
    if calendar.is_werkdag(agreed):
        return None
    reason = calendar.feestdag_name(agreed)
    instead = calendar.next_werkdag(agreed)
    return DateProblem(
        f"{format_datum(agreed)} is geen werkdag{f' ({reason})' if reason else ''}. De eerstvolgende werkdag, "
        f"{format_datum(instead)}, staat nu ingevuld: verstuur het bericht opnieuw om die datum af te spreken, of "
        "kies een andere werkdag.",
        instead,
    )
