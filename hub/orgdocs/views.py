"""Pages of the organisation documents: the *Kwaliteitsdocumenten* page (a kantoor's own §3 documents with the upload
form; for a contractmanager those of every partner kantoor), and the download and withdrawal of any organisation
document (the signed convenant is uploaded on the convenant page, hub.accounts.views.convenants).

Rights are the service's (hub.orgdocs.services): another organisation's document answers 404.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

from sqlmodel import col
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.accounts.authz import Action, may
from hub.db import transaction
from hub.documents.components import blobs_of
from hub.documents.errors import DocumentWithdrawn
from hub.documents.forms import Refusal, parse_document_date
from hub.documents.models import FIELD_DATE, FIELD_TYPE, Document
from hub.documents.services import DocumentUnavailable
from hub.documents.sniff import ACCEPT_ATTRIBUTE
from hub.documents.views import download_response
from hub.documents.withdrawal import REASON_FIELD, REASON_MAX
from hub.errors import ValidationError
from hub.orgdocs.models import QUALITY_KINDS, OrgDocKind
from hub.orgdocs.quality import quality_overview
from hub.orgdocs.services import FIELD_VALID_UNTIL, BadValidUntil, OrgDocumentService, parse_quality_kind
from hub.orgdocs.upload_views import receive
from hub.web.forms import BadDate, form_values, parse_date, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render, render_error

# For hub.app.UPLOAD_ROUTES: the CSRF middleware lets this multipart body through (the token is checked in-stream).
UPLOAD_ROUTE = "orgdocs.quality_upload"
NOTICES = {
    "document": "Het document is opgeslagen en versleuteld bewaard.",
    "document-gescand": "Het document is opgeslagen, op virussen gecontroleerd en versleuteld bewaard.",
    "document-ingetrokken": "Het document is ingetrokken. Het kan niet meer worden gedownload.",
}
WITHDRAWN = (
    "Dit document is ingetrokken door de organisatie die het heeft toegevoegd en kan niet meer worden gedownload."
)
BAD_VALID_UNTIL = "Vul de laatste geldige dag in als dag-maand-jaar, bijvoorbeeld 31-12-2027."


async def _quality_page(
    request: Request, *, refusal: Refusal | None = None, values: dict[str, str] | None = None
) -> Response:
    user = user_of(request).user
    rt = runtime(request)
    async with transaction(rt.sessions) as db:
        overview = await quality_overview(
            OrgDocumentService(db, rt.keyring), user, decharge_months=rt.settings.decharge_months
        )
    own = [q for q in overview if q.kantoor.id == user.organisation_id]
    return render(
        request,
        "orgdocs/quality.html",
        {
            "overview": overview,
            "own": own[0] if own else None,
            "may_upload": bool(own) and may(user, Action.UPLOAD_QUALITY_DOCUMENT),
            "kinds": [(k.value, k.label) for k in QUALITY_KINDS],
            "decharge_months": rt.settings.decharge_months,
            "errors": {refusal.field: refusal.message} if refusal else {},
            "values": values or {},
            "notice": "" if refusal else NOTICES.get(request.query_params.get("gelukt", ""), ""),
            "accept_extensions": ACCEPT_ATTRIBUTE,
            "max_upload_mb": rt.settings.max_upload_bytes // (1024 * 1024),
            "scanning": rt.settings.scanning,
        },
        status_code=refusal.status if refusal else 200,
    )


@login_required(Action.VIEW_QUALITY_DOCUMENTS)
async def quality_page(request: Request) -> Response:
    return await _quality_page(request)


def _valid_until(raw: str, kind: OrgDocKind) -> date | None:
    """The form's last valid day (only a kwaliteitsverklaring has one; the service requires it): BadValidUntil for
    one that is no date."""
    if kind != OrgDocKind.KWALITEITSVERKLARING or not raw.strip():
        return None
    try:
        return parse_date(raw)
    except BadDate:
        raise BadValidUntil(BAD_VALID_UNTIL) from None


@login_required(Action.UPLOAD_QUALITY_DOCUMENT)
async def quality_upload(request: Request) -> Response:
    user = user_of(request).user
    rt = runtime(request)
    async with rt.sessions() as db:  # who may post here is decided before a byte of the body is read
        await OrgDocumentService(db, rt.keyring).kantoor_for_upload(user)

    async def store(
        service: OrgDocumentService, fields: dict[str, str], filename: str, chunks: AsyncIterator[bytes], limit: int
    ) -> Document:
        kind = parse_quality_kind(fields.get(FIELD_TYPE, ""))
        day = parse_document_date(fields.get(FIELD_DATE, ""))
        valid_until = _valid_until(fields.get(FIELD_VALID_UNTIL, ""), kind)
        kantoor = await service.kantoor_for_upload(user)
        await service.db.commit()  # no connection is held while the file streams in
        return await service.store_quality(
            user,
            kantoor,
            kind=kind,
            document_date=day,
            valid_until=valid_until,
            filename=filename,
            chunks=chunks,
            max_bytes=limit,
        )

    async def refused(refusal: Refusal, values: dict[str, str]) -> Response:
        return await _quality_page(request, refusal=refusal, values=values)

    outcome = await receive(request, (FIELD_TYPE, FIELD_DATE, FIELD_VALID_UNTIL), store, refused)
    if isinstance(outcome, Response):
        return outcome
    key = "document-gescand" if outcome else "document"
    return RedirectResponse(request.app.url_path_for("orgdocs.quality") + f"?gelukt={key}", status_code=303)


@login_required()
async def download(request: Request) -> Response:
    """The signed convenant or a quality document, for whoever the service allows (404 for anybody else)."""
    user = user_of(request).user
    rt = runtime(request)
    blobs = blobs_of(rt)
    document_id = request.path_params["document_id"]
    try:
        async with rt.sessions() as db:
            service = OrgDocumentService(db, rt.keyring, blobs)
            prepared = await service.prepare_download(user, document_id)
        # Streamed with the session closed and verified chunk by chunk, as a case document (hub.documents.download).
        stream = service.vault.stream(prepared)
        await stream.start()
        try:
            async with rt.sessions() as db:
                await OrgDocumentService(db, rt.keyring, blobs).record_download(user, prepared.document)
                await db.commit()
        except BaseException:
            await stream.close()
            raise
    except DocumentUnavailable:
        return render_error(request.scope, 500, "Document niet beschikbaar", DocumentUnavailable.message)
    except DocumentWithdrawn:
        return render_error(request.scope, 410, "Document ingetrokken", WITHDRAWN)
    return download_response(prepared, stream)


async def _withdraw_page(
    request: Request, *, errors: dict[str, str] | None = None, reason: str = "", status: int = 200
) -> Response:
    user = user_of(request).user
    rt = runtime(request)
    async with transaction(rt.sessions) as db:
        service = OrgDocumentService(db, rt.keyring)
        document, link = await service.withdrawable(user, request.path_params["document_id"])
        entry = (await service.rows(user, col(Document.id) == document.id))[0]
    back = "accounts.convenants" if link.convenant_id is not None else "orgdocs.quality"
    return render(
        request,
        "orgdocs/withdraw.html",
        {"entry": entry, "back": back, "errors": errors or {}, "reason": reason, "reason_max": REASON_MAX},
        status_code=status,
    )


@login_required()
async def withdraw_page(request: Request) -> Response:
    return await _withdraw_page(request)


@login_required()
async def withdraw_submit(request: Request) -> Response:
    user = user_of(request).user
    rt = runtime(request)
    form = await form_values(request)
    reason = form.get(REASON_FIELD, "")[: REASON_MAX * 2]
    try:
        async with transaction(rt.sessions) as db:
            service = OrgDocumentService(db, rt.keyring)
            _, link = await service.withdraw(user, request.path_params["document_id"], reason)
            back = "orgdocs.quality" if link.convenant_id is None else "accounts.convenants"
    except ValidationError as exc:
        return await _withdraw_page(request, errors=exc.errors, reason=reason, status=400)
    return RedirectResponse(request.app.url_path_for(back) + "?gelukt=document-ingetrokken", status_code=303)


routes = [
    Route("/kwaliteitsdocumenten", quality_page, methods=["GET"], name="orgdocs.quality"),
    Route("/kwaliteitsdocumenten", quality_upload, methods=["POST"], name=UPLOAD_ROUTE),
    Route("/organisatiedocumenten/{document_id}/downloaden", download, methods=["GET"], name="orgdocs.download"),
    Route("/organisatiedocumenten/{document_id}/intrekken", withdraw_page, methods=["GET"], name="orgdocs.withdraw"),
    Route(
        "/organisatiedocumenten/{document_id}/intrekken",
        withdraw_submit,
        methods=["POST"],
        name="orgdocs.withdraw_submit",
    ),
]
