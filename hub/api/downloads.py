"""A document's content through the API (``GET`` and ``HEAD /documents/{documentId}/content``).

The page's download path (hub.documents.download.PlaintextStream): decrypted and verified chunk by chunk while it
streams, with ``Content-Length`` announced, so a chunk that fails authentication after the first byte breaks the
connection off short of that length, never a clean end; what fails before the first byte is a problem (500). One
``Range`` (``bytes=first-last``, ``first-``, ``-suffix``) answers 206 with ``Content-Range`` and decrypts only the
chunks it touches; a range that starts past the end answers 416 with ``Content-Range: bytes */<size>``; a Range
the server does not serve (several ranges, another unit) is ignored and the whole document sent (RFC 9110).

``HEAD`` answers the same status and headers from the document's row alone: no blob read, nothing decrypted but the
file name. It is recorded as ``document.head``, not ``document.download``: no content left the vault, but the file
name (personal data) did.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from hub.api.operations import Call, Operation
from hub.api.problems import PROBLEM_TYPE, ApiProblem
from hub.audit.actions import DOCUMENT_DOWNLOAD, DOCUMENT_HEAD
from hub.documents.components import blobs_of
from hub.documents.download import ByteRange, DocumentUnavailable, RangeNotSatisfiable, parse_range
from hub.documents.errors import DocumentWithdrawn
from hub.documents.models import Document
from hub.documents.services import DocumentService
from hub.documents.views import WITHDRAWN, download_headers, download_response

TAG = "Documenten"
RANGE_TEXT = (
    "Eén bereik in bytes (RFC 9110): bytes=begin-eind, bytes=begin- of bytes=-aantal (de laatste bytes). Meer "
    "bereiken of een andere eenheid: het hele document."
)
RANGE_PATTERN = "^bytes=[0-9]*-[0-9]*$"


def _range(call: Call, document: Document) -> ByteRange | None:
    try:
        return parse_range(call.request.headers.get("range"), document.size)
    except RangeNotSatisfiable:
        raise ApiProblem(
            416, "Het gevraagde bereik begint na het einde van het document.",
            headers={"Content-Range": f"bytes */{document.size}"},
        ) from None  # fmt: skip


async def content(call: Call) -> Response:
    if call.request.method == "HEAD":
        return await _head(call)
    rt = call.runtime
    user = call.principal.user
    blobs = blobs_of(rt)
    try:
        async with rt.transaction() as db:
            service = DocumentService(db, rt.keyring, blobs)
            prepared = await service.prepare_download(user, call.path("documentId"))
        byte_range = _range(call, prepared.document)
        stream = service.stream(prepared, byte_range)  # no database connection held while the blob is read
        await stream.start()  # up to the first verified plaintext: a blob broken at its start is a problem
        try:
            async with rt.transaction() as db:
                await DocumentService(db, rt.keyring, blobs).record_download(user, prepared.document, DOCUMENT_DOWNLOAD)
        except BaseException:
            await stream.close()
            raise
    except DocumentUnavailable:
        raise ApiProblem(500, DocumentUnavailable.message) from None
    except DocumentWithdrawn:
        raise ApiProblem(410, WITHDRAWN) from None
    return download_response(prepared, stream, byte_range)


async def _head(call: Call) -> Response:
    rt = call.runtime
    user = call.principal.user
    async with rt.transaction() as db:
        service = DocumentService(db, rt.keyring)
        document = await service.get_document(user, call.path("documentId"))
        if document.withdrawn_at is not None:
            raise ApiProblem(410, WITHDRAWN)
        byte_range = _range(call, document)
        filename = service.filename(document)
        await service.record_download(user, document, DOCUMENT_HEAD)
    media_type, headers = download_headers(document, filename, byte_range)
    return Response(status_code=206 if byte_range is not None else 200, media_type=media_type, headers=headers)


def _content_range(text: str) -> dict[str, Any]:
    return {"Content-Range": {"description": text, "schema": {"type": "string"}}}


OPERATIONS = [
    Operation(
        "GET", "/documents/{documentId}/content", "getDocumentContent", "Een document downloaden", content, TAG,
        scope="documents:read", response_media="application/octet-stream", extra_statuses=(410,),
        optional_headers={"Range": (RANGE_TEXT, RANGE_PATTERN)},
        extra_responses={
            206: {
                "description": "Het gevraagde bereik van het document.",
                "headers": _content_range("bytes <begin>-<eind>/<grootte>."),
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            },
            416: {
                "description": "Het bereik begint na het einde van het document.",
                "headers": _content_range("bytes */<grootte>."),
                "content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            },
        },
        description=(
            "Gestreamd en per blok gecontroleerd terwijl het verstuurd wordt, met Content-Length: blijkt een later "
            "blok beschadigd, dan breekt de verbinding af vóór die lengte (nooit een schijnbaar compleet bestand). "
            "Met Range één bereik (206); alleen de geraakte blokken worden ontsleuteld. HEAD geeft dezelfde status "
            "en headers zonder het bestand te lezen (audit: document.head, geen document.download)."
        ),
    ),
]  # fmt: skip
