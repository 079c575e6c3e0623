"""The legal hold and the client's export (AVG art. 15), reached from the case page's section *Bewaren en inzage*.

- ``GET/POST /dossiers/{id}/bewaren``: a page with the reason's field; placing the hold (hub.retention.legal_hold);
- ``POST /dossiers/{id}/bewaren/opheffen``: lifting it (a button on the case page);
- ``POST /dossiers/{id}/inzage-export``: the ZIP with everything about the client, streamed (POST: a form with its
  CSRF token, nothing personal in the URL; the file is named by the dossiernummer).

Another organisation's case does not exist for the user (404), like every case page.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from hub.accounts.authz import Action
from hub.cases.services import CaseService
from hub.db import transaction, utcnow
from hub.documents.components import blobs_of
from hub.errors import ValidationError
from hub.retention.export_zip import export_zip
from hub.retention.legal_hold import REASON_FIELD, REASON_MAX, lift_hold, place_hold
from hub.retention.subject_export import gather
from hub.web.forms import form_values, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render, templates

HELD_KEY = "bewaren"  # the case page's notices (hub.cases.views.CASE_NOTICES)
LIFTED_KEY = "bewaren_opgeheven"


def _back(request: Request, case_id: str, key: str) -> Response:
    path = request.app.url_path_for("cases.detail", case_id=case_id)
    return RedirectResponse(f"{path}?gelukt={key}#bewaren-title", status_code=303)


async def _hold_page(
    request: Request, *, reason: str = "", errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    user = user_of(request).user
    async with transaction(runtime(request).sessions) as db:
        case = await CaseService(db, runtime(request).keyring).get_case(user, request.path_params["case_id"])
    context = {"case": case, "reason": reason, "errors": errors or {}, "field": REASON_FIELD, "max": REASON_MAX}
    return render(request, "retention/hold.html", context, status_code=status)


@login_required(Action.VIEW_CASES)
async def hold_page(request: Request) -> Response:
    return await _hold_page(request)


@login_required(Action.VIEW_CASES)
async def hold_submit(request: Request) -> Response:
    user = user_of(request).user
    case_id = request.path_params["case_id"]
    reason = (await form_values(request)).get(REASON_FIELD, "")
    try:
        async with transaction(runtime(request).sessions) as db:
            await place_hold(db, runtime(request).keyring, user, case_id, reason)
    except ValidationError as exc:
        return await _hold_page(request, reason=reason, errors=exc.errors, status=400)
    return _back(request, case_id, HELD_KEY)


@login_required(Action.VIEW_CASES)
async def hold_lift(request: Request) -> Response:
    user = user_of(request).user
    case_id = request.path_params["case_id"]
    try:
        async with transaction(runtime(request).sessions) as db:
            await lift_hold(db, user, case_id)
    except ValidationError:
        pass  # lifted already (a second click, or a colleague): the case page shows how it stands
    return _back(request, case_id, LIFTED_KEY)


@login_required(Action.VIEW_CASES)
async def subject_export(request: Request) -> Response:
    """Gathered and audited in one short transaction; the ZIP is streamed afterwards, with no connection held."""
    user = user_of(request).user
    rt = runtime(request)
    await form_values(request)  # the CSRF check has read the form; nothing else is posted
    async with transaction(rt.sessions) as db:
        export = await gather(db, rt.keyring, user, request.path_params["case_id"], utcnow())
    index = templates.env.get_template("retention/export_index.html").render(export=export)
    headers = {
        "Content-Disposition": f'attachment; filename="inzage-{export.reference}.zip"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return StreamingResponse(
        export_zip(index, export.documents, blobs_of(rt)), media_type="application/zip", headers=headers
    )


routes = [
    Route("/dossiers/{case_id}/bewaren", hold_page, methods=["GET"], name="cases.hold"),
    Route("/dossiers/{case_id}/bewaren", hold_submit, methods=["POST"], name="cases.hold_submit"),
    Route("/dossiers/{case_id}/bewaren/opheffen", hold_lift, methods=["POST"], name="cases.hold_lift"),
    Route("/dossiers/{case_id}/inzage-export", subject_export, methods=["POST"], name="cases.subject_export"),
]
