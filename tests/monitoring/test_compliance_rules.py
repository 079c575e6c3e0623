"""The pure rules of term compliance on hand-built facts (hub.monitoring.compliance)."""

from __future__ import annotations

from datetime import date, datetime

from hub.monitoring.compliance import (
    ClockFact,
    DeadlineFact,
    Period,
    late_items,
    per_partner,
    percentile,
    reaction_werkdagen,
)
from hub.terms import AMSTERDAM, default_calendar

G, K, K2 = "gemeente", "kantoor", "kantoor2"
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
TODAY = date(2026, 6, 1)
CALENDARS = {G: default_calendar()}


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=AMSTERDAM)


def clock(
    started: datetime,
    due: datetime,
    stopped: datetime | None,
    in_time: bool | None,
    *,
    owed: str = G,
    kantoor: str = K,
    rescheduled: bool = False,
    escalated: bool = False,
) -> ClockFact:
    return ClockFact(f"c{started:%m%d%H}{owed}", "t1", "case1", "2026-000001", "casuistiek", G, kantoor, owed,
                     started, due, stopped, in_time, rescheduled, escalated)  # fmt: skip


def deadline(due: datetime, done: date | None, in_time: bool | None, *, owed: str = K) -> DeadlineFact:
    return DeadlineFact("case1", "2026-000001", "aanvraag_bijzondere_bijstand", G, K, owed, due, done, in_time)


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7], 0.9) == 7
    assert percentile([4, 1, 3, 2], 0.5) == 2  # rank ceil(2.0) = 2
    assert percentile(list(range(1, 11)), 0.9) == 9  # rank 9 of 10
    assert percentile(list(range(1, 12)), 0.9) == 10  # rank ceil(9.9) = 10


def test_reaction_time_counts_werkdagen_after_receipt() -> None:
    calendar = default_calendar()
    # Received Friday 1 May 2026, answered Wednesday 6 May: Monday 4 counts, 5 mei does not (every year), 6 counts.
    fact = clock(at(5, 1), at(5, 6, 23), at(5, 6, 9), True)
    assert reaction_werkdagen(fact, calendar) == 2
    assert reaction_werkdagen(clock(at(5, 1), at(5, 6), at(5, 1, 15), True), calendar) == 0
    assert reaction_werkdagen(clock(at(5, 1), at(5, 6), None, None), calendar) is None


def test_figures_per_partner_and_side() -> None:
    clocks = [
        clock(at(3, 2), at(3, 4, 23), at(3, 3), True),  # kept, 1 werkdag
        clock(at(3, 9), at(3, 11, 23), at(3, 13), False, escalated=True),  # late, 4 werkdagen
        clock(at(3, 16), at(3, 18, 23), None, None, rescheduled=True),  # still running after its due day: late
        clock(at(3, 16), at(3, 18, 23), at(3, 17), True, owed=K),  # the kantoor's, kept
        clock(at(3, 30), at(4, 1, 23), at(3, 31), True),  # due in April: another period
        clock(at(2, 20), at(2, 24, 23), at(2, 25), False),  # due in February
        clock(at(3, 2), at(3, 4, 23), at(3, 3), True, kantoor=K2),  # another partner
    ]
    deadlines = [
        deadline(at(3, 20, 23), date(2026, 3, 19), True),
        deadline(at(3, 25, 23), date(2026, 4, 2), False),
        deadline(at(3, 27, 23), None, None),  # never done: late
        deadline(at(3, 27, 23), None, None, owed=G),
    ]
    rows = per_partner(G, clocks, deadlines, MARCH, TODAY, CALENDARS)
    assert set(rows) == {K, K2}
    ours, theirs = rows[K].ours, rows[K].theirs
    assert (ours.clocks, ours.clocks_kept, ours.escalations, ours.procesafspraken) == (3, 1, 1, 1)
    assert sorted(ours.reaction_days) == [1, 4]
    assert (ours.median_days, ours.p90_days) == (1, 4)
    assert ours.clocks_share == 1 / 3
    assert (ours.deadlines, ours.deadlines_kept) == (1, 0)
    assert (theirs.clocks, theirs.clocks_kept, theirs.reaction_days) == (1, 1, [1])
    assert (theirs.deadlines, theirs.deadlines_kept) == (3, 1)
    assert rows[K2].ours.clocks == 1 and rows[K2].theirs.clocks == 0

    # The kantoor sees the same facts from its side: the gemeente is its partner, its own clock is "ours".
    mirror = per_partner(K, [c for c in clocks if c.kantoor_id == K], deadlines, MARCH, TODAY, CALENDARS)
    assert set(mirror) == {G}
    assert (mirror[G].theirs.clocks, mirror[G].ours.clocks) == (3, 1)
    assert (mirror[G].ours.deadlines, mirror[G].theirs.deadlines) == (3, 1)


def test_undecided_items_are_left_out() -> None:
    """A term whose due day has not passed yet and that still runs is neither kept nor late."""
    today = date(2026, 3, 4)
    running = clock(at(3, 2), at(3, 4, 23), None, None)
    pending = deadline(at(3, 4, 23), None, None)
    rows = per_partner(G, [running], [pending], MARCH, today, CALENDARS)
    assert rows == {}
    late = per_partner(G, [running], [pending], MARCH, date(2026, 3, 5), CALENDARS)
    assert (late[K].ours.clocks, late[K].ours.clocks_kept, late[K].theirs.deadlines) == (1, 0, 1)


def test_late_items_of_one_partner_earliest_first() -> None:
    clocks = [
        clock(at(3, 9), at(3, 11, 23), at(3, 13), False),
        clock(at(3, 2), at(3, 4, 23), at(3, 3), True),
        clock(at(3, 16), at(3, 18, 23), None, None, owed=K),
        clock(at(3, 9), at(3, 11, 23), at(3, 13), False, kantoor=K2),
    ]
    deadlines = [deadline(at(3, 5, 23), date(2026, 3, 6), False)]
    items = late_items(K, G, clocks, deadlines, MARCH, TODAY)
    assert [(i.kind, i.owed_by_org_id, i.stopped_on) for i in items] == [
        ("deadline", K, date(2026, 3, 6)),
        ("clock", G, date(2026, 3, 13)),
        ("clock", K, None),
    ]
    assert all(i.case_reference == "2026-000001" for i in items)
    assert late_items(K2, G, clocks, deadlines, MARCH, TODAY)[0].due_at == at(3, 11, 23)
