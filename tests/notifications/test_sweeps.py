"""The worker's periodic jobs: the hub's wiring gives it the reminder sweep and the purge of expired sessions; the
worker runs each in its own transaction, and one that fails does not stop the others."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.models import LoginThrottle, UserSession
from hub.db import new_id
from hub.notifications.models import MailKind
from hub.notifications.worker import worker_for as outbox_worker_for
from hub.worker import worker_for
from tests.notifications.conftest import World, at
from tests.support.smtp import SmtpServer

MONDAY = at(2026, 5, 11, 10)


async def add_session(world: World, *, last_seen: datetime) -> str:
    session = UserSession(
        id=new_id(),
        token_hash=new_id() + new_id(),
        user_id=world.bewindvoerder.id,
        stage="full",
        csrf_token=new_id(),
        created_at=last_seen,
        last_seen_at=last_seen,
    )
    async with world.hub.db() as db:
        db.add(session)
    return session.id


async def session_ids(world: World) -> set[str]:
    async with world.hub.db() as db:
        return set((await db.execute(select(UserSession.id))).scalars())


async def test_the_worker_purges_expired_sessions(world_sqlite: World) -> None:
    """An ended session is kept 12 hours past its end (a form sent after it still finds whose it was,
    hub.web.kept_forms), then purged."""
    world = world_sqlite
    expired = await add_session(world, last_seen=MONDAY - timedelta(hours=13))
    fresh = await add_session(world, last_seen=MONDAY - timedelta(minutes=5))
    assert {expired, fresh} <= await session_ids(world)
    await worker_for(world.hub.runtime).sweep(MONDAY)
    remaining = await session_ids(world)
    assert expired not in remaining
    assert fresh in remaining


async def test_the_worker_purges_throttle_rows_that_no_longer_count(world_sqlite: World) -> None:
    world = world_sqlite
    rows = {
        "old-window": LoginThrottle(key="old-window", failures=3, window_start=MONDAY - timedelta(minutes=20)),
        "open-window": LoginThrottle(key="open-window", failures=3, window_start=MONDAY - timedelta(minutes=5)),
        "still-locked": LoginThrottle(
            key="still-locked", window_start=MONDAY - timedelta(minutes=20), locked_until=MONDAY + timedelta(minutes=5)
        ),
        "lock-over": LoginThrottle(
            key="lock-over", window_start=MONDAY - timedelta(minutes=20), locked_until=MONDAY - timedelta(minutes=1)
        ),
    }
    async with world.hub.db() as db:
        db.add_all(rows.values())
    await worker_for(world.hub.runtime).sweep(MONDAY)
    async with world.hub.db() as db:
        left = set((await db.execute(select(LoginThrottle.key))).scalars())
    assert left == {"open-window", "still-locked"}


async def test_the_worker_runs_messagings_reminder_sweep(world_sqlite: World, smtp: SmtpServer) -> None:
    world = world_sqlite
    await world.ask(at(2026, 4, 24, 10))  # due Wednesday 29 April
    await worker_for(world.hub.runtime).sweep(at(2026, 4, 29, 0, 10))
    kinds = sorted(r.kind for r in await world.outbox())
    assert kinds.count(MailKind.TERMIJN_VERLOOPT_VANDAAG.value) == 2


async def test_a_failing_job_does_not_stop_the_others(world_sqlite: World) -> None:
    world = world_sqlite
    ran: list[str] = []

    async def broken(db: AsyncSession, now: datetime) -> None:
        ran.append("broken")
        raise RuntimeError("the database went away")

    async def fine(db: AsyncSession, now: datetime) -> None:
        ran.append("fine")

    worker = outbox_worker_for(world.hub.runtime, [broken, fine])
    assert await worker.sweep(MONDAY) == 0  # the digests still ran: none due
    assert ran == ["broken", "fine"]


async def test_the_worker_removes_crash_leftovers_from_the_blob_store_once_they_are_old(world_sqlite: World) -> None:
    """A server killed mid-upload leaves a temporary file, one killed between the blob's rename and the row's commit
    an orphan blob: the worker removes both once they are an hour old, and leaves young ones (an upload in flight on
    another server) and every blob a document names."""
    from hub.documents.components import blobs_of

    world = world_sqlite
    store = blobs_of(world.hub.runtime)

    async def chunks(data: bytes) -> AsyncIterator[bytes]:
        yield data

    old_orphan, _ = await store.put(chunks(b"orphan"))
    young_orphan, _ = await store.put(chunks(b"young orphan"))
    half_written = await store.open_writer()  # its temporary file stays behind when the process is killed
    (temporary,) = store.temporary_files()
    two_hours_ago = time.time() - 7200
    for path in (store.path_of(old_orphan), temporary):
        os.utime(path, (two_hours_ago, two_hours_ago))
    await worker_for(world.hub.runtime).sweep(MONDAY)
    assert set(store.names()) == {young_orphan}
    assert store.temporary_files() == []
    await half_written.abort()
