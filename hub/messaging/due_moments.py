"""When a gemeente's calendar changes (a closing day added or removed), the running clocks of its threads get
their rule-based due moments again; the Notifier drops reminders queued for a moment that moved."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import col

from hub.messaging import clocks as rules
from hub.messaging.access import MessagingBase, set_waiting
from hub.messaging.models import Clock, ClockKind, Thread
from hub.terms import end_of_day


class DueMoments(MessagingBase):
    async def recompute_due(self, gemeente_id: str, day: date) -> None:
        """A closing day of the gemeente was added or removed (the ``on_change`` of
        :class:`hub.calendars.services.ClosingDayService`): running clocks of this gemeente whose term spans ``day``
        get their rule-based due moment again. A due moment agreed in a procesafspraak stays as agreed."""
        calendar = await self.calendars.for_gemeente(self.db, gemeente_id)
        start_of_day = end_of_day(day) - timedelta(days=1)
        rows = await self.db.execute(
            select(Clock)
            .join(Thread, col(Thread.id) == col(Clock.thread_id))
            .where(
                col(Thread.gemeente_id) == gemeente_id,
                col(Clock.stopped_at).is_(None),
                col(Clock.rescheduled_at).is_(None),
                col(Clock.started_at) <= end_of_day(day),
                col(Clock.due_at) >= start_of_day,
            )
        )
        touched: set[str] = set()
        for clock in rows.scalars():
            due = rules.due_for(ClockKind(clock.kind), clock.started_at, calendar)
            if due != clock.due_at:
                clock.due_at = due
                self.db.add(clock)
                touched.add(clock.thread_id)
                await self.notifier.clock_changed(clock.id, due)
        await self.db.flush()
        for thread_id in touched:
            thread = await self.db.get(Thread, thread_id)
            assert thread is not None
            set_waiting(thread, await self.running_clocks(thread_id))
            self.db.add(thread)
        await self.db.flush()
