"""The start page's "Wat wacht op mij": the reaction clocks and the terms of cases' paths that the user's organisation
owes and that are the user's (assigned to them) or nobody's yet, most urgent first, the due moment in words as in
the inbox. No subject and no client name: the reference of the case, the kind of term and the partner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.authz import Action, may
from hub.accounts.models import Organisation, User
from hub.accounts.roles import OrgKind
from hub.calendars.services import CalendarSource
from hub.cases.milestones import MilestoneKind
from hub.cases.models import Case, CaseTerm
from hub.messaging.models import CLOCK_KIND_LABELS, Clock, ClockKind, Thread
from hub.terms import as_local_date, describe_due

LIMIT = 20


@dataclass(frozen=True)
class WorkItem:
    what: str  # the kind of term, e.g. "Reactie casuïstiek (2 werkdagen)" or a step of the path
    reference: str | None  # the case's dossiernummer (a general question has none)
    partner: str
    link: str  # a hub path of ids
    due_at: datetime
    due_words: str
    overdue: bool


async def work_for(db: AsyncSession, user: User, calendars: CalendarSource, now: datetime) -> list[WorkItem]:
    """What waits for ``user``: at most :data:`LIMIT` items, most urgent first."""
    if not may(user, Action.VIEW_CASES):
        return []
    org = await db.get(Organisation, user.organisation_id)
    if org is None or org.org_kind not in (OrgKind.GEMEENTE, OrgKind.KANTOOR):
        return []
    is_gemeente = org.org_kind == OrgKind.GEMEENTE
    partner = aliased(Organisation)
    calendar_for = await calendars.calendar_for(db)
    found: list[tuple[datetime, str, str | None, str, str, str]] = []  # due, what, reference, partner, link, gemeente

    thread_assignee = col(Thread.gemeente_assignee_id) if is_gemeente else col(Thread.kantoor_assignee_id)
    thread_rows = (
        await db.execute(
            select(Thread, col(Case.reference), col(partner.name))
            .outerjoin(Case, col(Case.id) == col(Thread.case_id))
            .join(partner, col(partner.id) == (col(Thread.kantoor_id) if is_gemeente else col(Thread.gemeente_id)))
            .where(
                col(Thread.waiting_on_org_id) == org.id,
                or_(thread_assignee == user.id, thread_assignee.is_(None)),
            )
            .order_by(col(Thread.current_due_at))
            .limit(LIMIT)
        )
    ).all()
    kinds = await _clock_kinds(db, [t.id for t, _, _ in thread_rows])
    for thread, reference, partner_name in thread_rows:
        if thread.current_due_at is None:
            continue
        kind = kinds.get(thread.id)
        what = CLOCK_KIND_LABELS[ClockKind(kind)] if kind in {k.value for k in ClockKind} else "Reactie"
        link = f"/berichten/{thread.id}"
        found.append((thread.current_due_at, what, reference, partner_name, link, thread.gemeente_id))

    case_assignee = col(Case.gemeente_contact_id) if is_gemeente else col(Case.bewindvoerder_id)
    terms = await db.execute(
        select(CaseTerm, col(Case.reference), col(partner.name))
        .join(Case, col(Case.id) == col(CaseTerm.case_id))
        .join(partner, col(partner.id) == (col(Case.kantoor_id) if is_gemeente else col(Case.gemeente_id)))
        .where(col(CaseTerm.owed_by_org_id) == org.id, or_(case_assignee == user.id, case_assignee.is_(None)))
        .order_by(col(CaseTerm.due_at))
        .limit(LIMIT)
    )
    for term, reference, partner_name in terms.all():
        what = MilestoneKind(term.step).label if term.step in {k.value for k in MilestoneKind} else term.step
        link = f"/dossiers/{term.case_id}#verloop"
        found.append((term.due_at, what, reference, partner_name, link, term.gemeente_id))

    found.sort(key=lambda item: item[0])
    today = as_local_date(now)
    return [
        WorkItem(what, reference, partner_name, link, due, describe_due(due, now, calendar_for(gemeente)),
                 as_local_date(due) < today)
        for due, what, reference, partner_name, link, gemeente in found[:LIMIT]
    ]  # fmt: skip


async def _clock_kinds(db: AsyncSession, thread_ids: list[str]) -> dict[str, str]:
    """Per thread the kind of its most urgent running clock."""
    if not thread_ids:
        return {}
    rows = await db.execute(
        select(col(Clock.thread_id), col(Clock.kind))
        .where(col(Clock.thread_id).in_(thread_ids), col(Clock.stopped_at).is_(None))
        .order_by(col(Clock.due_at).desc())
    )
    return {thread_id: kind for thread_id, kind in rows.all()}  # the earliest due wins (written last)
