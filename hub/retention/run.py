"""A retention run: delete what is due (hub.retention.due), each case in a transaction of its own, audited.

Who ran it is the record's object id (``worker`` or ``cli``); the records carry no user. A case deletion and a
document deletion are recorded once per party organisation (``case.delete`` / ``document.delete``), so that each
party's functionaris gegevensbescherming still finds them once the case itself is gone; the run as a whole is one
``retention.run`` record. Earlier records about the deleted case stay in the log: they hold ids, never content.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.audit import actions
from hub.audit import services as audit
from hub.cases.case_terms import case_milestones
from hub.cases.models import Case, CaseStatus
from hub.cases.reading import OBJECT_TYPE as CASE_OBJECT
from hub.db import transaction
from hub.documents.blobstore import BlobStore
from hub.documents.models import Document
from hub.documents.services import OBJECT_TYPE as DOCUMENT_OBJECT
from hub.notifications.models import OutboxMail
from hub.retention.deletion import delete_case, delete_document
from hub.retention.document_types import due_typed_documents
from hub.retention.due import DueItems, case_cutoff, due_items, expired_outbox, expired_webhooks, party_years
from hub.retention.policy import RetentionPolicy, ended_on
from hub.webhooks.models import WebhookDelivery

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Told ``(done, total)`` after each deleted case or document."""

RUN_OBJECT = "retention"


@dataclass(frozen=True)
class RunResult:
    cases: int
    documents: int  # withdrawn ones
    expired_documents: int  # past their document type's period
    outbox_rows: int
    held: int  # cases past their period that a legal hold kept


async def plan(
    sessions: async_sessionmaker[AsyncSession], policy: RetentionPolicy, now: datetime, today: date
) -> DueItems:
    async with transaction(sessions) as db:
        return await due_items(db, policy, now, today)


async def _record_for_parties(
    db: AsyncSession, action: str, object_type: str, object_id: str, parties: Sequence[str]
) -> None:
    for organisation_id in parties:
        await audit.record(
            db,
            user_id=None,
            organisation_id=organisation_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
        )


async def _delete_case_if_still_due(
    db: AsyncSession, policy: RetentionPolicy, case_id: str, today: date
) -> list[str] | None:
    """The case's blob names once deleted; None when it changed since the plan (gone, held, reopened, a later step
    such as nazorg recorded): checked again holding the case's row lock."""
    case = await db.get(Case, case_id, with_for_update=True)
    if case is None or case.legal_hold_at is not None or case.status != CaseStatus.BEEINDIGD.value:
        return None
    ended = ended_on(await case_milestones(db, case_id))
    if ended is None or ended > case_cutoff(policy, case, await party_years(db), today):
        return None
    parties = case.party_ids()
    blob_names = await delete_case(db, case_id)
    await _record_for_parties(db, actions.CASE_DELETE, CASE_OBJECT, case_id, parties)
    return blob_names


async def _delete_document_if_still_due(
    db: AsyncSession, policy: RetentionPolicy, document_id: str, today: date
) -> str | None:
    """The blob name once deleted; None when the document is no longer due (gone, held, attached, rule changed):
    checked again holding its row lock, withdrawn or past its type's period."""
    document = await db.get(Document, document_id, with_for_update=True)
    if document is None:
        return None
    if document.withdrawn_at is None:
        if not await due_typed_documents(db, policy, today, only=document_id):
            return None
    else:
        case = await db.get(Case, document.case_id)
        if case is not None and case.legal_hold_at is not None:
            return None
    parties = document.party_ids()
    blob_name = await delete_document(db, document_id)
    await _record_for_parties(db, actions.DOCUMENT_DELETE, DOCUMENT_OBJECT, document_id, parties)
    return blob_name


async def run_retention(
    sessions: async_sessionmaker[AsyncSession],
    blobs: BlobStore,
    policy: RetentionPolicy,
    *,
    now: datetime,
    today: date,
    actor: str,
    progress: Progress | None = None,
) -> RunResult:
    """Delete every due case, withdrawn or expired document and outbox row; blobs go after their rows' transaction
    committed. A blob whose removal fails is left for the hourly orphan sweep (its row, and so its key, is gone
    already)."""
    due = await plan(sessions, policy, now, today)
    total = len(due.cases) + len(due.withdrawn_document_ids) + len(due.expired_document_ids)
    done = cases = 0
    deleted: dict[str, int] = {}
    for item in due.cases:
        async with transaction(sessions) as db:
            blob_names = await _delete_case_if_still_due(db, policy, item.id, today)
        if blob_names is not None:
            cases += 1
            await _remove_blobs(blobs, blob_names)
        done += 1
        if progress:
            progress(done, total)
    for kind, document_ids in (("withdrawn", due.withdrawn_document_ids), ("expired", due.expired_document_ids)):
        for document_id in document_ids:
            async with transaction(sessions) as db:
                blob_name = await _delete_document_if_still_due(db, policy, document_id, today)
            if blob_name is not None:
                deleted[kind] = deleted.get(kind, 0) + 1
                await _remove_blobs(blobs, [blob_name])
            done += 1
            if progress:
                progress(done, total)
    documents, expired = deleted.get("withdrawn", 0), deleted.get("expired", 0)
    async with transaction(sessions) as db:
        # One statement: a digest row and the rows counted in it (all older) go together.
        result = await db.execute(delete(OutboxMail).where(expired_outbox(policy, now)))
        outbox_rows = int(getattr(result, "rowcount", 0) or 0)
        result = await db.execute(delete(WebhookDelivery).where(expired_webhooks(policy, now)))
        outbox_rows += int(getattr(result, "rowcount", 0) or 0)
        await audit.record(
            db,
            user_id=None,
            organisation_id=None,
            action=actions.RETENTION_RUN,
            object_type=RUN_OBJECT,
            object_id=actor,
        )
    if cases or documents or expired or outbox_rows:
        log.info(
            "retention: deleted %d case(s), %d withdrawn and %d expired document(s), %d outbox row(s)",
            cases, documents, expired, outbox_rows,
        )  # fmt: skip
    return RunResult(
        cases=cases, documents=documents, expired_documents=expired, outbox_rows=outbox_rows,
        held=len(due.held_case_ids),
    )  # fmt: skip


async def _remove_blobs(blobs: BlobStore, names: Sequence[str]) -> None:
    for name in names:
        try:
            await blobs.delete(name)
        except OSError:
            log.warning("retention: a blob could not be removed now; the orphan sweep retries it")
