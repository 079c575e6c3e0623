"""Several files in one form, each in its own row with its own type and date: the case's upload form and a new
question on a case both send them so.

The body is read as it streams in (:class:`hub.web.multipart.MultipartUpload`); a browser sends the fields in the
page's order, so each row's ``doc_type`` and ``document_date`` come just before its file. Each file goes through the
vault's one pipeline (:meth:`DocumentService.receive`: size, type, virus scan, encryption) into the blob store; no
row is added until the caller keeps them all (:meth:`DocumentService.keep`), in one transaction. All or nothing: once
one row is refused, the files after it are read past without being stored (their type and date are still checked,
so the page names every problem at once), and the caller removes the blobs already received (:meth:`FileBatch.discard`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.accounts.models import User
from hub.cases.models import Case
from hub.documents.errors import NoFile, UploadRefused
from hub.documents.forms import MAX_FILES, FileRow, parse_document_date, refusal_of, row_key
from hub.documents.models import FIELD_DATE, FIELD_TYPE, Document, parse_doc_type
from hub.documents.services import DocumentService
from hub.web.multipart import MalformedUpload, MultipartUpload

FIELDS_PER_FILE = 2  # doc_type, document_date


@dataclass
class FileBatch:
    rows: list[FileRow] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)  # received (blobs stored), not yet kept
    errors: dict[str, str] = field(default_factory=dict)  # by row_key, in the form's order
    status: int = 0  # the first refusal's HTTP status
    scanned: bool = True  # every stored file was checked by a virus scanner

    @property
    def current(self) -> int:
        """The row being read (for a problem that stops the whole body, e.g. too large)."""
        return len(self.rows) or 1

    def refuse(self, number: int, exc: UploadRefused, filename: str = "") -> None:
        refusal = refusal_of(exc)
        which = f"Bestand {number}" + (f" ({filename})" if filename else "")
        self.errors.setdefault(row_key(refusal.field, number), f"{which}: {refusal.message}")
        self.status = self.status or refusal.status

    async def discard(self, service: DocumentService) -> None:
        """Remove the blobs of the files received: none of them is kept."""
        for document in self.documents:
            await service.forget_blob(document)
        self.documents.clear()


def _last(fields: dict[str, list[str]], name: str) -> str:
    values = fields.get(name, [])
    return values[-1] if values else ""


async def receive_files(
    upload: MultipartUpload,
    batch: FileBatch,
    fields: dict[str, list[str]],
    filename: str | None,
    *,
    service: DocumentService,
    user: User,
    case: Case | None,
    max_bytes: int,
    max_parts: int,
    field_limits: dict[str, int] | None = None,
    required: bool = True,
) -> None:
    """Read every file row of the body into ``batch``, starting with the file part that ``read_fields`` just
    returned (its ``fields`` and ``filename``), to the end of the body. ``case`` None: the form around the files
    was refused, so nothing is stored (the rows are still checked). A row without a file and without type or date
    is skipped; no file at all is a NoFile on the first row when ``required``. Raises the upload's exceptions
    (too large, broken off, malformed) after removing the blobs received so far."""
    try:
        while filename is not None:
            number = len(batch.rows) + 1
            if number > MAX_FILES:
                raise MalformedUpload("too many files")
            row = FileRow(number, _last(fields, FIELD_TYPE), _last(fields, FIELD_DATE), filename)
            batch.rows.append(row)
            await _receive_row(upload, batch, row, service=service, user=user, case=case, max_bytes=max_bytes)
            await upload.skip_file()  # the rest of a refused or skipped file
            fields, filename = await upload.read_fields(max_parts=max_parts, field_limits=field_limits)
        if fields:  # a browser sends every row's file part, empty or not: this is not our form
            raise MalformedUpload("fields after the last file")
        if required and not batch.documents and not batch.errors and case is not None:
            batch.refuse(1, NoFile("no file in the form"))
    except BaseException:
        await batch.discard(service)
        raise


async def _receive_row(
    upload: MultipartUpload,
    batch: FileBatch,
    row: FileRow,
    *,
    service: DocumentService,
    user: User,
    case: Case | None,
    max_bytes: int,
) -> None:
    if not row.filename and not row.doc_type and not row.document_date:
        return  # an empty row
    try:
        if not row.filename:
            raise NoFile("a type or date without a file")
        doc_type = parse_doc_type(row.doc_type)
        document_date = parse_document_date(row.document_date)
    except UploadRefused as exc:
        batch.refuse(row.number, exc, row.filename)
        return
    if case is None or batch.errors:
        return  # refused already: read past this file, store nothing
    try:
        document = await service.receive(
            user,
            case,
            doc_type=doc_type,
            document_date=document_date,
            filename=row.filename,
            chunks=upload.file_chunks(),
            max_bytes=max_bytes,
        )
    except UploadRefused as exc:
        batch.refuse(row.number, exc, row.filename)
        return
    batch.documents.append(document)
    batch.scanned = batch.scanned and service.last_upload_scanned
