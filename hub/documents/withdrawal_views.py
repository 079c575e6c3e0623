"""Withdrawing a document: a page that names the document and asks for the reason, and its POST.

Only the uploader's organisation reaches the page; for anybody else the document does not exist (404). The reason
is posted in the body, never put in a URL.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.accounts.authz import Action
from hub.cases.models import CASE_ENDED, Case
from hub.db import transaction
from hub.documents.services import DocumentService
from hub.documents.withdrawal import REASON_FIELD, REASON_MAX, DocumentWithdrawal
from hub.errors import ValidationError
from hub.web.forms import form_values, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render

WITHDRAWN_KEY = "document-ingetrokken"  # the case page's notice (templates/documents/_case_documents.html)


async def _page(
    request: Request, *, errors: dict[str, str] | None = None, reason: str = "", status: int = 200
) -> Response:
    user = user_of(request).user
    rt = runtime(request)
    async with transaction(rt.sessions) as db:
        document = await DocumentWithdrawal(db, rt.keyring).withdrawable(user, request.path_params["document_id"])
        case = await db.get(Case, document.case_id)
        assert case is not None  # a foreign key
        row = DocumentService(db, rt.keyring).row(document, "")
    if case.ended:  # read-only: the page says so instead of showing the form
        errors, status = {}, 409 if status == 200 else status
    return render(
        request,
        "documents/withdraw.html",
        {
            "document": row,
            "case": case,
            "errors": errors or {},
            "reason": reason,
            "reason_max": REASON_MAX,
            "ended": CASE_ENDED if case.ended else "",
        },
        status_code=status,
    )


@login_required(Action.UPLOAD_DOCUMENT)
async def withdraw_page(request: Request) -> Response:
    return await _page(request)


@login_required(Action.UPLOAD_DOCUMENT)
async def withdraw_submit(request: Request) -> Response:
    user = user_of(request).user
    rt = runtime(request)
    form = await form_values(request)
    reason = form.get(REASON_FIELD, "")[: REASON_MAX * 2]
    try:
        async with transaction(rt.sessions) as db:
            document = await DocumentWithdrawal(db, rt.keyring).withdraw(
                user, request.path_params["document_id"], reason
            )
            case_id = document.case_id
    except ValidationError as exc:
        return await _page(request, errors=exc.errors, reason=reason, status=400)
    path = request.app.url_path_for("cases.detail", case_id=case_id)
    return RedirectResponse(f"{path}?gelukt={WITHDRAWN_KEY}#documents-title", status_code=303)


routes = [
    Route("/documenten/{document_id}/intrekken", withdraw_page, methods=["GET"], name="documents.withdraw"),
    Route("/documenten/{document_id}/intrekken", withdraw_submit, methods=["POST"], name="documents.withdraw_submit"),
]
