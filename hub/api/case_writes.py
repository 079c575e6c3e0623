"""Opening and correcting cases through the API, and the convenants a case is opened under.

The same services as the pages: :meth:`CaseOpening.open_case` (audit ``case.open``) and
:meth:`CaseCorrections.correct_case` (one ``case_correction`` row per changed field, audit ``case.correct``), with
their rights, checks and duplicate-BSN rule. A correction is its own resource (``POST /cases/{caseId}/corrections``),
not a ``PATCH`` of the case: it is a recorded fact with an author, a moment and a reason, kept in the case's history
(``GET /cases/{caseId}/corrections``), and the beschikking's dates are corrected as milestones instead.

The duplicate rule: another running case for the BSN on the same convenant is refused (400 on ``bsn``); one on
another convenant of the same gemeente that the caller's organisation is party to is a 409 until the call is sent
again with ``confirmDuplicate: true`` (where the page asks the user to tick that they know).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field
from starlette.responses import JSONResponse

from hub.accounts.authz import Action, require
from hub.accounts.organisations import ConvenantService
from hub.api import API_PREFIX
from hub.api.cases import TAG, CaseDetail, Party, case_detail
from hub.api.operations import ID_PATTERN, ApiModel, Call, Operation, dump
from hub.api.problems import ApiProblem
from hub.cases.corrections import ENDED, FORM_FIELD, HistoryEntry, Value
from hub.cases.duplicates import CONFIRM_FIELD, DuplicateCase
from hub.cases.models import BewindKind
from hub.cases.records import kind_label, local_today
from hub.cases.services import CaseService
from hub.errors import ValidationError

CONFIRM_NEEDED = (
    "Er is al een dossier voor dit BSN bij deze gemeente, onder een ander convenant: {reference}. Stuur het verzoek "
    "opnieuw met confirmDuplicate: true als u toch wilt doorgaan."
)


class Convenant(ApiModel):
    id: str
    gemeente: Party
    kantoor: Party
    start_date: date
    end_date: date | None
    status: str = Field(description="concept, actief of beeindigd.")
    active: bool = Field(description="Vandaag actief: nieuwe dossiers en algemene vragen kunnen eronder.")


class ConvenantList(ApiModel):
    items: list[Convenant]


class NewCase(ApiModel):
    convenant_id: str = Field(pattern=ID_PATTERN, description="Een actief convenant van het eigen kantoor.")
    client_name: str = Field(max_length=200)
    bsn: str = Field(max_length=40, description="9 cijfers, elfproef.")
    birth_date: date
    bewind_kind: BewindKind
    beschikking_date: date | None = Field(default=None, description="Beide datums leeg: de rechter besliste nog niet.")
    bewind_start_date: date | None = None
    rechtbank: str = Field(max_length=100)
    bewindvoerder_id: str | None = Field(default=None, pattern=ID_PATTERN)
    confirm_duplicate: bool = Field(default=False, description="Na een 409: u weet van het andere dossier.")


class CaseCorrectionRequest(ApiModel):
    """Only the fields given are corrected (a gemeente corrects the client's identity only)."""

    client_name: str | None = Field(default=None, max_length=200)
    bsn: str | None = Field(default=None, max_length=40)
    birth_date: date | None = None
    bewind_kind: BewindKind | None = None
    rechtbank: str | None = Field(default=None, max_length=100)
    reason: str = Field(default="", max_length=1000, description="Toelichting (optioneel).")
    confirm_duplicate: bool = False


class FieldChange(ApiModel):
    field: str = Field(description="clientName, bsn, birthDate, bewindKind, rechtbank of bewindvoerderId.")
    old_value: str
    new_value: str


class CorrectionEntry(ApiModel):
    corrected_at: datetime
    corrected_by: str
    organisation: str
    changes: list[FieldChange]
    reason: str


class CorrectionHistory(ApiModel):
    items: list[CorrectionEntry]


_API_FIELDS = {"client_name": "clientName", "birth_date": "birthDate", "bewind_kind": "bewindKind",
               "bewindvoerder_id": "bewindvoerderId"}  # fmt: skip
_KINDS_BY_LABEL = {kind_label(k.value): k.value for k in BewindKind}


def _text(field: str, value: str | date) -> str:
    """A value as the API writes it: a date as yyyy-mm-dd, a kind of bewind by its code (the history shows labels)."""
    if isinstance(value, date):
        return value.isoformat()
    return _KINDS_BY_LABEL.get(value, value) if field == "bewind_kind" else value


def duplicate_problem(exc: DuplicateCase) -> ApiProblem | None:
    """The 409 for a duplicate the caller may confirm, when it is the only problem; None otherwise (a 400)."""
    if exc.confirmable and set(exc.errors) == {CONFIRM_FIELD}:
        text = CONFIRM_NEEDED.format(reference=exc.reference)
        return ApiProblem(409, text, invalid={"confirmDuplicate": text})
    return None


async def list_convenants(call: Call) -> ConvenantList:
    user = call.principal.user
    require(user, Action.VIEW_CASES)  # the case workers, who open cases and ask questions under them
    today = local_today()
    async with call.runtime.transaction() as db:
        rows = await ConvenantService(db).for_organisation(user.organisation_id)
    return ConvenantList(
        items=[
            Convenant(
                id=c.id,
                gemeente=Party(id=g.id, name=g.name),
                kantoor=Party(id=k.id, name=k.name),
                start_date=c.start_date,
                end_date=c.end_date,
                status=c.status,
                active=c.is_active_on(today),
            )
            for c, g, k in rows
        ]
    )


async def open_case(call: Call) -> JSONResponse:
    body = call.body_as(NewCase)
    try:
        async with call.runtime.transaction() as db:
            svc = CaseService(db, call.runtime.keyring)
            case = await svc.open_case(
                call.principal.user, convenant_id=body.convenant_id, client_name=body.client_name, bsn=body.bsn,
                birth_date=body.birth_date, bewind_kind=body.bewind_kind.value,
                beschikking_date=body.beschikking_date, bewind_start_date=body.bewind_start_date,
                rechtbank=body.rechtbank, bewindvoerder_id=body.bewindvoerder_id,
                confirm_duplicate=body.confirm_duplicate,
            )  # fmt: skip
            detail: CaseDetail = await case_detail(svc, case)
    except DuplicateCase as exc:
        raise duplicate_problem(exc) or exc from None
    location = f"{call.runtime.settings.base_url}{API_PREFIX}/cases/{case.id}"
    return JSONResponse(dump(detail), status_code=201, headers={"Location": location})


async def correct_case(call: Call) -> CorrectionEntry:
    body = call.body_as(CaseCorrectionRequest)
    user = call.principal.user
    given = body.model_dump(exclude_none=True, exclude={"reason", "confirm_duplicate"})
    changes: dict[str, Value] = {k: v.value if isinstance(v, BewindKind) else v for k, v in given.items()}
    try:
        async with call.runtime.transaction() as db:
            svc = CaseService(db, call.runtime.keyring)
            case = await svc.get_case(user, call.path("caseId"))  # another organisation's case: 404 first
            written = await svc.correct_case(
                user, case.id, changes, reason=body.reason, confirm_duplicate=body.confirm_duplicate
            )
            at = written[0].corrected_at
            entry = next(e for e in await svc.history(user, case) if (e.at, e.by_id) == (at, user.id))
    except DuplicateCase as exc:
        raise duplicate_problem(exc) or exc from None
    except ValidationError as exc:
        raise _form_problem(exc) from None
    return _entry(entry)


def _form_problem(exc: ValidationError) -> Exception:
    """The correction form's own message: an ended case is a 409; "nothing changed" concerns the whole body."""
    problem = exc.errors.get(FORM_FIELD)
    if problem == ENDED:
        return ApiProblem(409, problem)
    if problem is not None:
        return ValidationError({**{k: v for k, v in exc.errors.items() if k != FORM_FIELD}, "body": problem})
    return exc


def _entry(entry: HistoryEntry) -> CorrectionEntry:
    return CorrectionEntry(
        corrected_at=entry.at, corrected_by=entry.by, organisation=entry.organisation, reason=entry.reason,
        changes=[FieldChange(field=_API_FIELDS.get(c.field, c.field), old_value=_text(c.field, c.old),
                             new_value=_text(c.field, c.new)) for c in entry.changes],
    )  # fmt: skip


async def list_corrections(call: Call) -> CorrectionHistory:
    user = call.principal.user
    async with call.runtime.transaction() as db:
        svc = CaseService(db, call.runtime.keyring)
        case = await svc.view_case(user, call.path("caseId"))  # the history holds the client's data: case.view
        entries = await svc.history(user, case)
    return CorrectionHistory(items=[_entry(e) for e in entries])


OPERATIONS = [
    Operation(
        "GET", "/convenants", "listConvenants", "De convenanten van de eigen organisatie", list_convenants, TAG,
        scope="cases:read", response=ConvenantList,
        description="Met of het convenant vandaag actief is: een dossier wordt geopend onder een actief convenant.",
    ),
    Operation(
        "POST", "/cases", "openCase", "Een dossier openen", open_case, TAG,
        scope="cases:write", body=NewCase, response=CaseDetail, status=201, extra_statuses=(404, 409),
        description="Door een bewindvoerder of kantoorbeheerder, onder een actief convenant van het eigen kantoor, "
        "met dezelfde controles als de pagina. 409: er loopt een dossier voor dit BSN onder een ander convenant "
        "met dezelfde gemeente; stuur het opnieuw met confirmDuplicate: true. Antwoordt met Location.",
    ),
    Operation(
        "GET", "/cases/{caseId}/corrections", "listCaseCorrections", "De correcties van een dossier", list_corrections,
        TAG, scope="cases:read", response=CorrectionHistory, description="Nieuwste eerst, per persoon en moment.",
    ),
    Operation(
        "POST", "/cases/{caseId}/corrections", "correctCase", "Gegevens van een dossier corrigeren", correct_case, TAG,
        scope="cases:write", body=CaseCorrectionRequest, response=CorrectionEntry, status=201, extra_statuses=(409,),
        description="Het kantoor corrigeert alle velden, de gemeente de identiteit van de cliënt (naam, BSN, "
        "geboortedatum); de datums van de beschikking zijn een stap van het verloop (milestones). Alleen gewijzigde "
        "velden worden vastgelegd, met de oude en nieuwe waarde en de toelichting. 409: het dossier is beëindigd, of "
        "het BSN heeft een ander dossier onder een ander convenant (bevestig met confirmDuplicate).",
    ),
]  # fmt: skip
