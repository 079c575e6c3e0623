"""Cases (dossiers) through the API: the list with the pages' filters and sorts, one case, the look-up by BSN.

The same service calls as the pages (hub.cases.services), so the same scoping, rights and audit records: the list
writes ``case.list`` or ``case.search``, one case ``case.view``, the BSN look-up ``case.search`` of kind ``bsn``. A
BSN is only ever sent in a POST body, never in a URL.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.models import Organisation, User
from hub.api.operations import ID_PATTERN, ApiModel, Call, Operation
from hub.api.paging import PageQuery, decode_cursor, next_link
from hub.api.problems import ApiProblem
from hub.cases.models import BewindKind, Case, CaseStatus
from hub.cases.records import REFERENCE_PATTERN, CaseRow, is_reference_query
from hub.cases.services import CaseService

TAG = "Dossiers"
Sort = Literal["nieuwste", "oudste", "referentie", "naam"]


class Party(ApiModel):
    id: str
    name: str


class CaseSummary(ApiModel):
    id: str
    reference: str = Field(description="Het dossiernummer, bijvoorbeeld 2026-483917.")
    client_name: str | None = Field(description="Naam van de cliënt; null als die niet te ontsleutelen is.")
    partner: Party = Field(description="De andere partij: de gemeente of het bewindvoerderskantoor.")
    bewind_kind: BewindKind
    status: CaseStatus
    beschikking_date: date | None
    bewind_start_date: date | None
    created_at: datetime


class CaseList(ApiModel):
    items: list[CaseSummary]
    next: str | None = Field(description="De volgende pagina; null op de laatste.")


class Client(ApiModel):
    name: str
    bsn: str
    birth_date: date


class Person(ApiModel):
    id: str
    name: str


class CaseDetail(ApiModel):
    id: str
    reference: str
    client: Client
    gemeente: Party
    kantoor: Party
    convenant_id: str
    bewind_kind: BewindKind
    status: CaseStatus
    rechtbank: str
    beschikking_date: date | None
    bewind_start_date: date | None
    bewindvoerder: Person | None
    gemeente_contact: Person | None
    created_at: datetime
    updated_at: datetime


class CaseListQuery(PageQuery):
    status: CaseStatus | None = None
    kind: BewindKind | None = Field(default=None, description="Soort bewind.")
    partner_id: str | None = Field(default=None, pattern=ID_PATTERN, description="Alleen dossiers met deze partij.")
    reference: str | None = Field(
        default=None, pattern=rf"^({REFERENCE_PATTERN})$",
        description="Een dossiernummer of de laatste cijfers ervan (nooit een BSN).",
    )  # fmt: skip
    sort: Sort = "nieuwste"


class BsnSearch(ApiModel):
    bsn: str = Field(max_length=40, description="Het BSN van de cliënt (9 cijfers, elfproef).")


class CaseSearchResult(ApiModel):
    items: list[CaseSummary]


def summary(row: CaseRow) -> CaseSummary:
    return CaseSummary(
        id=row.id, reference=row.reference, client_name=row.client_name,
        partner=Party(id=row.partner_id, name=row.partner_name), bewind_kind=BewindKind(row.bewind_kind),
        status=CaseStatus(row.status), beschikking_date=row.beschikking_date,
        bewind_start_date=row.bewind_start_date, created_at=row.created_at,
    )  # fmt: skip


def _service(call: Call, db: AsyncSession) -> CaseService:
    return CaseService(db, call.runtime.keyring)


async def list_cases(call: Call) -> CaseList:
    q = call.query_as(CaseListQuery)
    if q.reference and not is_reference_query(q.reference.strip()):
        raise ApiProblem(
            400,
            "Zoek op een dossiernummer of de laatste cijfers ervan; op BSN zoekt u met POST /cases/search.",
            invalid={"reference": "Geen dossiernummer."},
        )
    offset = decode_cursor(q.cursor)
    async with call.runtime.transaction() as db:
        rows = await _service(call, db).list_cases(
            call.principal.user, status=q.status, kind=q.kind, partner_id=q.partner_id,
            reference=q.reference.strip() if q.reference else None, sort=q.sort, limit=q.limit + 1, offset=offset,
        )  # fmt: skip
    return CaseList(
        items=[summary(r) for r in rows[: q.limit]],
        next=next_link(call.request, offset=offset, limit=q.limit, fetched=len(rows)),
    )


def _person(user: User | None) -> Person | None:
    return Person(id=user.id, name=user.name) if user is not None else None


def _party(org: Organisation) -> Party:
    return Party(id=org.id, name=org.name)


async def read_case(call: Call) -> CaseDetail:
    async with call.runtime.transaction() as db:
        svc = _service(call, db)
        case: Case = await svc.view_case(call.principal.user, call.path("caseId"))
        return await case_detail(svc, case)


async def case_detail(svc: CaseService, case: Case) -> CaseDetail:
    """The case as ``GET /cases/{caseId}`` shows it (the caller has checked the right to see it)."""
    identity = svc.identity(case)
    details = await svc.details(case)
    return CaseDetail(
        id=case.id, reference=case.reference,
        client=Client(name=identity.name, bsn=identity.bsn, birth_date=identity.birth_date),
        gemeente=_party(details.gemeente), kantoor=_party(details.kantoor), convenant_id=case.convenant_id,
        bewind_kind=BewindKind(case.bewind_kind), status=CaseStatus(case.status), rechtbank=case.rechtbank,
        beschikking_date=case.beschikking_date, bewind_start_date=case.bewind_start_date,
        bewindvoerder=_person(details.bewindvoerder), gemeente_contact=_person(details.gemeente_contact),
        created_at=case.created_at, updated_at=case.updated_at,
    )  # fmt: skip


async def search_by_bsn(call: Call) -> CaseSearchResult:
    body = call.body_as(BsnSearch)
    async with call.runtime.transaction() as db:
        svc = _service(call, db)
        cases = await svc.find_by_bsn(call.principal.user, body.bsn)
        rows = await svc.case_rows(call.principal.user, cases)
    return CaseSearchResult(items=[summary(r) for r in rows])


OPERATIONS = [
    Operation(
        "GET", "/cases", "listCases", "Dossiers van de eigen organisatie", list_cases, TAG,
        scope="cases:read", query=CaseListQuery, response=CaseList,
        description="Met dezelfde filters en sorteringen als de dossierlijst; gepagineerd met een cursor.",
    ),
    Operation(
        "POST", "/cases/search", "searchCasesByBsn", "Dossiers zoeken op BSN", search_by_bsn, TAG,
        scope="cases:read", body=BsnSearch, response=CaseSearchResult,
        description="Het BSN staat in de body, nooit in de URL.",
    ),
    Operation(
        "GET", "/cases/{caseId}", "readCase", "Eén dossier, met de gegevens van de cliënt", read_case, TAG,
        scope="cases:read", response=CaseDetail,
    ),
]  # fmt: skip
