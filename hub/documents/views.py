"""Upload and download of case documents.

The upload is parsed as a stream by :mod:`hub.web.multipart` (``request.form()`` is never used: it spools the
plaintext file to disk). The CSRF middleware lets multipart bodies through only on named upload routes
(:data:`UPLOAD_ROUTE`); the form
puts ``csrf_token`` first, and it is checked before a single byte of the file is accepted. The other fields
(``doc_type``, ``document_date``) come next, the file last.

The download verifies the whole blob before the response starts (see hub.documents.services), so a damaged blob
gives an error page instead of damaged content.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from urllib.parse import quote

from python_multipart.multipart import parse_options_header
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from hub.accounts.authz import Action
from hub.db import commit_or_unknown
from hub.documents.components import blobs_of, scanner_of
from hub.documents.errors import CaseEnded, DocumentWithdrawn, FileTooLarge, NoFile, UploadBrokenOff, UploadRefused
from hub.documents.forms import parse_document_date, refusal_of, upload_context
from hub.documents.models import FIELD_DATE, FIELD_TYPE, parse_doc_type
from hub.documents.services import DocumentService, DocumentUnavailable, Download
from hub.documents.sniff import kind_for_content_type
from hub.runtime import Runtime
from hub.web.forms import runtime
from hub.web.guards import login_required, user_of
from hub.web.multipart import BodyTooLarge, CSRFRejected, MalformedUpload, MultipartUpload, UploadIncomplete
from hub.web.templating import render, render_error

log = logging.getLogger("hub.documents.views")

# For hub.app.UPLOAD_ROUTES: a route on which the CSRF middleware lets a multipart body through.
UPLOAD_ROUTE = "documents.upload"

# Bytes allowed on top of the file itself: boundaries, part headers and the small fields.
MULTIPART_OVERHEAD = 64 * 1024
MAX_FIELDS = 8

WITHDRAWN = (
    "Dit document is ingetrokken door de organisatie die het heeft toegevoegd en kan niet meer worden gedownload. "
    "Op de dossierpagina staat wanneer en waarom."
)
SUCCESS_KEY = "document"  # stored, not scanned (HUB_CLAMD=off): the notice claims no scan
SCANNED_KEY = "document-gescand"  # stored after the virus scanner checked it


# -- pages -------------------------------------------------------------------------------------------------------


async def _refused(
    request: Request,
    rt: Runtime,
    case_id: str,
    exc: UploadRefused,
    values: dict[str, str] | None = None,
) -> Response:
    """The upload section again, with the reason, under the case's reference."""
    user = user_of(request).user
    refusal = refusal_of(exc)
    async with rt.sessions() as db:
        service = DocumentService(db, rt.keyring)
        case = await service.case_for_upload(user, case_id)
        documents = await service.list_for_case(user, case)
    return render(
        request,
        "documents/upload_refused.html",
        {
            "case": case,
            "documents": documents,
            "errors": {refusal.field: refusal.message},
            "values": values or {},
            "title": "Document niet opgeslagen",
            **upload_context(rt.settings, may_upload=not case.ended),
        },
        status_code=refusal.status,
    )


