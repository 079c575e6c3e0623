"""Upload and download of case documents.

The upload is parsed as a stream by :mod:`hub.web.multipart` (``request.form()`` is never used: it spools the
plaintext file to disk). The CSRF middleware lets multipart bodies through only on named upload routes
(:data:`UPLOAD_ROUTE`); the form
puts ``csrf_token`` first, and it is checked before a single byte of a file is accepted. Then come one or more rows,
each a file after its own ``doc_type`` and ``document_date`` (hub.documents.batch_views): all are kept, or none.

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
from hub.audit.actions import DOCUMENT_DOWNLOAD, DOCUMENT_PREVIEW
from hub.db import commit_or_unknown
from hub.documents.batch_views import FIELDS_PER_FILE, FileBatch, receive_files
from hub.documents.components import blobs_of, scanner_of
from hub.documents.download import ByteRange, DocumentUnavailable, PlaintextStream, RangeNotSatisfiable, parse_range
from hub.documents.errors import CaseEnded, DocumentWithdrawn, FileTooLarge, UploadBrokenOff, UploadRefused
from hub.documents.forms import MAX_FILES, FileRow, rows_for_page, upload_context
from hub.documents.inline import document_headers, may_preview
from hub.documents.models import Document
from hub.documents.services import DocumentService, Download
from hub.documents.sniff import kind_for_content_type
from hub.errors import StorageUnavailable
from hub.runtime import Runtime
from hub.web.errors import storage_unavailable_page
from hub.web.forms import runtime
from hub.web.guards import login_required, user_of
from hub.web.multipart import BodyTooLarge, CSRFRejected, MalformedUpload, MultipartUpload, UploadIncomplete
from hub.web.templating import render, render_error

log = logging.getLogger("hub.documents.views")

# For hub.app.UPLOAD_ROUTES: a route on which the CSRF middleware lets a multipart body through.
UPLOAD_ROUTE = "documents.upload"

# Bytes allowed on top of the file itself: boundaries, part headers and the small fields.
MULTIPART_OVERHEAD = 64 * 1024
MAX_FIELDS = 1 + MAX_FILES * FIELDS_PER_FILE  # the CSRF token, then each row's type and date

WITHDRAWN = (
    "Dit document is ingetrokken door de organisatie die het heeft toegevoegd en kan niet meer worden gedownload. "
    "Op de dossierpagina staat wanneer en waarom."
)
NO_PREVIEW = "Van dit soort bestand kan de browser geen voorbeeld tonen. Download het document om het te openen."
SUCCESS_KEY = "document"  # stored, not scanned (HUB_CLAMD=off): the notice claims no scan
SCANNED_KEY = "document-gescand"  # stored after the virus scanner checked it


# -- pages -------------------------------------------------------------------------------------------------------


async def _refused(
    request: Request,
    rt: Runtime,
    case_id: str,
    errors: dict[str, str],
    status: int,
    rows: list[FileRow] | None = None,
) -> Response:
    """The upload section again, with the reasons (by row), under the case's reference."""
    user = user_of(request).user
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
            "errors": errors,
            "title": "Document niet opgeslagen",
            **upload_context(rt.settings, may_upload=not case.ended),
            "file_rows": rows_for_page(rows or []),
        },
        status_code=status,
    )


async def _refused_one(
    request: Request, rt: Runtime, case_id: str, exc: UploadRefused, number: int = 1, rows: list[FileRow] | None = None
) -> Response:
    """Refused as a whole (too large, broken off, case ended): the reason at the row being read."""
    batch = FileBatch(rows=rows or [])
    batch.refuse(number, exc)
    return await _refused(request, rt, case_id, batch.errors, batch.status, batch.rows)


