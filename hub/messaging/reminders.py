"""The reminder sweep over the reaction clocks: which clocks reached a stage, and who is late.

:func:`sweep_clocks` turns running reaction clocks into at most one "verloopt vandaag", one "verlopen" and one
escalation per clock and due moment (recorded in ``clock_notice``), and nothing once a clock has stopped. A
procesafspraak that moves the due moment starts the stages afresh for the new moment. What each stage means for
whom (the rows, the recipients) is the Notifier's: this module tells it, once per stage and due moment.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.calendars.services import CalendarFor, CalendarSource
from hub.messaging.assignees import side_assignees, thread_topics
from hub.messaging.models import Clock, ClockNotice, Thread
from hub.notifications.interfaces import ClockReminder, Notifier, ReminderStage
from hub.notifications.outbox import OutboxNotifier
from hub.terms import as_local_date, end_of_day, is_overdue, require_aware
from hub.webhooks import events as webhooks
from hub.webhooks.events import EventType

log = logging.getLogger("hub.messaging")

Sweep = Callable[[AsyncSession, datetime], Awaitable[object]]  # as hub.notifications.worker.Sweep


# The stages a webhook tells of (an escalation is the mail's only).
CLOCK_EVENTS = {ReminderStage.VANDAAG: EventType.TERM_DUE_TODAY, ReminderStage.VERLOPEN: EventType.TERM_PASSED}


async def _record_stage(db: AsyncSession, clock: Clock, stage: ReminderStage, now: datetime) -> bool:
    """Record that a stage of a clock is handled for its current due moment; False when another worker already
    did (primary key)."""
    try:
        async with db.begin_nested():
            db.add(ClockNotice(clock_id=clock.id, stage=stage.value, due_at=clock.due_at, created_at=now))
            await db.flush()
    except IntegrityError:
        return False
    return True


def stages_due(clock: Clock, now: datetime, escalate_at: datetime) -> list[ReminderStage]:
    """The stages a running clock due today or earlier has reached at ``now`` (which of them were already handled is
    not asked here): due today "vandaag"; its due day over "verlopen", and the day of ``escalate_at`` over also
    "escalatie" (a term passes only when its day is over: :mod:`hub.terms.passing`)."""
    if not is_overdue(clock.due_at, now):
        return [ReminderStage.VANDAAG]
    stages = [ReminderStage.VERLOPEN]
    if is_overdue(escalate_at, now):
        stages.append(ReminderStage.ESCALATIE)
    return stages


async def sweep_clocks(
    db: AsyncSession, now: datetime, calendar_for: CalendarFor, notifier: Notifier, *, escalate_after: int = 1
) -> list[ClockReminder]:
    """Reminders for running reaction clocks, each at most once per clock and due moment; the reminders told.

    - due later today: "termijn verloopt vandaag" to the owing side's assignee (or users of the recipient roles),
      and at an owing gemeente the roles of the thread's topics (the contractmanagers for a general question, the
      consulenten for bijzondere bijstand), as for the thread's messages;
    - past its due moment: "termijn verlopen" to the same people;
    - still running ``escalate_after`` werkdagen after its due moment (the term of that many werkdagen that starts
      on the due day, on the calendar of the thread's gemeente): an escalation (the Notifier tells the owing
      organisation's fixed address and the contractmanagers of the thread's gemeente). Due Monday with 1: from
      Wednesday.

    The stages are recorded per due moment (``clock_notice``): when a procesafspraak moves the due moment, the new
    moment gets its own "verloopt vandaag", "verlopen" and escalation, also after the old one escalated. A stopped
    clock is never selected, so it sends nothing more.
    """
    require_aware(now, "now")
    if escalate_after < 1:
        raise ValueError("escalate_after must be at least 1 werkdag")
    today = as_local_date(now)
    # Clocks escalated for their current due moment are done.
    done = exists().where(
        col(ClockNotice.clock_id) == col(Clock.id),
        col(ClockNotice.stage) == ReminderStage.ESCALATIE.value,
        col(ClockNotice.due_at) == col(Clock.due_at),
    )
    result = await db.execute(
        select(Clock, Thread)
        .join(Thread, col(Thread.id) == col(Clock.thread_id))
        .where(col(Clock.stopped_at).is_(None), col(Clock.due_at) <= end_of_day(today), ~done)
        .order_by(col(Clock.due_at))
    )
    pairs: list[tuple[Clock, Thread]] = [(c, t) for c, t in result.all()]
    if not pairs:
        return []
    recorded: dict[str, set[tuple[str, datetime]]] = {}
    notices = await db.execute(
        select(col(ClockNotice.clock_id), col(ClockNotice.stage), col(ClockNotice.due_at)).where(
            col(ClockNotice.clock_id).in_([c.id for c, _ in pairs])
        )
    )
    for clock_id, stage, due_at in notices.all():
        recorded.setdefault(clock_id, set()).add((stage, due_at))

    told: list[ClockReminder] = []
    for clock, thread in pairs:
        handled = recorded.get(clock.id, set())
        escalate_at = calendar_for(thread.gemeente_id).add_werkdagen(clock.due_at, escalate_after)
        for stage in stages_due(clock, now, escalate_at):
            if (stage.value, clock.due_at) in handled or not await _record_stage(db, clock, stage, now):
                continue
            reminder = ClockReminder(
                stage=stage,
                clock_id=clock.id,
                thread_id=thread.id,
                owing_org_id=clock.owed_by_org_id,
                gemeente_id=thread.gemeente_id,
                due_at=clock.due_at,
                assigned_user_ids=(
                    () if stage is ReminderStage.ESCALATIE else await side_assignees(db, thread, clock.owed_by_org_id)
                ),
                topics=thread_topics(thread),
            )
            await notifier.remind(reminder, now=now)
            if event := CLOCK_EVENTS.get(stage):  # both parties of the thread may see its reaction terms
                data = {"caseId": thread.case_id, "threadId": thread.id, "term": "reactie"}
                await webhooks.enqueue(db, event, (thread.gemeente_id, thread.kantoor_id), data, now=now)
            told.append(reminder)
    await db.flush()
    return told


def reminder_sweep(calendars: CalendarSource, *, escalate_after: int = 1) -> Sweep:
    """The reminder sweep as a periodic job of the worker (``(db, now)``), telling the outbox in that session."""

    async def clock_reminders(db: AsyncSession, now: datetime) -> list[ClockReminder]:
        calendar_for = await calendars.calendar_for(db)
        return await sweep_clocks(db, now, calendar_for, OutboxNotifier(db), escalate_after=escalate_after)

    return clock_reminders


async def clock_states(db: AsyncSession, clock_ids: list[str]) -> dict[str, datetime | None]:
    """For the outbox (:class:`hub.notifications.interfaces.ClockStates`): each clock's current due moment while
    it runs, None once it has stopped."""
    if not clock_ids:
        return {}
    rows = await db.execute(
        select(col(Clock.id), col(Clock.due_at), col(Clock.stopped_at)).where(col(Clock.id).in_(clock_ids))
    )
    return {clock_id: (None if stopped_at is not None else due_at) for clock_id, due_at, stopped_at in rows.all()}
