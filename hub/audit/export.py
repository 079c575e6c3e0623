"""Audit records as JSON lines, for a separate log system (SIEM) and for the FG's download; and reading the log in
batches, so that an export of any size streams instead of being held in memory.

One object per line, keys in this order: ``seq``, ``at`` (UTC, ISO 8601 with microseconds: the moment exactly as the
chain hashes it), ``user_id``, ``organisation_id``, ``action``, ``object_type``, ``object_id``, ``client_address``,
``user_agent``, ``prev_hash``, ``hash``. A receiver can recompute every ``hash`` (hub.audit.services.chain_hash) and
follow ``prev_hash`` to see that nothing between two exported records is missing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.audit.models import AuditEvent
from hub.audit.services import canonical_moment
from hub.db import transaction
from hub.terms import AMSTERDAM

BATCH = 1000


def as_json(event: AuditEvent, *, with_origin: bool = True) -> str:
    """One record as one line of JSON (without the newline). ``with_origin=False`` leaves the client address and user
    agent out (null): the FG's export shows them only for the FG's own organisation's users."""
    fields: dict[str, Any] = {
        "seq": event.seq,
        "at": canonical_moment(event.at),
        "user_id": event.user_id,
        "organisation_id": event.organisation_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "client_address": event.client_address if with_origin else None,
        "user_agent": event.user_agent if with_origin else None,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }
    return json.dumps(fields, ensure_ascii=True, separators=(",", ":"))


async def batches(
    sessions: async_sessionmaker[AsyncSession],
    where: ColumnElement[bool] | None = None,
    *,
    newest_first: bool = False,
    batch_size: int = BATCH,
) -> AsyncIterator[list[AuditEvent]]:
    """The records matching ``where`` in sequence order (or newest first), a batch at a time, each batch read in a
    short transaction of its own: a long export never holds a transaction (on SQLite: the write lock) open."""
    after: int | None = None
    while True:
        query = select(AuditEvent)
        if where is not None:
            query = query.where(where)
        if after is not None:
            query = query.where(col(AuditEvent.seq) < after if newest_first else col(AuditEvent.seq) > after)
        order = col(AuditEvent.seq).desc() if newest_first else col(AuditEvent.seq)
        async with transaction(sessions) as db:
            rows = list((await db.execute(query.order_by(order).limit(batch_size))).scalars())
        if rows:
            yield rows
        if len(rows) < batch_size:
            return
        after = rows[-1].seq


class BadMoment(ValueError):
    """Not a date (yyyy-mm-dd) or a date and time (yyyy-mm-ddThh:mm[:ss][+hh:mm])."""


def parse_moment(text: str, *, end: bool = False) -> datetime:
    """A date or a date and time, as typed for ``--since`` / ``--until``. A date is the start of that day in Dutch
    time, or with ``end`` the start of the next one (so ``--until 2026-03-31`` takes in all of 31 March). A time
    without an offset is Dutch time."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day + timedelta(days=1 if end else 0), time(), tzinfo=AMSTERDAM).astimezone(UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadMoment(value) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=AMSTERDAM)
    return moment.astimezone(UTC)


def in_period(since: datetime | None, until: datetime | None) -> ColumnElement[bool] | None:
    """Records at or after ``since`` and before ``until`` (either may be None)."""
    conditions = []
    if since is not None:
        conditions.append(col(AuditEvent.at) >= since)
    if until is not None:
        conditions.append(col(AuditEvent.at) < until)
    if not conditions:
        return None
    return conditions[0] if len(conditions) == 1 else conditions[0] & conditions[1]
