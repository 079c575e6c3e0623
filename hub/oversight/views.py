"""The Auditlog page and its JSON-lines export (the functionaris gegevensbescherming), and per case *Wie heeft dit
dossier bekeken* (its case workers). URLs carry a dossiernummer, opaque ids, an action word or dates: nothing
personal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from hub.accounts.authz import Action
from hub.accounts.models import User
from hub.audit import actions
from hub.audit.export import as_json, batches
from hub.cases.queries import AmbiguousReference
from hub.cases.records import is_reference_query
from hub.db import transaction
from hub.errors import NotFound
from hub.oversight.services import AuditQuery, OversightService
from hub.terms import AMSTERDAM
from hub.web.forms import date_field, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render

PAGE_SIZE = 50
FILTERS = ("dossiernummer", "gebruiker", "actie", "vanaf", "tot")
NOT_A_REFERENCE = "Vul een dossiernummer in, bijvoorbeeld 2026-483917, of de laatste cijfers ervan."
UNKNOWN_REFERENCE = "Uw organisatie heeft geen dossier met dit nummer."
AMBIGUOUS_REFERENCE = "Dit nummer past bij meer dan één dossier van uw organisatie. Vul het hele dossiernummer in."


def _page_number(request: Request) -> int:
    try:
        return max(1, min(int(request.query_params.get("pagina", "1")), 10_000))
    except ValueError:
        return 1


async def _query(
    request: Request, svc: OversightService, fg: User, colleagues: list[User]
) -> tuple[AuditQuery, dict[str, str], dict[str, str]]:
    """The filters as typed (params), as a query, and the Dutch errors of the ones that are wrong."""
    q = request.query_params
    params = {name: " ".join(q.get(name, "").split())[:40] for name in FILTERS}
    errors: dict[str, str] = {}
    case_id = None
    if typed := params["dossiernummer"]:
        if not is_reference_query(typed):
            errors["dossiernummer"] = NOT_A_REFERENCE
        else:
            try:
                case_id = (await svc.case_by_reference(fg, typed)).id
            except NotFound:
                errors["dossiernummer"] = UNKNOWN_REFERENCE
            except AmbiguousReference:
                errors["dossiernummer"] = AMBIGUOUS_REFERENCE
    if params["gebruiker"] and params["gebruiker"] not in {u.id for u in colleagues}:
        errors["gebruiker"] = "Kies een gebruiker van uw organisatie."
    if params["actie"] and params["actie"] not in actions.ACTIONS:
        errors["actie"] = "Kies een handeling uit de lijst."
    since_day = date_field(params["vanaf"], "vanaf", errors, label="begindatum")
    until_day = date_field(params["tot"], "tot", errors, label="einddatum")
    if since_day and until_day and until_day < since_day:
        errors["tot"] = "De einddatum ligt voor de begindatum."
    query = AuditQuery(
        case_id=case_id,
        user_id=params["gebruiker"] or None,
        action=params["actie"] or None,
        since=datetime.combine(since_day, time(), tzinfo=AMSTERDAM).astimezone(UTC) if since_day else None,
        until=(
            datetime.combine(until_day + timedelta(days=1), time(), tzinfo=AMSTERDAM).astimezone(UTC)
            if until_day
            else None
        ),
    )
    return query, params, errors


def _with(request: Request, route: str, params: dict[str, str], **changes: str) -> str:
    kept = {k: v for k, v in {**params, **changes}.items() if v and not (k == "pagina" and v == "1")}
    return request.app.url_path_for(route) + (f"?{urlencode(kept)}" if kept else "")


@login_required(Action.VIEW_AUDIT_LOG)
async def auditlog_page(request: Request) -> Response:
    fg = user_of(request).user
    page_number = _page_number(request)
    async with transaction(runtime(request).sessions) as db:
        svc = OversightService(db)
        colleagues = await svc.colleagues(fg)
        query, params, errors = await _query(request, svc, fg, colleagues)
        page = None
        if not errors:  # a wrong filter shows nothing (and records nothing), rather than everything
            page = await svc.page(fg, query, limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE)
    return render(
        request,
        "oversight/auditlog.html",
        {
            "page": page,
            "params": params,
            "errors": errors,
            "filtered": query.filtered,
            "user_options": [("", "Iedereen"), *((u.id, u.name + (" (geblokkeerd)" * u.disabled)) for u in colleagues)],
            "action_options": [("", "Alle handelingen"), *actions.ACTIONS.items()],
            "page_number": page_number,
            "previous_url": _with(request, "oversight.auditlog", params, pagina=str(page_number - 1))
            if page_number > 1
            else "",
            "next_url": _with(request, "oversight.auditlog", params, pagina=str(page_number + 1))
            if page is not None and page.has_next
            else "",
            "export_url": _with(request, "oversight.export", params),
            "clear_url": request.app.url_path_for("oversight.auditlog"),
        },
        status_code=400 if errors else 200,
    )


@login_required(Action.VIEW_AUDIT_LOG)
async def auditlog_export(request: Request) -> Response:
    """The filtered records as JSON lines (hub.audit.export), streamed oldest first; recorded before it starts.
    The client address and user agent are left out of other organisations' users' records."""
    fg = user_of(request).user
    rt = runtime(request)
    async with transaction(rt.sessions) as db:
        svc = OversightService(db)
        query, _, errors = await _query(request, svc, fg, await svc.colleagues(fg))
        if not errors:
            where = svc.condition(fg, query)
            await svc.record_export(fg)
    if errors:
        return await auditlog_page(request)  # the page with the errors at its fields; nothing exported
    own = fg.organisation_id

    async def lines() -> AsyncIterator[bytes]:
        async for batch in batches(rt.sessions, where):
            yield "".join(as_json(e, with_origin=e.organisation_id == own) + "\n" for e in batch).encode("ascii")

    stamp = datetime.now(AMSTERDAM).strftime("%Y-%m-%d")
    return StreamingResponse(
        lines(),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="auditlog-{stamp}.jsonl"', "Cache-Control": "no-store"},
    )


@login_required(Action.VIEW_CASES)
async def case_accesses_page(request: Request) -> Response:
    user = user_of(request).user
    page_number = _page_number(request)
    async with transaction(runtime(request).sessions) as db:
        svc = OversightService(db)
        case = await svc.case_for_accesses(user, request.path_params["case_id"])
        page = await svc.case_accesses(user, case, limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE)
    here = request.app.url_path_for("oversight.case_accesses", case_id=case.id)
    previous = "" if page_number == 1 else here if page_number == 2 else f"{here}?pagina={page_number - 1}"
    return render(
        request,
        "oversight/case_accesses.html",
        {
            "case": case,
            "page": page,
            "page_number": page_number,
            "previous_url": previous,
            "next_url": f"{here}?pagina={page_number + 1}" if page.has_next else "",
        },
    )


routes = [
    Route("/auditlog", auditlog_page, methods=["GET"], name="oversight.auditlog"),
    Route("/auditlog/export", auditlog_export, methods=["GET"], name="oversight.export"),
    Route("/dossiers/{case_id}/inzage", case_accesses_page, methods=["GET"], name="oversight.case_accesses"),
]
