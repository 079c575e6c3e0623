"""Workers claiming from one database: concurrent workers send no duplicates (FOR UPDATE SKIP LOCKED on
PostgreSQL, serialised writers on SQLite); a row whose worker died is taken up again after its lease."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db import create_engine, session_factory
from hub.notifications.models import MailStatus
from hub.notifications.worker import LEASE, OutboxWorker, make_sender
from tests.notifications.conftest import World, at
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.postgres

MONDAY = at(2026, 5, 11, 10)


class SlowSender:
    """The real SMTP sender, a little slower, so that two workers' batches overlap."""

    def __init__(self, inner: object) -> None:
        self.inner = inner

    async def send(self, message: EmailMessage) -> None:
        await asyncio.sleep(0.01)
        await self.inner.send(message)  # type: ignore[attr-defined]


@asynccontextmanager
async def own_engine(world: World) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A separate engine and connection pool, as a separate `hub worker` process would have."""
    engine = create_engine(world.hub.settings.database_url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


def make_worker(world: World, sessions: async_sessionmaker[AsyncSession], name: str, batch: int = 4) -> OutboxWorker:
    settings = world.hub.settings
    return OutboxWorker(
        sessions,
        SlowSender(make_sender(settings)),
        base_url=settings.base_url,
        mail_from=settings.mail_from,
        name=name,
        batch=batch,
        clock=lambda: MONDAY,
    )


async def test_two_workers_send_every_mail_exactly_once(world: World, smtp: SmtpServer) -> None:
    for i in range(12):
        await world.ask(MONDAY - timedelta(minutes=i))
    async with own_engine(world) as sessions_a, own_engine(world) as sessions_b:
        a, b = make_worker(world, sessions_a, "worker-a"), make_worker(world, sessions_b, "worker-b")
        done = await asyncio.gather(a.drain(MONDAY), b.drain(MONDAY))
    assert sum(done) == 24
    assert len(smtp.messages) == 24
    assert len({m.message["Message-ID"] for m in smtp.messages}) == 24
    rows = await world.outbox()
    assert {r.status for r in rows} == {MailStatus.SENT.value}
    assert all(r.attempts == 1 for r in rows)
    by_worker = Counter(r.claimed_by for r in rows)
    assert set(by_worker) == {"worker-a", "worker-b"}, by_worker


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_locked_row_is_skipped_not_waited_for(world: World, smtp: SmtpServer) -> None:
    await world.ask(MONDAY)
    async with own_engine(world) as sessions, sessions() as holder, holder.begin():
        # Another worker's claim transaction, still open: it holds the row locks.
        await holder.execute(text("SELECT id FROM outbox_mail FOR UPDATE"))
        worker = make_worker(world, world.hub.runtime.sessions, "worker-b")
        assert await asyncio.wait_for(worker.claim(MONDAY), timeout=5) == []
    assert len(await make_worker(world, world.hub.runtime.sessions, "worker-b").claim(MONDAY)) == 2


async def test_a_row_whose_worker_died_is_taken_up_again(world: World, smtp: SmtpServer) -> None:
    await world.ask(MONDAY)
    dead = make_worker(world, world.hub.runtime.sessions, "worker-dead")
    jobs = await dead.claim(MONDAY)  # ... and the process dies before sending
    assert len(jobs) == 2
    assert {r.status for r in await world.outbox()} == {MailStatus.SENDING.value}

    alive = make_worker(world, world.hub.runtime.sessions, "worker-alive")
    assert await alive.drain(MONDAY + LEASE - timedelta(seconds=1)) == 0  # within the lease: not touched
    assert await alive.drain(MONDAY + LEASE + timedelta(seconds=1)) == 2
    rows = await world.outbox()
    assert {(r.status, r.claimed_by, r.attempts) for r in rows} == {("sent", "worker-alive", 2)}
    assert len(smtp.messages) == 2

    # The stalled worker, should it come back, neither sends nor records anything for rows it no longer holds.
    assert await dead.deliver(jobs[0]) is None
    assert len(smtp.messages) == 2
    assert {(r.status, r.claimed_by) for r in await world.outbox()} == {("sent", "worker-alive")}
