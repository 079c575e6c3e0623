"""Reads the facts term compliance counts (:mod:`hub.monitoring.compliance`): the reaction clocks due in a period and
the timed steps of the cases' paths, always scoped to the viewer's own organisation. Reads no subject, body or note.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import exists, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.calendars.services import CalendarSource
from hub.cases.milestones import Side
from hub.cases.models import Case, CaseMilestone
from hub.cases.timeline import StepState, timeline
from hub.messaging.models import Clock, ClockNotice, Thread
from hub.monitoring.compliance import ClockFact, DeadlineFact, Period
from hub.notifications.interfaces import ReminderStage
from hub.terms import AMSTERDAM, WerkdagCalendar

ESCALATED = ReminderStage.ESCALATIE.value


def _window(period: Period) -> tuple[datetime, datetime]:
    """The period's first and last moment in Dutch time."""
    return (
        datetime.combine(period.start, time.min, tzinfo=AMSTERDAM),
        datetime.combine(period.end, time(23, 59, 59, 999999), tzinfo=AMSTERDAM),
    )


async def clock_facts(db: AsyncSession, org_id: str, period: Period) -> list[ClockFact]:
    """The reaction clocks of the organisation's threads whose due moment in force lies in the period."""
    first, last = _window(period)
    escalated = exists().where(col(ClockNotice.clock_id) == col(Clock.id), col(ClockNotice.stage) == ESCALATED)
    query = (
        select(
            Clock,
            col(Thread.gemeente_id),
            col(Thread.kantoor_id),
            col(Thread.case_id),
            col(Case.reference),
            escalated.label("esc"),
        )
        .join(Thread, col(Thread.id) == col(Clock.thread_id))
        .outerjoin(Case, col(Case.id) == col(Thread.case_id))
        .where(
            (col(Thread.gemeente_id) == org_id) | (col(Thread.kantoor_id) == org_id),
            col(Clock.due_at) >= first,
            col(Clock.due_at) <= last,
        )
    )
    facts: list[ClockFact] = []
    for clock, gemeente_id, kantoor_id, case_id, reference, esc in (await db.execute(query)).all():
        facts.append(
            ClockFact(
                clock_id=clock.id,
                thread_id=clock.thread_id,
                case_id=case_id,
                case_reference=reference,
                kind=clock.kind,
                gemeente_id=gemeente_id,
                kantoor_id=kantoor_id,
                owed_by_org_id=clock.owed_by_org_id,
                started_at=clock.started_at,
                due_at=clock.due_at,
                stopped_at=clock.stopped_at,
                in_time=clock.in_time,
                rescheduled=clock.rescheduled_by_message_id is not None,
                escalated=bool(esc),
            )
        )
    return facts


async def deadline_facts(
    db: AsyncSession, org_id: str, period: Period, today: date, calendars: CalendarSource
) -> tuple[list[DeadlineFact], dict[str, WerkdagCalendar]]:
    """The timed steps of the organisation's cases whose due day lies in the period (each case's timeline on its
    gemeente's calendar), and the calendars used, per gemeente."""
    cases = list(
        (
            await db.execute(select(Case).where((col(Case.gemeente_id) == org_id) | (col(Case.kantoor_id) == org_id)))
        ).scalars()
    )
    calendar_for = await calendars.for_gemeenten(db, {c.gemeente_id for c in cases} | {org_id})
    milestones: dict[str, list[CaseMilestone]] = {c.id: [] for c in cases}
    if cases:
        rows = await db.execute(
            select(CaseMilestone)
            .join(Case, col(Case.id) == col(CaseMilestone.case_id))
            .where((col(Case.gemeente_id) == org_id) | (col(Case.kantoor_id) == org_id))
            .order_by(col(CaseMilestone.recorded_at), col(CaseMilestone.id))
        )
        for milestone in rows.scalars():
            milestones[milestone.case_id].append(milestone)
    first, last = _window(period)
    facts: list[DeadlineFact] = []
    for case in cases:
        for step in timeline(case, milestones[case.id], calendar_for[case.gemeente_id], today):
            if step.due_at is None or not first <= step.due_at <= last:
                continue
            if step.state not in (StepState.DONE, StepState.LATE, StepState.DUE):
                continue
            owed = case.kantoor_id if step.owed_by is Side.KANTOOR else case.gemeente_id
            facts.append(
                DeadlineFact(
                    case_id=case.id,
                    case_reference=case.reference,
                    kind=step.kind.value,
                    gemeente_id=case.gemeente_id,
                    kantoor_id=case.kantoor_id,
                    owed_by_org_id=owed,
                    due_at=step.due_at,
                    done_on=step.done.milestone_date if step.done is not None else None,
                    in_time=step.in_time,
                )
            )
    return facts, calendar_for


async def calendars_for_clocks(
    db: AsyncSession, clocks: list[ClockFact], known: dict[str, WerkdagCalendar], calendars: CalendarSource
) -> dict[str, WerkdagCalendar]:
    """Every gemeente's calendar the clocks need, adding to those already read."""
    missing = {c.gemeente_id for c in clocks} - set(known)
    return {**known, **(await calendars.for_gemeenten(db, missing))} if missing else known
