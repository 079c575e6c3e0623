"""Documents of a case through the API: the list and the streamed upload (the download: hub.api.downloads).

The same service as the pages (hub.documents.services): the upload passes the one streaming path of
hub/documents/upload.py (size limit, type sniffing, zip-bomb limits, virus scan, chunked encryption), nothing of
it on disk in plaintext. Audit records as in the pages: ``case.view`` for the list (it shows file names),
``document.upload``. An organisation's token uploads as its integration actor (hub.accounts.api_tokens), which the
document names as who added it.

The upload's body is the file itself (no multipart form): its type and date are query parameters, its name is in a
``Content-Disposition`` request header, because a file name is personal data and never goes into a URL.
"""

from __future__ import annotations

from datetime import date, datetime
from email.message import Message

from pydantic import Field
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, Response

from hub.api import API_PREFIX
from hub.api.operations import ApiModel, Call, Operation, dump
from hub.api.paging import PageQuery, decode_cursor, next_link
from hub.api.problems import ApiProblem
from hub.cases.services import CaseService
from hub.db import commit_or_unknown
from hub.documents.components import blobs_of, scanner_of
from hub.documents.errors import FileTooLarge, UploadBrokenOff, UploadRefused
from hub.documents.forms import refusal_of
from hub.documents.models import FIELD_DATE, FIELD_FILE, FIELD_TYPE, DocumentType
from hub.documents.services import DocumentRow, DocumentService

TAG = "Documenten"
# The API's names for the fields the service's refusals name.
FIELD_NAMES = {FIELD_FILE: "body", FIELD_TYPE: "documentType", FIELD_DATE: "documentDate"}


class DocumentSummary(ApiModel):
    id: str
    file_name: str
    document_type: str
    type_label: str
    document_date: date | None
    size: int = Field(description="Grootte in bytes.")
    content_type: str
    uploaded_by: str = Field(description="Naam van wie het document toevoegde.")
    uploaded_at: datetime
    withdrawn_at: datetime | None
    withdrawal_reason: str


class DocumentList(ApiModel):
    items: list[DocumentSummary]
    next: str | None


class UploadQuery(ApiModel):
    document_type: DocumentType
    document_date: date = Field(description="De datum die op het document staat (niet in de toekomst).")


def summary(row: DocumentRow) -> DocumentSummary:
    return DocumentSummary(
        id=row.id, file_name=row.filename, document_type=row.doc_type, type_label=row.type_label,
        document_date=row.document_date, size=row.size, content_type=row.content_type, uploaded_by=row.uploaded_by,
        uploaded_at=row.uploaded_at, withdrawn_at=row.withdrawn_at, withdrawal_reason=row.withdrawal_reason,
    )  # fmt: skip


async def list_documents(call: Call) -> DocumentList:
    q = call.query_as(PageQuery)
    offset = decode_cursor(q.cursor)
    user = call.principal.user
    async with call.runtime.transaction() as db:
        case = await CaseService(db, call.runtime.keyring).view_case(user, call.path("caseId"))
        rows = await DocumentService(db, call.runtime.keyring).list_for_case(user, case)
    page = rows[offset : offset + q.limit + 1]
    return DocumentList(
        items=[summary(r) for r in page[: q.limit]],
        next=next_link(call.request, offset=offset, limit=q.limit, fetched=len(page)),
    )


def filename_of(header: str) -> str:
    """The file name of a ``Content-Disposition: attachment; filename*=UTF-8''...`` (or ``filename=``) header."""
    message = Message()
    message["content-disposition"] = header
    return message.get_filename() or ""


def _refused(exc: UploadRefused) -> ApiProblem:
    refusal = refusal_of(exc)
    field = FIELD_NAMES.get(refusal.field, refusal.field)
    invalid = {field: refusal.message} if refusal.status == 400 else None
    return ApiProblem(refusal.status, refusal.message, invalid=invalid)


async def upload(call: Call) -> Response:
    rt = call.runtime
    user = call.principal.user
    q = call.query_as(UploadQuery)
    case_id = call.path("caseId")
    max_bytes = rt.settings.max_upload_bytes
    async with rt.transaction() as db:  # who may post here is decided before a byte of the body is read
        case = await DocumentService(db, rt.keyring).case_for_upload(user, case_id)
    filename = filename_of(call.request.headers.get("content-disposition", ""))
    if not filename:
        raise ApiProblem(
            400, "Geef de bestandsnaam mee in de header Content-Disposition.",
            invalid={"Content-Disposition": "attachment; filename*=UTF-8''<naam> ontbreekt."},
        )  # fmt: skip
    length = call.request.headers.get("content-length", "")
    if length and (not (length.isascii() and length.isdigit()) or int(length) > max_bytes):
        raise _refused(FileTooLarge(max_bytes))
    try:
        async with rt.sessions() as db:
            service = DocumentService(db, rt.keyring, blobs_of(rt), scanner_of(rt))
            document = await service.store(
                user, case, doc_type=q.document_type, document_date=q.document_date, filename=filename,
                chunks=call.request.stream(), max_bytes=max_bytes,
            )  # fmt: skip
            await commit_or_unknown(db, "het document")
    except UploadRefused as exc:
        raise _refused(exc) from None
    except ClientDisconnect:
        raise _refused(UploadBrokenOff()) from None
    location = f"{rt.settings.base_url}{API_PREFIX}/documents/{document.id}/content"
    created = summary(service.row(document, user.name, own=True))
    return JSONResponse(dump(created), status_code=201, headers={"Location": location})


OPERATIONS = [
    Operation(
        "GET", "/cases/{caseId}/documents", "listCaseDocuments", "Documenten van een dossier", list_documents, TAG,
        scope="documents:read", query=PageQuery, response=DocumentList,
        description="Nieuwste eerst, ook ingetrokken documenten (met datum en reden).",
    ),
    Operation(
        "POST", "/cases/{caseId}/documents", "uploadCaseDocument", "Een document toevoegen", upload, TAG,
        scope="documents:write", query=UploadQuery, response=DocumentSummary, status=201,
        request_media="application/octet-stream", extra_statuses=(409, 413, 503),
        request_headers={"Content-Disposition": "attachment; filename*=UTF-8''<bestandsnaam> (verplicht)."},
        description=(
            "De body is het bestand zelf, gestreamd; dezelfde controles als in de pagina's: grootte, soort bestand, "
            "virusscan. De bestandsnaam staat in de header Content-Disposition, nooit in de URL."
        ),
    ),
]  # fmt: skip
