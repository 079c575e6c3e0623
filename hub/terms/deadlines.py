"""The deadline rules of the convenant (bijlage 2 werkafspraken): one small pure function per clock.

Each function returns the moment the term ends (23:59:59 Europe/Amsterdam on a werkdag, timezone-aware) and
takes an optional ``calendar``; without it the default calendar is used (national feestdagen and decree days,
no gemeente closing days). Pass the calendar of the gemeente that is party to the case to respect its closing
days.

Terms counted in werkdagen start with a moment of receipt (an aware datetime); terms in weeks or months start
with a day. Moments are converted to Europe/Amsterdam to find their day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hub.terms.werkdagen import WerkdagCalendar, add_months, as_local_date, default_calendar

__all__ = [
    "aanmelding_schuldhulp_due",
    "aanmelding_schuldhulp_warn_from",
    "aanvraag_bijzondere_bijstand_due",
    "afspraak_nieuwe_klant_due",
    "algemene_eerste_reactie_due",
    "algemene_inhoudelijke_reactie_due",
    "contact_nieuwe_klant_due",
    "controle_contactgegevens_due",
    "decharge_due",
    "melding_wijziging_due",
    "reactie_casuistiek_due",
    "uitstroomverslag_window",
]


def _cal(calendar: WerkdagCalendar | None) -> WerkdagCalendar:
    return default_calendar() if calendar is None else calendar


def reactie_casuistiek_due(received: datetime, *, calendar: WerkdagCalendar | None = None) -> datetime:
    """Reactie casuïstiek: an inhoudelijke reactie or a procesafspraak within 2 werkdagen after a case message
    arrives from the other party (convenant §1b)."""
    return _cal(calendar).add_werkdagen(received, 2)


def algemene_eerste_reactie_due(received: datetime, *, calendar: WerkdagCalendar | None = None) -> datetime:
    """Algemene reactie: a first reaction to a non-case question under the convenant within 2 werkdagen
    (convenant §1b, "sowieso binnen twee werkdagen een algemene reactie")."""
    return _cal(calendar).add_werkdagen(received, 2)


def algemene_inhoudelijke_reactie_due(received: datetime, *, calendar: WerkdagCalendar | None = None) -> datetime:
    """Inhoudelijke reactie (algemeen): the substantive answer to a non-case question within 2 weken of the
    day of receipt (convenant §1b, "reactietermijn van maximaal twee weken")."""
    return _cal(calendar).add_period(as_local_date(received), weeks=2)


def contact_nieuwe_klant_due(received: datetime, *, calendar: WerkdagCalendar | None = None) -> datetime:
    """Contact nieuwe klant: the bewindvoerder contacts a referred new client within 2 werkdagen after the
    referral reaches them (convenant §2.1b)."""
    return _cal(calendar).add_werkdagen(received, 2)


def afspraak_nieuwe_klant_due(received: datetime, *, calendar: WerkdagCalendar | None = None) -> datetime:
    """Afspraak nieuwe klant: an appointment with the new client within a week of the referral's day of
    receipt (convenant §2.1b, "heeft binnen week een afspraak")."""
    return _cal(calendar).add_period(as_local_date(received), weeks=1)


def aanvraag_bijzondere_bijstand_due(beschikking: date, *, calendar: WerkdagCalendar | None = None) -> datetime:
    """Aanvraag bijzondere bijstand: the bewindvoerder applies within 3 maanden after the date of the
    benoemingsbeschikking (convenant §2.2)."""
    return _cal(calendar).add_period(beschikking, months=3)


def aanmelding_schuldhulp_due(bewind_start: date, *, calendar: WerkdagCalendar | None = None) -> datetime:
    """Aanmelding schuldhulpverlening: registration at BSHV within 12 maanden after the bewind started
    (convenant §2.3). A recorded extension agreed with BSHV is the caller's business."""
    return _cal(calendar).add_period(bewind_start, months=12)


def aanmelding_schuldhulp_warn_from(
    bewind_start: date, *, weeks_ahead: int = 8, calendar: WerkdagCalendar | None = None
) -> date:
    """The day from which the contractmanager is warned that the 12 maanden of §2.3 are "in zicht":
    ``weeks_ahead`` weeks before the day the aanmelding is due (convenant §2.3)."""
    if weeks_ahead < 0:
        raise ValueError(f"weeks_ahead must be >= 0, got {weeks_ahead}")
    due = aanmelding_schuldhulp_due(bewind_start, calendar=calendar)
    return due.date() - timedelta(weeks=weeks_ahead)


def uitstroomverslag_window(
    schuldregeling_start: date, *, calendar: WerkdagCalendar | None = None
) -> tuple[date, datetime]:
    """Uitstroomverslag: screened and reported in the first quarter of the third year of the schuldregeling
    (convenant §2.5).

    Returns ``(opens, due)``: the window opens on the day 24 months after the start (the third year begins)
    and the verslag is due at the end of the day 27 months after the start, moved to a werkdag like any term.
    """
    start = as_local_date(schuldregeling_start)
    return add_months(start, 24), _cal(calendar).add_period(start, months=27)


def melding_wijziging_due(change: date, *, calendar: WerkdagCalendar | None = None) -> datetime:
    """Melding wijziging: a change that affects the convenant or the inwoners is reported to the partner
    within 2 weken (convenant §1a.3)."""
    return _cal(calendar).add_period(change, weeks=2)


def controle_contactgegevens_due(last_checked: date, *, calendar: WerkdagCalendar | None = None) -> datetime:
    """Controle contactgegevens: the contractmanager checks an organisation's contact details at least once a
    year (convenant §1a.1), so the next check is due 1 jaar after the last one."""
    return _cal(calendar).add_period(last_checked, months=12)


def decharge_due(document_date: date, *, months: int = 12, calendar: WerkdagCalendar | None = None) -> datetime:
    """Decharge (convenant §3b): the bewindvoerder overlegt the rechtbank's decharge. The convenant names no period;
    the rechtbank discharges the yearly rekening en verantwoording, so the next one is due ``months`` (the setting
    HUB_DECHARGE_MONTHS, 12 by default) after the date of the last, moved to a werkdag like every month term."""
    return _cal(calendar).add_period(document_date, months=months)
