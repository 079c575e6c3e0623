"""The document vault: storing an upload, listing a case's documents, and handing one back.

Storing (:meth:`DocumentService.store`) is one pass over the plaintext as it streams in, piece by piece::

    size limit ─ sniff (magic bytes; zip tail) ─ SHA-256 ─ clamd INSTREAM ─ StreamEncryptor ─ blob writer

No plaintext byte is written anywhere: the blob store gets ciphertext only, in batches of about 1 MiB. Only when the
whole file has passed every check (size, type, zip-bomb limits, virus scan) is the blob renamed into place and the
``document`` row inserted, with the per-document data key wrapped by the keyring's primary KEK (the document id
bound as associated data) and the file name and digest field-encrypted. Any failure (too large, wrong type,
infected, scanner down, client gone, an exception) removes the blob and inserts nothing; user errors raise
:class:`DocumentRefused` with a Dutch message.

Handing back (:meth:`DocumentService.open_download`) verifies before it releases: the whole blob is decrypted once
with the output thrown away, and only when that pass authenticated every chunk, reached the final chunk and counted
exactly the stored size does a second pass stream the plaintext. So a flipped bit, a truncation or a blob swapped
with another document's gives an error page, never damaged or partial content. The price is a second decryption and
read of the blob (AES-GCM decrypts at well over 1 GB/s per core and the second read usually comes from the page
cache), paid before the first byte goes out. Streaming with per-chunk authentication alone would never release a
forged byte either, but a failure half-way would leave the user a truncated file and no error page: HTTP cannot
take back a 200 that is already on its way.

No Starlette here: the web layer passes plain values and turns the exceptions into pages.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import (
    DecryptionError,
    Keyring,
    StreamDecryptor,
    StreamEncryptor,
    decrypt_text,
    encrypt_field,
    generate_data_key,
)
from hub.accounts.models import User
from hub.audit import services as audit
from hub.authz import Action, require
from hub.cases.models import Case
from hub.db import new_id, transaction, utcnow
from hub.documents.blobstore import BlobStore, FilesystemBlobStore, InvalidBlobName
from hub.documents.models import DOCUMENT_TYPE_LABELS, Document, DocumentType
from hub.documents.scanner import NoScanner, Scanner, ScanSession, ScanTooLarge, ScanUnavailable
from hub.documents.sniff import ContentSniffer, SniffError, clean_filename, extension_of, kind_for_filename
from hub.errors import NotFound
from hub.fields import DOCUMENT_FILENAME, DOCUMENT_KEY, DOCUMENT_SHA256
from hub.notifications.interfaces import MailKind, NotificationEvent
from hub.notifications.outbox import OutboxNotifier

log = logging.getLogger("hub.documents")

TABLE = "document"
OBJECT_TYPE = "document"
REVISION = 1
ID_RE = re.compile(r"[0-9a-f]{32}")

FIELD_FILE = "document_file"
FIELD_TYPE = "doc_type"
FIELD_DATE = "document_date"

SCANNER_DOWN = "De virusscanner is niet bereikbaar; probeer het later opnieuw."
SCANNER_TOO_LARGE = (
    "De virusscanner kan een bestand van deze grootte niet controleren, dus het is geweigerd. "
    "Neem contact op met de beheerder van de beveiligde omgeving."
)
NO_FILE = "Kies een bestand om te uploaden."
INCOMPLETE = "Het uploaden is afgebroken voordat het bestand compleet was; er is niets opgeslagen. Probeer het opnieuw."
BAD_TYPE = "Kies het soort document."
BAD_DATE = "Vul de datum van het document in, bijvoorbeeld 2026-03-13 (jaar-maand-dag)."
UNAVAILABLE = (
    "Dit document kan niet worden geopend: de opgeslagen versie is beschadigd of onvolledig. Er is niets "
    "gedownload. Neem contact op met de beheerder van de beveiligde omgeving."
)


class DocumentRefused(Exception):
    """The upload is refused; nothing was kept. ``message`` is Dutch and safe to show (no file name)."""

    def __init__(self, message: str, *, status: int = 400, field: str = FIELD_FILE, reason: str = "") -> None:
        super().__init__(reason or message)
        self.message = message
        self.status = status
        self.field = field
        self.reason = reason


class DocumentUnavailable(Exception):
    """A stored document cannot be handed back (damaged, truncated, swapped, key missing). Nothing was sent."""

    message = UNAVAILABLE


def too_large_message(max_bytes: int) -> str:
    return f"Het bestand is groter dan {max_bytes // (1024 * 1024)} MB."


def infected_message(signature: str) -> str:
    return f"Dit bestand is geweigerd: het bevat een virus ({signature}). Er is niets opgeslagen."


def parse_document_date(raw: str) -> date:
    """A yyyy-mm-dd date from the form; DocumentRefused otherwise."""
    value = raw.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise DocumentRefused(BAD_DATE, field=FIELD_DATE, reason="date")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise DocumentRefused(BAD_DATE, field=FIELD_DATE, reason="date") from None
    if day.year < 1900:
        raise DocumentRefused(BAD_DATE, field=FIELD_DATE, reason="date")
    return day


def parse_doc_type(raw: str) -> DocumentType:
    try:
        return DocumentType(raw.strip())
    except ValueError:
        raise DocumentRefused(BAD_TYPE, field=FIELD_TYPE, reason="doc_type") from None


def download_url(document_id: str) -> str:
    return f"/documenten/{document_id}/downloaden"


def size_label(size: int) -> str:
    """Dutch file size: 812 bytes, 14 kB, 3,4 MB."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} kB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


