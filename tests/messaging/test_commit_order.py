"""The recorded order is the commit order: a message takes its time once it holds the thread's lock, so a post that
had to wait for the locks while another post on the same thread went through is never recorded as sent before that
one (and a clock never stops before it started)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from hub.messaging.models import Message, MessageKind
from hub.messaging.threads import ThreadService
from tests.messaging.world import World


async def test_a_post_that_waited_for_the_locks_is_recorded_after_the_one_that_went_first(world: World) -> None:
    async with world.service() as svc:
        thread = await svc.start_thread(world.bewindvoerder, subject="Vraag", body="Eerste vraag.", case=world.case.id)

    waiting_for_locks = asyncio.Event()
    locks_free = asyncio.Event()

    async def waiter() -> None:
        """Posts a question, but its request arrives while another one holds the locks: it waits for them."""
        async with world.hub.db() as db:
            svc = ThreadService(db, world.keyring, calendars=world.calendars)
            get_thread = svc.get_thread  # its first statement (on SQLite: BEGIN IMMEDIATE, the write lock)
            first = True

            async def after_the_other(*args: Any, **kwargs: Any) -> Any:
                nonlocal first
                if first:
                    first = False
                    waiting_for_locks.set()
                    await locks_free.wait()
                return await get_thread(*args, **kwargs)

            svc.get_thread = after_the_other  # type: ignore[method-assign]
            await svc.post_message(world.bewindvoerder, thread.id, "Nog een vraag.")

    waiting = asyncio.create_task(waiter())
    await asyncio.wait_for(waiting_for_locks.wait(), 10)
    await asyncio.sleep(0.05)  # a moment passes: the answer below is later than the question's arrival
    async with world.service() as svc:  # the other post goes through and commits first
        await svc.post_message(world.klantmanager, thread.id, "Antwoord.", kind=MessageKind.INHOUDELIJKE_REACTIE)
    locks_free.set()
    await asyncio.wait_for(waiting, 20)

    async with world.hub.db() as db:
        rows = await db.execute(
            select(Message).where(Message.thread_id == thread.id).order_by(Message.sent_at)  # type: ignore[arg-type]
        )
        kinds = [m.kind for m in rows.scalars()]
    assert kinds == [MessageKind.BERICHT.value, MessageKind.INHOUDELIJKE_REACTIE.value, MessageKind.BERICHT.value]
