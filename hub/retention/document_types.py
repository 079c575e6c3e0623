"""Retention per document type: most documents follow their case (deleted with it), a few kinds go earlier while
the case runs, once that many years passed since the document's date, and at least a year after its upload
(README "Retention" gives the defaults).

An organisation may set its own rule per type (DocumentRetentionRule); a document keeps the longer rule of its two
parties, and "follows the case" is the longest. Never due: a withdrawn document (its own rule), a document of a
case on legal hold, one that is a milestone's evidence, one attached to a message: those go with their case only.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.cases.models import Case, CaseMilestone, CaseMilestoneEvidence
from hub.documents.models import Document, DocumentType
from hub.messaging.models import MessageAttachment
from hub.retention.models import DocumentRetentionRule
from hub.retention.policy import RetentionPolicy
from hub.terms import AMSTERDAM

FOLLOWS_CASE = None

# Years after the document's date; FOLLOWS_CASE: kept as long as its case. The notas are the bewindvoerder's
# administration of costs (fiscal bewaarplicht, art. 52 AWR: 7 years); on a case that runs for decades the old ones
# serve nothing that the yearly rekening en verantwoording has not settled long before.
DOCUMENT_TYPE_YEARS: dict[DocumentType, int | None] = {
    DocumentType.BENOEMINGSBESCHIKKING: FOLLOWS_CASE,
    DocumentType.NOTA_PERIODIEKE_KOSTEN: 7,
    DocumentType.CAK_NOTA: 7,
    DocumentType.AANVRAAG_BIJZONDERE_BIJSTAND: FOLLOWS_CASE,
    DocumentType.SCHULDENOVERZICHT: FOLLOWS_CASE,
    DocumentType.PLAN_VAN_AANPAK: FOLLOWS_CASE,
    DocumentType.UITSTROOMVERSLAG: FOLLOWS_CASE,
    DocumentType.DECHARGE: FOLLOWS_CASE,
    DocumentType.KWALITEITSVERKLARING: FOLLOWS_CASE,
    DocumentType.OVERIG: FOLLOWS_CASE,
}

Rules = dict[tuple[str, str], int | None]
"""(organisation id, document type) -> an organisation's own years (None: follows the case)."""


async def organisation_rules(db: AsyncSession) -> Rules:
    rows = (await db.execute(select(DocumentRetentionRule))).scalars()
    return {(rule.organisation_id, rule.doc_type): rule.years for rule in rows}


def default_years(doc_type: str) -> int | None:
    try:
        return DOCUMENT_TYPE_YEARS[DocumentType(doc_type)]
    except ValueError:
        return FOLLOWS_CASE  # an unknown kind is never deleted on its own


def years_for(rules: Rules, document: Document) -> int | None:
    """The one rule for a document's period: the longer of its parties' (each its own rule, else the default);
    None (follows the case) when either party keeps it with the case."""
    periods = [
        rules[key] if (key := (org_id, document.doc_type)) in rules else default_years(document.doc_type)
        for org_id in document.party_ids()
    ]
    if any(years is None for years in periods):
        return None
    return max(years for years in periods if years is not None)


# A document that reached the hub already past its period (an old nota uploaded at a case's transfer) stays this
# long after its upload: deleting it the next night would surprise the person who just uploaded it.
MIN_YEARS_IN_HUB = 1


def dated(document: Document) -> date:
    """The day a document's period runs from: its date (the upload day when it has none)."""
    return document.document_date or uploaded_on(document)


def uploaded_on(document: Document) -> date:
    return document.uploaded_at.astimezone(AMSTERDAM).date()


def is_past_period(policy: RetentionPolicy, document: Document, years: int, today: date) -> bool:
    return dated(document) <= policy.case_cutoff(today, years) and uploaded_on(document) <= policy.case_cutoff(
        today, MIN_YEARS_IN_HUB
    )


async def _protected(db: AsyncSession, document_ids: list[str]) -> set[str]:
    """Of these documents, those that are a milestone's evidence or attached to a message."""
    if not document_ids:
        return set()
    found: set[str] = set()
    for column in (
        col(CaseMilestone.evidence_document_id),
        col(CaseMilestoneEvidence.document_id),
        col(MessageAttachment.document_id),
    ):
        found |= set((await db.execute(select(column).where(column.in_(document_ids)))).scalars())
    return found


async def due_typed_documents(
    db: AsyncSession, policy: RetentionPolicy, today: date, *, only: str | None = None
) -> list[str]:
    """Ids of the documents past their type's period (by date, then id); ``only``: just that document, if due."""
    rules = await organisation_rules(db)
    types = {t.value for t, years in DOCUMENT_TYPE_YEARS.items() if years is not None}
    types |= {doc_type for (_, doc_type), years in rules.items() if years is not None}
    query = (
        select(Document)
        .join(Case, col(Case.id) == col(Document.case_id))
        .where(
            col(Document.withdrawn_at).is_(None),
            col(Document.doc_type).in_(sorted(types)),
            col(Case.legal_hold_at).is_(None),
        )
    )
    if only is not None:
        query = query.where(col(Document.id) == only)
    candidates = []
    for document in (await db.execute(query)).scalars():
        years = years_for(rules, document)
        if years is not None and is_past_period(policy, document, years, today):
            candidates.append(document)
    protected = await _protected(db, [d.id for d in candidates])
    due = [d for d in candidates if d.id not in protected]
    return [d.id for d in sorted(due, key=lambda d: (dated(d), d.id))]
