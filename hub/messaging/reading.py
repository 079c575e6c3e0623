"""Reading a thread: the thread page decrypted (messages, receipts, attachments, clocks), read markers and
receipts. Reading message content is audited as ``thread.view`` (ids only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import decrypt_text
from hub.accounts.models import Organisation, User
from hub.cases.models import Case
from hub.documents.models import Document
from hub.fields import MESSAGE_BODY, THREAD_SUBJECT
from hub.messaging.access import OBJECT_THREAD, MessagingBase
from hub.messaging.attachments import AttachmentView, attachment_view, case_documents
from hub.messaging.models import (
    Clock,
    ClockKind,
    Message,
    MessageAttachment,
    MessageKind,
    MessageReceipt,
    StopKind,
    Thread,
    ThreadKind,
    ThreadRead,
    ThreadStatus,
)
from hub.terms import describe_due, is_overdue


@dataclass(frozen=True)
class ReceiptView:
    """A message's receipt at one receiving organisation: delivered to its inbox, and first read (by whom)."""

    organisation_id: str
    organisation_name: str
    delivered_at: datetime
    first_read_at: datetime | None
    first_read_by_name: str | None


@dataclass(frozen=True)
class MessageView:
    message: Message
    body: str
    kind: MessageKind
    author_name: str
    author_org_name: str
    mine: bool  # sent by the viewer's organisation
    attachments: list[AttachmentView]
    receipts: list[ReceiptView]  # one per receiving organisation, by name
    own_receipt: ReceiptView | None  # on a message to the viewer's organisation: when it arrived there


@dataclass(frozen=True)
class ClockView:
    clock: Clock
    kind: ClockKind
    owed_by_name: str
    owed_by_us: bool
    running: bool
    due_words: str
    overdue: bool
    stopped_by_name: str | None
    stop_kind: StopKind | None


@dataclass(frozen=True)
class ThreadView:
    thread: Thread
    subject: str
    kind: ThreadKind
    status: ThreadStatus
    case_reference: str | None
    gemeente_name: str
    kantoor_name: str
    partner_name: str
    own_name: str
    messages: list[MessageView]
    clocks: list[ClockView]
    waiting_on_us: bool
    assignee_id: str | None  # of the viewer's side
    assignee_name: str | None


# -- read markers and receipts ---------------------------------------------------------------------------------


async def touch_read(db: AsyncSession, thread_id: str, user_id: str, now: datetime) -> None:
    """Upsert the user's read marker (one statement; it never moves back in time)."""
    conn = await db.connection()
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(ThreadRead).values(thread_id=thread_id, user_id=user_id, last_read_at=now)
    await db.execute(
        stmt.on_conflict_do_update(
            index_elements=["thread_id", "user_id"],
            set_={"last_read_at": stmt.excluded.last_read_at},
            where=col(ThreadRead.last_read_at) < stmt.excluded.last_read_at,
        )
    )


async def receipts_read(db: AsyncSession, thread_id: str, user: User, now: datetime) -> None:
    """Messages of the thread to the user's organisation get their first-read moment (once)."""
    await db.execute(
        update(MessageReceipt)
        .where(
            col(MessageReceipt.thread_id) == thread_id,
            col(MessageReceipt.organisation_id) == user.organisation_id,
            col(MessageReceipt.first_read_at).is_(None),
        )
        .values(first_read_at=now, first_read_by=user.id)
    )