@login_required(Action.UPLOAD_DOCUMENT)
async def upload(request: Request) -> Response:
    user = user_of(request).user
    rt = runtime(request)
    case_id = request.path_params["case_id"]
    max_bytes = rt.settings.max_upload_bytes
    body_limit = max_bytes + MULTIPART_OVERHEAD

    # Who may post here is decided before a byte of the body is read.
    async with rt.sessions() as db:
        target = await DocumentService(db, rt.keyring).case_for_upload(user, case_id)
    if target.ended:  # read-only: refused before a byte of the body is read
        return await _refused(request, rt, case_id, CaseEnded())

    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary", b"")
    if content_type != b"multipart/form-data" or not boundary:
        return render_error(request.scope, 400, "Ongeldig verzoek", "Gebruik het uploadformulier op de dossierpagina.")
    length = request.headers.get("content-length", "")
    if length and (not length.isdigit() or int(length) > body_limit):
        # Refused up front: nothing is read (a browser may show this page or a reset connection).
        return await _refused(request, rt, case_id, FileTooLarge(max_bytes))

    multipart = MultipartUpload(request.stream(), boundary, getattr(request.state, "csrf_expected", ""), body_limit)
    values: dict[str, str] = {}
    try:
        fields, filename = await multipart.read_fields(max_parts=MAX_FIELDS)
        values = {k: fields[k][0] for k in (FIELD_TYPE, FIELD_DATE) if k in fields}
        if filename is None:
            raise NoFile("no file part")
        doc_type = parse_doc_type(values.get(FIELD_TYPE, ""))
        document_date = parse_document_date(values.get(FIELD_DATE, ""))
        async with rt.sessions() as db:
            service = DocumentService(db, rt.keyring, blobs_of(rt), scanner_of(rt))
            case = await service.case_for_upload(user, case_id)
            await db.commit()  # no connection is held while the file streams in
            document = await service.store(
                user,
                case,
                doc_type=doc_type,
                document_date=document_date,
                filename=filename,
                chunks=multipart.file_chunks(),
                max_bytes=max_bytes,
            )
            try:
                await multipart.expect_end()  # nothing may follow the file: a form we do not know is refused
            except BaseException:
                await service.forget_blob(document)  # not committed: nothing of it is kept
                raise
            # A failed commit may have taken effect (its answer lost): the blob stays, the orphan sweep decides.
            await commit_or_unknown(db, "document")
            scanned = service.last_upload_scanned
    except CSRFRejected:
        await multipart.drain()
        return render_error(
            request.scope,
            403,
            "Verzoek geweigerd",
            "Dit formulier is verlopen of niet afkomstig van deze site. Ga terug, laad de pagina opnieuw en probeer "
            "het nog eens.",
        )
    except BodyTooLarge:
        return await _refused(request, rt, case_id, FileTooLarge(max_bytes), values)
    except UploadRefused as exc:
        await multipart.drain()
        return await _refused(request, rt, case_id, exc, values)
    except UploadIncomplete:
        log.info("upload to case %s broken off by the client", case_id)
        # Usually nobody is listening any more; a client whose body merely ended early reads why.
        return await _refused(request, rt, case_id, UploadBrokenOff(), values)
    except MalformedUpload:
        await multipart.drain()
        return render_error(request.scope, 400, "Ongeldig verzoek", "Gebruik het uploadformulier op de dossierpagina.")
    return RedirectResponse(
        request.app.url_path_for("cases.detail", case_id=case_id)
        + f"?gelukt={SCANNED_KEY if scanned else SUCCESS_KEY}",
        status_code=303,
    )


def content_disposition(filename: str, fallback_ext: str = "") -> str:
    """RFC 6266: an ASCII ``filename`` for old clients and the exact name as ``filename*=UTF-8''...``."""
    decomposed = unicodedata.normalize("NFKD", filename)  # é -> e + accent, so that the accent can be dropped
    ascii_name = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    ascii_name = re.sub(r"[^A-Za-z0-9 ._()+,-]", "_", ascii_name).strip(" .")
    stem = ascii_name.rsplit(".", 1)[0] if "." in ascii_name else ascii_name
    if not stem.strip("_ "):  # nothing readable is left of the name (e.g. Cyrillic): a neutral one
        ascii_name = "document" + fallback_ext
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


@login_required(Action.VIEW_CASES)
async def download(request: Request) -> Response:
    user = user_of(request).user
    rt = runtime(request)
    blobs = blobs_of(rt)
    document_id = request.path_params["document_id"]
    try:
        async with rt.sessions() as db:
            service = DocumentService(db, rt.keyring, blobs)
            prepared = await service.prepare_download(user, document_id)
        # Verified (and later streamed) with the session closed: verify() and plaintext() use the blob store only,
        # so no database connection is held while the blob is read twice.
        await service.verify(prepared)
        async with rt.sessions() as db:
            await DocumentService(db, rt.keyring, blobs).record_download(user, prepared.document)
            await db.commit()
    except DocumentUnavailable:
        return render_error(request.scope, 500, "Document niet beschikbaar", DocumentUnavailable.message)
    except DocumentWithdrawn:
        return render_error(request.scope, 410, "Document ingetrokken", WITHDRAWN)
    return download_response(service, prepared)


def download_response(service: DocumentService, prepared: Download) -> StreamingResponse:
    """The verified document's plaintext as an attachment (also for hub.orgdocs), never rendered by the browser."""
    document = prepared.document
    kind = kind_for_content_type(document.content_type)
    headers = {
        "Content-Disposition": content_disposition(prepared.filename, kind.extensions[0] if kind else ""),
        "Content-Length": str(document.size),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    return StreamingResponse(
        service.plaintext(prepared),
        media_type=kind.content_type if kind else "application/octet-stream",
        headers=headers,
    )


routes = [
    Route("/dossiers/{case_id}/documenten", upload, methods=["POST"], name=UPLOAD_ROUTE),
    Route("/documenten/{document_id}/downloaden", download, methods=["GET"], name="documents.download"),
]
