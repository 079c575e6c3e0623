"""hub.terms against an independent, slow reference implementation (1990-2200).

The reference below shares no code with the module: Easter by the Anonymous Gregorian (Meeus/Jones/Butcher)
algorithm instead of dateutil, its own feestdag rules and decree list, plain day-by-day loops, and its own
statement of the Dutch DST rules.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.terms import (
    WerkdagCalendar,
    add_period,
    add_werkdagen,
    default_calendar,
    end_of_day,
    is_werkdag,
    werkdagen_between,
)

AMS = ZoneInfo("Europe/Amsterdam")
FIRST, LAST = date(1990, 1, 1), date(2200, 12, 31)
ONE_DAY = timedelta(days=1)

REF_DECREE_DAYS = frozenset(
    {date(2026, 1, 2), date(2026, 5, 15), date(2027, 5, 7), date(2028, 4, 28), date(2028, 5, 26)}
)


# -- the reference -----------------------------------------------------------------------------------------


def ref_easter(year: int) -> date:
    """Anonymous Gregorian algorithm (Meeus, Astronomical Algorithms)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


def ref_feestdagen(year: int) -> set[date]:
    e = ref_easter(year)
    if year >= 2014:
        kd = date(year, 4, 26) if date(year, 4, 27).isoweekday() == 7 else date(year, 4, 27)
    else:  # Koninginnedag, 1980-2013
        kd = date(year, 4, 29) if date(year, 4, 30).isoweekday() == 7 else date(year, 4, 30)
    return {
        date(year, 1, 1),
        e - timedelta(days=2),
        e + timedelta(days=1),
        kd,
        date(year, 5, 5),
        e + timedelta(days=39),
        e + timedelta(days=50),
        date(year, 12, 25),
        date(year, 12, 26),
    }


def ref_is_werkdag(d: date, extra: frozenset[date] = frozenset()) -> bool:
    if d.isoweekday() in (6, 7):
        return False
    return d not in ref_feestdagen(d.year) and d not in REF_DECREE_DAYS and d not in extra


def ref_count(start: date, end: date, extra: frozenset[date] = frozenset()) -> int:
    """Werkdagen in (start, end], counted one day at a time."""
    if end < start:
        return -ref_count(end, start, extra)
    n, d = 0, start
    while d < end:
        d += ONE_DAY
        n += ref_is_werkdag(d, extra)
    return n


def ref_add_werkdagen(moment: datetime, n: int, extra: frozenset[date] = frozenset()) -> date:
    d = moment.astimezone(AMS).date()
    left = n
    while left > 0:
        d += ONE_DAY
        if ref_is_werkdag(d, extra):
            left -= 1
    return d


def ref_plain_end(start: date, weeks: int, months: int) -> date:
    y, m = start.year, start.month + months
    while m > 12:
        y, m = y + 1, m - 12
    day = start.day
    while True:
        try:
            plain = date(y, m, day)
            break
        except ValueError:
            day -= 1
    return plain + timedelta(days=7 * weeks)


def ref_add_period(start: date, weeks: int, months: int, extra: frozenset[date] = frozenset()) -> date:
    plain = ref_plain_end(start, weeks, months)
    end = plain
    while not ref_is_werkdag(end, extra):
        end += ONE_DAY
    if (plain - start).days >= 3:  # Atw art. 2: at least two werkdagen in a term of three days or more
        while ref_count(start, end, extra) < 2:
            end += ONE_DAY
        while not ref_is_werkdag(end, extra):
            end += ONE_DAY
    return end


def last_sunday(year: int, month: int) -> date:
    d = date(year, month + 1, 1) - ONE_DAY
    while d.isoweekday() != 7:
        d -= ONE_DAY
    return d


def ref_offset_at_end_of_day(d: date) -> timedelta:
    """UTC offset at 23:59:59 on ``d`` in the Netherlands: CEST from the last Sunday of March up to (not
    including) the last Sunday of October (last Sunday of September before 1996)."""
    summer_from = last_sunday(d.year, 3)
    summer_until = last_sunday(d.year, 10 if d.year >= 1996 else 9)
    return timedelta(hours=2) if summer_from <= d < summer_until else timedelta(hours=1)


# -- strategies --------------------------------------------------------------------------------------------

