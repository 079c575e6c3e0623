"""Receiving an organisation document's upload: the same streamed multipart handling as a case document
(hub.documents.views: ``request.form()`` is never used, the CSRF token is the first field and checked before a byte
of the file is accepted, the size limit is enforced while streaming), for the two upload forms of hub.orgdocs.

:func:`receive` reads the small fields, hands the file to ``store`` (which calls the service) and commits; it turns
every refusal into the caller's own page (``refused``) with the reason under the field it concerns.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from python_multipart.multipart import parse_options_header
from starlette.requests import Request
from starlette.responses import Response

from hub.db import commit_or_unknown
from hub.documents.components import blobs_of, scanner_of
from hub.documents.errors import FileTooLarge, NoFile, UploadBrokenOff, UploadRefused
from hub.documents.forms import Refusal, refusal_of
from hub.documents.models import Document
from hub.documents.views import MAX_FIELDS, MULTIPART_OVERHEAD
from hub.orgdocs.services import FIELD_VALID_UNTIL, BadValidUntil, OrgDocumentService
from hub.web.forms import runtime
from hub.web.multipart import BodyTooLarge, CSRFRejected, MalformedUpload, MultipartUpload, UploadIncomplete
from hub.web.templating import render_error

log = logging.getLogger("hub.orgdocs.views")

# store(service, fields, file name, file chunks, max bytes) -> the new, flushed document.
Store = Callable[[OrgDocumentService, dict[str, str], str, AsyncIterator[bytes], int], Awaitable[Document]]
# refused(refusal, the fields as posted) -> the form's page again, with the reason.
Refused = Callable[[Refusal, dict[str, str]], Awaitable[Response]]

FORM_EXPIRED = (
    "Dit formulier is verlopen of niet afkomstig van deze site. Ga terug, laad de pagina opnieuw en probeer het "
    "nog eens."
)
USE_THE_FORM = "Gebruik het uploadformulier op de pagina."


def refusal(exc: UploadRefused) -> Refusal:
    """The vault's refusals (hub.documents.forms), and the validity end of a kwaliteitsverklaring."""
    if isinstance(exc, BadValidUntil):
        return Refusal(400, FIELD_VALID_UNTIL, exc.message)
    return refusal_of(exc)


async def receive(request: Request, names: tuple[str, ...], store: Store, refused: Refused) -> Response | bool:
    """Store the posted file; True when a virus scanner checked it, False when stored unscanned, or the response
    to send instead (a refusal page, or an error page for a request that is no upload form)."""
    rt = runtime(request)
    max_bytes = rt.settings.max_upload_bytes
    body_limit = max_bytes + MULTIPART_OVERHEAD
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary", b"")
    if content_type != b"multipart/form-data" or not boundary:
        return render_error(request.scope, 400, "Ongeldig verzoek", USE_THE_FORM)
    length = request.headers.get("content-length", "")
    if length and (not (length.isascii() and length.isdigit()) or int(length) > body_limit):
        return await refused(refusal(FileTooLarge(max_bytes)), {})  # refused before a byte is read

    multipart = MultipartUpload(request.stream(), boundary, getattr(request.state, "csrf_expected", ""), body_limit)
    values: dict[str, str] = {}
    try:
        fields, filename = await multipart.read_fields(max_parts=MAX_FIELDS)
        values = {k: fields[k][0] for k in names if k in fields}
        if filename is None:
            raise NoFile("no file part")
        async with rt.sessions() as db:
            service = OrgDocumentService(db, rt.keyring, blobs_of(rt), scanner_of(rt))
            document = await store(service, values, filename, multipart.file_chunks(), max_bytes)
            try:
                await multipart.expect_end()
            except BaseException:
                await service.forget_blob(document)
                raise
            await commit_or_unknown(db, "document")
            return service.last_upload_scanned
    except CSRFRejected:
        await multipart.drain()
        return render_error(request.scope, 403, "Verzoek geweigerd", FORM_EXPIRED)
    except BodyTooLarge:
        return await refused(refusal(FileTooLarge(max_bytes)), values)
    except UploadRefused as exc:
        await multipart.drain()
        return await refused(refusal(exc), values)
    except UploadIncomplete:
        log.info("organisation document upload broken off by the client")
        return await refused(refusal(UploadBrokenOff()), values)
    except MalformedUpload:
        await multipart.drain()
        return render_error(request.scope, 400, "Ongeldig verzoek", USE_THE_FORM)
