"""The case list, the BSN search, the new-case form and the case page.

URLs carry no personal data: list filters and sort are fixed words or opaque ids, a reference is not personal, and a
BSN is only ever posted (``/dossiers/zoeken``), never put in a URL. Page titles name the reference, never the client
(titles end up in the browser history). Another organisation's case does not exist for the user (404).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.accounts.authz import Action, may
from hub.accounts.models import Organisation, User
from hub.accounts.roles import OrgKind, Role
from hub.accounts.services import OrganisationService
from hub.cases.corrections import correctable_fields
from hub.cases.duplicates import CONFIRM_FIELD, DuplicateCase
from hub.cases.milestone_views import MilestoneForm, failed_form, milestone_service, path_view, read_milestone_form
from hub.cases.models import BewindKind, CaseStatus
from hub.cases.records import REFERENCE_PATTERN, is_reference_query
from hub.cases.services import NAME_SORT_LIMIT, NEW_CASE_FIELDS, RECHTBANKEN, SORTS, CaseService
from hub.cases.visits import is_new, last_visit, record_visit
from hub.db import transaction, utcnow
from hub.documents.forms import upload_context
from hub.documents.services import DocumentService
from hub.errors import ValidationError
from hub.notes.views import NOTE_NOTICES, notes_context
from hub.retention.legal_hold import hold_reason
from hub.web.forms import date_field, form_values, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render

PAGE_SIZE = 50
# A reference, or its last digits (hub.cases.records.REFERENCE_PATTERN). At most 6 digits without the year: a BSN
# (8 or 9 digits) never fits, so one typed into this GET form by mistake is refused by the browser (pattern) and by
# us, and never shown again.

SORT_LABELS = {
    "nieuwste": "Nieuwste eerst",
    "oudste": "Oudste eerst",
    "referentie": "Dossiernummer",
    "naam": "Naam cliënt",
}
STATUS_OPTIONS = [("", "Alle statussen"), *((s.value, s.label) for s in CaseStatus)]
KIND_OPTIONS = [("", "Alle soorten"), *((k.value, k.label) for k in BewindKind)]
CASE_NOTICES = {
    "geopend": "Het dossier is aangemaakt. De gemeente ziet het nu ook.",
    "toegewezen": "De toewijzing is opgeslagen.",
    "stap": "De stap is vastgelegd in het verloop van het dossier.",
    "ingetrokken": "De vastlegging is ingetrokken. Zij blijft zichtbaar in de geschiedenis.",
    "gecorrigeerd": "De correctie is opgeslagen. Hieronder staat wat er is gewijzigd.",
    "bewaren": "Het dossier staat op bewaren: het wordt niet verwijderd zolang dat zo blijft.",
    "bewaren_opgeheven": "Het dossier staat niet (meer) op bewaren.",
}
DATE_FIELDS = {
    "birth_date": "Vul de geboortedatum van de cliënt in.",
    "beschikking_date": "Vul de datum van de benoemingsbeschikking in.",
    "bewind_start_date": "Vul de ingangsdatum van het bewind in.",
}


def case_url(request: Request, case_id: str) -> str:
    return request.app.url_path_for("cases.detail", case_id=case_id)


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _service(request: Request, db: AsyncSession) -> CaseService:
    return CaseService(db, runtime(request).keyring)


# -- the list ----------------------------------------------------------------------------------------------------


def _list_url(request: Request, params: dict[str, str], **changes: str) -> str:
    merged = {**params, **changes}
    kept = {k: v for k, v in merged.items() if v and not (k == "pagina" and v == "1")}
    kept = {k: v for k, v in kept.items() if not (k == "sorteer" and v == SORTS[0])}
    return request.app.url_path_for("cases.list") + (f"?{urlencode(kept)}" if kept else "")


async def _partners(db: AsyncSession, user: User) -> tuple[Organisation, list[Organisation]]:
    orgs = OrganisationService(db)
    own = await orgs.get(user.organisation_id)
    return own, await orgs.partners_of(own)


def partner_label(own: Organisation) -> str:
    return "Bewindvoerderskantoor" if own.org_kind == OrgKind.GEMEENTE else "Gemeente"


@login_required(Action.VIEW_CASES)
async def list_page(request: Request) -> Response:
    user = user_of(request).user
    q = request.query_params
    status = q.get("status", "") if q.get("status", "") in {s.value for s in CaseStatus} else ""
    kind = q.get("soort", "") if q.get("soort", "") in {k.value for k in BewindKind} else ""
    sort = q.get("sorteer", "") if q.get("sorteer", "") in SORTS else SORTS[0]
    raw_reference = q.get("referentie", "").strip()[:40]
    errors: dict[str, str] = {}
    reference = ""
    if raw_reference:
        if is_reference_query(raw_reference):
            reference = raw_reference
        else:
            errors["referentie"] = (
                "Vul een dossiernummer in, bijvoorbeeld 2026-483917, of de laatste cijfers ervan. Zoekt u op BSN? "
                "Gebruik dan het formulier Zoeken op BSN."
            )
    try:
        page_number = max(1, min(int(q.get("pagina", "1")), 10_000))
    except ValueError:
        page_number = 1
    async with transaction(runtime(request).sessions) as db:
        own, partners = await _partners(db, user)
        partner = q.get("partner", "")
        if partner not in {p.id for p in partners}:
            partner = ""
        svc = _service(request, db)
        filters: dict[str, Any] = {
            "status": status or None,
            "kind": kind or None,
            "partner_id": partner or None,
            "reference": reference or None,
        }
        total = await svc.count_cases(user, **filters)
        rows = await svc.list_cases(
            user, **filters, sort=sort, limit=PAGE_SIZE + 1, offset=(page_number - 1) * PAGE_SIZE
        )
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    params = {"status": status, "soort": kind, "partner": partner, "referentie": reference, "sorteer": sort}
    return render(
        request,
        "cases/list.html",
        {
            "rows": rows,
            "total": total,
            "own": own,
            "partner_label": partner_label(own),
            "filters": params,
            "errors": errors,
            "raw_reference": reference,  # what was refused is not shown again (it may be a BSN typed by mistake)
            "reference_pattern": REFERENCE_PATTERN,
            "filtered": any(params[k] for k in ("status", "soort", "partner", "referentie")),
            "status_options": STATUS_OPTIONS,
            "kind_options": KIND_OPTIONS,
            "partner_options": [("", "Alle"), *((p.id, p.name) for p in partners)],
            "sort_options": list(SORT_LABELS.items()),
            "sort_label": SORT_LABELS[sort],
            "name_sort_capped": sort == "naam" and total > NAME_SORT_LIMIT,
            "name_sort_limit": NAME_SORT_LIMIT,
            "page_number": page_number,
            "previous_url": _list_url(request, params, pagina=str(page_number - 1)) if page_number > 1 else "",
            "next_url": _list_url(request, params, pagina=str(page_number + 1)) if has_next else "",
            "clear_url": request.app.url_path_for("cases.list"),
            "may_open": may(user, Action.OPEN_CASE),
        },
    )


@login_required(Action.VIEW_CASES)
async def bsn_search(request: Request) -> Response:
    """A BSN is posted, never put in a URL; the results are shown directly (no redirect carrying it)."""
    user = user_of(request).user
    form = await form_values(request)
    raw = form.get("bsn", "")[:40]
    async with transaction(runtime(request).sessions) as db:
        own, _ = await _partners(db, user)
        svc = _service(request, db)
        try:
            cases = await svc.find_by_bsn(user, raw)
        except ValidationError as exc:
            return render(
                request,
                "cases/search.html",
                {"errors": exc.errors, "values": {"bsn": raw}, "rows": None, "partner_label": partner_label(own)},
                status_code=400,
            )
        rows = await svc.case_rows(user, cases)
    return render(
        request,
        "cases/search.html",
        {"rows": rows, "partner_label": partner_label(own), "searched": True},
    )


# -- a new case ----------------------------------------------------------------------------------------------------


async def _new_page(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    duplicate: DuplicateCase | None = None,
    status: int = 200,
) -> Response:
    user = user_of(request).user
    async with transaction(runtime(request).sessions) as db:
        svc = _service(request, db)
        convenants = await svc.active_convenants(user)
        bewindvoerders = await svc.bewindvoerders(user.organisation_id)
    names = [g.name for _, g in convenants]
    convenant_options = [
        (c.id, g.name if names.count(g.name) == 1 else f"{g.name} (convenant vanaf {c.start_date:%d-%m-%Y})")
        for c, g in convenants
    ]
    if values is None:
        values = {"bewindvoerder_id": user.id if user.has_role(Role.BEWINDVOERDER) else ""}
        if len(convenant_options) == 1:
            values["convenant_id"] = convenant_options[0][0]
    return render(
        request,
        "cases/new.html",
        {
            "values": values,
            "errors": errors or {},
            "convenant_options": convenant_options,
            "bewindvoerder_options": [(u.id, u.name) for u in bewindvoerders],
            "kind_options": [(k.value, k.label) for k in BewindKind],
            "rechtbank_options": [(r, r) for r in RECHTBANKEN],
            "duplicate": duplicate,
        },
        status_code=status,
    )


@login_required(Action.OPEN_CASE)
async def new_page(request: Request) -> Response:
    return await _new_page(request)


@login_required(Action.OPEN_CASE)
async def new_submit(request: Request) -> Response:
    user = user_of(request).user
    form = await form_values(request)
    values = {k: form.get(k, "") for k in NEW_CASE_FIELDS}
    errors: dict[str, str] = {}
    # An empty date is None without a message here: the service says which one to fill in.
    days = {field: date_field(values[field], field, errors) for field in DATE_FIELDS}
    for field, day in days.items():
        if day is not None:
            values[field] = day.isoformat()  # what a date input shows again
    try:
        async with transaction(runtime(request).sessions) as db:
            case = await _service(request, db).open_case(
                user,
                convenant_id=values["convenant_id"],
                client_name=values["client_name"],
                bsn=values["bsn"],
                birth_date=days["birth_date"],
                bewind_kind=values["bewind_kind"],
                beschikking_date=days["beschikking_date"],
                bewind_start_date=days["bewind_start_date"],
                rechtbank=values["rechtbank"],
                bewindvoerder_id=values["bewindvoerder_id"] or None,
                confirm_duplicate=values[CONFIRM_FIELD] == "ja",
            )
            if errors:  # cannot happen (an unreadable date is None, which the service refuses); never keep it
                raise ValidationError(errors)
    except ValidationError as exc:
        merged = {**exc.errors, **errors}  # "not a valid date" says more than "fill in the date"
        ordered = {k: merged[k] for k in NEW_CASE_FIELDS if k in merged}
        ordered.update({k: v for k, v in merged.items() if k not in ordered})
        duplicate = exc if isinstance(exc, DuplicateCase) else None
        return await _new_page(request, values=values, errors=ordered, duplicate=duplicate, status=400)
    return _redirect(case_url(request, case.id) + "?gelukt=geopend")


# -- the case page ----------------------------------------------------------------------------------------------


async def _case_page(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    failed: MilestoneForm | None = None,
    status: int = 200,
) -> Response:
    user = user_of(request).user
    rt = runtime(request)
    async with transaction(rt.sessions) as db:
        svc = _service(request, db)
        case = await svc.view_case(user, request.path_params["case_id"])
        identity = svc.identity(case)
        details = await svc.details(case)
        assignable = await svc.assignable(user, case)
        documents = await DocumentService(db, rt.keyring).list_for_case(user, case)
        # A plain visit moves the user's "last seen"; the page marks what is new since the visit before.
        if request.method == "GET":
            since = await record_visit(db, user.id, case.id, utcnow())
        else:
            since = await last_visit(db, user.id, case.id)
        new_ids = frozenset(d.id for d in documents if is_new(d.uploaded_at, d.uploader_id, user.id, since))
        milestones = milestone_service(request, db)
        path = await path_view(request, milestones, user, case, documents, failed=failed, new_ids=new_ids)
        corrections = await svc.history(user, case)
        notes = await notes_context(request, db, user, case)
    hold = hold_reason(rt.keyring, case)
    own_side_is_kantoor = user.organisation_id == case.kantoor_id
    assigned_id = case.bewindvoerder_id if own_side_is_kantoor else case.gemeente_contact_id
    errors = {**(errors or {}), **path.errors}
    notice = "" if errors else {**CASE_NOTICES, **NOTE_NOTICES}.get(request.query_params.get("gelukt", ""), "")
    return render(
        request,
        "cases/case.html",
        {
            "case": case,
            "details": details,
            "identity": identity,
            "documents": documents,
            "new_documents": new_ids,
            **upload_context(rt.settings, may_upload=may(user, Action.UPLOAD_DOCUMENT) and not case.ended),
            "may_message": may(user, Action.POST_MESSAGE),
            "assign_label": "Bewindvoerder wijzigen" if own_side_is_kantoor else "Contactpersoon gemeente wijzigen",
            "assign_options": [("", "Niemand"), *((u.id, u.name) for u in assignable)],
            "assigned_id": assigned_id or "",
            "errors": errors,
            "notice": notice,
            "verloop": path,
            "corrections": corrections,
            "may_correct": bool(correctable_fields(user, case)),
            "hold_reason": hold,
            **notes,
        },
        status_code=status,
    )


@login_required(Action.VIEW_CASES)
async def case_page(request: Request) -> Response:
    return await _case_page(request)


@login_required(Action.VIEW_CASES)
async def case_assign(request: Request) -> Response:
    user = user_of(request).user
    form = await form_values(request)
    case_id = request.path_params["case_id"]
    try:
        async with transaction(runtime(request).sessions) as db:
            svc = _service(request, db)
            case = await svc.get_case(user, case_id)
            await svc.update_assignment(user, case, person_id=form.get("person_id", "") or None)
    except ValidationError as exc:
        return await _case_page(request, errors=exc.errors, status=400)
    return _redirect(case_url(request, case_id) + "?gelukt=toegewezen")


@login_required(Action.VIEW_CASES)
async def milestone_submit(request: Request) -> Response:
    """Record a step of the case's path, or (with ``supersedes``) correct one; errors come back on the case page."""
    user = user_of(request).user
    case_id = request.path_params["case_id"]
    values, data, errors = await read_milestone_form(request)
    try:
        async with transaction(runtime(request).sessions) as db:
            svc = milestone_service(request, db)
            if values["supersedes"]:
                await svc.correct(user, case_id, values["supersedes"], data)
            else:
                await svc.record(user, case_id, data)
            if errors:  # cannot happen (an unreadable date is None, which the service refuses); never keep it
                raise ValidationError(errors)
    except ValidationError as exc:
        merged = {**exc.errors, **errors}  # "not a valid date" says more than "fill in the date"
        failed = failed_form(values, merged)
        if failed is None:
            return await _case_page(request, errors={"verloop": "Kies een stap uit het verloop."}, status=400)
        return await _case_page(request, failed=failed, status=400)
    return _redirect(case_url(request, case_id) + "?gelukt=stap#verloop")