class ReadingService(MessagingBase):
    async def mark_read(self, user: User, thread: Thread | str, now: datetime | None = None) -> None:
        """The user has seen the thread: their unread marker clears, and messages to their organisation get
        their first-read moment (once)."""
        now = self._now(now)
        found = await self.get_thread(user, thread)
        await touch_read(self.db, found.id, user.id, now)
        await receipts_read(self.db, found.id, user, now)
        await self.db.flush()

    async def thread_view(
        self, user: User, thread: Thread | str, now: datetime | None = None, *, mark_read: bool = False
    ) -> ThreadView:
        """Everything the thread page shows, decrypted: messages in order, receipts, attachments, clocks.

        Audited as ``thread.view``. ``mark_read``: the user sees the thread now (as :meth:`mark_read`), done after
        the audit record and before the receipts are read, so the page shows its own first reading.
        """
        now = self._now(now)
        found = await self.get_thread(user, thread)
        await self._audit(user, "thread.view", OBJECT_THREAD, found.id)
        if mark_read:
            await touch_read(self.db, found.id, user.id, now)
            await receipts_read(self.db, found.id, user, now)
            await self.db.flush()
        me = user.organisation_id
        orgs = {
            o.id: o
            for o in (
                await self.db.execute(
                    select(Organisation).where(col(Organisation.id).in_([found.gemeente_id, found.kantoor_id]))
                )
            ).scalars()
        }
        case_reference = None
        if found.case_id is not None:
            case_reference = (
                await self.db.execute(select(col(Case.reference)).where(col(Case.id) == found.case_id))
            ).scalar_one_or_none()
        assignee_id = found.gemeente_assignee_id if me == found.gemeente_id else found.kantoor_assignee_id
        assignee_name = None
        if assignee_id is not None:
            assignee_name = (
                await self.db.execute(select(col(User.name)).where(col(User.id) == assignee_id))
            ).scalar_one()
        return ThreadView(
            thread=found,
            subject=decrypt_text(self.keyring, found.subject, context=THREAD_SUBJECT.context(found.id)),
            kind=ThreadKind(found.kind),
            status=ThreadStatus(found.status),
            case_reference=case_reference,
            gemeente_name=orgs[found.gemeente_id].name,
            kantoor_name=orgs[found.kantoor_id].name,
            partner_name=orgs[found.other_party(me)].name,
            own_name=orgs[me].name,
            messages=await self._message_views(found, me, orgs),
            clocks=await self._clock_views(found, me, orgs, now),
            waiting_on_us=found.waiting_on_org_id == me,
            assignee_id=assignee_id,
            assignee_name=assignee_name,
        )

    async def _receipts(self, thread: Thread, me: str, orgs: dict[str, Organisation]) -> dict[str, list[ReceiptView]]:
        reader = aliased(User)
        rows = await self.db.execute(
            select(MessageReceipt, col(reader.name))
            .outerjoin(reader, col(reader.id) == col(MessageReceipt.first_read_by))
            .where(col(MessageReceipt.thread_id) == thread.id)
        )
        receipts: dict[str, list[ReceiptView]] = {}
        for receipt, reader_name in rows.all():
            org = orgs.get(receipt.organisation_id)
            receipts.setdefault(receipt.message_id, []).append(
                ReceiptView(
                    organisation_id=receipt.organisation_id,
                    organisation_name=org.name if org is not None else "",
                    delivered_at=receipt.delivered_at,
                    first_read_at=receipt.first_read_at,
                    # Who read it first is shown to that organisation only: the sender sees the organisation.
                    first_read_by_name=reader_name if receipt.organisation_id == me else None,
                )
            )
        return receipts

    async def _message_views(self, thread: Thread, me: str, orgs: dict[str, Organisation]) -> list[MessageView]:
        rows = await self.db.execute(
            select(Message, col(User.name))
            .join(User, col(User.id) == col(Message.author_id))
            .where(col(Message.thread_id) == thread.id)
            .order_by(col(Message.sent_at), col(Message.id))
        )
        messages = rows.all()
        receipts = await self._receipts(thread, me, orgs)
        attachments: dict[str, list[AttachmentView]] = {}
        if messages:
            att_rows = await self.db.execute(
                select(col(MessageAttachment.message_id), Document)
                .join(Document, col(Document.id) == col(MessageAttachment.document_id))
                .where(col(MessageAttachment.message_id).in_([m.id for m, _ in messages]))
                .order_by(col(Document.uploaded_at))
            )
            for message_id, document in att_rows.all():
                attachments.setdefault(message_id, []).append(attachment_view(self.keyring, document))
        views = []
        for message, author_name in messages:
            message_receipts = sorted(
                (r for r in receipts.get(message.id, []) if r.organisation_id != message.author_org_id),
                key=lambda r: r.organisation_name,
            )
            views.append(
                MessageView(
                    message=message,
                    body=decrypt_text(self.keyring, message.body, context=MESSAGE_BODY.context(message.id)),
                    kind=MessageKind(message.kind),
                    author_name=author_name,
                    author_org_name=orgs[message.author_org_id].name,
                    mine=message.author_org_id == me,
                    attachments=attachments.get(message.id, []),
                    receipts=message_receipts,
                    own_receipt=next((r for r in message_receipts if r.organisation_id == me), None),
                )
            )
        return views

    async def _clock_views(
        self, thread: Thread, me: str, orgs: dict[str, Organisation], now: datetime
    ) -> list[ClockView]:
        calendar = await self.calendars.for_gemeente(self.db, thread.gemeente_id)
        stopper = aliased(User)
        rows = await self.db.execute(
            select(Clock, col(stopper.name))
            .outerjoin(stopper, col(stopper.id) == col(Clock.stopped_by))
            .where(col(Clock.thread_id) == thread.id)
            .order_by(col(Clock.started_at), col(Clock.kind))
        )
        clocks = []
        for clock, stopped_by_name in rows.all():
            running = clock.stopped_at is None
            clocks.append(
                ClockView(
                    clock=clock,
                    kind=ClockKind(clock.kind),
                    owed_by_name=orgs[clock.owed_by_org_id].name,
                    owed_by_us=clock.owed_by_org_id == me,
                    running=running,
                    due_words=describe_due(clock.due_at, now, calendar) if running else "",
                    overdue=running and is_overdue(clock.due_at, now),
                    stopped_by_name=stopped_by_name,
                    stop_kind=StopKind(clock.stop_kind) if clock.stop_kind else None,
                )
            )
        return clocks

    # -- for the reply form, monitoring and tests --------------------------------------------------------------

    async def attachable_documents(self, user: User, thread: Thread | str) -> list[AttachmentView]:
        """The documents of the thread's case that can be attached to a message (newest first)."""
        return await case_documents(self.db, self.keyring, await self.get_thread(user, thread))

    async def clocks(self, user: User, thread: Thread | str) -> list[Clock]:
        found = await self.get_thread(user, thread)
        rows = await self.db.execute(
            select(Clock).where(col(Clock.thread_id) == found.id).order_by(col(Clock.started_at), col(Clock.kind))
        )
        return list(rows.scalars())

    async def messages(self, user: User, thread: Thread | str) -> list[tuple[Message, str]]:
        """The thread's messages with their decrypted bodies, in order (NotFound for a non-party; audited as
        ``thread.view``)."""
        found = await self.get_thread(user, thread)
        await self._audit(user, "thread.view", OBJECT_THREAD, found.id)
        rows = await self.db.execute(
            select(Message).where(col(Message.thread_id) == found.id).order_by(col(Message.sent_at), col(Message.id))
        )
        return [(m, decrypt_text(self.keyring, m.body, context=MESSAGE_BODY.context(m.id))) for m in rows.scalars()]