@login_required(Action.UPLOAD_DOCUMENT)
async def upload(request: Request) -> Response:
    """One or more files, each with its type and date (hub.documents.batch_views): all are kept, or none."""
    user = user_of(request).user
    rt = runtime(request)
    case_id = request.path_params["case_id"]
    max_bytes = rt.settings.max_upload_bytes
    body_limit = MAX_FILES * (max_bytes + MULTIPART_OVERHEAD)

    # Who may post here is decided before a byte of the body is read.
    async with rt.sessions() as db:
        target = await DocumentService(db, rt.keyring).case_for_upload(user, case_id)
    if target.ended:  # read-only: refused before a byte of the body is read
        return await _refused_one(request, rt, case_id, CaseEnded())

    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary", b"")
    if content_type != b"multipart/form-data" or not boundary:
        return render_error(request.scope, 400, "Ongeldig verzoek", "Gebruik het uploadformulier op de dossierpagina.")
    length = request.headers.get("content-length", "")
    if length and (not (length.isascii() and length.isdigit()) or int(length) > body_limit):
        # Refused up front: nothing is read (a browser may show this page or a reset connection).
        return await _refused_one(request, rt, case_id, FileTooLarge(max_bytes))

    multipart = MultipartUpload(request.stream(), boundary, getattr(request.state, "csrf_expected", ""), body_limit)
    batch = FileBatch()
    async with rt.sessions() as db:
        service = DocumentService(db, rt.keyring, blobs_of(rt), scanner_of(rt))
        try:
            fields, filename = await multipart.read_fields(max_parts=MAX_FIELDS)
            case = await service.case_for_upload(user, case_id)
            await db.commit()  # no connection is held while the files stream in
            await receive_files(
                multipart,
                batch,
                fields,
                filename,
                service=service,
                user=user,
                case=case,
                max_bytes=max_bytes,
                max_parts=MAX_FIELDS,
            )
            if batch.errors:
                await batch.discard(service)
                return await _refused(request, rt, case_id, batch.errors, batch.status, batch.rows)
            await service.keep(user, case, batch.documents)
            # A failed commit may have taken effect (its answer lost): the blobs stay, the orphan sweep decides.
            await commit_or_unknown(db, "document")
        except CSRFRejected:
            await multipart.drain()
            return render_error(
                request.scope,
                403,
                "Verzoek geweigerd",
                "Dit formulier is verlopen of niet afkomstig van deze site. Ga terug, laad de pagina opnieuw en "
                "probeer het nog eens.",
            )
        except BodyTooLarge:
            return await _refused_one(request, rt, case_id, FileTooLarge(max_bytes), batch.current, batch.rows)
        except UploadIncomplete:
            log.info("upload to case %s broken off by the client", case_id)
            # Usually nobody is listening any more; a client whose body merely ended early reads why.
            return await _refused_one(request, rt, case_id, UploadBrokenOff())
        except MalformedUpload:
            await multipart.drain()
            return render_error(
                request.scope, 400, "Ongeldig verzoek", "Gebruik het uploadformulier op de dossierpagina."
            )
        except StorageUnavailable as exc:
            # The failing file's upload was aborted; the files before it, complete already, go too (if the store
            # lets us: else the orphan sweep). The rest of the body is read so the browser shows the page.
            await batch.discard(service)
            await multipart.drain()
            return storage_unavailable_page(request, exc)
    key = SCANNED_KEY if batch.scanned else SUCCESS_KEY
    if len(batch.documents) > 1:
        key += "-meer"
    return RedirectResponse(
        request.app.url_path_for("cases.detail", case_id=case_id) + f"?gelukt={key}", status_code=303
    )


def content_disposition(filename: str, fallback_ext: str = "", *, inline: bool = False) -> str:
    """RFC 6266: an ASCII ``filename`` for old clients and the exact name as ``filename*=UTF-8''...``."""
    decomposed = unicodedata.normalize("NFKD", filename)  # é -> e + accent, so that the accent can be dropped
    ascii_name = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    ascii_name = re.sub(r"[^A-Za-z0-9 ._()+,-]", "_", ascii_name).strip(" .")
    stem = ascii_name.rsplit(".", 1)[0] if "." in ascii_name else ascii_name
    if not stem.strip("_ "):  # nothing readable is left of the name (e.g. Cyrillic): a neutral one
        ascii_name = "document" + fallback_ext
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


