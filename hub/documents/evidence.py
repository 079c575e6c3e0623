"""The documents' answer to :class:`hub.cases.milestones.EvidenceLookup`: the type of one of the case's own documents,
so that a milestone can name its evidence without the cases package reading the vault's tables."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.documents.models import Document


async def case_document_type(db: AsyncSession, case_id: str, document_id: str) -> str | None:
    """The document type of ``document_id`` when it belongs to ``case_id`` and is not withdrawn; None otherwise
    (another case's document is as unknown as a made-up id; a withdrawn one can no longer be evidence)."""
    row = await db.execute(
        select(col(Document.doc_type)).where(
            col(Document.id) == document_id,
            col(Document.case_id) == case_id,
            col(Document.withdrawn_at).is_(None),
        )
    )
    return row.scalar_one_or_none()
