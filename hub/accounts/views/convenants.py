"""The read-only view of an organisation's own convenants (the gemeente's contractmanager, the kantoor's
kantoorbeheerder): the parties and their contact details, the dates and status, the terms of the convenant that apply
(hub.terms.catalogue), and the signed convenant (hub.orgdocs), which the gemeente's contractmanager uploads here. The
functioneel beheerder keeps the convenants themselves (organisations.py); nobody else reads another organisation's
convenant."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.accounts.authz import Action, may
from hub.accounts.organisations import ConvenantService, OrganisationService
from hub.accounts.roles import OrgKind
from hub.accounts.views.organisations import CONVENANT_STATUS_LABELS
from hub.db import transaction
from hub.documents.forms import Refusal, parse_document_date
from hub.documents.models import FIELD_DATE, Document
from hub.documents.sniff import PDF
from hub.orgdocs.services import OrgDocumentService, shown_version
from hub.orgdocs.upload_views import receive
from hub.terms.catalogue import convenant_terms
from hub.web.forms import runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render

# For hub.app.UPLOAD_ROUTES: the CSRF middleware lets this multipart body through (the token is checked in-stream).
UPLOAD_ROUTE = "accounts.convenant_upload"
NOTICES = {
    "document": "Het ondertekende convenant is opgeslagen en versleuteld bewaard.",
    "document-gescand": "Het ondertekende convenant is opgeslagen, op virussen gecontroleerd en versleuteld bewaard.",
    "document-ingetrokken": "Het document is ingetrokken. Het kan niet meer worden gedownload.",
}


async def _page(
    request: Request, *, refused_for: str = "", refusal: Refusal | None = None, values: dict[str, str] | None = None
) -> Response:
    user = user_of(request).user
    rt = runtime(request)
    async with transaction(rt.sessions) as db:
        rows = await ConvenantService(db).own_convenants(user)
        own = await OrganisationService(db).own(user)
        signed = await OrgDocumentService(db, rt.keyring).convenant_documents(user, [c.id for c, _, _ in rows])
    done = request.query_params.get("gelukt", "")
    return render(
        request,
        "admin/own_convenants.html",
        {
            "rows": rows,
            "status_labels": CONVENANT_STATUS_LABELS,
            "terms": convenant_terms(rt.settings.decharge_months),
            "is_gemeente": own.org_kind == OrgKind.GEMEENTE,
            "documents": {convenant_id: shown_version(entries) for convenant_id, entries in signed.items()},
            "may_upload": may(user, Action.UPLOAD_CONVENANT_DOCUMENT),
            "refused_for": refused_for,
            "errors": {refusal.field: refusal.message} if refusal else {},
            "values": values or {},
            "notice": "" if refusal else NOTICES.get(done, ""),
            "accept_extensions": ",".join(PDF.extensions),
            "max_upload_mb": rt.settings.max_upload_bytes // (1024 * 1024),
            "scanning": rt.settings.scanning,
        },
        status_code=refusal.status if refusal else 200,
    )


@login_required(Action.READ_CONVENANTS)
async def own_convenants_page(request: Request) -> Response:
    return await _page(request)


@login_required(Action.UPLOAD_CONVENANT_DOCUMENT)
async def upload_convenant(request: Request) -> Response:
    """The signed convenant (a PDF), by the contractmanager of its gemeente; a newer one becomes the one shown."""
    user = user_of(request).user
    rt = runtime(request)
    convenant_id = request.path_params["convenant_id"]
    async with rt.sessions() as db:  # who may post here is decided before a byte of the body is read
        await OrgDocumentService(db, rt.keyring).convenant_for_upload(user, convenant_id)

    async def store(
        service: OrgDocumentService, fields: dict[str, str], filename: str, chunks: AsyncIterator[bytes], limit: int
    ) -> Document:
        day = parse_document_date(fields.get(FIELD_DATE, ""))
        convenant = await service.convenant_for_upload(user, convenant_id)
        await service.db.commit()  # no connection is held while the file streams in
        return await service.store_convenant(
            user, convenant, document_date=day, filename=filename, chunks=chunks, max_bytes=limit
        )

    async def refused(refusal: Refusal, values: dict[str, str]) -> Response:
        return await _page(request, refused_for=convenant_id, refusal=refusal, values=values)

    outcome = await receive(request, (FIELD_DATE,), store, refused)
    if isinstance(outcome, Response):
        return outcome
    key = "document-gescand" if outcome else "document"
    path = request.app.url_path_for("accounts.convenants")
    return RedirectResponse(f"{path}?gelukt={key}#c-{convenant_id}", status_code=303)


routes = [
    Route("/convenanten", own_convenants_page, methods=["GET"], name="accounts.convenants"),
    Route("/convenanten/{convenant_id}/documenten", upload_convenant, methods=["POST"], name=UPLOAD_ROUTE),
]
