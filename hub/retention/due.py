"""What a retention run would delete at a moment: ids and counts, never content (``--dry-run`` prints this)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.models import Organisation
from hub.cases.models import Case, CaseMilestone, CaseStatus
from hub.documents.models import Document
from hub.notifications.models import MailStatus, OutboxMail
from hub.retention.document_types import due_typed_documents
from hub.retention.policy import RetentionPolicy, ended_on
from hub.webhooks.models import DeliveryStatus, WebhookDelivery


@dataclass(frozen=True)
class DueCase:
    id: str
    reference: str  # the dossiernummer: not personal data, lets an operator check a case before it goes
    ended_on: date


@dataclass
class DueItems:
    """Everything due for deletion; cases on legal hold are counted apart and never listed as due."""

    cases: list[DueCase] = field(default_factory=list)
    held_case_ids: list[str] = field(default_factory=list)  # ended long enough ago, but on legal hold
    withdrawn_document_ids: list[str] = field(default_factory=list)
    expired_document_ids: list[str] = field(default_factory=list)  # past their document type's period
    outbox_rows: int = 0

    @property
    def empty(self) -> bool:
        return not (self.cases or self.withdrawn_document_ids or self.expired_document_ids or self.outbox_rows)


async def party_years(db: AsyncSession) -> dict[str, int]:
    """The organisations with a retention period of their own: id -> years."""
    rows = await db.execute(
        select(col(Organisation.id), col(Organisation.retention_case_years)).where(
            col(Organisation.retention_case_years).is_not(None)
        )
    )
    return {org_id: int(years) for org_id, years in rows.all()}


def case_cutoff(policy: RetentionPolicy, case: Case, years: dict[str, int], today: date) -> date:
    """The one rule for a case's cutoff day: the longer period of its two parties."""
    return policy.case_cutoff(today, policy.case_years_for(*(years.get(org_id) for org_id in case.party_ids())))


async def due_cases(db: AsyncSession, policy: RetentionPolicy, today: date) -> tuple[list[DueCase], list[str]]:
    """(due cases, ids of ended-long-enough cases on legal hold), both by end day then id."""
    years = await party_years(db)
    ended = list((await db.execute(select(Case).where(col(Case.status) == CaseStatus.BEEINDIGD.value))).scalars().all())
    if not ended:
        return [], []
    by_case: dict[str, list[CaseMilestone]] = defaultdict(list)
    rows = await db.execute(select(CaseMilestone).where(col(CaseMilestone.case_id).in_([c.id for c in ended])))
    for milestone in rows.scalars():
        by_case[milestone.case_id].append(milestone)
    due: list[DueCase] = []
    held: list[tuple[date, str]] = []
    for case in ended:
        day = ended_on(by_case[case.id])
        if day is None or day > case_cutoff(policy, case, years, today):
            continue
        if case.legal_hold_at is not None:
            held.append((day, case.id))
        else:
            due.append(DueCase(case.id, case.reference, day))
    due.sort(key=lambda c: (c.ended_on, c.id))
    return due, [case_id for _, case_id in sorted(held)]


async def due_withdrawn_documents(db: AsyncSession, policy: RetentionPolicy, now: datetime) -> list[str]:
    """Withdrawn documents past their period, of cases not on legal hold (a hold keeps the whole case as it is)."""
    rows = await db.execute(
        select(col(Document.id))
        .join(Case, col(Case.id) == col(Document.case_id))
        .where(
            col(Document.withdrawn_at) <= policy.withdrawn_cutoff(now),
            col(Case.legal_hold_at).is_(None),
        )
        .order_by(col(Document.withdrawn_at), col(Document.id))
    )
    return list(rows.scalars())


# Only a mail whose fate is settled may go: one still waiting (pending, being sent, held for a digest) is work the
# worker has not done yet, however old its row is (a worker that was down, a test's clock in the past).
SETTLED_MAIL = (MailStatus.SENT.value, MailStatus.FAILED.value, MailStatus.DIGESTED.value, MailStatus.CANCELLED.value)


def expired_outbox(policy: RetentionPolicy, now: datetime) -> ColumnElement[bool]:
    """The outbox rows retention deletes: settled, and older than the outbox period."""
    return and_(col(OutboxMail.created_at) < policy.outbox_cutoff(now), col(OutboxMail.status).in_(SETTLED_MAIL))


def expired_webhooks(policy: RetentionPolicy, now: datetime) -> ColumnElement[bool]:
    """The webhook deliveries retention deletes: delivered or failed, older than the outbox period (ids only, but
    they show who did what when)."""
    return and_(
        col(WebhookDelivery.created_at) < policy.outbox_cutoff(now),
        col(WebhookDelivery.status).in_([DeliveryStatus.DELIVERED.value, DeliveryStatus.FAILED.value]),
    )


async def due_outbox_rows(db: AsyncSession, policy: RetentionPolicy, now: datetime) -> int:
    mails = (await db.execute(select(func.count()).where(expired_outbox(policy, now)))).scalar_one()
    hooks = (await db.execute(select(func.count()).where(expired_webhooks(policy, now)))).scalar_one()
    return int(mails) + int(hooks)


async def due_items(db: AsyncSession, policy: RetentionPolicy, now: datetime, today: date) -> DueItems:
    cases, held = await due_cases(db, policy, today)
    return DueItems(
        cases=cases,
        held_case_ids=held,
        withdrawn_document_ids=await due_withdrawn_documents(db, policy, now),
        expired_document_ids=await due_typed_documents(db, policy, today),
        outbox_rows=await due_outbox_rows(db, policy, now),
    )
