"""Appending to and verifying the hash-chained audit log.

Every record names who (user, organisation) did what (an action word such as ``case.view``) to which object (a type
and an id) and when — never the content: no names, no BSN, no file names, no search terms.

The chain: record ``n`` stores the hash of record ``n-1`` (``prev_hash``) and its own ``hash``, a SHA-256 over a
canonical encoding of its fields and ``prev_hash``.

Two hash input formats, each a JSON array whose first element names it:

- ``hub-audit-v1``: ``[label, seq, moment, user_id, organisation_id, action, object_type, object_id, prev_hash]``;
- ``hub-audit-v2``: the same with ``client_address`` and ``user_agent`` between ``object_id`` and ``prev_hash``.

A record carrying a client address or user agent (authentication events, from revision 0008 on) is hashed as v2; a
record with neither as v1, so every record written before 0008 and the vectors in tests/audit/vectors/ still verify.
The format follows from the record itself: blanking the address or agent of a v2 record changes its hash too.

The single ``audit_head`` row holds the newest sequence number
and hash; it is locked while a record is appended, so two writers never fork the chain. Changing, removing or
inserting a record afterwards breaks the chain from that record on, and :func:`verify` says where.

What the chain alone does not do: someone with write access to the database can remove the newest records, or
rewrite the whole chain from the tampered record onwards. The head file (:mod:`hub.audit.head`) keeps every
committed record's hash outside the database, and :func:`verify` compares it, which closes that gap for anyone who
cannot also change the server's disk.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.audit.head import compare, note_appended
from hub.audit.models import AuditEvent, AuditHead
from hub.db import utcnow
from hub.origin import current_origin

GENESIS_HASH = "0" * 64
HEAD_ID = 1
VERIFY_BATCH = 1000


def canonical_moment(at: datetime) -> str:
    """The moment as the chain hashes it: UTC, ISO 8601, microseconds (what both backends store exactly)."""
    if at.tzinfo is None:
        raise ValueError("audit moments are timezone-aware")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def chain_hash(
    *,
    seq: int,
    at: datetime,
    user_id: str | None,
    organisation_id: str | None,
    action: str,
    object_type: str,
    object_id: str,
    prev_hash: str,
    client_address: str | None = None,
    user_agent: str | None = None,
) -> str:
    """SHA-256 (hex) over a JSON array of the record's fields: unambiguous, with a version label first (v1 when the
    record has no client address and no user agent, else v2; see the module text)."""
    fields: list[object] = [seq, canonical_moment(at), user_id, organisation_id, action, object_type, object_id]
    if client_address is None and user_agent is None:
        fields = ["hub-audit-v1", *fields]
    else:
        fields = ["hub-audit-v2", *fields, client_address, user_agent]
    encoded = json.dumps([*fields, prev_hash], ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("ascii")).hexdigest()


def clean_request_field(value: str | None, limit: int) -> str | None:
    """A client address or user agent as stored: printable ASCII only, cut to the column's length."""
    if not value:
        return None
    return "".join(c if " " <= c <= "~" else "?" for c in value)[:limit]


def event_hash(event: AuditEvent) -> str:
    return chain_hash(
        seq=event.seq,
        at=event.at,
        user_id=event.user_id,
        organisation_id=event.organisation_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        prev_hash=event.prev_hash,
        client_address=event.client_address,
        user_agent=event.user_agent,
    )


