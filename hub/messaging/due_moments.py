"""When a gemeente's calendar changes (a closing day added or removed), the running clocks of its threads get
their rule-based due moments again, in the same transaction; the Notifier drops reminders queued for a moment that
moved, and both parties of each thread whose term moved are told how many terms moved and by how much (a count and
werkdagen, never which thread).

A due moment agreed in a procesafspraak stays as agreed: the parties set that date themselves. The rule-based due
moment kept beside it (``original_due_at``: on a general question the 2-weken maximum of a next procesafspraak) does
follow the calendar, so that the maximum is always a werkdag a new afspraak can agree; nobody is told of that, since
no running term moved. Each changed clock is audited (``clock.due_recomputed``, by the user who changed the calendar).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlmodel import col

from hub.audit import services as audit
from hub.calendars.services import ClosingDayChange
from hub.messaging import clocks as rules
from hub.messaging.access import MessagingBase, set_waiting
from hub.messaging.assignees import audience
from hub.messaging.models import Clock, ClockKind, Thread
from hub.notifications.interfaces import MovedTerm, TermsMoved
from hub.terms import end_of_day

OBJECT_CLOCK = "reaction_clock"  # the audit records' object type


class DueMoments(MessagingBase):
    async def recompute_due(self, change: ClosingDayChange) -> list[MovedTerm]:
        """A closing day of the gemeente was added or removed (the ``on_change`` of
        :class:`hub.calendars.services.ClosingDayService`): running clocks of this gemeente whose term spans the
        day get their rule-based due moment again. Returns the terms that moved (and told the Notifier of them)."""
        calendar = await self.calendars.for_gemeente(self.db, change.gemeente_id)
        start_of_day = end_of_day(change.day) - timedelta(days=1)
        rows = await self.db.execute(
            select(Clock, Thread)
            .join(Thread, col(Thread.id) == col(Clock.thread_id))
            .where(
                col(Thread.gemeente_id) == change.gemeente_id,
                col(Clock.stopped_at).is_(None),
                col(Clock.started_at) <= end_of_day(change.day),
                func.coalesce(col(Clock.original_due_at), col(Clock.due_at)) >= start_of_day,
            )
            .order_by(col(Clock.due_at), col(Clock.id))
        )
        touched: dict[str, Thread] = {}
        moved: list[MovedTerm] = []
        for clock, thread in rows.all():
            due = rules.due_for(ClockKind(clock.kind), clock.started_at, calendar)
            agreed = clock.rescheduled_at is not None  # a procesafspraak set due_at: only the rule's moment moves
            if due == (clock.original_due_at if agreed else clock.due_at):
                continue
            await audit.record(
                self.db,
                user_id=change.user_id,
                organisation_id=change.gemeente_id,
                action="clock.due_recomputed",
                object_type=OBJECT_CLOCK,
                object_id=clock.id,
            )
            if agreed:
                clock.original_due_at = due
                self.db.add(clock)
                continue
            werkdagen = calendar.werkdagen_between(clock.due_at, due)
            clock.due_at = due
            self.db.add(clock)
            touched[thread.id] = thread
            await self.notifier.clock_changed(clock.id, due)
            if werkdagen:
                parties = tuple([await audience(self.db, thread, org_id) for org_id in thread.party_ids()])
                moved.append(MovedTerm(clock.id, werkdagen, parties))
        await self.db.flush()
        for thread in touched.values():
            set_waiting(thread, await self.running_clocks(thread.id))
            self.db.add(thread)
        await self.db.flush()
        if moved and self.notifications:
            notice = TermsMoved(change.gemeente_id, change.change_id, tuple(moved))
            await self.notifier.terms_moved(notice, now=change.at)
        return moved