@login_required(Action.VIEW_CASES)
async def milestone_withdraw(request: Request) -> Response:
    """Withdraw a recorded step (it stays in the history); refused while a later step builds on it."""
    user = user_of(request).user
    case_id = request.path_params["case_id"]
    try:
        async with transaction(runtime(request).sessions) as db:
            await milestone_service(request, db).withdraw(user, case_id, request.path_params["milestone_id"])
    except ValidationError as exc:
        return await _case_page(request, errors={"verloop": next(iter(exc.errors.values()))}, status=400)
    return _redirect(case_url(request, case_id) + "?gelukt=ingetrokken#verloop")


routes = [
    Route("/dossiers", list_page, methods=["GET"], name="cases.list"),
    Route("/dossiers/zoeken", bsn_search, methods=["POST"], name="cases.search"),
    Route("/dossiers/nieuw", new_page, methods=["GET"], name="cases.new"),
    Route("/dossiers/nieuw", new_submit, methods=["POST"], name="cases.create"),
    Route("/dossiers/{case_id}", case_page, methods=["GET"], name="cases.detail"),
    Route("/dossiers/{case_id}/toewijzen", case_assign, methods=["POST"], name="cases.assign"),
    Route("/dossiers/{case_id}/verloop", milestone_submit, methods=["POST"], name="cases.milestone"),
    Route(
        "/dossiers/{case_id}/verloop/{milestone_id}/intrekken",
        milestone_withdraw,
        methods=["POST"],
        name="cases.milestone_withdraw",
    ),
]
