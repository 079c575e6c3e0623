"""The milestones of a case's path (the page's "Verloop") through the API: the records, recording a step, and
correcting or withdrawing one.

The same service as the page (:class:`~hub.cases.milestone_service.MilestoneService`): which roles record which kind,
the order and date rules, the evidence, and what follows in the same transaction (status, dates, running terms,
audit ``milestone.record`` / ``milestone.correct`` / ``milestone.withdraw``). A record is never changed: a correction
is a new record that supersedes it, a withdrawal a record saying it did not happen; both are resources of their own
below the record (``.../corrections``, ``.../withdrawal``), and the list shows every record with ``inForce``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field
from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.models import Organisation, User
from hub.api.operations import ID_PATTERN, ApiModel, Call, Operation
from hub.api.problems import ApiProblem
from hub.calendars.services import calendar_source
from hub.cases.bijstand_evidence import EvidenceItem, links_of
from hub.cases.milestone_service import NOTE_MAX, MilestoneInput, MilestoneService
from hub.cases.milestones import MilestoneKind, effective
from hub.cases.models import CaseMilestone
from hub.documents.evidence import case_document_type
from hub.errors import ValidationError

TAG = "Verloop"
KINDS = frozenset(k.value for k in MilestoneKind)
EVIDENCE_TEXT = "Bij een aanvraag bijzondere bijstand: het document van het dossier voor dit onderdeel."


class Milestone(ApiModel):
    id: str
    kind: MilestoneKind
    label: str
    milestone_date: date
    choice: str | None = Field(description="De gekozen uitkomst of reden, als de stap er een heeft.")
    detail_date: date | None
    note: str
    evidence_document_id: str | None
    beschermd_wonen: bool
    evidence: dict[EvidenceItem, str] = Field(description="Aanvraag bijzondere bijstand: document per onderdeel.")
    supersedes_id: str | None = Field(description="De vastlegging die deze corrigeert of intrekt.")
    withdrawn: bool = Field(description="Deze vastlegging trekt de vorige in: de stap is niet gebeurd.")
    in_force: bool = Field(description="Geldt nu: niet gecorrigeerd of ingetrokken.")
    recorded_at: datetime
    recorded_by: str
    recorded_by_organisation: str


class MilestoneList(ApiModel):
    items: list[Milestone]


class MilestoneDetails(ApiModel):
    """A step's details; which of them a kind needs is the page's rule (hub.cases.milestones)."""

    milestone_date: date
    choice: str = Field(default="", max_length=40)
    detail_date: date | None = None
    note: str = Field(default="", max_length=NOTE_MAX)
    evidence_document_id: str | None = Field(default=None, pattern=ID_PATTERN)
    beschermd_wonen: bool = False
    evidence_benoemingsbeschikking: str | None = Field(default=None, pattern=ID_PATTERN, description=EVIDENCE_TEXT)
    evidence_nota_periodieke_kosten: str | None = Field(default=None, pattern=ID_PATTERN, description=EVIDENCE_TEXT)
    evidence_cak_nota: str | None = Field(default=None, pattern=ID_PATTERN, description=EVIDENCE_TEXT)

    def as_input(self, kind: str) -> MilestoneInput:
        checklist = {item.value: getattr(self, item.field) or "" for item in EvidenceItem}
        return MilestoneInput(
            kind=kind, milestone_date=self.milestone_date, choice=self.choice, detail_date=self.detail_date,
            note=self.note, evidence_document_id=self.evidence_document_id or "",
            beschermd_wonen=self.beschermd_wonen, checklist=checklist,
        )  # fmt: skip


class NewMilestone(MilestoneDetails):
    kind: MilestoneKind


def milestone_service(call: Call, db: AsyncSession) -> MilestoneService:
    settings = call.runtime.settings
    return MilestoneService(
        db, call.runtime.keyring, evidence=case_document_type, calendars=calendar_source(settings.decree_days_file),
        warn_months=settings.schuldhulp_warn_months,
    )  # fmt: skip


async def _as_models(svc: MilestoneService, rows: list[CaseMilestone]) -> list[Milestone]:
    in_force = {m.id for m in effective(rows)}
    links = await links_of(svc.db, [r.id for r in rows])
    people = await _names(svc.db, col(User.id), col(User.name), {r.recorded_by for r in rows})
    orgs = await _names(svc.db, col(Organisation.id), col(Organisation.name), {r.recorded_by_org_id for r in rows})
    return [
        Milestone(
            id=r.id,
            kind=MilestoneKind(r.kind),
            label=MilestoneKind(r.kind).label,
            milestone_date=r.milestone_date,
            choice=r.outcome,
            detail_date=r.detail_date,
            note=svc.note_of(r),
            evidence_document_id=r.evidence_document_id,
            beschermd_wonen=r.beschermd_wonen,
            evidence=links.get(r.id, {}),
            supersedes_id=r.supersedes_id,
            withdrawn=r.void,
            in_force=r.id in in_force,
            recorded_at=r.recorded_at,
            recorded_by=people.get(r.recorded_by, ""),
            recorded_by_organisation=orgs.get(r.recorded_by_org_id, ""),
        )
        for r in rows
        if r.kind in KINDS
    ]


async def _names(db: AsyncSession, key: Any, name: Any, ids: set[str]) -> dict[str, str]:
    rows = await db.execute(select(key, name).where(key.in_(ids))) if ids else None
    return {str(k): str(v) for k, v in rows.all()} if rows is not None else {}


async def list_milestones(call: Call) -> MilestoneList:
    user = call.principal.user
    async with call.runtime.transaction() as db:
        svc = milestone_service(call, db)
        case = await svc.view_case(user, call.path("caseId"))  # the case's path is part of the case: case.view
        return MilestoneList(items=await _as_models(svc, await svc.history(user, case)))


async def _written(call: Call, svc: MilestoneService, row: CaseMilestone) -> Milestone:
    case = await svc.get_case(call.principal.user, row.case_id)
    rows = await svc.history(call.principal.user, case)
    return next(m for m in await _as_models(svc, rows) if m.id == row.id)


async def record_milestone(call: Call) -> Milestone:
    body = call.body_as(NewMilestone)
    user = call.principal.user
    async with call.runtime.transaction() as db:
        svc = milestone_service(call, db)
        case = await svc.get_case(user, call.path("caseId"))  # another organisation's case: 404 first
        row = await svc.record(user, case.id, body.as_input(body.kind.value))
        return await _written(call, svc, row)


async def correct_milestone(call: Call) -> Milestone:
    body = call.body_as(MilestoneDetails)
    user = call.principal.user
    async with call.runtime.transaction() as db:
        svc = milestone_service(call, db)
        case = await svc.get_case(user, call.path("caseId"))
        try:  # the kind is the corrected record's (the service reads it from there)
            row = await svc.correct(user, case.id, call.path("milestoneId"), body.as_input(""))
        except ValidationError as exc:
            raise _conflict_or(exc) from None
        return await _written(call, svc, row)


async def withdraw_milestone(call: Call) -> Milestone:
    user = call.principal.user
    async with call.runtime.transaction() as db:
        svc = milestone_service(call, db)
        case = await svc.get_case(user, call.path("caseId"))
        try:
            row = await svc.withdraw(user, case.id, call.path("milestoneId"))
        except ValidationError as exc:
            raise _conflict_or(exc) from None
        return await _written(call, svc, row)


def _conflict_or(exc: ValidationError) -> Exception:
    """A record that cannot change now (corrected already, a later step builds on it, the case has ended) is a
    409: the body names no kind to blame."""
    return ApiProblem(409, exc.errors["kind"]) if "kind" in exc.errors else exc


OPERATIONS = [
    Operation(
        "GET", "/cases/{caseId}/milestones", "listMilestones", "Het verloop van een dossier", list_milestones, TAG,
        scope="cases:read", response=MilestoneList,
        description="Alle vastleggingen in volgorde, ook gecorrigeerde en ingetrokken (inForce: geldt nu).",
    ),
    Operation(
        "POST", "/cases/{caseId}/milestones", "recordMilestone", "Een stap van het verloop vastleggen",
        record_milestone, TAG, scope="cases:write", body=NewMilestone, response=Milestone, status=201,
        description="Dezelfde regels als de pagina: welke rol welke stap vastlegt, de volgorde, de datums, de "
        "bewijsstukken; de status en termijnen van het dossier volgen.",
    ),
    Operation(
        "POST", "/cases/{caseId}/milestones/{milestoneId}/corrections", "correctMilestone",
        "Een vastgelegde stap corrigeren", correct_milestone, TAG, scope="cases:write", body=MilestoneDetails,
        response=Milestone, status=201, extra_statuses=(409,),
        description="Een nieuwe vastlegging van dezelfde soort vervangt de oude; die blijft in de geschiedenis. 409: "
        "deze vastlegging is al gecorrigeerd of ingetrokken, of het dossier is beëindigd.",
    ),
    Operation(
        "POST", "/cases/{caseId}/milestones/{milestoneId}/withdrawal", "withdrawMilestone",
        "Een vastgelegde stap intrekken", withdraw_milestone, TAG, scope="cases:write", response=Milestone,
        status=201, extra_statuses=(409,),
        description="409: een latere stap bouwt erop voort, of de vastlegging is al gecorrigeerd of ingetrokken.",
    ),
]  # fmt: skip
