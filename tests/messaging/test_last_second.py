"""The whole last second counts, everywhere a moment meets a due moment, on SQLite and on PostgreSQL: the clock's
in time, the reminder sweep's "verlopen", the inbox's "te laat" (rows and count), the thread page's clock.

The case question of Monday 2 March 2026 is due Wednesday 4 March 2026 23:59:59 (Europe/Amsterdam).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from hub.calendars.services import CalendarSource
from hub.messaging.models import ClockNotice, MessageKind, Thread
from hub.messaging.reminders import sweep_clocks
from hub.notifications.outbox import OutboxNotifier
from tests.messaging.world import World, at, end_of

LAST_MICROSECOND = end_of(2026, 3, 4).replace(microsecond=999_999)  # 23:59:59.999999 on the due day
NEXT_DAY = at(2026, 3, 5, 0)  # 00:00:00 the next day


async def _ask(world: World) -> Thread:
    thread: Thread = await world.call(
        "start_thread",
        world.bewindvoerder,
        case=world.case,
        subject="Vraag",
        body="Wat is de stand?",
        now=at(2026, 3, 2),
    )
    return thread


async def test_an_answer_in_the_last_microsecond_is_in_time_and_keeps_its_moment(world: World) -> None:
    in_time, late = await _ask(world), await _ask(world)
    for thread, moment in ((in_time, LAST_MICROSECOND), (late, NEXT_DAY)):
        message = await world.call(
            "post_message", world.klantmanager, thread.id, "Het antwoord.",
            kind=MessageKind.INHOUDELIJKE_REACTIE, now=moment,
        )  # fmt: skip
        [clock] = await world.call("clocks", world.bewindvoerder, thread.id)
        assert clock.stopped_at == moment and clock.stopped_at.microsecond == moment.microsecond  # the round trip
        assert clock.in_time is (moment == LAST_MICROSECOND)
        [(stored, _body)] = [
            m for m in await world.call("messages", world.bewindvoerder, thread.id) if m[0].id == message.id
        ]
        assert stored.sent_at == moment


async def test_a_procesafspraak_in_the_last_microsecond_is_not_late(world: World) -> None:
    thread = await _ask(world)
    await world.call(
        "post_message", world.klantmanager, thread.id, "Uiterlijk 13 maart.", kind=MessageKind.PROCESAFSPRAAK,
        agreed_date=datetime(2026, 3, 13).date(), now=LAST_MICROSECOND,
    )  # fmt: skip
    [clock] = await world.call("clocks", world.bewindvoerder, thread.id)
    assert clock.rescheduled_late is False and clock.due_at == end_of(2026, 3, 13)


async def _stages(world: World, now: datetime) -> set[str]:
    async with world.hub.db() as db:
        calendar_for = await CalendarSource().calendar_for(db)
        await sweep_clocks(db, now, calendar_for, OutboxNotifier(db))
    async with world.hub.db() as db:
        return {n.stage for n in (await db.execute(select(ClockNotice))).scalars()}


async def test_the_reminder_sweep_calls_a_term_verlopen_only_the_next_day(world: World) -> None:
    await _ask(world)
    assert await _stages(world, LAST_MICROSECOND) == {"vandaag"}
    assert await _stages(world, NEXT_DAY) == {"vandaag", "verlopen"}


async def test_the_inbox_and_the_thread_page_say_te_laat_only_the_next_day(world: World) -> None:
    thread = await _ask(world)
    async with world.service() as svc:
        for now, late in ((LAST_MICROSECOND, False), (NEXT_DAY, True)):
            page = await svc.inbox(world.klantmanager, tab="te_beantwoorden", now=now)
            [row] = page.rows
            assert row.overdue is late
            assert page.counts["te_laat"] == int(late)
            assert row.due_words == ("1 werkdag te laat" if late else "vandaag")
            view = await svc.thread_view(world.klantmanager, thread.id, now)
            [clock] = view.clocks
            assert clock.overdue is late