@login_required(Action.VIEW_CASES)
async def download(request: Request) -> Response:
    return await _serve(request, inline=False)


@login_required(Action.VIEW_CASES)
async def preview(request: Request) -> Response:
    """The document shown by the browser itself (PDF, PNG, JPEG only), sandboxed: same rights and audit as a
    download, its own audit action."""
    return await _serve(request, inline=True)


async def _serve(request: Request, *, inline: bool) -> Response:
    user = user_of(request).user
    rt = runtime(request)
    blobs = blobs_of(rt)
    document_id = request.path_params["document_id"]
    try:
        async with rt.sessions() as db:
            service = DocumentService(db, rt.keyring, blobs)
            prepared = await service.prepare_download(user, document_id)
        document = prepared.document
        if inline and not may_preview(document.content_type):
            return render_error(request.scope, 404, "Geen voorbeeld", NO_PREVIEW)
        try:
            byte_range = parse_range(request.headers.get("range"), document.size)
        except RangeNotSatisfiable:
            return Response(status_code=416, headers={**PRIVATE, "Content-Range": f"bytes */{document.size}"})
        # Streamed with the session closed: the stream uses the blob store only, so no database connection is held
        # while the blob is read. start() reads up to the first verified plaintext, so a blob that is missing or
        # damaged at its start still gets an error page.
        stream = service.stream(prepared, byte_range)
        await stream.start()
        try:
            async with rt.sessions() as db:
                action = DOCUMENT_PREVIEW if inline else DOCUMENT_DOWNLOAD
                await DocumentService(db, rt.keyring, blobs).record_download(user, document, action)
                await db.commit()
        except BaseException:
            await stream.close()
            raise
    except DocumentUnavailable:
        return render_error(request.scope, 500, "Document niet beschikbaar", DocumentUnavailable.message)
    except DocumentWithdrawn:
        return render_error(request.scope, 410, "Document ingetrokken", WITHDRAWN)
    return download_response(prepared, stream, byte_range, inline=inline)


def download_response(
    prepared: Download, stream: PlaintextStream, byte_range: ByteRange | None = None, *, inline: bool = False
) -> StreamingResponse:
    """The document's plaintext (``stream``, started), verified chunk by chunk while it goes out: an attachment, or
    with ``inline`` the sandboxed preview; one range of it (206) when ``byte_range`` is given. Also for hub.orgdocs."""
    media_type, headers = download_headers(prepared.document, prepared.filename, byte_range, inline=inline)
    return StreamingResponse(
        stream.body(), status_code=206 if byte_range is not None else 200, media_type=media_type, headers=headers
    )


def download_headers(
    document: Document, filename: str, byte_range: ByteRange | None = None, *, inline: bool = False
) -> tuple[str, dict[str, str]]:
    """The media type and headers of a document's answer, whole or ``byte_range`` of it (also for a HEAD, which
    reads no blob: everything here comes from the row)."""
    kind = kind_for_content_type(document.content_type)
    disposition = content_disposition(filename, kind.extensions[0] if kind else "", inline=inline)
    length = byte_range.length if byte_range is not None else document.size
    headers = {**PRIVATE, **document_headers(length, disposition)}
    if byte_range is not None:
        headers["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{document.size}"
    return (kind.content_type if kind else "application/octet-stream"), headers


# Every download answer: never cached, never sniffed, and it says that ranges are served.
PRIVATE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Accept-Ranges": "bytes"}


routes = [
    Route("/dossiers/{case_id}/documenten", upload, methods=["POST"], name=UPLOAD_ROUTE),
    Route("/documenten/{document_id}/downloaden", download, methods=["GET"], name="documents.download"),
    Route("/documenten/{document_id}/bekijken", preview, methods=["GET"], name="documents.preview"),
]
