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
