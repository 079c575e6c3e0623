"""Term compliance per partner (issue 13): how the reaction clocks and the case milestones' deadlines of a period
were kept. Pure: the facts come in (:mod:`hub.monitoring.compliance_facts` reads them), the figures go out.

The rules, in one place:

- An item belongs to the period when its due day (the one in force, Europe/Amsterdam) lies in it, from and to
  inclusive. An item still running before its due day has passed is undecided and left out; one running after it is
  late.
- Kept: stopped in time (a reaction clock's ``in_time``; a milestone done on or before its due day).
- Time to react: werkdagen from the day the clock started to the day it stopped, on the gemeente's calendar (the day
  of receipt does not count, as for the term itself); stopped clocks only. The median and the 90th percentile use
  the nearest-rank method: the value at rank ceil(p * n) of the sorted times, so every figure is a real time.
- Escalations: clocks of the period that reached the escalation stage (``clock_notice``). Procesafspraken: clocks of
  the period whose due moment a procesafspraak moved.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from hub.terms import WerkdagCalendar, as_local_date


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class ClockFact:
    """One reaction clock, without its thread's subject or content."""

    clock_id: str
    thread_id: str
    case_id: str | None
    case_reference: str | None  # None on a general question
    kind: str  # ClockKind value
    gemeente_id: str
    kantoor_id: str
    owed_by_org_id: str
    started_at: datetime
    due_at: datetime
    stopped_at: datetime | None
    in_time: bool | None
    rescheduled: bool  # a procesafspraak moved its due moment
    escalated: bool


@dataclass(frozen=True)
class DeadlineFact:
    """One timed step of a case's path (hub.cases.timeline) with its due moment and, when done, the day it was."""

    case_id: str
    case_reference: str
    kind: str  # MilestoneKind value
    gemeente_id: str
    kantoor_id: str
    owed_by_org_id: str
    due_at: datetime
    done_on: date | None
    in_time: bool | None


@dataclass(frozen=True)
class LateItem:
    """A late item for the drill-down: where, what, due when, stopped when (None: still running)."""

    kind: str  # "clock" or "deadline"
    label_kind: str  # ClockKind or MilestoneKind value
    thread_id: str | None
    case_id: str | None
    case_reference: str | None
    owed_by_org_id: str
    due_at: datetime
    stopped_on: date | None

    @property
    def due_day(self) -> date:
        return as_local_date(self.due_at)


@dataclass
class Figures:
    """The figures of one partner and one owing side."""

    clocks: int = 0
    clocks_kept: int = 0
    deadlines: int = 0
    deadlines_kept: int = 0
    escalations: int = 0
    procesafspraken: int = 0
    reaction_days: list[int] = field(default_factory=list)

    @property
    def clocks_share(self) -> float | None:
        return self.clocks_kept / self.clocks if self.clocks else None

    @property
    def deadlines_share(self) -> float | None:
        return self.deadlines_kept / self.deadlines if self.deadlines else None

    @property
    def median_days(self) -> int | None:
        return percentile(self.reaction_days, 0.5)

    @property
    def p90_days(self) -> int | None:
        return percentile(self.reaction_days, 0.9)


@dataclass(frozen=True)
class PartnerRow:
    """Per partner: what the partner owed (``theirs``) and what the viewer's own organisation owed it (``ours``)."""

    partner_id: str
    theirs: Figures
    ours: Figures

    @classmethod
    def empty(cls, partner_id: str) -> PartnerRow:
        return cls(partner_id, Figures(), Figures())


def percentile(values: Sequence[int], p: float) -> int | None:
    """The nearest-rank percentile: the value at rank ceil(p * n) (1-based) of the sorted values; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p * len(ordered)))
    return ordered[rank - 1]


def clock_counts(clock: ClockFact, period: Period, today: date) -> bool:
    """Whether the clock belongs to the period's figures: due in it, and stopped or past its due day."""
    due_day = as_local_date(clock.due_at)
    return due_day in period and (clock.stopped_at is not None or due_day < today)


