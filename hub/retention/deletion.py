"""Deleting a case with everything that hangs on it, and a withdrawn document: the rows go, and with them every data
key, since each key lives only wrapped inside its own row (crypto-shredding, see README "Retention").

Both return the names of the blobs that must go too; the caller removes them after its transaction committed (a blob
removed before a rollback would leave a row that can never be read again).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.cases.models import (
    Case,
    CaseCorrection,
    CaseMilestone,
    CaseMilestoneEvidence,
    CaseNameToken,
    CaseTerm,
    CaseTermNotice,
    CaseVisit,
)
from hub.documents.models import Document
from hub.messaging.models import Clock, ClockNotice, Message, MessageAttachment, MessageReceipt, Thread, ThreadRead
from hub.notes.models import InternalNote


async def _ids(db: AsyncSession, column: Any, *where: Any) -> list[str]:
    return list((await db.execute(select(column).where(*where))).scalars())


async def _delete_threads(db: AsyncSession, thread_ids: Sequence[str]) -> None:
    """The threads with their messages, receipts, read marks, attachments (links), internal notes and reaction
    clocks."""
    if not thread_ids:
        return
    message_ids = await _ids(db, col(Message.id), col(Message.thread_id).in_(thread_ids))
    clock_ids = await _ids(db, col(Clock.id), col(Clock.thread_id).in_(thread_ids))
    if clock_ids:
        await db.execute(delete(ClockNotice).where(col(ClockNotice.clock_id).in_(clock_ids)))
        await db.execute(delete(Clock).where(col(Clock.id).in_(clock_ids)))
    if message_ids:
        await db.execute(delete(MessageAttachment).where(col(MessageAttachment.message_id).in_(message_ids)))
        await db.execute(delete(MessageReceipt).where(col(MessageReceipt.message_id).in_(message_ids)))
    await db.execute(delete(ThreadRead).where(col(ThreadRead.thread_id).in_(thread_ids)))
    await db.execute(delete(InternalNote).where(col(InternalNote.thread_id).in_(thread_ids)))
    await db.execute(delete(Message).where(col(Message.thread_id).in_(thread_ids)))
    await db.execute(delete(Thread).where(col(Thread.id).in_(thread_ids)))


async def delete_case(db: AsyncSession, case_id: str) -> list[str]:
    """Delete the case and every row that hangs on it; return its documents' blob names. The caller has checked
    that the case may go (due, not on legal hold)."""
    await _delete_threads(db, await _ids(db, col(Thread.id), col(Thread.case_id) == case_id))
    milestone_ids = await _ids(db, col(CaseMilestone.id), col(CaseMilestone.case_id) == case_id)
    if milestone_ids:
        await db.execute(
            delete(CaseMilestoneEvidence).where(col(CaseMilestoneEvidence.milestone_id).in_(milestone_ids))
        )
        # One statement: corrections point at the rows they supersede, and a statement's end is when both
        # backends check those references.
        await db.execute(delete(CaseMilestone).where(col(CaseMilestone.case_id) == case_id))
    await db.execute(delete(CaseTermNotice).where(col(CaseTermNotice.case_id) == case_id))
    await db.execute(delete(CaseTerm).where(col(CaseTerm.case_id) == case_id))
    await db.execute(delete(CaseCorrection).where(col(CaseCorrection.case_id) == case_id))
    await db.execute(delete(CaseNameToken).where(col(CaseNameToken.case_id) == case_id))
    await db.execute(delete(InternalNote).where(col(InternalNote.case_id) == case_id))
    await db.execute(delete(CaseVisit).where(col(CaseVisit.case_id) == case_id))
    blob_names = await _ids(db, col(Document.blob_name), col(Document.case_id) == case_id)
    await db.execute(delete(Document).where(col(Document.case_id) == case_id))
    await db.execute(delete(Case).where(col(Case.id) == case_id))
    return blob_names


async def delete_document(db: AsyncSession, document_id: str) -> str | None:
    """Delete one document row (and the links to it: message attachments, milestone evidence); return its blob
    name, or None when it is gone already. Messages and milestones that named it stay, without it."""
    document = await db.get(Document, document_id)
    if document is None:
        return None
    await db.execute(delete(MessageAttachment).where(col(MessageAttachment.document_id) == document_id))
    await db.execute(delete(CaseMilestoneEvidence).where(col(CaseMilestoneEvidence.document_id) == document_id))
    await db.execute(
        update(CaseMilestone)
        .where(col(CaseMilestone.evidence_document_id) == document_id)
        .values(evidence_document_id=None)
    )
    await db.delete(document)
    await db.flush()
    return document.blob_name