days = st.dates(min_value=FIRST, max_value=LAST)
zones = st.sampled_from(
    [UTC, AMS, ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo"), timezone(timedelta(hours=5, minutes=30))]
)
moments = st.datetimes(
    min_value=datetime(1990, 1, 2), max_value=datetime(2200, 12, 1), timezones=zones
)  # naive bounds, aware values
werkdag_counts = st.integers(min_value=0, max_value=40)


@st.composite
def gemeente_closures(draw: st.DrawFn, around: date) -> frozenset[date]:
    """Scattered closing days plus one run of consecutive ones (a closure between Christmas and New Year),
    near ``around`` so that they matter."""
    offsets = draw(st.sets(st.integers(min_value=-3, max_value=60), max_size=15))
    run_start = draw(st.integers(min_value=-3, max_value=10))
    run_length = draw(st.integers(min_value=0, max_value=20))
    offsets |= set(range(run_start, run_start + run_length))
    return frozenset(around + timedelta(days=o) for o in offsets)


def is_end_of_day_local(due: datetime) -> bool:
    return (
        due.tzinfo is not None
        and due.astimezone(AMS).replace(tzinfo=None).time().isoformat() == "23:59:59"
        and due.microsecond == 0
    )


# -- exhaustive checks -------------------------------------------------------------------------------------


def test_is_werkdag_agrees_with_reference_on_every_day_1990_2200() -> None:
    d = FIRST
    while d <= LAST:
        assert is_werkdag(d) == ref_is_werkdag(d), d
        d += ONE_DAY


def test_easter_agrees_with_reference() -> None:
    cal = default_calendar()
    for year in range(1990, 2201):
        e = ref_easter(year)
        assert cal.feestdag_name(e + timedelta(days=1)) == "tweede Paasdag", year
        assert cal.feestdag_name(e - timedelta(days=2)) == "Goede Vrijdag", year


def test_every_holidays_package_holiday_is_closed_and_the_difference_is_5_mei_and_decree_days() -> None:
    # The holidays package only computes years up to 2100.
    cal = default_calendar()
    nl = holidays.country_holidays("NL", years=range(1990, 2101))
    ours = {d for year in range(1990, 2101) for d in cal.closed_days(year) if d.weekday() < 5}
    theirs = {d for d in nl if d.weekday() < 5}
    assert theirs <= ours
    for d in ours - theirs:
        assert (d.month, d.day) == (5, 5) or d in REF_DECREE_DAYS, d


# -- properties --------------------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(days)
def test_is_werkdag_property(d: date) -> None:
    assert is_werkdag(d) == ref_is_werkdag(d)


@settings(max_examples=400, deadline=None)
@given(moments, werkdag_counts)
def test_add_werkdagen_property(moment: datetime, n: int) -> None:
    due = add_werkdagen(moment, n)
    receipt = moment.astimezone(AMS).date()
    expected = ref_add_werkdagen(moment, n)
    assert due.date() == expected
    assert is_end_of_day_local(due)
    assert due.utcoffset() == ref_offset_at_end_of_day(expected)
    assert ref_count(receipt, due.date()) == n
    assert werkdagen_between(receipt, due.date()) == n
    if n >= 1:
        assert ref_is_werkdag(due.date())


@settings(max_examples=200, deadline=None)
@given(st.data(), moments, st.integers(min_value=0, max_value=15))
def test_add_werkdagen_with_gemeente_closures_property(data: st.DataObject, moment: datetime, n: int) -> None:
    receipt = moment.astimezone(AMS).date()
    extra = data.draw(gemeente_closures(receipt))
    cal = WerkdagCalendar(extra_closed=extra)
    due = cal.add_werkdagen(moment, n)
    assert due.date() == ref_add_werkdagen(moment, n, extra)
    assert cal.werkdagen_between(receipt, due.date()) == n == ref_count(receipt, due.date(), extra)
    if n >= 1:
        assert ref_is_werkdag(due.date(), extra)


@settings(max_examples=400, deadline=None)
@given(days, st.integers(min_value=0, max_value=10), st.integers(min_value=0, max_value=30))
def test_add_period_property(start: date, weeks: int, months: int) -> None:
    due = add_period(start, weeks=weeks, months=months)
    plain = ref_plain_end(start, weeks, months)
    assert due.date() >= plain
    assert ref_is_werkdag(due.date())
    assert due.date() == ref_add_period(start, weeks, months)
    assert is_end_of_day_local(due)
    assert due.utcoffset() == ref_offset_at_end_of_day(due.date())
    # Atw art. 1: no werkdag is skipped between the plain end and the due day.
    assert ref_count(plain, due.date()) <= 1


@settings(max_examples=200, deadline=None)
@given(st.data(), days, st.integers(min_value=0, max_value=3), st.integers(min_value=0, max_value=2))
def test_add_period_with_gemeente_closures_property(data: st.DataObject, start: date, weeks: int, months: int) -> None:
    extra = data.draw(gemeente_closures(start))
    due = WerkdagCalendar(extra_closed=extra).add_period(start, weeks=weeks, months=months)
    assert due.date() >= ref_plain_end(start, weeks, months)
    assert ref_is_werkdag(due.date(), extra)
    assert due.date() == ref_add_period(start, weeks, months, extra)


@settings(max_examples=400, deadline=None)
@given(days, st.integers(min_value=-800, max_value=800))
def test_werkdagen_between_property(start: date, span: int) -> None:
    end = start + timedelta(days=span)
    assert werkdagen_between(start, end) == ref_count(start, end)
    assert werkdagen_between(end, start) == -werkdagen_between(start, end)


@settings(max_examples=400, deadline=None)
@given(days)
def test_end_of_day_offset_property(d: date) -> None:
    due = end_of_day(d)
    assert due.utcoffset() == ref_offset_at_end_of_day(d)
    assert is_end_of_day_local(due)
    assert (due + timedelta(seconds=1)).astimezone(AMS).date() == d + ONE_DAY