async def _lock_head(db: AsyncSession) -> AuditHead:
    """The chain head, locked until the caller's transaction ends.

    PostgreSQL: ``SELECT ... FOR UPDATE`` locks the row. SQLite has no row locks, but every transaction there begins
    with ``BEGIN IMMEDIATE`` (hub.db), holding the one write lock from its start. Either way the head we read cannot
    change under us.
    """
    head = (
        await db.execute(
            select(AuditHead)
            .where(col(AuditHead.id) == HEAD_ID)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if head is None:  # the migration inserts it; a hand-made database may lack it
        head = AuditHead(id=HEAD_ID, seq=0, hash=GENESIS_HASH)
        db.add(head)
        await db.flush()
    return head


async def record(
    db: AsyncSession,
    *,
    user_id: str | None,
    organisation_id: str | None,
    action: str,
    object_type: str,
    object_id: str,
    at: datetime | None = None,
    client_address: str | None = None,
    user_agent: str | None = None,
) -> AuditEvent:
    """Append one record to the chain, in the caller's transaction (it is kept only if that commits).

    Without ``client_address`` and ``user_agent`` the record carries the origin of the request being handled
    (:mod:`hub.origin`), if any. The head row stays locked until the transaction ends: keep audited transactions
    short. Once the transaction commits, the record's sequence number and hash go to the head file (hub.audit.head).
    """
    if client_address is None and user_agent is None:
        origin = current_origin()
        client_address, user_agent = origin.client_address or None, origin.user_agent or None
    head = await _lock_head(db)
    moment = (at or utcnow()).astimezone(UTC)
    event = AuditEvent(
        seq=head.seq + 1,
        at=moment,
        user_id=user_id,
        organisation_id=organisation_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        client_address=clean_request_field(client_address, 64),
        user_agent=clean_request_field(user_agent, 200),
        prev_hash=head.hash,
        hash="",
    )
    event.hash = event_hash(event)
    db.add(event)
    head.seq, head.hash = event.seq, event.hash
    db.add(head)
    await db.flush()
    note_appended(db, event.seq, event.hash)
    return event


@dataclass(frozen=True)
class VerifyResult:
    """``ok``: the whole chain holds. ``count``: records checked and found sound before the first break.
    ``first_broken_seq``: the first sequence number where the chain fails (a changed, missing or foreign record).
    ``head_file_newest``: the newest record the head file names (None when no file was compared).
    """

    ok: bool
    count: int
    first_broken_seq: int | None = None
    reason: str = ""
    head_file_newest: int | None = None


async def verify(db: AsyncSession, *, batch_size: int = VERIFY_BATCH, head_file: Path | None = None) -> VerifyResult:
    """Walk the chain in sequence order, in batches, and check every link and the head; then, with
    ``head_file``, every line of that file against the database (hub.audit.head): the database may be ahead of the
    file (records committed after its last line), never behind it and never different."""
    chain = await _walk(db, batch_size)
    if not chain.ok or head_file is None:
        return chain
    comparison = await compare(db, head_file, chain.count, batch_size=batch_size)
    if comparison.broken_seq is not None:
        intact = min(chain.count, comparison.broken_seq - 1)
        return VerifyResult(False, intact, comparison.broken_seq, comparison.reason, comparison.newest)
    return VerifyResult(True, chain.count, head_file_newest=comparison.newest)


async def _walk(db: AsyncSession, batch_size: int) -> VerifyResult:
    expected_seq = 1
    prev_hash = GENESIS_HASH
    count = 0
    while True:
        rows = list(
            (
                await db.execute(
                    select(AuditEvent)
                    .where(col(AuditEvent.seq) >= expected_seq)
                    .order_by(col(AuditEvent.seq))
                    .limit(batch_size)
                    .execution_options(populate_existing=True)
                )
            ).scalars()
        )
        for event in rows:
            if event.seq != expected_seq:
                return VerifyResult(False, count, expected_seq, "record missing")
            if event.prev_hash != prev_hash:
                return VerifyResult(False, count, event.seq, "link to the previous record broken")
            if event_hash(event) != event.hash:
                return VerifyResult(False, count, event.seq, "record changed")
            prev_hash = event.hash
            expected_seq += 1
            count += 1
        if len(rows) < batch_size:
            break
    head = (
        await db.execute(
            select(AuditHead).where(col(AuditHead.id) == HEAD_ID).execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    head_seq, head_hash = (head.seq, head.hash) if head is not None else (0, GENESIS_HASH)
    if head_seq != count:
        # Records at the end were removed, or some were added without the head: the first one in doubt is broken.
        return VerifyResult(False, count, min(head_seq, count) + 1, "end of the chain does not match its head")
    if head_hash != prev_hash:
        # The newest record (or the head itself) was rewritten after the fact.
        return VerifyResult(False, max(count - 1, 0), max(count, 1), "end of the chain does not match its head")
    return VerifyResult(True, count)
