"""Fixed vectors for the werkdagen calendar (Algemene termijnenwet) in hub.terms."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import holidays
import pytest

from hub.terms import (
    AMSTERDAM,
    NaiveDatetimeError,
    WerkdagCalendar,
    add_months,
    add_period,
    add_werkdagen,
    default_calendar,
    end_of_day,
    feestdagen,
    is_werkdag,
    load_decree_days,
    next_werkdag,
    werkdag_on_or_after,
    werkdagen_between,
)

CET = timedelta(hours=1)
CEST = timedelta(hours=2)


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=AMSTERDAM)


def eod(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, tzinfo=AMSTERDAM)


def assert_end_of_day(due: datetime, expected: date, offset: timedelta) -> None:
    assert due.tzinfo is AMSTERDAM
    assert due.date() == expected
    assert due.timetz().replace(tzinfo=None) == time(23, 59, 59)
    assert due.microsecond == 0
    assert due.utcoffset() == offset


# -- the issue example -------------------------------------------------------------------------------------


def test_issue_example_friday_before_koningsdag() -> None:
    due = add_werkdagen(local(2026, 4, 24, 16, 0), 2)
    assert due == eod(2026, 4, 29)
    assert_end_of_day(due, date(2026, 4, 29), CEST)


def test_time_of_receipt_does_not_matter() -> None:
    early = add_werkdagen(local(2026, 4, 24, 0, 0, 1), 2)
    late = add_werkdagen(local(2026, 4, 24, 23, 59, 59), 2)
    assert early == late == eod(2026, 4, 29)


def test_moment_is_converted_to_amsterdam_first() -> None:
    # Thursday 23 April 22:30 UTC is Friday 24 April 00:30 in Amsterdam: received on the Friday.
    assert add_werkdagen(datetime(2026, 4, 23, 22, 30, tzinfo=UTC), 2) == eod(2026, 4, 29)
    # One hour earlier it is still Thursday in Amsterdam.
    assert add_werkdagen(datetime(2026, 4, 23, 21, 30, tzinfo=UTC), 2) == eod(2026, 4, 28)


# -- feestdagen --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2025, 2031, 2036])
def test_koningsdag_on_sunday_moves_to_saturday(year: int) -> None:
    assert date(year, 4, 27).weekday() == 6
    cal = default_calendar()
    assert cal.feestdag_name(date(year, 4, 26)) == "Koningsdag"
    assert cal.feestdag_name(date(year, 4, 27)) is None
    assert not is_werkdag(date(year, 4, 26))
    assert is_werkdag(date(year, 4, 28))  # the Monday after is an ordinary werkdag


def test_koningsdag_on_a_weekday() -> None:
    assert not is_werkdag(date(2026, 4, 27))
    assert default_calendar().feestdag_name(date(2026, 4, 27)) == "Koningsdag"


def test_koninginnedag_before_2014() -> None:
    cal = default_calendar()
    assert cal.feestdag_name(date(2013, 4, 30)) == "Koninginnedag"
    assert not is_werkdag(date(2013, 4, 30))
    assert is_werkdag(date(2013, 4, 29))
    # 30 April 2006 was a Sunday: celebrated on Saturday 29 April.
    assert cal.feestdag_name(date(2006, 4, 29)) == "Koninginnedag"
    assert is_werkdag(date(2006, 5, 1))


@pytest.mark.parametrize("year", [2026, 2027, 2029, 2030])
def test_bevrijdingsdag_every_year(year: int) -> None:
    fifth = date(year, 5, 5)
    assert default_calendar().feestdag_name(fifth) == "Bevrijdingsdag"
    if fifth.weekday() < 5:
        assert not is_werkdag(fifth)


def test_holidays_package_alone_is_not_enough_for_5_mei() -> None:
    # Why the module keeps its own list: holidays.NL has 5 May only in lustrum years.
    assert date(2026, 5, 5) not in holidays.country_holidays("NL", years=2026)
    assert not is_werkdag(date(2026, 5, 5))


def test_bevrijdingsdag_on_hemelvaartsdag_names_both() -> None:
    assert default_calendar().feestdag_name(date(2016, 5, 5)) == "Bevrijdingsdag en Hemelvaartsdag"


def test_feestdagen_2026() -> None:
    assert dict(feestdagen(2026)) == {
        date(2026, 1, 1): "Nieuwjaarsdag",
        date(2026, 4, 3): "Goede Vrijdag",
        date(2026, 4, 6): "tweede Paasdag",
        date(2026, 4, 27): "Koningsdag",
        date(2026, 5, 5): "Bevrijdingsdag",
        date(2026, 5, 14): "Hemelvaartsdag",
        date(2026, 5, 25): "tweede Pinksterdag",
        date(2026, 12, 25): "eerste Kerstdag",
        date(2026, 12, 26): "tweede Kerstdag",
    }


def test_feestdagen_is_read_only() -> None:
    with pytest.raises(TypeError):
        feestdagen(2026)[date(2026, 6, 1)] = "x"  # type: ignore[index]


def test_goede_vrijdag_and_tweede_paasdag() -> None:
    # Easter 2026 is 5 April. Received Thursday 2 April: Fri 3 (Goede Vrijdag) and Mon 6 (tweede Paasdag)
    # do not count.
    assert default_calendar().feestdag_name(date(2026, 4, 3)) == "Goede Vrijdag"
    due = add_werkdagen(local(2026, 4, 2, 10, 0), 2)
    assert_end_of_day(due, date(2026, 4, 8), CEST)


def test_hemelvaart_with_decree_day() -> None:
    cal = default_calendar()
    assert cal.feestdag_name(date(2026, 5, 14)) == "Hemelvaartsdag"
    assert cal.feestdag_name(date(2026, 5, 15)) == "bij besluit gelijkgestelde dag"
    # Received Wednesday 13 May 2026: Thu 14 and Fri 15 closed, weekend → Mon 18 (1), Tue 19 (2).
    assert add_werkdagen(local(2026, 5, 13, 9, 0), 2) == eod(2026, 5, 19)
    # Without the decree day the Friday would count.
    without = WerkdagCalendar(decree_days=frozenset())
    assert without.add_werkdagen(local(2026, 5, 13, 9, 0), 2) == eod(2026, 5, 18)


def test_christmas_into_the_new_year() -> None:
    # Thursday 24 Dec 2026: Fri 25, Sat 26, Sun 27 closed → Mon 28 (1), Tue 29 (2).
    assert add_werkdagen(local(2026, 12, 24, 15, 0), 2) == eod(2026, 12, 29)
    # Wednesday 30 Dec 2026: Thu 31 (1), Fri 1 Jan Nieuwjaarsdag, weekend → Mon 4 Jan 2027 (2).
    due = add_werkdagen(local(2026, 12, 30, 15, 0), 2)
    assert_end_of_day(due, date(2027, 1, 4), CET)
    # Christmas eve 2026 plus 5 werkdagen: 28, 29, 30, 31 Dec, then 4 Jan 2027.
    assert add_werkdagen(local(2026, 12, 24, 15, 0), 5) == eod(2027, 1, 4)
    # Wednesday 31 Dec 2025: Thu 1 Jan Nieuwjaarsdag, Fri 2 Jan decree day → Mon 5 (1), Tue 6 (2).
    assert add_werkdagen(local(2025, 12, 31, 11, 0), 2) == eod(2026, 1, 6)


def test_decree_days_2027_2028() -> None:
    assert not is_werkdag(date(2027, 5, 7))
    assert not is_werkdag(date(2028, 4, 28))
    assert not is_werkdag(date(2028, 5, 26))
    assert is_werkdag(date(2027, 5, 10))


# -- DST ---------------------------------------------------------------------------------------------------


def test_received_on_the_day_summer_time_starts() -> None:
    # 29 March 2026: clocks go from 02:00 CET to 03:00 CEST.
    received = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET
    due = add_werkdagen(received, 2)
    assert_end_of_day(due, date(2026, 3, 31), CEST)
    assert due == datetime(2026, 3, 31, 21, 59, 59, tzinfo=UTC)
    assert end_of_day(date(2026, 3, 29)).utcoffset() == CEST
    assert end_of_day(date(2026, 3, 28)).utcoffset() == CET


def test_received_on_the_day_summer_time_ends() -> None:
    # 25 October 2026: clocks go from 03:00 CEST back to 02:00 CET; 01:30 UTC is the second 02:30.
    received = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    due = add_werkdagen(received, 2)
    assert_end_of_day(due, date(2026, 10, 27), CET)
    assert due == datetime(2026, 10, 27, 22, 59, 59, tzinfo=UTC)
    assert end_of_day(date(2026, 10, 25)).utcoffset() == CET
    assert end_of_day(date(2026, 10, 24)).utcoffset() == CEST


def test_term_spanning_the_dst_switch() -> None:
    # Received Friday 23 October 2026 in summer time, due Tuesday 27 October in winter time.
    due = add_werkdagen(local(2026, 10, 23, 12, 0), 2)
    assert_end_of_day(due, date(2026, 10, 27), CET)


# -- add_werkdagen edge cases ------------------------------------------------------------------------------


def test_naive_datetime_refused() -> None:
    with pytest.raises(NaiveDatetimeError, match="timezone"):
        add_werkdagen(datetime(2026, 4, 24, 16, 0), 2)
    with pytest.raises(ValueError):
        add_werkdagen(datetime(2026, 4, 24, 16, 0), 2)


def test_negative_n_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_werkdagen(local(2026, 4, 24, 16, 0), -1)


def test_n_must_be_an_int() -> None:
    with pytest.raises(TypeError):
        add_werkdagen(local(2026, 4, 24, 16, 0), 2.0)  # type: ignore[arg-type]


def test_a_date_is_not_a_moment() -> None:
    with pytest.raises(TypeError):
        add_werkdagen(date(2026, 4, 24), 2)  # type: ignore[arg-type]


def test_zero_werkdagen_is_end_of_the_day_of_receipt() -> None:
    assert add_werkdagen(local(2026, 4, 24, 16, 0), 0) == eod(2026, 4, 24)
    assert add_werkdagen(local(2026, 4, 25, 16, 0), 0) == eod(2026, 4, 25)  # even on a Saturday


def test_received_on_a_weekend() -> None:
    # Saturday 25 April 2026: Sun, Mon 27 Koningsdag → Tue 28 (1), Wed 29 (2).
    assert add_werkdagen(local(2026, 4, 25, 10, 0), 2) == eod(2026, 4, 29)
    assert add_werkdagen(local(2026, 4, 25, 10, 0), 1) == eod(2026, 4, 28)


# -- add_period --------------------------------------------------------------------------------------------


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 3, 31), 1) == date(2026, 4, 30)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 5, 15), -5) == date(2025, 12, 15)


def test_31_january_plus_one_month() -> None:
    # 28 February 2026 is a Saturday → Monday 2 March.
    assert add_period(date(2026, 1, 31), months=1) == eod(2026, 3, 2)
    # 2028 is a leap year; 29 February 2028 is a Tuesday.
    assert add_period(date(2028, 1, 31), months=1) == eod(2028, 2, 29)


def test_term_ending_on_saturday_moves_to_monday() -> None:
    assert date(2026, 6, 13).weekday() == 5
    assert add_period(date(2026, 6, 6), weeks=1) == eod(2026, 6, 15)


def test_term_ending_on_a_feestdag_moves_on() -> None:
    # 13 April 2026 + 2 weeks = Monday 27 April (Koningsdag) → Tuesday 28 April.
    assert add_period(date(2026, 4, 13), weeks=2) == eod(2026, 4, 28)


def test_add_period_zero_and_negative() -> None:
    assert add_period(date(2026, 4, 24)) == eod(2026, 4, 24)
    assert add_period(date(2026, 4, 25)) == eod(2026, 4, 28)  # art. 1 still applies
    with pytest.raises(ValueError):
        add_period(date(2026, 4, 24), weeks=-1)
    with pytest.raises(ValueError):
        add_period(date(2026, 4, 24), months=-1)


def test_add_period_accepts_an_aware_moment_as_its_day() -> None:
    # 22:30 UTC on 12 April is 00:30 on 13 April in Amsterdam.
    assert add_period(datetime(2026, 4, 12, 22, 30, tzinfo=UTC), weeks=2) == eod(2026, 4, 28)
    with pytest.raises(NaiveDatetimeError):
        add_period(datetime(2026, 4, 12, 22, 30), weeks=2)


def test_art_2_at_least_two_werkdagen_with_long_gemeente_closure() -> None:
    closure = frozenset(date(2026, 12, 24) + timedelta(days=i) for i in range(16))  # 24 Dec .. 8 Jan
    cal = WerkdagCalendar(extra_closed=closure)
    # Plain end Wed 30 Dec is closed; art. 1 gives Mon 11 Jan 2027, only one werkdag in the term;
    # art. 2 extends to the second werkdag, Tue 12 Jan 2027.
    assert cal.werkdag_on_or_after(date(2026, 12, 30)) == date(2027, 1, 11)
    assert cal.add_period(date(2026, 12, 23), weeks=1) == eod(2027, 1, 12)


# -- gemeente closing days and the calendar object ---------------------------------------------------------


def test_gemeente_extra_closing_day_respected() -> None:
    cal = WerkdagCalendar(extra_closed=frozenset({date(2026, 4, 28)}))
    assert not cal.is_werkdag(date(2026, 4, 28))
    assert cal.feestdag_name(date(2026, 4, 28)) == "sluitingsdag gemeente"
    assert cal.add_werkdagen(local(2026, 4, 24, 16, 0), 2) == eod(2026, 4, 30)
    # The default calendar is not affected.
    assert is_werkdag(date(2026, 4, 28))
    assert add_werkdagen(local(2026, 4, 24, 16, 0), 2) == eod(2026, 4, 29)


def test_with_extra_closed_keeps_decree_days() -> None:
    cal = default_calendar().with_extra_closed([date(2026, 4, 28)])
    assert cal.extra_closed == frozenset({date(2026, 4, 28)})
    assert cal.effective_decree_days == default_calendar().effective_decree_days
    assert not cal.is_werkdag(date(2026, 5, 15))


def test_calendar_is_frozen_and_compares_by_value() -> None:
    cal = WerkdagCalendar()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cal.extra_closed = frozenset({date(2026, 1, 5)})  # type: ignore[misc]
    assert cal == WerkdagCalendar(decree_days=load_decree_days())
    assert hash(cal) == hash(WerkdagCalendar(decree_days=load_decree_days()))
    assert cal != WerkdagCalendar(extra_closed=frozenset({date(2026, 1, 5)}))
    assert WerkdagCalendar(extra_closed={date(2026, 1, 5)}).extra_closed == frozenset({date(2026, 1, 5)})  # type: ignore[arg-type]


def test_calendar_refuses_datetimes_as_closing_days() -> None:
    with pytest.raises(TypeError):
        WerkdagCalendar(extra_closed=frozenset({local(2026, 1, 5, 0, 0)}))


def test_is_werkdag_on_an_aware_moment_uses_amsterdam_day() -> None:
    # Monday 27 April 2026 00:30 in Amsterdam is still Sunday 26 April in UTC.
    assert not is_werkdag(datetime(2026, 4, 26, 22, 30, tzinfo=UTC))
    with pytest.raises(NaiveDatetimeError):
        is_werkdag(datetime(2026, 4, 26, 22, 30))


def test_next_werkdag_and_on_or_after() -> None:
    assert next_werkdag(date(2026, 4, 24)) == date(2026, 4, 28)
    assert next_werkdag(date(2026, 4, 28)) == date(2026, 4, 29)
    assert werkdag_on_or_after(date(2026, 4, 28)) == date(2026, 4, 28)
    assert werkdag_on_or_after(date(2026, 4, 25)) == date(2026, 4, 28)


def test_werkdagen_between() -> None:
    assert werkdagen_between(date(2026, 4, 24), date(2026, 4, 29)) == 2
    assert werkdagen_between(date(2026, 4, 29), date(2026, 4, 24)) == -2
    assert werkdagen_between(date(2026, 4, 24), date(2026, 4, 24)) == 0
    assert werkdagen_between(date(2026, 4, 24), date(2026, 4, 27)) == 0
    # A whole year: 261 weekdays in 2026, minus 8 feestdagen on weekdays (26 Dec is a Saturday)
    # and 2 decree days.
    assert werkdagen_between(date(2025, 12, 31), date(2026, 12, 31)) == 261 - 8 - 2


def test_end_of_day() -> None:
    assert end_of_day(date(2026, 4, 29)) == eod(2026, 4, 29)
    assert end_of_day(datetime(2026, 4, 28, 22, 30, tzinfo=UTC)) == eod(2026, 4, 29)


# -- the decree file ---------------------------------------------------------------------------------------


def test_packaged_decree_days() -> None:
    assert load_decree_days() == frozenset(
        {date(2026, 1, 2), date(2026, 5, 15), date(2027, 5, 7), date(2028, 4, 28), date(2028, 5, 26)}
    )


def test_packaged_decree_file_is_next_to_the_module() -> None:
    import hub.terms

    assert (Path(hub.terms.__file__).parent / "gelijkgestelde_dagen.txt").is_file()


def test_load_decree_days_format(tmp_path: Path) -> None:
    path = tmp_path / "extra.txt"
    path.write_text("# Staatscourant 2030, 12345\n\n2030-05-31  # brugdag\n   2030-12-27\n", encoding="utf-8")
    assert load_decree_days(path) == frozenset({date(2030, 5, 31), date(2030, 12, 27)})


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("2030-05-31\n# ok\n31-05-2030\n", 3),
        ("2030-05-31\n2030-02-30\n", 2),
        ("2030-06-01\n", 1),  # a Saturday
        ("20300531\n", 1),
        ("2030-05-31 2030-06-03\n", 1),
    ],
)
def test_load_decree_days_names_the_bad_line(tmp_path: Path, content: str, line: int) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=rf"line {line}\b"):
        load_decree_days(path)


def test_from_files_adds_an_operator_file(tmp_path: Path) -> None:
    path = tmp_path / "extra.txt"
    path.write_text("2030-05-31\n", encoding="utf-8")
    cal = WerkdagCalendar.from_files(path)
    assert not cal.is_werkdag(date(2030, 5, 31))
    assert not cal.is_werkdag(date(2026, 5, 15))  # packaged days are kept
    assert cal.feestdag_name(date(2030, 5, 31)) == "bij besluit gelijkgestelde dag"
    assert is_werkdag(date(2030, 5, 31))
    assert WerkdagCalendar.from_files(None) == default_calendar()
    closed = WerkdagCalendar.from_files(path, extra_closed=[date(2030, 6, 3)])
    assert closed.feestdag_name(date(2030, 6, 3)) == "sluitingsdag gemeente"
