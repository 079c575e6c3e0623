"""Documents of a thread's case attached to its messages: which may be attached, and how they are shown.

The document keeps its own access rules: the page links to the vault's download route, which checks the party and
writes the audit record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import DecryptionError, Keyring, decrypt_text
from hub.documents.models import Document, DocumentType, choice_label
from hub.fields import DOCUMENT_FILENAME
from hub.messaging.models import MessageAttachment, Thread


@dataclass(frozen=True)
class AttachmentView:
    document_id: str
    case_id: str
    filename: str
    type_label: str
    withdrawn: bool = False  # withdrawn by its uploader since: named, not linked
    document_date: date | None = None
    uploaded_at: datetime | None = None
    uploaded_by: str = ""  # a user id (hub.cases.visits: new to whom)

    def choice_label(self, *, new: bool = False) -> str:
        return choice_label(self.filename, self.type_label, self.document_date, new=new)


def attachment_view(keyring: Keyring, document: Document) -> AttachmentView:
    try:
        name = decrypt_text(keyring, document.filename, context=DOCUMENT_FILENAME.context(document.id))
    except DecryptionError:
        name = "(naam niet leesbaar)"
    try:
        label = DocumentType(document.doc_type).label
    except ValueError:
        label = document.doc_type
    return AttachmentView(
        document_id=document.id,
        case_id=document.case_id or "",  # always set: only a case's documents are attachable (attachable below)
        filename=name,
        type_label=label,
        withdrawn=document.withdrawn_at is not None,
        document_date=document.document_date,
        uploaded_at=document.uploaded_at,
        uploaded_by=document.uploaded_by,
    )


def _of_thread(thread: Thread) -> tuple[ColumnElement[bool], ...]:
    """The documents of the thread's case (and of its parties)."""
    return (
        col(Document.case_id) == thread.case_id,
        col(Document.gemeente_id) == thread.gemeente_id,
        col(Document.kantoor_id) == thread.kantoor_id,
    )


async def attachable(db: AsyncSession, thread: Thread, ids: Sequence[str], errors: dict[str, str]) -> list[Document]:
    """The documents ``ids`` to attach to a message in ``thread``; a problem goes into ``errors``."""
    wanted = list(dict.fromkeys(i for i in ids if i))
    if not wanted:
        return []
    if thread.case_id is None:
        errors["attachments"] = "Bij een algemene vraag kunt u geen documenten uit een dossier bijvoegen."
        return []
    rows = await db.execute(select(Document).where(col(Document.id).in_(wanted), *_of_thread(thread)))
    found = list(rows.scalars())
    if len(found) != len(wanted):
        errors["attachments"] = "Kies alleen documenten uit het dossier van dit gesprek."
        return []
    if any(d.withdrawn_at is not None for d in found):
        errors["attachments"] = "Een ingetrokken document kunt u niet meer bijvoegen."
        return []
    return found


async def is_attached(db: AsyncSession, message_id: str, document_id: str) -> bool:
    """Whether the document is attached to the message."""
    found = await db.execute(
        select(col(MessageAttachment.message_id)).where(
            col(MessageAttachment.message_id) == message_id, col(MessageAttachment.document_id) == document_id
        )
    )
    return found.first() is not None


async def case_documents(db: AsyncSession, keyring: Keyring, thread: Thread) -> list[AttachmentView]:
    """The documents of the thread's case that can be attached to a message (newest first; not withdrawn ones)."""
    if thread.case_id is None:
        return []
    rows = await db.execute(
        select(Document)
        .where(*_of_thread(thread), col(Document.withdrawn_at).is_(None))
        .order_by(col(Document.uploaded_at).desc())
    )
    return [attachment_view(keyring, d) for d in rows.scalars()]
