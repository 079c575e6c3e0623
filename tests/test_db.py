"""Transactions are whole on both backends: a savepoint inside a failed transaction leaves nothing behind."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from hub.accounts.models import Organisation
from hub.accounts.roles import OrgKind
from hub.db import create_engine, session_factory, transaction


class Boom(Exception):
    pass


async def _names(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as db:
            return [o.name for o in (await db.execute(select(Organisation))).scalars()]
    finally:
        await engine.dispose()


async def test_a_savepoint_before_the_first_write_is_undone_with_its_transaction(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with pytest.raises(Boom):
            async with transaction(session_factory(engine)) as db:
                async with db.begin_nested():
                    db.add(Organisation(kind=OrgKind.GEMEENTE.value, name="Gemeente Savepoint"))
                    await db.flush()
                raise Boom
    finally:
        await engine.dispose()
    assert "Gemeente Savepoint" not in await _names(database_url)


async def test_concurrent_read_then_write_transactions_all_succeed(database_url: str) -> None:
    """Each transaction reads, waits, then writes: on SQLite a deferred transaction would fail with 'locked'."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)

    async def read_then_write(n: int) -> None:
        async with transaction(sessions) as db:
            await db.execute(select(Organisation))
            await asyncio.sleep(0.01)
            db.add(Organisation(kind=OrgKind.KANTOOR.value, name=f"Kantoor {n}"))

    try:
        await asyncio.gather(*(read_then_write(n) for n in range(8)))
    finally:
        await engine.dispose()
    assert {f"Kantoor {n}" for n in range(8)} <= set(await _names(database_url))


async def test_sqlite_statements_take_one_thread_hop_each_and_keep_the_driver_semantics(sqlite_url: str) -> None:
    """hub.sqlite_driver: rows, row counts, executemany, errors and rollback as with SQLAlchemy's own aiosqlite
    adapter, in one call on aiosqlite's thread per statement."""
    import aiosqlite.core
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    engine = create_engine(sqlite_url)
    sessions = session_factory(engine)
    calls = 0
    queued = aiosqlite.core.Connection._execute

    async def counted(self: aiosqlite.core.Connection, fn: object, *args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        return await queued(self, fn, *args, **kwargs)

    try:
        async with transaction(sessions) as db:  # the connection's set-up is not counted
            await db.execute(select(Organisation))
        aiosqlite.core.Connection._execute = counted  # type: ignore[method-assign]
        async with transaction(sessions) as db:
            db.add_all([Organisation(kind=OrgKind.KANTOOR.value, name=f"Kantoor hop {n}") for n in range(3)])
            await db.flush()  # one executemany
            changed = await db.execute(
                update(Organisation).where(Organisation.name.startswith("Kantoor hop")).values(contact_person="x")
            )
            assert changed.rowcount == 3  # type: ignore[attr-defined]
            found = (await db.execute(select(Organisation.name).where(Organisation.contact_person == "x"))).all()
            assert sorted(n for (n,) in found) == [f"Kantoor hop {n}" for n in range(3)]
        assert calls == 5  # BEGIN IMMEDIATE, INSERT (of 3 rows), UPDATE, SELECT, COMMIT; no reset after the commit
        with pytest.raises(IntegrityError):  # a broken constraint is the DBAPI's error, and the whole unit is undone
            async with transaction(sessions) as db:
                db.add(Organisation(kind=OrgKind.KANTOOR.value, name="Kantoor weg"))
                await db.flush()
                taken = (await db.execute(select(Organisation.id))).scalars().first()
                db.add(Organisation(id=taken, kind=OrgKind.KANTOOR.value, name="dubbel"))
                await db.flush()
    finally:
        aiosqlite.core.Connection._execute = queued  # type: ignore[method-assign]
        await engine.dispose()
    assert "Kantoor weg" not in await _names(sqlite_url)
