"""The rule engine's clock changes (:class:`hub.messaging.clocks.ClockChanges`) applied to one thread's
``reaction_clock`` rows, and the Notifier told of every clock that stops or moves (its queued reminders go)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db import new_id
from hub.messaging.clocks import ClockChanges
from hub.messaging.models import Clock, Message
from hub.notifications.interfaces import Notifier


async def apply_changes(
    db: AsyncSession,
    notifier: Notifier,
    changes: ClockChanges,
    running: list[Clock],
    message: Message,
    user_id: str,
    now: datetime,
) -> list[Clock]:
    """Stop, move and start the rows as ``changes`` say for ``message`` (sent by ``user_id`` at ``now``); returns the
    clocks still running afterwards, the new ones included."""
    by_id = {c.id: c for c in running}
    for stop in changes.stops:
        clock = by_id[stop.clock_id]
        clock.stopped_at = now
        clock.stopped_by = user_id
        clock.stopped_by_message_id = message.id
        clock.stop_kind = stop.how.value
        clock.in_time = stop.in_time
        db.add(clock)
        await notifier.clock_changed(clock.id, None)
    for move in changes.reschedules:
        clock = by_id[move.clock_id]
        if move.late:
            clock.rescheduled_late = True
        if clock.original_due_at is None:
            clock.original_due_at = clock.due_at  # the rule-based due moment, kept (a general question's maximum)
        clock.due_at = move.due_at
        clock.rescheduled_at = now
        clock.rescheduled_by_message_id = message.id
        db.add(clock)
        await notifier.clock_changed(clock.id, clock.due_at)
    still = [by_id[c.id] for c in changes.running]
    for start in changes.starts:
        clock = Clock(
            id=new_id(),
            thread_id=message.thread_id,
            kind=start.kind.value,
            owed_by_org_id=start.owed_by,
            started_at=now,
            started_by_message_id=message.id,
            due_at=start.due_at,
            depth=start.depth,
        )
        db.add(clock)
        still.append(clock)
    return still
