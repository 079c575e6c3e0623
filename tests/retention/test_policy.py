"""The retention periods' arithmetic: whole years back (29 February to the 28th), the longer party's period."""

from __future__ import annotations

from datetime import date

from hub.retention.policy import RetentionPolicy


def test_the_cutoff_is_whole_years_back() -> None:
    policy = RetentionPolicy(case_years=7)
    assert policy.case_cutoff(date(2033, 6, 2)) == date(2026, 6, 2)
    assert policy.case_cutoff(date(2032, 2, 29)) == date(2025, 2, 28)
    assert policy.case_cutoff(date(2033, 6, 2), 10) == date(2023, 6, 2)


def test_a_case_keeps_the_longer_period_of_its_parties() -> None:
    policy = RetentionPolicy(case_years=7)
    assert policy.case_years_for(None, None) == 7
    assert policy.case_years_for(10, None) == 10
    assert policy.case_years_for(3, None) == 7  # the other party still has the default
    assert policy.case_years_for(3, 5) == 5
