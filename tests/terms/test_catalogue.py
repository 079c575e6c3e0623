"""The terms in words (hub.terms.catalogue) say what the rules (hub.terms.deadlines) compute."""

from __future__ import annotations

import re
from datetime import date, datetime, time

from hub.terms import AMSTERDAM, add_months, deadlines, default_calendar
from hub.terms.catalogue import CONVENANT_TERMS

START = date(2026, 1, 6)  # a Tuesday without feestdagen nearby


def _expected(length: str) -> datetime:
    calendar = default_calendar()
    match = re.match(r"(\d+) (\w+)", length)
    assert match is not None, length
    n, unit = int(match[1]), match[2]
    if unit == "werkdagen":
        return calendar.add_werkdagen(datetime.combine(START, time(10), tzinfo=AMSTERDAM), n)
    if unit in ("week", "weken"):
        return calendar.add_period(START, weeks=n)
    if unit == "maanden":
        return calendar.add_period(START, months=n)
    assert unit == "jaar"
    return calendar.add_period(START, months=12 * n)


def test_every_rule_is_described_once_and_its_length_is_what_it_computes() -> None:
    assert len({t.rule for t in CONVENANT_TERMS}) == len(CONVENANT_TERMS)
    public = {name for name in deadlines.__all__ if name.endswith(("_due", "_window"))}
    assert {t.rule for t in CONVENANT_TERMS} == public
    for term in CONVENANT_TERMS:
        rule = getattr(deadlines, term.rule)
        # Terms that start with a moment of receipt take a datetime; the others a day.
        received = "_nieuwe_klant" in term.rule or term.rule.startswith(("reactie", "algemene"))
        start: object = datetime.combine(START, time(10), tzinfo=AMSTERDAM) if received else START
        got = rule(start)
        if isinstance(got, tuple):
            opens, got = got
            assert opens == add_months(START, 24)
        assert got == _expected(term.length), term.rule
