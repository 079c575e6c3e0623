"""The quality documents of convenant §3 per kantoor: the current one of each kind, when the next is due, and
whether it is overdue or missing.

"Due again" has one rule, :func:`due_again`: a kwaliteitsverklaring at the end of its last valid day, a decharge
``decharge_months`` (HUB_DECHARGE_MONTHS) after its date by the term rule hub.terms.decharge_due. Overdue only once
the due day is over (hub.terms.is_overdue). The current document of a kind is, of those not withdrawn, the one due
again last (the latest decharge, the kwaliteitsverklaring valid longest; the newest upload among equals): an older
document added afterwards for the record does not make the kantoor overdue. Every document stays listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from hub.accounts.authz import Action, require
from hub.accounts.models import Organisation, User
from hub.accounts.organisations import ConvenantService
from hub.cases.records import local_today
from hub.db import utcnow
from hub.orgdocs.models import QUALITY_KINDS, OrgDocKind
from hub.orgdocs.services import OrgDocRow, OrgDocumentService
from hub.terms import decharge_due, end_of_day, is_overdue


def due_again(
    kind: OrgDocKind, document_date: date | None, valid_until: date | None, *, decharge_months: int
) -> datetime | None:
    """When the next document of ``kind`` is due, from the current one (None when that cannot be told)."""
    if kind == OrgDocKind.KWALITEITSVERKLARING:
        # §3a/§3d: valid for the whole looptijd, so a new one is due when it stops being valid, at the end of its
        # last valid day (a fact of the document, not a term: not moved to a werkdag).
        return end_of_day(valid_until) if valid_until is not None else None
    if kind == OrgDocKind.DECHARGE and document_date is not None:
        return decharge_due(document_date, months=decharge_months)
    return None


@dataclass(frozen=True)
class QualityStatus:
    kind: OrgDocKind
    current: OrgDocRow | None
    due: datetime | None
    overdue: bool

    @property
    def missing(self) -> bool:
        return self.current is None


@dataclass(frozen=True)
class KantoorQuality:
    kantoor: Organisation
    statuses: tuple[QualityStatus, ...]
    documents: list[OrgDocRow]  # every quality document of the kantoor, newest first (withdrawn ones marked)

    @property
    def needs_attention(self) -> bool:
        return any(s.missing or s.overdue for s in self.statuses)


def quality_of(
    kantoor: Organisation, documents: list[OrgDocRow], *, decharge_months: int, now: datetime
) -> KantoorQuality:
    """The state of one kantoor's §3 documents from its documents (newest first)."""
    statuses = []
    for kind in QUALITY_KINDS:
        dues = [
            (due_again(kind, d.row.document_date, d.valid_until, decharge_months=decharge_months), d)
            for d in documents
            if d.kind == kind and not d.withdrawn
        ]
        # max() keeps the first of equals: ``documents`` is newest first. A document without a due day counts last.
        due, current = max(dues, key=lambda pair: (pair[0] is not None, pair[0] or now), default=(None, None))
        statuses.append(QualityStatus(kind, current, due, overdue=due is not None and is_overdue(due, now)))
    return KantoorQuality(kantoor, tuple(statuses), documents)


async def quality_overview(
    service: OrgDocumentService, user: User, *, decharge_months: int, now: datetime | None = None
) -> list[KantoorQuality]:
    """The kantoren whose quality documents the user reads (their own, or their gemeente's partners), each with
    the state of its documents."""
    kantoren = await service.readable_kantoren(user)
    documents = await service.quality_documents(user, [k.id for k in kantoren])
    moment = now or utcnow()
    return [quality_of(k, documents[k.id], decharge_months=decharge_months, now=moment) for k in kantoren]


async def needing_attention(
    service: OrgDocumentService, user: User, *, decharge_months: int, now: datetime | None = None
) -> list[KantoorQuality]:
    """For the monitoring page of a contractmanager: the kantoren with a convenant that is active today (the one
    rule, Convenant.is_active_on) whose kwaliteitsverklaring or decharge is missing or overdue."""
    require(user, Action.VIEW_MONITORING)
    today = local_today()
    active = {
        kantoor.id
        for convenant, _, kantoor in await ConvenantService(service.db).for_organisation(user.organisation_id)
        if convenant.gemeente_id == user.organisation_id and convenant.is_active_on(today)
    }
    overview = await quality_overview(service, user, decharge_months=decharge_months, now=now)
    return [q for q in overview if q.kantoor.id in active and q.needs_attention]
