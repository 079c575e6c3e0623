"""A worker's claims on outbox rows are leases, renewed while the worker is alive.

A claimed row is 'sending' with ``claimed_by`` the worker and ``next_attempt_at`` the end of its lease: once that
has passed, any worker may claim the row again (hub.notifications.worker). The lease is short
(``HUB_OUTBOX_LEASE_SECONDS``, a minute), so the mails of a worker that was killed wait about a minute, not the
longest possible delivery; a live worker keeps its claims by renewing them every quarter lease while it holds any
(:func:`kept_alive`), and renews a row once more, atomically with checking it is still its own, right before
sending it (:func:`renew_one`). A slow SMTP server (RFC 5321 allows ten minutes for the end of DATA) therefore never
makes a live worker's mail go twice.

What remains (documented in the README): a worker that is alive but cannot renew for a whole lease (its database
connection gone, its event loop stalled) while one of its mails is on its way may see another worker send that mail
again; and one killed between the SMTP server's acceptance and the commit of 'sent' has its mail sent again. SMTP
offers no way to make either exactly once. The workers' clocks must agree to well within the lease (NTP).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db import transaction
from hub.errors import exception_place
from hub.notifications.models import MailStatus, OutboxMail

__all__ = ["LEASE", "kept_alive", "renew", "renew_one"]

log = logging.getLogger("hub.notifications.worker")

LEASE = timedelta(seconds=60)  # the default of HUB_OUTBOX_LEASE_SECONDS
RENEWALS_PER_LEASE = 4  # a renewal may fail (or come late) three times before the lease runs out


def _held_by(name: str) -> ColumnElement[bool]:
    return and_(col(OutboxMail.status) == MailStatus.SENDING.value, col(OutboxMail.claimed_by) == name)


async def renew(sessions: async_sessionmaker[AsyncSession], name: str, until: datetime) -> int:
    """Extend every claim of worker ``name`` to ``until``; the number of rows it holds."""
    async with transaction(sessions) as db:
        result = await db.execute(
            update(OutboxMail)
            .where(_held_by(name))
            .values(next_attempt_at=until)
            .execution_options(synchronize_session=False)
        )
    return int(getattr(result, "rowcount", 0))


async def renew_one(sessions: async_sessionmaker[AsyncSession], name: str, row_id: str, until: datetime) -> bool:
    """Extend the claim on one row to ``until``: True when it is still this worker's (nobody took it over)."""
    async with transaction(sessions) as db:
        result = await db.execute(
            update(OutboxMail)
            .where(col(OutboxMail.id) == row_id, _held_by(name))
            .values(next_attempt_at=until)
            .execution_options(synchronize_session=False)
        )
    return bool(getattr(result, "rowcount", 0))


@contextlib.asynccontextmanager
async def kept_alive(
    sessions: async_sessionmaker[AsyncSession], name: str, lease: timedelta, clock: Callable[[], datetime]
) -> AsyncIterator[None]:
    """Within the block, renew worker ``name``'s claims every quarter ``lease`` (the worker's heartbeat)."""

    async def heartbeat() -> None:
        while True:
            await asyncio.sleep(lease.total_seconds() / RENEWALS_PER_LEASE)
            try:
                await renew(sessions, name, clock() + lease)
            except Exception as exc:  # the database away for a moment: the next beat tries again
                log.error("renewing the claims of %s failed: %s", name, exception_place(exc))

    task = asyncio.create_task(heartbeat(), name=f"outbox-lease-{name}")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
