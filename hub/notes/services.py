"""Adding, reading and removing internal notes, always within the caller's own organisation.

The case or thread is found with the usual two questions (hub.accounts.authz): not a party → NotFound, no case role
→ Forbidden. The notes themselves are then read and written only where ``organisation_id`` is the caller's own
organisation: another organisation's note does not exist for the caller (NotFound), on a case or thread both share.
Nothing here writes to the case or thread, so nothing the other side sees moves (no ordering, no count, no clock,
no mail). Audited: ``note.added`` and ``note.removed`` (ids only); reading notes is part of ``case.view`` and
``thread.view``, which the pages that show them write.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import Keyring, decrypt_text, encrypt_field
from hub.accounts.authz import Action, require
from hub.accounts.models import Organisation, User
from hub.audit import actions
from hub.audit import services as audit
from hub.cases.models import Case
from hub.db import is_id, new_id, utcnow
from hub.errors import NotFound, ValidationError
from hub.fields import INTERNAL_NOTE_BODY
from hub.messaging.models import Thread
from hub.notes.models import InternalNote

NOTE_MAX = 5_000
OBJECT_NOTE = "internal_note"


@dataclass(frozen=True)
class NoteRow:
    note: InternalNote
    body: str
    author_name: str
    mine: bool  # written by the user reading it: only they may remove it


@dataclass(frozen=True)
class Notes:
    """The notes of one case or thread for one organisation, oldest first, and that organisation's name (the label
    "alleen zichtbaar voor ..." names it)."""

    organisation_name: str
    rows: list[NoteRow]


class NoteService:
    def __init__(self, db: AsyncSession, keyring: Keyring) -> None:
        self.db = db
        self.keyring = keyring

    async def _subject(self, user: User, *, case_id: str = "", thread_id: str = "") -> Case | Thread:
        """The case or thread, when the user's organisation is party to it and the user has a case role."""
        found: Case | Thread | None
        if case_id:
            found = await self.db.get(Case, case_id) if is_id(case_id) else None
        else:
            found = await self.db.get(Thread, thread_id) if is_id(thread_id) else None
        if found is None:
            raise NotFound("Case" if case_id else "Thread")
        require(user, Action.VIEW_CASES, found)
        return found

    async def add(self, user: User, *, case_id: str = "", thread_id: str = "", body: str) -> InternalNote:
        """A note on the case or the thread (give one) for the user's own organisation. Audited as ``note.added``."""
        if bool(case_id) == bool(thread_id):
            raise ValueError("a note is on a case or on a thread")
        subject = await self._subject(user, case_id=case_id, thread_id=thread_id)
        text = body.strip("\n\r ")
        if not text:
            raise ValidationError({"body": "Schrijf de notitie."})
        if len(text) > NOTE_MAX:
            raise ValidationError({"body": f"De notitie is te lang: gebruik hoogstens {NOTE_MAX} tekens."})
        note_id = new_id()
        await self._audit(user, actions.NOTE_ADDED, note_id)
        note = InternalNote(
            id=note_id,
            organisation_id=user.organisation_id,
            case_id=subject.id if isinstance(subject, Case) else None,
            thread_id=subject.id if isinstance(subject, Thread) else None,
            author_id=user.id,
            body=encrypt_field(self.keyring, text, context=INTERNAL_NOTE_BODY.context(note_id)),
            created_at=utcnow(),
        )
        self.db.add(note)
        await self.db.flush()
        return note

    async def for_case(self, user: User, case: Case) -> Notes:
        require(user, Action.VIEW_CASES, case)
        return await self._notes(user, col(InternalNote.case_id) == case.id)

    async def for_thread(self, user: User, thread: Thread) -> Notes:
        require(user, Action.VIEW_CASES, thread)
        return await self._notes(user, col(InternalNote.thread_id) == thread.id)

    async def _notes(self, user: User, where: ColumnElement[bool]) -> Notes:
        rows = await self.db.execute(
            select(InternalNote, col(User.name))
            .join(User, col(User.id) == col(InternalNote.author_id))
            .where(where, col(InternalNote.organisation_id) == user.organisation_id)
            .order_by(col(InternalNote.created_at), col(InternalNote.id))
        )
        organisation = await self.db.get(Organisation, user.organisation_id)
        return Notes(
            organisation.name if organisation is not None else "",
            [
                NoteRow(
                    note,
                    decrypt_text(self.keyring, note.body, context=INTERNAL_NOTE_BODY.context(note.id)),
                    name,
                    note.author_id == user.id,
                )
                for note, name in rows.all()
            ],
        )

    async def remove(self, user: User, note_id: str) -> InternalNote:
        """The author removes their own note (the row and its text go; the audit log keeps that it existed).
        Another organisation's note, or a colleague's, is NotFound for the user."""
        note = await self.db.get(InternalNote, note_id) if is_id(note_id) else None
        if note is None or note.organisation_id != user.organisation_id or note.author_id != user.id:
            raise NotFound("InternalNote")
        await self._subject(user, case_id=note.case_id or "", thread_id=note.thread_id or "")
        await self._audit(user, actions.NOTE_REMOVED, note.id)
        await self.db.execute(delete(InternalNote).where(col(InternalNote.id) == note.id))
        return note

    async def _audit(self, user: User, action: str, note_id: str) -> None:
        await audit.record(
            self.db,
            user_id=user.id,
            organisation_id=user.organisation_id,
            action=action,
            object_type=OBJECT_NOTE,
            object_id=note_id,
        )
