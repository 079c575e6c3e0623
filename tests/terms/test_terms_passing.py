"""The one rule for "has this term passed": the whole last day (Europe/Amsterdam) counts, to the last microsecond."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.terms import end_of_day, is_overdue, passed_before, within_term

AMS = ZoneInfo("Europe/Amsterdam")
LAST_MICROSECOND = timedelta(microseconds=1)


def test_the_last_microsecond_of_the_due_day_is_in_time() -> None:
    due = end_of_day(datetime(2026, 12, 18, 12, tzinfo=AMS))  # Friday 18 December 2026 23:59:59
    assert within_term(datetime(2026, 12, 18, 23, 59, 59, 500_000, tzinfo=AMS), due)
    assert within_term(datetime(2026, 12, 18, 23, 59, 59, 999_999, tzinfo=AMS), due)
    assert not within_term(datetime(2026, 12, 19, 0, 0, tzinfo=AMS), due)
    assert not is_overdue(due, datetime(2026, 12, 18, 23, 59, 59, 999_999, tzinfo=AMS))
    assert is_overdue(due, datetime(2026, 12, 19, 0, 0, tzinfo=AMS))


def test_the_day_is_the_amsterdam_day_across_summer_time() -> None:
    due = end_of_day(datetime(2026, 3, 28, 12, tzinfo=AMS))  # Saturday before the clocks go forward
    # 22:59:59.999999 UTC is 23:59:59.999999 in Amsterdam (CET); 23:00 UTC is already Sunday.
    assert within_term(datetime(2026, 3, 28, 22, 59, 59, 999_999, tzinfo=UTC), due)
    assert not within_term(datetime(2026, 3, 28, 23, 0, tzinfo=UTC), due)
    summer = end_of_day(datetime(2026, 7, 1, 12, tzinfo=AMS))
    assert within_term(datetime(2026, 7, 1, 21, 59, 59, 999_999, tzinfo=UTC), summer)
    assert not within_term(datetime(2026, 7, 1, 22, 0, tzinfo=UTC), summer)


def test_passed_before_is_the_start_of_the_amsterdam_day() -> None:
    assert passed_before(datetime(2026, 7, 1, 22, 30, tzinfo=UTC)) == datetime(2026, 7, 2, tzinfo=AMS)
    assert passed_before(datetime(2026, 1, 1, 0, 0, tzinfo=AMS)) == datetime(2026, 1, 1, tzinfo=AMS)


moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))


@settings(max_examples=500, derandomize=True)
@given(due=moments, now=moments)
def test_overdue_exactly_when_now_is_on_a_later_amsterdam_day(due: datetime, now: datetime) -> None:
    later_day = now.astimezone(AMS).date() > due.astimezone(AMS).date()
    assert is_overdue(due, now) is later_day
    assert within_term(now, due) is not later_day
    # The query bound says the same: due moments before the start of now's day have passed.
    assert (due < passed_before(now)) is later_day


@settings(max_examples=300, derandomize=True)
@given(day=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
def test_a_term_ends_when_its_day_ends(day: date) -> None:
    due = end_of_day(day)
    next_midnight = datetime.combine(due.date() + timedelta(days=1), datetime.min.time(), tzinfo=AMS)
    assert within_term(next_midnight - LAST_MICROSECOND, due)
    assert not within_term(next_midnight, due)
