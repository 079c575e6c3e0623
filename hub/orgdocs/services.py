"""Organisation documents in the vault: who may store, read and withdraw them (hub.orgdocs.models says what they are).

The vault does the work (hub.documents: the streamed upload with its size limit, sniffing, virus scan and
encryption; the verified download; the withdrawal); this service decides who, scoped to the caller's organisation:

- the signed convenant: stored and withdrawn by the contractmanager of its gemeente; read by the contractmanager of
  the gemeente and the kantoorbeheerder of the kantoor (``READ_CONVENANTS``). A newer upload becomes the one shown;
  the older ones stay (listed as earlier versions, with their audit records).
- a quality document (§3): stored and withdrawn by the kantoor (kantoorbeheerder, bewindvoerder); read by the kantoor
  and by the contractmanager of every gemeente that has a convenant with it (any status:
  :meth:`OrganisationService.partners_of`, the same partners as the routekaart).

Anybody else gets NotFound, as for a case; a party without the role gets Forbidden.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.sql import ColumnElement
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import Keyring
from hub.accounts.authz import Action, require
from hub.accounts.models import Convenant, Organisation, User
from hub.accounts.organisations import OrganisationService
from hub.accounts.roles import OrgKind
from hub.audit import services as audit
from hub.audit.actions import ORG_DOCUMENT_DOWNLOAD, ORG_DOCUMENT_UPLOAD, ORG_DOCUMENT_WITHDRAW
from hub.cases.records import local_today
from hub.db import is_id
from hub.documents.blobstore import BlobStore
from hub.documents.errors import BadDocumentType, FileTypeRefused, UploadRefused
from hub.documents.models import Document, check_document_date
from hub.documents.scanner import Scanner
from hub.documents.services import DocumentRow, DocumentService, Download
from hub.documents.sniff import PDF, SniffError, clean_filename, kind_for_filename
from hub.documents.upload import Placement, Vault, stream_into_vault
from hub.documents.withdrawal import mark_withdrawn
from hub.errors import Forbidden, NotFound
from hub.orgdocs.models import QUALITY_KINDS, OrganisationDocument, OrgDocKind

FIELD_VALID_UNTIL = "valid_until"
NOT_PDF = "Het ondertekende convenant moet een PDF-bestand zijn."


class BadValidUntil(UploadRefused):
    """A kwaliteitsverklaring without a validity end, or one that ends before the document's date."""

    def __init__(self, message: str) -> None:
        super().__init__("valid_until")
        self.message = message


@dataclass(frozen=True)
class OrgDocRow:
    """One organisation document as a page lists it: the vault's row plus what the link table adds."""

    row: DocumentRow
    kind: OrgDocKind
    valid_until: date | None

    @property
    def withdrawn(self) -> bool:
        return self.row.withdrawn_at is not None


def shown_version(entries: list[OrgDocRow]) -> tuple[OrgDocRow | None, list[OrgDocRow]]:
    """The version a page shows (the newest that is not withdrawn: a new upload replaces the one shown) and the
    others, newest first. ``entries`` newest first, as :meth:`OrgDocumentService.rows` gives them."""
    current = next((e for e in entries if not e.withdrawn), None)
    return current, [e for e in entries if e is not current]


def parse_quality_kind(raw: str) -> OrgDocKind:
    """Decharge or kwaliteitsverklaring from the form; BadDocumentType otherwise (a convenant is not one)."""
    for kind in QUALITY_KINDS:
        if raw.strip() == kind.value:
            return kind
    raise BadDocumentType()


def check_valid_until(kind: OrgDocKind, document_date: date, valid_until: date | None) -> date | None:
    """A kwaliteitsverklaring needs its last valid day, not before its own date; a decharge has none."""
    if kind != OrgDocKind.KWALITEITSVERKLARING:
        return None
    if valid_until is None:
        raise BadValidUntil("Vul in tot wanneer de kwaliteitsverklaring geldig is, bijvoorbeeld 31-12-2027.")
    if valid_until < document_date:
        raise BadValidUntil("De kwaliteitsverklaring kan niet eindigen voor de datum van het document.")
    return valid_until