def clock_kept(clock: ClockFact) -> bool:
    return clock.stopped_at is not None and bool(clock.in_time)


def deadline_counts(deadline: DeadlineFact, period: Period, today: date) -> bool:
    due_day = as_local_date(deadline.due_at)
    return due_day in period and (deadline.done_on is not None or due_day < today)


def deadline_kept(deadline: DeadlineFact) -> bool:
    return deadline.done_on is not None and bool(deadline.in_time)


def reaction_werkdagen(clock: ClockFact, calendar: WerkdagCalendar) -> int | None:
    """Werkdagen from the clock's start to its stop (0: answered on the day of receipt); None while running."""
    if clock.stopped_at is None:
        return None
    return max(0, calendar.werkdagen_between(as_local_date(clock.started_at), as_local_date(clock.stopped_at)))


def partner_of(viewer_org_id: str, gemeente_id: str, kantoor_id: str) -> str:
    return kantoor_id if viewer_org_id == gemeente_id else gemeente_id


def per_partner(
    viewer_org_id: str,
    clocks: Iterable[ClockFact],
    deadlines: Iterable[DeadlineFact],
    period: Period,
    today: date,
    calendar_for: dict[str, WerkdagCalendar],
) -> dict[str, PartnerRow]:
    """The viewer's figures per partner. ``calendar_for``: per gemeente id its calendar."""
    rows: dict[str, PartnerRow] = {}

    def row(partner_id: str) -> PartnerRow:
        if partner_id not in rows:
            rows[partner_id] = PartnerRow.empty(partner_id)
        return rows[partner_id]

    for clock in clocks:
        if not clock_counts(clock, period, today):
            continue
        found = row(partner_of(viewer_org_id, clock.gemeente_id, clock.kantoor_id))
        figures = found.ours if clock.owed_by_org_id == viewer_org_id else found.theirs
        figures.clocks += 1
        figures.clocks_kept += clock_kept(clock)
        figures.escalations += clock.escalated
        figures.procesafspraken += clock.rescheduled
        days = reaction_werkdagen(clock, calendar_for[clock.gemeente_id])
        if days is not None:
            figures.reaction_days.append(days)
    for deadline in deadlines:
        if not deadline_counts(deadline, period, today):
            continue
        found = row(partner_of(viewer_org_id, deadline.gemeente_id, deadline.kantoor_id))
        figures = found.ours if deadline.owed_by_org_id == viewer_org_id else found.theirs
        figures.deadlines += 1
        figures.deadlines_kept += deadline_kept(deadline)
    return rows


def late_items(
    partner_id: str,
    viewer_org_id: str,
    clocks: Iterable[ClockFact],
    deadlines: Iterable[DeadlineFact],
    period: Period,
    today: date,
) -> list[LateItem]:
    """The items of one partner in the period that were not kept (by either side), earliest due first."""
    found: list[LateItem] = []
    for clock in clocks:
        if partner_of(viewer_org_id, clock.gemeente_id, clock.kantoor_id) != partner_id:
            continue
        if clock_counts(clock, period, today) and not clock_kept(clock):
            stopped = as_local_date(clock.stopped_at) if clock.stopped_at is not None else None
            found.append(LateItem("clock", clock.kind, clock.thread_id, clock.case_id, clock.case_reference,
                                  clock.owed_by_org_id, clock.due_at, stopped))  # fmt: skip
    for deadline in deadlines:
        if partner_of(viewer_org_id, deadline.gemeente_id, deadline.kantoor_id) != partner_id:
            continue
        if deadline_counts(deadline, period, today) and not deadline_kept(deadline):
            found.append(LateItem("deadline", deadline.kind, None, deadline.case_id, deadline.case_reference,
                                  deadline.owed_by_org_id, deadline.due_at, deadline.done_on))  # fmt: skip
    return sorted(found, key=lambda item: (item.due_at, item.case_reference or "", item.label_kind))
