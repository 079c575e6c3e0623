"""The date of a procesafspraak, in Dutch for the reply form (pure, no I/O): given, not in the past, within a year,
on a general question not after the 2-weken maximum, and a werkdag of the gemeente (not a Saturday or Sunday, not a
feestdag or decree day, not one of the gemeente's closing days).

Who may make a procesafspraak at all is the reply choices' rule (:mod:`hub.messaging.reply_choices`); the maximum is
the engine's (:func:`hub.messaging.clocks.agreed_date_limit`). The service checks the date in ``check_reply`` and again
under the thread's lock before posting, so a refused afspraak stores nothing.

A date that is not a werkdag is refused, never moved silently: the form is shown again with the reason and the next
werkdag filled in, and sending it again agrees on that day (the user sees and confirms what is stored). The limit is
itself a due date, so a werkdag: the next werkdag after a refused date before the limit never passes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from hub.terms import WerkdagCalendar, add_months, as_local_date, format_datum

HORIZON_MONTHS = 12  # an agreed date lies at most a year ahead

NO_DATE = "Vul de datum in waarop het antwoord uiterlijk komt."
IN_THE_PAST = "De afgesproken datum ligt in het verleden. Kies vandaag of later."
BEYOND_HORIZON = "Kies een datum binnen een jaar."


@dataclass(frozen=True)
class DateProblem:
    message: str  # for the form, in Dutch
    instead: date | None = None  # a date the form fills in for the user to confirm


def _day(day: date, today: date) -> str:
    """ "vrijdag 18 december", with the year only when it is not this year's."""
    return format_datum(day, year=day.year != today.year)


def beyond_maximum(limit: date, today: date) -> str:
    """The refusal of a date after the 2-weken maximum of a general question, naming the latest date allowed."""
    if limit < today:
        return (
            "Een procesafspraak op een algemene vraag kan niet later zijn dan de maximale reactietermijn van twee "
            f"weken, en die is op {_day(limit, today)} verstreken. Geef een inhoudelijke reactie."
        )
    return (
        "Een procesafspraak op een algemene vraag kan niet later zijn dan de maximale reactietermijn van twee "
        f"weken: uiterlijk {_day(limit, today)}."
    )


def agreed_date_problem(
    agreed: date | None, now: datetime, calendar: WerkdagCalendar, limit: date | None = None
) -> DateProblem | None:
    """What is wrong with ``agreed`` as a procesafspraak's date at ``now`` on the gemeente's ``calendar``, with
    ``limit`` the latest date allowed (a general question's 2-weken maximum; None on casuïstiek); None when nothing
    is."""
    if agreed is None:
        return DateProblem(NO_DATE)
    today = as_local_date(now)
    if agreed < today:
        return DateProblem(IN_THE_PAST)
    if limit is not None and agreed > limit:
        return DateProblem(beyond_maximum(limit, today))
    if agreed > add_months(today, HORIZON_MONTHS):
        return DateProblem(BEYOND_HORIZON)
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