@dataclass(frozen=True)
class DocumentRow:
    """One line of a case's document table (the file name decrypted)."""

    id: str
    filename: str
    doc_type: str
    type_label: str
    document_date: date | None
    size: int
    content_type: str
    uploaded_by: str
    uploaded_at: datetime

    @property
    def size_label(self) -> str:
        return size_label(self.size)

    @property
    def download_url(self) -> str:
        return download_url(self.id)


@dataclass
class Download:
    """A document the user may read, with its unwrapped data key (kept only for the length of one response)."""

    document: Document
    filename: str
    data_key: bytes = field(repr=False)


class DocumentService:
    """``blobs`` and ``scanner`` are needed for storing and downloading only; listing needs the database alone."""

    def __init__(
        self,
        db: AsyncSession,
        keyring: Keyring,
        blobs: BlobStore | None = None,
        scanner: Scanner | None = None,
        *,
        notifications: bool = True,
    ) -> None:
        self.db = db
        self.keyring = keyring
        self._blob_store = blobs
        self.scanner: Scanner = scanner or NoScanner()
        self.notifications = notifications

    @property
    def blobs(self) -> BlobStore:
        if self._blob_store is None:
            raise RuntimeError("DocumentService needs a blob store for this")
        return self._blob_store

    # -- cases -------------------------------------------------------------------------------------------------

    async def case_for_upload(self, user: User, case_id: str) -> Case:
        """The case if the user's organisation is party to it (NotFound) and the user may upload (Forbidden)."""
        case = await self.db.get(Case, case_id) if ID_RE.fullmatch(case_id or "") else None
        if case is None:
            raise NotFound("Case")
        require(user, Action.UPLOAD_DOCUMENT, case)
        return case

    # -- storing -----------------------------------------------------------------------------------------------

    async def store(
        self,
        user: User,
        case: Case,
        *,
        doc_type: str | DocumentType,
        document_date: date | None,
        filename: str,
        chunks: AsyncIterator[bytes],
        max_bytes: int,
    ) -> Document:
        """Stream one upload into the vault; return the new (flushed, not committed) Document row.

        The checks on type, date and name happen before the first byte of ``chunks`` is read. The database session
        is used only at the very end: commit (or end) any transaction before calling, so that no connection is held
        while the file streams in. Raises DocumentRefused for anything the uploader can fix or should know;
        NotFound/Forbidden for authorisation; anything else is a server error. In every failing case nothing stays
        behind.
        """
        require(user, Action.UPLOAD_DOCUMENT, case)
        kind_of_document = doc_type if isinstance(doc_type, DocumentType) else parse_doc_type(doc_type)
        if document_date is None:
            raise DocumentRefused(BAD_DATE, field=FIELD_DATE, reason="date")
        name = clean_filename(filename)
        if not name:
            raise DocumentRefused(NO_FILE, reason="no file")
        try:
            expected = kind_for_filename(name)
        except SniffError as exc:
            raise DocumentRefused(exc.message, reason=exc.reason) from None
        limit = max_bytes
        blobs = self.blobs
        try:
            scan: ScanSession = await self.scanner.session()
        except ScanUnavailable:
            raise DocumentRefused(SCANNER_DOWN, status=503, reason="scanner unreachable") from None

        document_id = new_id()
        data_key = generate_data_key()
        encryptor = StreamEncryptor(data_key, document_id, REVISION)
        sniffer = ContentSniffer(expected, extension_of(name))
        digest = hashlib.sha256()
        writer = None
        committed = False
        try:
            writer = await blobs.open_writer()
            await writer.write(encryptor.header())
            size = 0
            async for piece in chunks:
                if not piece:
                    continue
                size += len(piece)
                if size > limit:
                    raise DocumentRefused(too_large_message(limit), status=413, reason="too large")
                sniffer.feed(piece)
                # Sent first: clamd (another process) reads this piece while we hash, encrypt and write it.
                await scan.feed(piece)
                digest.update(piece)
                sealed = encryptor.update(piece)
                if sealed:
                    await writer.write(sealed)
            # The scanner's verdict comes before the type's: a small infected file is reported as infected.
            verdict = await scan.verdict()
            if not verdict.clean:
                log.warning("upload to case %s by user %s refused: %s", case.id, user.id, verdict.signature)
                raise DocumentRefused(infected_message(verdict.signature), reason="infected")
            kind = sniffer.finish()
            await writer.write(encryptor.finalize())
            await writer.commit()
            committed = True
            document = Document(
                id=document_id,
                case_id=case.id,
                gemeente_id=case.gemeente_id,
                kantoor_id=case.kantoor_id,
                revision=REVISION,
                doc_type=kind_of_document.value,
                document_date=document_date,
                uploaded_by=user.id,
                uploaded_at=utcnow(),
                size=size,
                content_type=kind.content_type,
                filename=encrypt_field(self.keyring, name, context=DOCUMENT_FILENAME.context(document_id)),
                sha256=encrypt_field(self.keyring, digest.digest(), context=DOCUMENT_SHA256.context(document_id)),
                wrapped_key=self.keyring.wrap(data_key, associated_data=DOCUMENT_KEY.associated_data(document_id)),
                blob_name=writer.name,
            )
            self.db.add(document)
            await self.db.flush()
            await self._audit(user, "document.upload", document_id)
            if self.notifications:
                other = case.kantoor_id if user.organisation_id == case.gemeente_id else case.gemeente_id
                # The receiving side's assignee of the case, else (none) its users of the recipient roles.
                assignee = case.gemeente_contact_id if other == case.gemeente_id else case.bewindvoerder_id
                await OutboxNotifier(self.db).notify(
                    NotificationEvent(
                        kind=MailKind.NIEUW_DOCUMENT,
                        organisation_id=other,
                        case_id=case.id,
                        assigned_user_ids=(assignee,) if assignee else (),
                    ),
                    now=utcnow(),
                )
            return document
        except BaseException as exc:
            await scan.abort()
            if writer is not None:
                await writer.abort()
                if committed:
                    with contextlib.suppress(Exception):
                        await blobs.delete(writer.name)
            if isinstance(exc, SniffError):
                raise DocumentRefused(exc.message, reason=exc.reason) from None
            if isinstance(exc, ScanTooLarge):
                raise DocumentRefused(SCANNER_TOO_LARGE, status=413, reason="scanner size limit") from None
            if isinstance(exc, ScanUnavailable):
                raise DocumentRefused(SCANNER_DOWN, status=503, reason="scanner failed") from None
            raise

    async def forget_blob(self, document: Document) -> None:
        """Remove the blob of a document whose row was not committed after all (the caller's commit failed)."""
        with contextlib.suppress(Exception):
            await self.blobs.delete(document.blob_name)

    async def _audit(self, user: User, action: str, document_id: str) -> None:
        await audit.record(
            self.db,
            user_id=user.id,
            organisation_id=user.organisation_id,
            action=action,
            object_type=OBJECT_TYPE,
            object_id=document_id,
        )

    # -- listing -----------------------------------------------------------------------------------------------

    async def list_for_case(self, user: User, case: Case) -> list[DocumentRow]:
        """The case's documents, newest first, for a user of one of its parties (NotFound otherwise)."""
        require(user, Action.VIEW_CASES, case)
        rows = await self.db.execute(
            select(Document, User.name)
            .join(User, User.id == Document.uploaded_by, isouter=True)
            .where(
                Document.case_id == case.id,
                Document.gemeente_id == case.gemeente_id,
                Document.kantoor_id == case.kantoor_id,
            )
            .order_by(Document.uploaded_at.desc(), Document.id)
        )
        return [self._row(document, uploader or "—") for document, uploader in rows.all()]

    def _row(self, document: Document, uploader: str) -> DocumentRow:
        try:
            label = DOCUMENT_TYPE_LABELS[DocumentType(document.doc_type)]
        except ValueError:
            label = document.doc_type
        return DocumentRow(
            id=document.id,
            filename=self._filename(document),
            doc_type=document.doc_type,
            type_label=label,
            document_date=document.document_date,
            size=document.size,
            content_type=document.content_type,
            uploaded_by=uploader,
            uploaded_at=document.uploaded_at,
        )

    def _filename(self, document: Document) -> str:
        try:
            return decrypt_text(self.keyring, document.filename, context=DOCUMENT_FILENAME.context(document.id))
        except DecryptionError:
            log.warning("file name of document %s does not decrypt", document.id)
            return "(naam onleesbaar)"

    # -- downloading -------------------------------------------------------------------------------------------

    async def get_document(self, user: User, document_id: str) -> Document:
        """The document if the user's organisation is party to its case (NotFound otherwise, also for unknown ids)."""
        document = await self.db.get(Document, document_id) if ID_RE.fullmatch(document_id or "") else None
        if document is None:
            raise NotFound("Document")
        require(user, Action.VIEW_CASES, document)
        return document

    async def prepare_download(self, user: User, document_id: str) -> Download:
        """Authorise and unwrap the data key (database work only). DocumentUnavailable if the key does not unwrap."""
        document = await self.get_document(user, document_id)
        try:
            data_key = self.keyring.unwrap(
                document.wrapped_key, associated_data=DOCUMENT_KEY.associated_data(document.id)
            )
        except DecryptionError:
            log.error("data key of document %s does not unwrap", document.id)
            raise DocumentUnavailable(document.id) from None
        return Download(document=document, filename=self._filename(document), data_key=data_key)

    async def verify(self, download: Download) -> None:
        """Decrypt the whole blob, discarding the plaintext; DocumentUnavailable unless it is complete and intact.

        Cost: one full read and decryption of the blob before the first byte is sent (see the module text).
        """
        document = download.document
        decryptor = StreamDecryptor(download.data_key, document.id, document.revision)
        total = 0
        try:
            async with contextlib.aclosing(self.blobs.get(document.blob_name)) as blocks:
                async for block in blocks:
                    total += len(decryptor.update(block))
            total += len(decryptor.finalize())
        except (DecryptionError, InvalidBlobName, OSError) as exc:
            log.error("document %s failed verification: %s", document.id, type(exc).__name__)
            raise DocumentUnavailable(document.id) from None
        if total != document.size:
            log.error("document %s failed verification: size differs from the row", document.id)
            raise DocumentUnavailable(document.id)

    async def plaintext(self, download: Download) -> AsyncIterator[bytes]:
        """The verified document's plaintext, decrypted segment by segment.

        Every piece is authenticated before it is yielded. Should the blob change between :meth:`verify` and this
        pass, the iteration raises (the response is then cut off short of its Content-Length, which every client
        treats as a failed download), but it never yields a forged byte.
        """
        document = download.document
        decryptor = StreamDecryptor(download.data_key, document.id, document.revision)
        async with contextlib.aclosing(self.blobs.get(document.blob_name)) as blocks:
            async for block in blocks:
                out = decryptor.update(block)
                if out:
                    yield out
        last = decryptor.finalize()
        if last:
            yield last

    async def record_download(self, user: User, document: Document) -> None:
        await self._audit(user, "document.download", document.id)

    async def open_download(self, user: User, document_id: str) -> tuple[Document, str, AsyncIterator[bytes]]:
        """Authorise, verify the whole blob, write the audit record, and return (document, file name, plaintext).

        Raises NotFound for a document of another organisation, DocumentUnavailable when the blob is damaged.
        The web layer uses the steps separately so that no database connection is held during verification.
        """
        download = await self.prepare_download(user, document_id)
        await self.verify(download)
        await self.record_download(user, download.document)
        return download.document, download.filename, self.plaintext(download)


# -- start-up ----------------------------------------------------------------------------------------------------


async def cleanup_orphan_blobs(
    sessions: async_sessionmaker[AsyncSession],
    blobs: FilesystemBlobStore,
    *,
    older_than: timedelta = timedelta(hours=1),
) -> tuple[int, int]:
    """Remove temporary files and blobs that no document row names (left by a crash). Called at start-up."""
    async with transaction(sessions) as db:
        known = set((await db.execute(select(Document.blob_name))).scalars())
    temps, orphans = await blobs.cleanup_orphans(known, older_than)
    if temps or orphans:
        log.warning("removed %d unfinished upload(s) and %d blob(s) without a document", temps, orphans)
    return temps, orphans
