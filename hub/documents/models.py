"""Documents in the vault: metadata in the database, the encrypted content in the blob store."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from hub.db import UTCDateTime, new_id, utcnow
from hub.documents.errors import BadDocumentDate, BadDocumentType, FutureDocumentDate
from hub.terms import format_datum

# The upload form's fields (the document upload and the messaging reply with a file use the same names).
FIELD_FILE = "document_file"
FIELD_TYPE = "doc_type"
FIELD_DATE = "document_date"


class DocumentType(StrEnum):
    BENOEMINGSBESCHIKKING = "benoemingsbeschikking"
    NOTA_PERIODIEKE_KOSTEN = "nota_periodieke_kosten"
    CAK_NOTA = "cak_nota"
    AANVRAAG_BIJZONDERE_BIJSTAND = "aanvraag_bijzondere_bijstand"
    SCHULDENOVERZICHT = "schuldenoverzicht"
    PLAN_VAN_AANPAK = "plan_van_aanpak"
    UITSTROOMVERSLAG = "uitstroomverslag"
    DECHARGE = "decharge"
    KWALITEITSVERKLARING = "kwaliteitsverklaring"
    OVERIG = "overig"

    @property
    def label(self) -> str:
        return DOCUMENT_TYPE_LABELS[self]


DOCUMENT_TYPE_LABELS: dict[DocumentType, str] = {
    DocumentType.BENOEMINGSBESCHIKKING: "Benoemingsbeschikking",
    DocumentType.NOTA_PERIODIEKE_KOSTEN: "Nota periodieke kosten",
    DocumentType.CAK_NOTA: "CAK-nota",
    DocumentType.AANVRAAG_BIJZONDERE_BIJSTAND: "Aanvraag bijzondere bijstand",
    DocumentType.SCHULDENOVERZICHT: "Schuldenoverzicht",
    DocumentType.PLAN_VAN_AANPAK: "Plan van aanpak",
    DocumentType.UITSTROOMVERSLAG: "Uitstroomverslag",
    DocumentType.DECHARGE: "Decharge",
    DocumentType.KWALITEITSVERKLARING: "Kwaliteitsverklaring",
    DocumentType.OVERIG: "Overig",
}

# The types that are about bijzondere bijstand: their arrival reaches the gemeente's consulenten bijzondere bijstand
# too (hub.notifications.outbox.TOPIC_ROLES), whoever handles the case.
BIJZONDERE_BIJSTAND_TYPES: frozenset[DocumentType] = frozenset({DocumentType.AANVRAAG_BIJZONDERE_BIJSTAND})

# (value, label) for a <select>, in the order above: every form renders the types from here.
DOCUMENT_TYPE_OPTIONS: list[tuple[str, str]] = [(t.value, label) for t, label in DOCUMENT_TYPE_LABELS.items()]


def parse_doc_type(raw: str) -> DocumentType:
    """The kind of document from a form value; BadDocumentType when missing or unknown."""
    try:
        return DocumentType(raw.strip())
    except ValueError:
        raise BadDocumentType() from None


def check_document_date(day: date | None, today: date) -> date:
    """The one rule for a document's date (the upload form, the reply with a file and the service all use it):
    given, and not after ``today`` (the Dutch calendar date). BadDocumentDate or FutureDocumentDate otherwise."""
    if day is None:
        raise BadDocumentDate()
    if day > today:
        raise FutureDocumentDate()
    return day


class Document(SQLModel, table=True):
    __tablename__ = "document"
    __table_args__ = (
        Index("ix_document_case_uploaded", "case_id", "uploaded_at"),
        CheckConstraint("case_id IS NULL OR gemeente_id IS NOT NULL", name="ck_document_case_has_gemeente"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    # None for an organisation document (hub.orgdocs: the signed convenant, a kantoor's quality document): it
    # belongs to no case; a kantoor's quality document has no gemeente either.
    case_id: str | None = Field(default=None, foreign_key="dossier.id", max_length=32)
    gemeente_id: str | None = Field(default=None, foreign_key="organisation.id", max_length=32)
    kantoor_id: str = Field(foreign_key="organisation.id", max_length=32)
    revision: int = 1
    doc_type: str = Field(max_length=40)
    document_date: date | None = None
    uploaded_by: str = Field(foreign_key="user_account.id", max_length=32)
    uploaded_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    size: int = Field(sa_column=Column(BigInteger, nullable=False))  # plaintext bytes; files may pass 2 GiB
    content_type: str = Field(max_length=100)  # decided from the content, not from the browser
    filename: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # field-encrypted original name
    sha256: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # field-encrypted plaintext digest
    # The per-document data key, wrapped by the keyring's primary KEK with the document id bound.
    wrapped_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    blob_name: str = Field(max_length=80, unique=True)  # generated; never derived from user input
    # Withdrawn by its uploader's organisation (hub.documents.withdrawal): listed, no longer downloadable or
    # attachable, the blob kept for the retention step that deletes it.
    withdrawn_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    withdrawn_by: str | None = Field(default=None, foreign_key="user_account.id", max_length=32)
    withdrawal_reason: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))

    def party_ids(self) -> tuple[str, ...]:
        """The parties of its case. None for an organisation document: then every case route (download,
        withdrawal, attaching) answers NotFound, and only hub.orgdocs' own rules hand it out."""
        if self.case_id is None or self.gemeente_id is None:
            return ()
        return (self.gemeente_id, self.kantoor_id)


def choice_label(filename: str, type_label: str, document_date: date | None, *, new: bool = False) -> str:
    """How a document is named where the user picks one (reply attachments, a milestone's evidence): with its type
    and date, so two files called cak-nota.pdf can be told apart, and "nieuw" since the user's last visit."""
    day = format_datum(document_date) if document_date else "zonder datum"
    return f"{filename} ({type_label}, {day})" + (" — nieuw" if new else "")
