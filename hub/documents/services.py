"""The document vault's service: who may upload to a case, storing an upload (the streaming pass is
:mod:`hub.documents.upload`), listing a case's documents, and handing one back.

Handing back streams the plaintext in one pass, each chunk authenticated before any of it is released
(:mod:`hub.documents.download`): what fails before the first byte gets an error page, what fails later breaks
the connection off, so damaged or partial content is never taken for a whole document.

No Starlette here: the web layer passes plain values and turns the exceptions (hub.documents.errors) into pages.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import DecryptionError, Keyring, decrypt_text
from hub.accounts.authz import Action, require
from hub.accounts.models import User
from hub.audit import services as audit
from hub.cases.models import Case
from hub.cases.records import local_today
from hub.db import is_id, transaction, utcnow
from hub.documents.blobstore import BlobStore
from hub.documents.download import ByteRange, DocumentUnavailable, PlaintextStream
from hub.documents.errors import CaseEnded, DocumentWithdrawn
from hub.documents.models import (
    BIJZONDERE_BIJSTAND_TYPES,
    DOCUMENT_TYPE_LABELS,
    Document,
    DocumentType,
    check_document_date,
    parse_doc_type,
)
from hub.documents.scanner import NoScanner, Scanner
from hub.documents.upload import Placement, Vault, stream_into_vault
from hub.errors import NotFound
from hub.fields import DOCUMENT_FILENAME, DOCUMENT_KEY, DOCUMENT_WITHDRAWAL_REASON
from hub.notifications.interfaces import MailKind, NotificationEvent, Notifier, Topic
from hub.notifications.outbox import OutboxNotifier
from hub.webhooks import events as webhooks
from hub.webhooks.events import EventType

log = logging.getLogger("hub.documents")

TABLE = "document"
OBJECT_TYPE = "document"


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
    may_withdraw: bool = False  # the viewer's organisation uploaded it and it is not withdrawn
    withdrawn_at: datetime | None = None
    withdrawal_reason: str = ""
    uploader_id: str = ""  # the user id behind ``uploaded_by`` (hub.cases.visits: new to whom)

    @property
    def size_label(self) -> str:
        return size_label(self.size)


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
        notifier: Notifier | None = None,
    ) -> None:
        """``notifications=False``: tell nobody (a file sent with a reply: the message's own notice covers it);
        ``notifier``: where notices go (by default the outbox, in this session's transaction)."""
        self.db = db
        self.keyring = keyring
        self._blob_store = blobs
        self.scanner: Scanner = scanner or NoScanner()
        self.last_upload_scanned = False  # whether a virus scanner checked the upload :meth:`store` stored last
        self.notifications = notifications
        self.notifier: Notifier = notifier if notifier is not None else OutboxNotifier(db)

    @property
    def blobs(self) -> BlobStore:
        if self._blob_store is None:
            raise RuntimeError("DocumentService needs a blob store for this")
        return self._blob_store

    # -- cases -------------------------------------------------------------------------------------------------

    async def case_for_upload(self, user: User, case_id: str) -> Case:
        """The case if the user's organisation is party to it (NotFound) and the user may upload (Forbidden)."""
        case = await self.db.get(Case, case_id) if is_id(case_id) else None
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
        while the file streams in. Raises an UploadRefused (hub.documents.errors) for anything the uploader can fix
        or should know; NotFound/Forbidden for authorisation; anything else is a server error. In every failing
        case nothing stays behind.
        """
        document = await self.receive(
            user,
            case,
            doc_type=doc_type,
            document_date=document_date,
            filename=filename,
            chunks=chunks,
            max_bytes=max_bytes,
        )
        await self.keep(user, case, [document])
        return document

    async def receive(
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
        """The first half of :meth:`store`: the file in the blob store (checked, encrypted), its row not yet added
        and the session untouched. :meth:`keep` adds it; a caller that does not keep it calls :meth:`forget_blob`.
        Several files of one upload are received one by one and kept together, or none of them."""
        require(user, Action.UPLOAD_DOCUMENT, case)
        if case.ended:
            raise CaseEnded()
        kind_of_document = doc_type if isinstance(doc_type, DocumentType) else parse_doc_type(doc_type)
        document_date = check_document_date(document_date, local_today())
        vault = Vault(self.keyring, self.blobs, self.scanner)
        document = await stream_into_vault(
            vault,
            user,
            Placement.of_case(case),
            doc_type=kind_of_document,
            document_date=document_date,
            filename=filename,
            chunks=chunks,
            max_bytes=max_bytes,
        )
        self.last_upload_scanned = vault.scanned
        return document

    async def keep(self, user: User, case: Case, documents: list[Document]) -> None:
        """Add received documents (flushed, not committed), with an audit record each and one notice to the other
        party for them all. Should this fail, their blobs are removed."""
        try:
            for document in documents:
                self.db.add(document)
            await self.db.flush()
            for document in documents:
                await self._audit(user, "document.upload", document.id)
                data = {"caseId": case.id, "documentId": document.id, "documentType": document.doc_type}
                parties = (case.gemeente_id, case.kantoor_id)
                await webhooks.enqueue(self.db, EventType.DOCUMENT_CREATED, parties, data, now=utcnow())
            if self.notifications and documents:
                other = case.kantoor_id if user.organisation_id == case.gemeente_id else case.gemeente_id
                # The receiving side's assignee of the case, else (none) its users of the recipient roles.
                assignee = case.gemeente_contact_id if other == case.gemeente_id else case.bewindvoerder_id
                # An aanvraag bijzondere bijstand reaches the gemeente's consulenten too.
                bijstand = any(DocumentType(d.doc_type) in BIJZONDERE_BIJSTAND_TYPES for d in documents)
                await self.notifier.notify(
                    NotificationEvent(
                        kind=MailKind.NIEUW_DOCUMENT,
                        organisation_id=other,
                        case_id=case.id,
                        assigned_user_ids=(assignee,) if assignee else (),
                        topics=frozenset({Topic.BIJZONDERE_BIJSTAND} if bijstand else ()),
                    ),
                    now=utcnow(),
                )
        except BaseException:
            for document in documents:
                await self.forget_blob(document)
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
            select(Document, col(User.name), col(User.organisation_id))
            .join(User, col(User.id) == col(Document.uploaded_by), isouter=True)
            .where(
                col(Document.case_id) == case.id,
                col(Document.gemeente_id) == case.gemeente_id,
                col(Document.kantoor_id) == case.kantoor_id,
            )
            .order_by(col(Document.uploaded_at).desc(), col(Document.id))
        )
        return [
            self.row(document, uploader or "—", own=uploader_org == user.organisation_id, ended=case.ended)
            for document, uploader, uploader_org in rows.all()
        ]

    def row(self, document: Document, uploader: str, *, own: bool = False, ended: bool = False) -> DocumentRow:
        try:
            label = DOCUMENT_TYPE_LABELS[DocumentType(document.doc_type)]
        except ValueError:
            label = document.doc_type
        return DocumentRow(
            id=document.id,
            filename=self.filename(document),
            doc_type=document.doc_type,
            type_label=label,
            document_date=document.document_date,
            size=document.size,
            content_type=document.content_type,
            uploaded_by=uploader,
            uploaded_at=document.uploaded_at,
            may_withdraw=own and document.withdrawn_at is None and not ended,
            withdrawn_at=document.withdrawn_at,
            withdrawal_reason=self._reason(document),
            uploader_id=document.uploaded_by,
        )

    def _reason(self, document: Document) -> str:
        if document.withdrawal_reason is None:
            return ""
        try:
            return decrypt_text(
                self.keyring, document.withdrawal_reason, context=DOCUMENT_WITHDRAWAL_REASON.context(document.id)
            )
        except DecryptionError:
            log.warning("withdrawal reason of document %s does not decrypt", document.id)
            return "(reden onleesbaar)"

    def filename(self, document: Document) -> str:
        try:
            return decrypt_text(self.keyring, document.filename, context=DOCUMENT_FILENAME.context(document.id))
        except DecryptionError:
            log.warning("file name of document %s does not decrypt", document.id)
            return "(naam onleesbaar)"

    # -- downloading -------------------------------------------------------------------------------------------

    async def get_document(self, user: User, document_id: str) -> Document:
        """The document if the user's organisation is party to its case (NotFound otherwise, also for unknown ids)."""
        document = await self.db.get(Document, document_id) if is_id(document_id) else None
        if document is None:
            raise NotFound("Document")
        require(user, Action.VIEW_CASES, document)
        return document

    async def prepare_download(self, user: User, document_id: str) -> Download:
        """Authorise and unwrap the data key (database work only). DocumentWithdrawn for a withdrawn document,
        DocumentUnavailable if the key does not unwrap."""
        return self.unwrap(await self.get_document(user, document_id))

    def unwrap(self, document: Document) -> Download:
        """A document someone was allowed to read, ready for :meth:`verify` and :meth:`plaintext` (hub.orgdocs
        authorises its own documents and comes here). DocumentWithdrawn, DocumentUnavailable as above."""
        if document.withdrawn_at is not None:
            raise DocumentWithdrawn(document.id)
        try:
            data_key = self.keyring.unwrap(
                document.wrapped_key, associated_data=DOCUMENT_KEY.associated_data(document.id)
            )
        except DecryptionError:
            log.error("data key of document %s does not unwrap", document.id)
            raise DocumentUnavailable(document.id) from None
        return Download(document=document, filename=self.filename(document), data_key=data_key)

    def stream(self, download: Download, byte_range: ByteRange | None = None) -> PlaintextStream:
        """The document's plaintext (or ``byte_range`` of it), verified chunk by chunk while it streams."""
        return PlaintextStream(self.blobs, download.document, download.data_key, byte_range)

    async def record_download(self, user: User, document: Document, action: str = "document.download") -> None:
        await self._audit(user, action, document.id)

    async def open_download(self, user: User, document_id: str) -> tuple[Document, str, AsyncIterator[bytes]]:
        """Authorise, start the stream (DocumentUnavailable when even its start fails), write the audit record, and
        return (document, file name, plaintext). NotFound for a document of another organisation.
        The web layer uses the steps separately so that no database connection is held while the blob streams.
        """
        download = await self.prepare_download(user, document_id)
        stream = self.stream(download)
        await stream.start()
        await self.record_download(user, download.document)
        return download.document, download.filename, stream.body()


# -- start-up ----------------------------------------------------------------------------------------------------


async def cleanup_orphan_blobs(
    sessions: async_sessionmaker[AsyncSession],
    blobs: BlobStore,
    *,
    older_than: timedelta = timedelta(hours=1),
) -> tuple[int, int]:
    """Remove temporary files and blobs that no document row names (left by a crash), older than ``older_than``.
    Called at start-up and hourly by the worker (:mod:`hub.worker`)."""
    async with transaction(sessions) as db:
        known = set((await db.execute(select(col(Document.blob_name)))).scalars())
    temps, orphans = await blobs.cleanup_orphans(known, older_than)
    if temps or orphans:
        log.warning("removed %d unfinished upload(s) and %d blob(s) without a document", temps, orphans)
    return temps, orphans
