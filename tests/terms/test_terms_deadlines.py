"""Vectors for the convenant's deadline rules and the Dutch wording in hub.terms."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from hub.terms import (
    AMSTERDAM,
    NaiveDatetimeError,
    WerkdagCalendar,
    aanmelding_schuldhulp_due,
    aanmelding_schuldhulp_warn_from,
    aanvraag_bijzondere_bijstand_due,
    afspraak_nieuwe_klant_due,
    algemene_eerste_reactie_due,
    algemene_inhoudelijke_reactie_due,
    contact_nieuwe_klant_due,
    controle_contactgegevens_due,
    describe_due,
    format_datum,
    melding_wijziging_due,
    reactie_casuistiek_due,
    uitstroomverslag_window,
)

GEMEENTE = WerkdagCalendar(extra_closed=frozenset({date(2026, 4, 28)}))


def local(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=AMSTERDAM)


def eod(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, tzinfo=AMSTERDAM)


# -- §1b ---------------------------------------------------------------------------------------------------


def test_reactie_casuistiek() -> None:
    assert reactie_casuistiek_due(local(2026, 4, 24, 16)) == eod(2026, 4, 29)
    assert reactie_casuistiek_due(local(2026, 4, 24, 16), calendar=GEMEENTE) == eod(2026, 4, 30)
    with pytest.raises(NaiveDatetimeError):
        reactie_casuistiek_due(datetime(2026, 4, 24, 16))


def test_algemene_eerste_reactie() -> None:
    assert algemene_eerste_reactie_due(local(2026, 4, 24, 16)) == eod(2026, 4, 29)
    assert algemene_eerste_reactie_due(local(2026, 4, 24, 16), calendar=GEMEENTE) == eod(2026, 4, 30)


def test_algemene_inhoudelijke_reactie() -> None:
    assert algemene_inhoudelijke_reactie_due(local(2026, 4, 24, 16)) == eod(2026, 5, 8)
    # Thu 30 April + 2 weeks = Thu 14 May (Hemelvaartsdag), Fri 15 May decree day → Mon 18 May.
    assert algemene_inhoudelijke_reactie_due(local(2026, 4, 30, 9)) == eod(2026, 5, 18)
    # The day of receipt is the Amsterdam day: 22:30 UTC on 15 April is 16 April in Amsterdam.
    assert algemene_inhoudelijke_reactie_due(datetime(2026, 4, 15, 22, 30, tzinfo=UTC)) == eod(2026, 4, 30)


# -- §2.1b -------------------------------------------------------------------------------------------------


def test_contact_nieuwe_klant() -> None:
    # Mon 4 May 2026: Tue 5 May Bevrijdingsdag → Wed 6 (1), Thu 7 (2).
    assert contact_nieuwe_klant_due(local(2026, 5, 4, 9)) == eod(2026, 5, 7)


def test_afspraak_nieuwe_klant() -> None:
    assert afspraak_nieuwe_klant_due(local(2026, 5, 4, 9)) == eod(2026, 5, 11)
    # Mon 20 April + 1 week = Mon 27 April (Koningsdag) → Tue 28 April, or Wed 29 with the gemeente closed.
    assert afspraak_nieuwe_klant_due(local(2026, 4, 20, 9)) == eod(2026, 4, 28)
    assert afspraak_nieuwe_klant_due(local(2026, 4, 20, 9), calendar=GEMEENTE) == eod(2026, 4, 29)


# -- §2.2, §2.3, §2.5 --------------------------------------------------------------------------------------


def test_aanvraag_bijzondere_bijstand() -> None:
    # 5 Feb + 3 months = 5 May 2026 (Bevrijdingsdag) → Wed 6 May.
    assert aanvraag_bijzondere_bijstand_due(date(2026, 2, 5)) == eod(2026, 5, 6)
    # 30 Nov 2025 + 3 months = 28 Feb 2026 (Saturday) → Mon 2 March.
    assert aanvraag_bijzondere_bijstand_due(date(2025, 11, 30)) == eod(2026, 3, 2)


def test_aanmelding_schuldhulp() -> None:
    # 27 April 2025 + 12 months = Mon 27 April 2026 (Koningsdag) → Tue 28 April.
    assert aanmelding_schuldhulp_due(date(2025, 4, 27)) == eod(2026, 4, 28)
    assert aanmelding_schuldhulp_due(date(2025, 6, 10)) == eod(2026, 6, 10)


def test_aanmelding_schuldhulp_warn_from() -> None:
    assert aanmelding_schuldhulp_warn_from(date(2025, 4, 27)) == date(2026, 4, 28) - timedelta(weeks=8)
    assert aanmelding_schuldhulp_warn_from(date(2025, 4, 27)) == date(2026, 3, 3)
    assert aanmelding_schuldhulp_warn_from(date(2025, 4, 27), weeks_ahead=4) == date(2026, 3, 31)
    assert aanmelding_schuldhulp_warn_from(date(2025, 4, 27), weeks_ahead=0) == date(2026, 4, 28)
    with pytest.raises(ValueError):
        aanmelding_schuldhulp_warn_from(date(2025, 4, 27), weeks_ahead=-1)


def test_uitstroomverslag_window() -> None:
    assert uitstroomverslag_window(date(2024, 1, 1)) == (date(2026, 1, 1), eod(2026, 4, 1))
    assert uitstroomverslag_window(date(2024, 2, 29)) == (date(2026, 2, 28), eod(2026, 5, 29))
    # 5 April 2025 is a Saturday: the verslag is due Monday 7 April; the window opening is not moved.
    assert uitstroomverslag_window(date(2023, 1, 5)) == (date(2025, 1, 5), eod(2025, 4, 7))
    # 14 May 2026 Hemelvaartsdag, 15 May decree day → Monday 18 May.
    assert uitstroomverslag_window(date(2024, 2, 14)) == (date(2026, 2, 14), eod(2026, 5, 18))


# -- §1a ---------------------------------------------------------------------------------------------------


def test_melding_wijziging() -> None:
    assert melding_wijziging_due(date(2026, 4, 24)) == eod(2026, 5, 8)
    # Fri 18 Dec 2026 + 2 weeks = Fri 1 Jan 2027 (Nieuwjaarsdag) → Mon 4 Jan 2027.
    due = melding_wijziging_due(date(2026, 12, 18))
    assert due == eod(2027, 1, 4)
    assert due.utcoffset() == timedelta(hours=1)


def test_controle_contactgegevens() -> None:
    assert controle_contactgegevens_due(date(2024, 2, 29)) == eod(2025, 2, 28)
    # 25 Dec 2026 is a Friday (eerste Kerstdag) → Monday 28 Dec.
    assert controle_contactgegevens_due(date(2025, 12, 25)) == eod(2026, 12, 28)


# -- wording -----------------------------------------------------------------------------------------------


def test_format_datum() -> None:
    assert format_datum(date(2026, 4, 29)) == "woensdag 29 april 2026"
    assert format_datum(date(2026, 3, 1)) == "zondag 1 maart 2026"
    assert format_datum(date(2027, 1, 4)) == "maandag 4 januari 2027"
    # An aware moment gives its Amsterdam day.
    assert format_datum(datetime(2026, 4, 28, 22, 30, tzinfo=UTC)) == "woensdag 29 april 2026"


@pytest.mark.parametrize(
    ("due", "now", "expected"),
    [
        (eod(2026, 4, 28), local(2026, 4, 28, 10), "vandaag"),
        (eod(2026, 4, 29), local(2026, 4, 28, 10), "morgen"),
        (eod(2026, 4, 30), local(2026, 4, 28, 10), "over 2 werkdagen"),
        (eod(2026, 5, 4), local(2026, 4, 28, 10), "over 4 werkdagen"),
        (eod(2026, 5, 4), local(2026, 5, 1, 10), "over 1 werkdag"),
        (eod(2026, 5, 8), local(2026, 4, 28, 10), "op vrijdag 8 mei 2026"),
        (eod(2026, 5, 9), local(2026, 5, 6, 10), "op zaterdag 9 mei 2026"),
        (eod(2026, 4, 24), local(2026, 4, 28, 10), "1 werkdag te laat"),
        (eod(2026, 4, 24), local(2026, 4, 30, 10), "3 werkdagen te laat"),
        (eod(2026, 4, 24), local(2026, 4, 25, 10), "verlopen op vrijdag 24 april 2026"),
        (eod(2026, 4, 24), local(2026, 4, 27, 10), "verlopen op vrijdag 24 april 2026"),
        # The whole due day counts: a term passes only when its day is over.
        (local(2026, 4, 28, 10), local(2026, 4, 28, 12), "vandaag"),
        (eod(2026, 4, 28), local(2026, 4, 28, 23).replace(minute=59, second=59, microsecond=999_999), "vandaag"),
        (eod(2026, 4, 28), local(2026, 4, 29, 0), "1 werkdag te laat"),
    ],
)
def test_describe_due(due: datetime, now: datetime, expected: str) -> None:
    assert describe_due(due, now) == expected


def test_describe_due_uses_amsterdam_days_and_the_calendar() -> None:
    # 22:30 UTC on 27 April is already 28 April in Amsterdam.
    assert describe_due(eod(2026, 4, 29), datetime(2026, 4, 27, 22, 30, tzinfo=UTC)) == "morgen"
    # With the gemeente closed on Tue 28 April, Fri 24 April is not yet a werkdag late on the 28th.
    assert describe_due(eod(2026, 4, 24), local(2026, 4, 28), GEMEENTE) == "verlopen op vrijdag 24 april 2026"
    assert describe_due(eod(2026, 4, 24), local(2026, 4, 29), GEMEENTE) == "1 werkdag te laat"


def test_describe_due_refuses_naive() -> None:
    with pytest.raises(NaiveDatetimeError):
        describe_due(datetime(2026, 4, 29, 23, 59, 59), local(2026, 4, 28))
    with pytest.raises(NaiveDatetimeError):
        describe_due(eod(2026, 4, 29), datetime(2026, 4, 28, 10))