def _check_convenant_uploader(user: User, convenant: Convenant) -> None:
    """NotFound unless the user's organisation is party to the convenant; Forbidden unless it is its gemeente and
    the user its contractmanager."""
    require(user, Action.UPLOAD_CONVENANT_DOCUMENT, convenant)
    if user.organisation_id != convenant.gemeente_id:
        raise Forbidden(Action.UPLOAD_CONVENANT_DOCUMENT.value)


def _check_quality_uploader(user: User, kantoor: Organisation) -> None:
    """NotFound for another organisation; Forbidden unless it is a kantoor and the user may add its documents."""
    require(user, Action.UPLOAD_QUALITY_DOCUMENT, kantoor)
    if kantoor.org_kind != OrgKind.KANTOOR:
        raise Forbidden(Action.UPLOAD_QUALITY_DOCUMENT.value)


class OrgDocumentService:
    """``blobs`` and ``scanner`` are needed for storing and downloading only."""

    def __init__(
        self, db: AsyncSession, keyring: Keyring, blobs: BlobStore | None = None, scanner: Scanner | None = None
    ) -> None:
        self.db = db
        self.keyring = keyring
        self.vault = DocumentService(db, keyring, blobs, scanner, notifications=False)
        self.last_upload_scanned = False

    # -- who ---------------------------------------------------------------------------------------------------

    async def convenant_for_upload(self, user: User, convenant_id: str) -> Convenant:
        """The convenant if the user's organisation is party to it (NotFound) and the user is its gemeente's
        contractmanager (Forbidden)."""
        convenant = await self.db.get(Convenant, convenant_id) if is_id(convenant_id) else None
        if convenant is None:
            raise NotFound("Convenant")
        _check_convenant_uploader(user, convenant)
        return convenant

    async def kantoor_for_upload(self, user: User) -> Organisation:
        """The user's own kantoor, if the user may add its quality documents (Forbidden otherwise)."""
        own = await OrganisationService(self.db).own(user)
        _check_quality_uploader(user, own)
        return own

    async def readable_kantoren(self, user: User) -> list[Organisation]:
        """Whose quality documents the user reads: their own kantoor, or for a gemeente its partner kantoren."""
        organisations = OrganisationService(self.db)
        own = await organisations.own(user)
        require(user, Action.VIEW_QUALITY_DOCUMENTS, own)
        if own.org_kind == OrgKind.KANTOOR:
            return [own]
        if own.org_kind == OrgKind.GEMEENTE:
            return await organisations.partners_of(own)
        return []

    async def readable(self, user: User, document_id: str) -> tuple[Document, OrganisationDocument]:
        """The organisation document if the user may read it; NotFound for anybody who is no party to it (and for
        every case document), Forbidden for a party without the role."""
        document = await self.db.get(Document, document_id) if is_id(document_id) else None
        link = await self.db.get(OrganisationDocument, document_id) if document is not None else None
        if document is None or link is None or document.case_id is not None:
            raise NotFound("Document")
        if link.convenant_id is not None:
            if user.organisation_id not in (document.gemeente_id, document.kantoor_id):
                raise NotFound("Document")
            require(user, Action.READ_CONVENANTS)
        elif user.organisation_id == document.kantoor_id:
            require(user, Action.VIEW_QUALITY_DOCUMENTS)
        else:
            own = await self.db.get(Organisation, user.organisation_id)
            partners = await OrganisationService(self.db).partners_of(own) if own is not None else []
            if own is None or own.org_kind != OrgKind.GEMEENTE or document.kantoor_id not in {p.id for p in partners}:
                raise NotFound("Document")
            require(user, Action.VIEW_QUALITY_DOCUMENTS)
        return document, link

    # -- storing -----------------------------------------------------------------------------------------------

    async def store_convenant(
        self,
        user: User,
        convenant: Convenant,
        *,
        document_date: date | None,
        filename: str,
        chunks: AsyncIterator[bytes],
        max_bytes: int,
    ) -> Document:
        """The signed convenant (a PDF; its date is the signing date). Like DocumentService.store: the checks come
        before the first byte (without the database: commit before calling, so that no connection is held while
        the file streams in), nothing stays behind on failure; the row is flushed, not committed."""
        _check_convenant_uploader(user, convenant)
        try:
            if kind_for_filename(clean_filename(filename)) is not PDF:
                raise FileTypeRefused("type", NOT_PDF)
        except SniffError:
            raise FileTypeRefused("type", NOT_PDF) from None
        place = Placement(None, convenant.gemeente_id, convenant.kantoor_id)
        return await self._store(
            user, place, OrgDocKind.CONVENANT, document_date, filename, chunks, max_bytes, convenant_id=convenant.id
        )

    async def store_quality(
        self,
        user: User,
        kantoor: Organisation,
        *,
        kind: OrgDocKind,
        document_date: date | None,
        valid_until: date | None,
        filename: str,
        chunks: AsyncIterator[bytes],
        max_bytes: int,
    ) -> Document:
        """A quality document of the user's own kantoor (:meth:`kantoor_for_upload`), with its date (and a
        kwaliteitsverklaring's last valid day: BadValidUntil). As :meth:`store_convenant` otherwise."""
        _check_quality_uploader(user, kantoor)
        if kind not in QUALITY_KINDS:
            raise BadDocumentType()
        day = check_document_date(document_date, local_today())
        valid_until = check_valid_until(kind, day, valid_until)
        place = Placement(None, None, kantoor.id)
        return await self._store(user, place, kind, day, filename, chunks, max_bytes, valid_until=valid_until)

    async def _store(
        self,
        user: User,
        place: Placement,
        kind: OrgDocKind,
        document_date: date | None,
        filename: str,
        chunks: AsyncIterator[bytes],
        max_bytes: int,
        *,
        convenant_id: str | None = None,
        valid_until: date | None = None,
    ) -> Document:
        day = check_document_date(document_date, local_today())
        vault = Vault(self.keyring, self.vault.blobs, self.vault.scanner)
        document = await stream_into_vault(
            vault, user, place, doc_type=kind, document_date=day, filename=filename, chunks=chunks, max_bytes=max_bytes
        )
        self.last_upload_scanned = vault.scanned
        try:
            self.db.add(document)
            await self.db.flush()  # the document before the link that points at it
            self.db.add(
                OrganisationDocument(document_id=document.id, convenant_id=convenant_id, valid_until=valid_until)
            )
            await self.db.flush()
            await self._audit(user, ORG_DOCUMENT_UPLOAD, document.id)
        except BaseException:
            await self.forget_blob(document)
            raise
        return document

    async def forget_blob(self, document: Document) -> None:
        """Remove the blob of a document whose row was not committed after all."""
        with contextlib.suppress(Exception):
            await self.vault.forget_blob(document)

    # -- reading -----------------------------------------------------------------------------------------------

    async def rows(self, user: User, *where: ColumnElement[bool]) -> list[OrgDocRow]:
        """Organisation documents matching ``where``, newest first (callers decide who may see which)."""
        result = await self.db.execute(
            select(Document, OrganisationDocument, col(User.name))
            .join(OrganisationDocument, col(OrganisationDocument.document_id) == col(Document.id))
            .join(User, col(User.id) == col(Document.uploaded_by), isouter=True)
            .where(col(Document.case_id).is_(None), *where)
            .order_by(col(Document.uploaded_at).desc(), col(Document.id))
        )
        out = []
        for document, link, uploader in result.all():
            owner = document.gemeente_id if link.convenant_id is not None else document.kantoor_id
            row = self.vault.row(document, uploader or "—", own=owner == user.organisation_id)
            out.append(OrgDocRow(row, OrgDocKind(document.doc_type), link.valid_until))
        return out

    async def convenant_documents(self, user: User, convenant_ids: list[str]) -> dict[str, list[OrgDocRow]]:
        """The signed copies of the user's own organisation's convenants ``convenant_ids``, newest first each."""
        require(user, Action.READ_CONVENANTS)
        by_convenant: dict[str, list[OrgDocRow]] = {cid: [] for cid in convenant_ids}
        if not convenant_ids:
            return by_convenant
        result = await self.db.execute(
            select(col(OrganisationDocument.document_id), col(OrganisationDocument.convenant_id))
            .join(Document, col(Document.id) == col(OrganisationDocument.document_id))
            .where(
                col(OrganisationDocument.convenant_id).in_(convenant_ids),
                (col(Document.gemeente_id) == user.organisation_id)
                | (col(Document.kantoor_id) == user.organisation_id),
            )
        )
        owner_of: dict[str, str | None] = {document_id: convenant_id for document_id, convenant_id in result.all()}
        for entry in await self.rows(user, col(Document.id).in_(list(owner_of))):
            convenant_id = owner_of[entry.row.id]
            if convenant_id is not None:
                by_convenant[convenant_id].append(entry)
        return by_convenant

    async def quality_documents(self, user: User, kantoor_ids: list[str]) -> dict[str, list[OrgDocRow]]:
        """The quality documents of ``kantoor_ids`` (already narrowed to :meth:`readable_kantoren`), newest first."""
        by_kantoor: dict[str, list[OrgDocRow]] = {kid: [] for kid in kantoor_ids}
        if not kantoor_ids:
            return by_kantoor
        result = await self.db.execute(
            select(col(Document.id), col(Document.kantoor_id))
            .join(OrganisationDocument, col(OrganisationDocument.document_id) == col(Document.id))
            .where(
                col(Document.case_id).is_(None),
                col(OrganisationDocument.convenant_id).is_(None),
                col(Document.kantoor_id).in_(kantoor_ids),
            )
        )
        kantoor_of: dict[str, str] = {document_id: kantoor_id for document_id, kantoor_id in result.all()}
        for entry in await self.rows(user, col(Document.id).in_(list(kantoor_of))):
            by_kantoor[kantoor_of[entry.row.id]].append(entry)
        return by_kantoor

    # -- downloading and withdrawing ---------------------------------------------------------------------------

    async def prepare_download(self, user: User, document_id: str) -> Download:
        """Authorise and unwrap the data key; then the vault's stream() (hub.documents.services)."""
        document, _ = await self.readable(user, document_id)
        return self.vault.unwrap(document)

    async def record_download(self, user: User, document: Document) -> None:
        await self._audit(user, ORG_DOCUMENT_DOWNLOAD, document.id)

    async def withdrawable(self, user: User, document_id: str) -> tuple[Document, OrganisationDocument]:
        """The document if the user's organisation owns it (the convenant's gemeente, the quality document's kantoor)
        and the user has the upload right; NotFound for the other party, Forbidden for a role without it."""
        document, link = await self.readable(user, document_id)
        if link.convenant_id is not None:
            owner, action = document.gemeente_id, Action.UPLOAD_CONVENANT_DOCUMENT
        else:
            owner, action = document.kantoor_id, Action.UPLOAD_QUALITY_DOCUMENT
        if user.organisation_id != owner:
            raise NotFound("Document")
        require(user, action)
        return document, link

    async def withdraw(self, user: User, document_id: str, reason: str) -> tuple[Document, OrganisationDocument]:
        """Withdraw it (:meth:`withdrawable`) with a reason: the vault's withdrawal (hub.documents.withdrawal)."""
        document, link = await self.withdrawable(user, document_id)
        await mark_withdrawn(self.db, self.keyring, user, document, reason, action=ORG_DOCUMENT_WITHDRAW)
        return document, link

    async def _audit(self, user: User, action: str, document_id: str) -> None:
        await audit.record(
            self.db,
            user_id=user.id,
            organisation_id=user.organisation_id,
            action=action,
            object_type="document",
            object_id=document_id,
        )
