"""Withdrawing a document: the organisation that uploaded it takes it back, with a reason.

Who: any case worker of the uploader's organisation (not only the uploader: a colleague takes over a case when the
uploader is away or has left; the audit record names who did it). The other party, and anybody else, gets NotFound.

Not on an ended case (hub.cases.models.Case.ended): it is read-only, its documents wait for retention as they are.

What stays: the row and the blob, for the retention step that deletes documents later; the case page lists the
document as *Ingetrokken* with the date and the reason (field-encrypted, hub.fields). What goes: the download (the
web layer answers 410), attaching it to a new message (hub.messaging.attachments), and a second withdrawal.
Messages that had it attached keep naming it, marked as withdrawn. Audited as ``document.withdraw``.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import Keyring, encrypt_field
from hub.accounts.authz import Action, require
from hub.accounts.models import User
from hub.audit import services as audit
from hub.cases.models import CASE_ENDED, Case
from hub.db import is_id, utcnow
from hub.documents.models import Document
from hub.errors import NotFound, ValidationError
from hub.fields import DOCUMENT_WITHDRAWAL_REASON

REASON_FIELD = "reason"
REASON_MAX = 1000


class DocumentWithdrawal:
    def __init__(self, db: AsyncSession, keyring: Keyring) -> None:
        self.db = db
        self.keyring = keyring

    async def withdrawable(self, user: User, document_id: str) -> Document:
        """The document if the user's organisation uploaded it and the user may upload (NotFound otherwise, also
        for the other party of the case; Forbidden for a role without uploads)."""
        document = await self.db.get(Document, document_id) if is_id(document_id) else None
        if document is None:
            raise NotFound("Document")
        require(user, Action.UPLOAD_DOCUMENT, document)
        uploader = await self.db.get(User, document.uploaded_by)
        if uploader is None or uploader.organisation_id != user.organisation_id:
            raise NotFound("Document")
        return document

    async def withdraw(self, user: User, document_id: str, reason: str, *, now: datetime | None = None) -> Document:
        """Withdraw the document with ``reason`` (required). ValidationError for a missing or too long reason or a
        document withdrawn already; nothing is changed then."""
        document = await self.withdrawable(user, document_id)
        text = reason.strip()
        if document.withdrawn_at is not None:
            raise ValidationError({REASON_FIELD: "Dit document is al ingetrokken."})
        case = await self.db.get(Case, document.case_id)
        if case is None or case.ended:  # the ended case's documents wait for retention as they are
            raise ValidationError({REASON_FIELD: CASE_ENDED})
        return await mark_withdrawn(self.db, self.keyring, user, document, text, action="document.withdraw", now=now)


async def mark_withdrawn(
    db: AsyncSession,
    keyring: Keyring,
    user: User,
    document: Document,
    reason: str,
    *,
    action: str,
    now: datetime | None = None,
) -> Document:
    """The withdrawal itself, for a case document (above) and an organisation document (hub.orgdocs) alike, once
    the caller has decided that ``user`` may: check the reason, mark the row (the reason field-encrypted), write the
    audit record ``action``. ValidationError, nothing changed, for a missing or too long reason or a second try."""
    text = reason.strip()
    if document.withdrawn_at is not None:
        raise ValidationError({REASON_FIELD: "Dit document is al ingetrokken."})
    if not text:
        raise ValidationError({REASON_FIELD: "Vul de reden in waarom u het document intrekt."})
    if len(text) > REASON_MAX:
        raise ValidationError({REASON_FIELD: f"De reden is te lang: gebruik hoogstens {REASON_MAX} tekens."})
    if any(unicodedata.category(ch) == "Cc" and ch not in "\r\n\t" for ch in text):
        raise ValidationError({REASON_FIELD: "De reden bevat een teken dat niet in een tekst hoort."})
    document.withdrawn_at = now or utcnow()
    document.withdrawn_by = user.id
    document.withdrawal_reason = encrypt_field(keyring, text, context=DOCUMENT_WITHDRAWAL_REASON.context(document.id))
    db.add(document)
    await audit.record(
        db, user_id=user.id, organisation_id=user.organisation_id, action=action,
        object_type="document", object_id=document.id,
    )  # fmt: skip
    await db.flush()
    return document
