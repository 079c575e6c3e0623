"""Claiming due rows of an outbox table for one worker: shared by the mail outbox (:mod:`hub.notifications.worker`)
and the webhook deliveries (:mod:`hub.webhooks.delivery`), so both have the same lease and the same guarantees.

A claimable table has the columns ``id``, ``status`` ('pending', 'sending', ...), ``attempts``, ``next_attempt_at``,
``claimed_at`` and ``claimed_by``. Claiming is one statement in a short transaction::

    UPDATE <table> SET status='sending', claimed_at=now, claimed_by=me, attempts=attempts+1,
                       next_attempt_at=now+lease
    WHERE id IN (SELECT id FROM <table>
                 WHERE status IN ('pending','sending') AND next_attempt_at <= now
                 ORDER BY next_attempt_at LIMIT n
                 FOR UPDATE SKIP LOCKED)          -- PostgreSQL only; SQLite serialises writers
    RETURNING id

so several workers on PostgreSQL never take the same row, and a row whose worker died while sending is taken up
again once its lease (``next_attempt_at`` of a 'sending' row) has passed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

PENDING, SENDING = "pending", "sending"


def _due(table: Table, now: datetime) -> tuple[Any, ...]:
    return table.c.status.in_([PENDING, SENDING]), table.c.next_attempt_at <= now


async def anything_due(sessions: async_sessionmaker[AsyncSession], table: Table, now: datetime) -> bool:
    """A plain read outside a transaction: an idle poll takes no write lock."""
    async with sessions() as db:
        await db.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        return (await db.execute(select(table.c.id).where(*_due(table, now)).limit(1))).first() is not None


async def claim_due(
    db: AsyncSession, table: Table, *, now: datetime, name: str, batch: int, lease: timedelta
) -> list[str]:
    """Mark up to ``batch`` due rows 'sending' for worker ``name`` (in the caller's transaction); their ids."""
    dialect = (await db.connection()).dialect.name
    picked = select(table.c.id).where(*_due(table, now)).order_by(table.c.next_attempt_at, table.c.id).limit(batch)
    if dialect == "postgresql":
        picked = picked.with_for_update(skip_locked=True)
    result = await db.execute(
        update(table)
        .where(table.c.id.in_(picked.scalar_subquery()))
        .values(
            status=SENDING,
            claimed_at=now,
            claimed_by=name,
            attempts=table.c.attempts + 1,
            next_attempt_at=now + lease,
        )
        .returning(table.c.id)
        .execution_options(synchronize_session=False)
    )
    return list(result.scalars())


async def still_claimed(sessions: async_sessionmaker[AsyncSession], table: Table, row_id: str, name: str) -> bool:
    """Whether worker ``name`` still holds row ``row_id`` (its lease did not run out while the worker stalled)."""
    async with sessions() as db, db.begin():
        claimed_by = (
            await db.execute(select(table.c.claimed_by).where(table.c.id == row_id, table.c.status == SENDING))
        ).scalar_one_or_none()
    return bool(claimed_by == name)


def backoff(
    attempts: int, *, first: timedelta = timedelta(minutes=1), most: timedelta = timedelta(hours=1)
) -> timedelta:
    """``first`` after the first failed attempt, then twice as long each time, at most ``most``."""
    step = first * (2 ** max(0, min(attempts - 1, 12)))
    return min(step, most)
