"""Whether a procesafspraak may be made, and with which date: the form's errors, in Dutch (pure, no I/O).

The rules themselves are the engine's (:func:`hub.messaging.clocks.may_agree`,
:func:`hub.messaging.clocks.agreed_date_limit`); this module words them for the reply form. The service calls it in
``check_reply`` and again under the thread's lock before posting, so a refused afspraak stores nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from hub.messaging import clocks as rules
from hub.terms import add_months, as_local_date, format_datum

HORIZON_MONTHS = 12  # an agreed date lies at most a year ahead

NOT_OWING = (
    "Een procesafspraak kan alleen als uw organisatie een reactie verschuldigd is. Kies een ander soort bericht."
)
NO_DATE = "Vul de datum in waarop het antwoord uiterlijk komt."
IN_THE_PAST = "De afgesproken datum ligt in het verleden. Kies vandaag of later."
BEYOND_HORIZON = "Kies een datum binnen een jaar."


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


def agreement_errors(
    running: Sequence[rules.RunningClock], org_id: str, agreed_date: date | None, now: datetime
) -> dict[str, str]:
    """The form's errors for a procesafspraak of ``org_id`` with ``agreed_date`` at ``now``; empty when it may be made.

    Only a party that owes a substantive reaction may make one; the date is today or later, within a year, and on a
    general question not after the rule-based due date of the 2-weken term (on casuïstiek there is no maximum).
    """
    errors: dict[str, str] = {}
    if not rules.may_agree(running, org_id):
        errors["kind"] = NOT_OWING
    if agreed_date is None:
        errors["agreed_date"] = NO_DATE
        return errors
    today = as_local_date(now)
    limit = rules.agreed_date_limit(running, org_id)
    if agreed_date < today:
        errors["agreed_date"] = IN_THE_PAST
    elif limit is not None and agreed_date > limit:
        errors["agreed_date"] = beyond_maximum(limit, today)
    elif agreed_date > add_months(today, HORIZON_MONTHS):
        errors["agreed_date"] = BEYOND_HORIZON
    return errors
