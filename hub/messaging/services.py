"""Threads, messages and the reaction clocks of convenant §1b. No Starlette here: callers pass plain values.

The clock rules (one party posts, the other owes a reaction):

- A ``bericht`` or ``vraag_om_informatie`` from a party, when no clock runs in the thread, starts the other party's
  clock(s): casuïstiek 2 werkdagen; a general question 2 werkdagen for a first reaction and 2 weken for the
  substantive one. A further message from the asking side while a clock runs does not restart it.
- The owing party stops its clocks with an ``inhoudelijke_reactie`` (all its running clocks in the thread). On a
  general question any reply (also a plain ``bericht``) stops the first-reaction clock. A substantive reaction asks
  for nothing, so no clock starts for the other party.
- A ``procesafspraak`` carries an agreed date: the substantive clock's due moment becomes the end of that date and
  the clock keeps running; the first rule-based due moment, when and by which message it moved, and whether the
  afspraak itself came after the due moment then in force, are kept. On a general question it also stops the
  first-reaction clock (stop kind ``procesafspraak``). Only a party that owes a reaction can make one.
- A ``vraag_om_informatie`` from the owing party hands the clock over: its running clocks stop as ``overgedragen``
  (in time when before the due moment) and the same kind of clock(s) start for the other party, marked
  ``handed_over``. When that party answers with an ``inhoudelijke_reactie`` (the information), the turn goes back:
  fresh clocks start for the party that asked for the information.
- A ``geen_reactie_nodig`` message (a thank-you, a confirmation: "bericht zonder vraag") asks nothing and answers
  nothing: it starts no clock and stops none, whoever sends it. Only the substantive reaction (or a procesafspraak,
  or a vraag om informatie) changes a running clock.
- A clock is in time when it stopped no later than its due moment and no procesafspraak was made late.
- At most one party owes a reaction in a thread at any moment; the thread's ``waiting_on_org_id``,
  ``awaited_by_org_id`` and ``current_due_at`` (the earliest due moment of the running clocks) follow every change.

Due moments always use the calendar of the gemeente party: national feestdagen, decree days and its own closing
days (:class:`hub.calendars.models.GemeenteClosingDay`).

Reading message content is audited (ids only, never a subject or body): ``thread.view`` (a thread's messages),
``thread.list`` (an inbox page that shows at least one decrypted subject) and ``message.post``. A transaction that
writes an audit record writes it before it locks anything else (the chain head first, then the thread), so that two
audited transactions always take their locks in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import DecryptionError, Keyring, decrypt_text, encrypt_field
from hub.accounts.models import CONVENANT_ACTIVE, Convenant, Organisation, User
from hub.accounts.roles import OrgKind
from hub.audit import services as audit
from hub.authz import Action, require
from hub.calendars.services import CalendarSource
from hub.cases.models import Case
from hub.db import new_id, utcnow
from hub.documents.models import Document, DocumentType
from hub.documents.services import FIELD_FILE
from hub.errors import NotFound, ValidationError
from hub.fields import DOCUMENT_FILENAME, MESSAGE_BODY, THREAD_SUBJECT
from hub.messaging.assignees import side_assignees
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
from hub.notifications.interfaces import MailKind, NotificationEvent, Notifier
from hub.notifications.outbox import OutboxNotifier
from hub.terms import (
    WerkdagCalendar,
    algemene_eerste_reactie_due,
    algemene_inhoudelijke_reactie_due,
    as_local_date,
    describe_due,
    end_of_day,
    reactie_casuistiek_due,
)

SUBJECT_MAX = 200
BODY_MAX = 20_000
AGREED_DATE_HORIZON = timedelta(days=366)
INBOX_TABS = ("te_beantwoorden", "wacht_op_ander", "alle")
ASSIGNEE_MINE = "mij"
ASSIGNEE_NOBODY = "niemand"
# Audit object types.
OBJECT_THREAD = "message_thread"
OBJECT_MESSAGE = "message"
NO_UPLOAD_WITHOUT_CASE = (
    "Bij een algemene vraag kunt u geen bestand meesturen: een document hoort altijd bij een dossier. "
    "Stel uw vraag vanuit het dossier om een bestand mee te sturen."
)
FIELD_UPLOAD = FIELD_FILE  # the form field (and error key) of a file uploaded with a reply

CLOCKS_FOR: dict[ThreadKind, tuple[ClockKind, ...]] = {
    ThreadKind.CASUISTIEK: (ClockKind.CASUISTIEK,),
    ThreadKind.ALGEMEEN: (ClockKind.ALGEMEEN_EERSTE, ClockKind.ALGEMEEN_INHOUDELIJK),
}
# The clocks a procesafspraak moves (the substantive ones); the first-reaction clock is stopped by it instead.
SUBSTANTIVE_CLOCKS = frozenset({ClockKind.CASUISTIEK, ClockKind.ALGEMEEN_INHOUDELIJK})


def due_for(kind: ClockKind, received: datetime, calendar: WerkdagCalendar) -> datetime:
    """The rule-based due moment of a clock of ``kind`` that starts with receipt at ``received``."""
    if kind == ClockKind.CASUISTIEK:
        return reactie_casuistiek_due(received, calendar=calendar)
    if kind == ClockKind.ALGEMEEN_EERSTE:
        return algemene_eerste_reactie_due(received, calendar=calendar)
    return algemene_inhoudelijke_reactie_due(received, calendar=calendar)


# -- results -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxRow:
    thread_id: str
    subject: str
    kind: ThreadKind
    status: ThreadStatus
    case_id: str | None
    case_reference: str | None
    partner_name: str
    assignee_name: str | None
    last_message_at: datetime
    due_at: datetime | None
    due_words: str  # "" when no clock runs
    overdue: bool
    unread: bool
    waiting_on_us: bool
    waiting_on_partner: bool


@dataclass(frozen=True)
class InboxPage:
    tab: str
    rows: list[InboxRow]
    offset: int
    limit: int
    has_next: bool
    counts: dict[str, int]  # te_beantwoorden, te_laat (of those), wacht_op_ander


@dataclass(frozen=True)
class AttachmentView:
    document_id: str
    case_id: str
    filename: str
    type_label: str


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


# -- the service ---------------------------------------------------------------------------------------------------


class MessagingService:
    def __init__(
        self,
        db: AsyncSession,
        keyring: Keyring,
        *,
        calendars: CalendarSource | None = None,
        clock: Callable[[], datetime] = utcnow,
        notifier: Notifier | None = None,
        notifications: bool = True,
    ) -> None:
        """``notifier``: told of every message (the receiving organisation's e-mail notice) and of every clock that
        stops or moves; the outbox in this session by default. ``notifications=False``: no notice of messages."""
        self.db = db
        self.keyring = keyring
        self.calendars = calendars if calendars is not None else CalendarSource()
        self.clock = clock
        self.notifier: Notifier = notifier if notifier is not None else OutboxNotifier(db)
        self.notifications = notifications

    def _now(self, now: datetime | None) -> datetime:
        moment = now if now is not None else self.clock()
        if moment.tzinfo is None:
            raise ValueError("naive datetime refused: pass a timezone-aware moment")
        return moment

    async def _audit(self, user: User, action: str, object_type: str, object_id: str) -> None:
        """One audit record (ids only), in the caller's transaction."""
        await audit.record(
            self.db,
            user_id=user.id,
            organisation_id=user.organisation_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
        )

    # -- loading with authorisation ----------------------------------------------------------------------------

    async def get_thread(
        self, user: User, thread: Thread | str, action: Action = Action.VIEW_CASES, *, lock: bool = False
    ) -> Thread:
        """The thread, if the user's organisation is party to it (else NotFound) and the role allows ``action``."""
        thread_id = thread.id if isinstance(thread, Thread) else thread
        query = select(Thread).where(Thread.id == thread_id)
        if lock:
            # The locked row is the newest version: refresh an instance loaded earlier in this session.
            query = query.with_for_update().execution_options(populate_existing=True)
        found = (await self.db.execute(query)).scalar_one_or_none()
        if found is None:
            raise NotFound("Thread")
        require(user, action, found)
        return found

    async def case_for(self, user: User, case_id: str) -> Case:
        case = await self.db.get(Case, case_id)
        if case is None:
            raise NotFound("Case")
        require(user, Action.VIEW_CASES, case)
        return case

    async def case_by_reference(self, user: User, reference: str) -> Case:
        case = (await self.db.execute(select(Case).where(Case.reference == reference.strip()))).scalar_one_or_none()
        if case is None:
            raise NotFound("Case")
        require(user, Action.VIEW_CASES, case)
        return case

    async def convenants_for(self, user: User) -> list[tuple[Convenant, Organisation]]:
        """The active convenants of the user's organisation, each with the partner organisation, by name."""
        own = await self.db.get(Organisation, user.organisation_id)
        if own is None or own.org_kind not in (OrgKind.GEMEENTE, OrgKind.KANTOOR):
            return []
        partner = aliased(Organisation)
        if own.org_kind == OrgKind.GEMEENTE:
            join_on, where = Convenant.kantoor_id, Convenant.gemeente_id == own.id
        else:
            join_on, where = Convenant.gemeente_id, Convenant.kantoor_id == own.id
        rows = await self.db.execute(
            select(Convenant, partner)
            .join(partner, partner.id == join_on)
            .where(where, Convenant.status == CONVENANT_ACTIVE)
            .order_by(partner.name, Convenant.start_date)
        )
        today = as_local_date(utcnow())
        return [(c, p) for c, p in rows.all() if c.is_active_on(today)]

    async def colleagues(self, user: User) -> list[User]:
        rows = await self.db.execute(
            select(User)
            .where(User.organisation_id == user.organisation_id, User.disabled.is_(False))
            .order_by(User.name)
        )
        return list(rows.scalars())

    # -- starting and posting ----------------------------------------------------------------------------------

    async def start_thread(
        self,
        user: User,
        *,
        subject: str,
        body: str,
        case: Case | str | None = None,
        convenant: Convenant | str | None = None,
        kind: ThreadKind | str | None = None,
        now: datetime | None = None,
    ) -> Thread:
        """Open a thread on a case (casuïstiek) or a convenant (algemene vraag) with its first message.

        The parties are the case's or convenant's gemeente and kantoor; the user's organisation must be one of
        them (NotFound otherwise) and the role must allow posting. The starter is assigned on their side.
        """
        now = self._now(now)
        errors: dict[str, str] = {}
        parties: tuple[ThreadKind, str, str, str, str | None] | None = None
        if case is not None:
            case_obj = case if isinstance(case, Case) else await self.db.get(Case, case)
            if case_obj is None:
                raise NotFound("Case")
            require(user, Action.POST_MESSAGE, case_obj)
            parties = (ThreadKind.CASUISTIEK, case_obj.convenant_id, case_obj.gemeente_id, case_obj.kantoor_id,
                       case_obj.id)  # fmt: skip
        elif convenant is not None:
            conv = convenant if isinstance(convenant, Convenant) else await self.db.get(Convenant, convenant)
            if conv is None:
                raise NotFound("Convenant")
            require(user, Action.POST_MESSAGE, conv)
            if not conv.is_active_on(as_local_date(now)):
                errors["convenant_id"] = "Dit convenant is niet actief. Kies een actief convenant."
            parties = (ThreadKind.ALGEMEEN, conv.id, conv.gemeente_id, conv.kantoor_id, None)
        else:
            errors["soort"] = "Kies een dossier of, voor een algemene vraag, een convenant."
        if parties is not None and kind is not None and ThreadKind(kind) != parties[0]:
            errors["soort"] = "Een vraag over een dossier is casuïstiek; zonder dossier is het een algemene vraag."
        clean_subject = " ".join(subject.split())
        if not clean_subject:
            errors["subject"] = "Vul een onderwerp in."
        elif len(clean_subject) > SUBJECT_MAX:
            errors["subject"] = f"Het onderwerp is te lang: gebruik hoogstens {SUBJECT_MAX} tekens."
        body_error = _body_error(body)
        if body_error:
            errors["body"] = body_error
        if errors or parties is None:
            raise ValidationError(errors)
        message_id = new_id()
        await self._audit(user, "message.post", OBJECT_MESSAGE, message_id)  # first: see the module text
        thread_kind, convenant_id, gemeente_id, kantoor_id, case_id = parties
        thread = Thread(
            id=new_id(),
            kind=thread_kind.value,
            case_id=case_id,
            convenant_id=convenant_id,
            gemeente_id=gemeente_id,
            kantoor_id=kantoor_id,
            created_by=user.id,
            created_at=now,
            last_message_at=now,
            subject=b"",
        )
        thread.subject = encrypt_field(self.keyring, clean_subject, context=THREAD_SUBJECT.context(thread.id))
        if user.organisation_id == gemeente_id:
            thread.gemeente_assignee_id = user.id
        else:
            thread.kantoor_assignee_id = user.id
        self.db.add(thread)
        await self.db.flush()
        await self._post(user, thread, body, MessageKind.BERICHT, None, (), now, message_id)
        return thread

    async def post_message(
        self,
        user: User,
        thread: Thread | str,
        body: str,
        *,
        kind: MessageKind | str = MessageKind.BERICHT,
        agreed_date: date | None = None,
        attachment_ids: Sequence[str] = (),
        now: datetime | None = None,
    ) -> Message:
        """Post a message and apply the clock rules (see the module docstring).

        ``attachment_ids`` name documents of the thread's case. To attach a file that is not in the vault yet,
        upload it through the documents pipeline first (streaming, scanned, encrypted), in the same transaction,
        and pass the new id here: the message and the document are then committed together or not at all.
        """
        now = self._now(now)
        found = await self.get_thread(user, thread, Action.POST_MESSAGE)  # the party check, before anything is written
        try:
            message_kind = MessageKind(kind)
        except ValueError:
            raise ValidationError({"kind": "Kies het soort bericht."}) from None
        message_id = new_id()
        # The audit record comes first: it locks the chain head before the thread is locked (see the module text).
        await self._audit(user, "message.post", OBJECT_MESSAGE, message_id)
        locked = await self.get_thread(user, found.id, Action.POST_MESSAGE, lock=True)
        return await self._post(user, locked, body, message_kind, agreed_date, attachment_ids, now, message_id)

    async def check_reply(
        self,
        user: User,
        thread: Thread | str,
        body: str,
        *,
        kind: MessageKind | str = MessageKind.BERICHT,
        agreed_date: date | None = None,
        attachment_ids: Sequence[str] = (),
        with_upload: bool = False,
        now: datetime | None = None,
    ) -> None:
        """Raise the ValidationError :meth:`post_message` would raise now, without writing anything.

        For a reply that carries a file: the form is checked before the file streams into the vault, so that a
        mistake in the text does not cost the upload. ``with_upload``: a file comes with it (refused on a thread
        without a case, since a document always belongs to a case). :meth:`post_message` checks again, under the
        thread's lock.
        """
        now = self._now(now)
        found = await self.get_thread(user, thread, Action.POST_MESSAGE)
        errors: dict[str, str] = {}
        try:
            message_kind = MessageKind(kind)
        except ValueError:
            errors["kind"] = "Kies het soort bericht."
        else:
            running = await self._running_clocks(found.id)
            await self._validate(user, found, body, message_kind, agreed_date, attachment_ids, running, now, errors)
        if with_upload and found.case_id is None:
            errors[FIELD_UPLOAD] = NO_UPLOAD_WITHOUT_CASE
        if errors:
            raise ValidationError(errors)

    async def _validate(
        self,
        user: User,
        thread: Thread,
        body: str,
        kind: MessageKind,
        agreed_date: date | None,
        attachment_ids: Sequence[str],
        running: list[Clock],
        now: datetime,
        errors: dict[str, str],
    ) -> list[Document]:
        """Add the form's problems to ``errors``; return the documents to attach."""
        own = [c for c in running if c.owed_by_org_id == user.organisation_id]
        body_error = _body_error(body)
        if body_error:
            errors["body"] = body_error
        if kind == MessageKind.PROCESAFSPRAAK:
            if not any(ClockKind(c.kind) in SUBSTANTIVE_CLOCKS for c in own):
                errors["kind"] = (
                    "Een procesafspraak kan alleen als uw organisatie een reactie verschuldigd is. "
                    "Kies een ander soort bericht."
                )
            if agreed_date is None:
                errors["agreed_date"] = "Vul de datum in waarop het antwoord uiterlijk komt."
            else:
                today = as_local_date(now)
                if agreed_date < today:
                    errors["agreed_date"] = "De afgesproken datum ligt in het verleden. Kies vandaag of later."
                elif agreed_date > today + AGREED_DATE_HORIZON:
                    errors["agreed_date"] = "Kies een datum binnen een jaar."
        return await self._attachable(thread, attachment_ids, errors)

    async def _post(
        self,
        user: User,
        thread: Thread,
        body: str,
        kind: MessageKind,
        agreed_date: date | None,
        attachment_ids: Sequence[str],
        now: datetime,
        message_id: str,
    ) -> Message:
        me, other = user.organisation_id, thread.other_party(user.organisation_id)
        running = await self._running_clocks(thread.id)
        errors: dict[str, str] = {}
        documents = await self._validate(user, thread, body, kind, agreed_date, attachment_ids, running, now, errors)
        if errors:
            raise ValidationError(errors)
        if kind != MessageKind.PROCESAFSPRAAK:
            agreed_date = None  # only a procesafspraak carries a date

        message = Message(
            id=message_id,
            thread_id=thread.id,
            author_id=user.id,
            author_org_id=me,
            sent_at=now,
            kind=kind.value,
            agreed_date=agreed_date,
            body=b"",
        )
        message.body = encrypt_field(self.keyring, body.strip("\n\r"), context=MESSAGE_BODY.context(message.id))
        self.db.add(message)
        for document in documents:
            self.db.add(MessageAttachment(message_id=message.id, document_id=document.id))
        # Delivered to the other organisation's inbox now; read when one of its users opens the thread.
        self.db.add(MessageReceipt(message_id=message.id, organisation_id=other, thread_id=thread.id, delivered_at=now))
        # Whoever replies has seen the thread: their organisation's unread messages count as read now.
        await self._touch_read(thread.id, user.id, now)
        await self._receipts_read(thread.id, user, now)

        running = await self._apply_clock_rules(thread, message, user, running, now)
        self._denormalise(thread, running, now)
        self.db.add(thread)
        await self.db.flush()
        if self.notifications:
            # In this transaction: the message and its e-mail notice commit together. The notice carries ids only.
            await self.notifier.notify(
                NotificationEvent(
                    kind=MailKind.PROCESAFSPRAAK if kind == MessageKind.PROCESAFSPRAAK else MailKind.NIEUW_BERICHT,
                    organisation_id=other,
                    thread_id=thread.id,
                    case_id=thread.case_id,
                    assigned_user_ids=await side_assignees(self.db, thread, other),
                    due_at=thread.current_due_at if thread.waiting_on_org_id == other else None,
                ),
                now=now,
            )
        return message

    async def _apply_clock_rules(
        self,
        thread: Thread,
        message: Message,
        user: User,
        running: list[Clock],
        now: datetime,
    ) -> list[Clock]:
        """Stop, move or start clocks for this message; returns the clocks still running afterwards."""
        me, other = message.author_org_id, thread.other_party(message.author_org_id)
        kind = MessageKind(message.kind)
        if kind == MessageKind.GEEN_REACTIE_NODIG:
            return running  # asks nothing, answers nothing: every clock stays as it is, and none starts
        still: list[Clock] = []
        stopped: list[Clock] = []
        for clock in running:
            clock_kind = ClockKind(clock.kind)
            how: StopKind | None = None
            if clock.owed_by_org_id != me:
                pass  # the other party's clock: a reminder from the asking side does not restart it
            elif kind == MessageKind.INHOUDELIJKE_REACTIE:
                how = StopKind.REACTIE
            elif kind == MessageKind.VRAAG_OM_INFORMATIE:
                how = StopKind.OVERGEDRAGEN
            elif kind == MessageKind.PROCESAFSPRAAK:
                if clock_kind == ClockKind.ALGEMEEN_EERSTE:
                    how = StopKind.PROCESAFSPRAAK
                else:
                    await self._reschedule(clock, message, now)
            elif kind == MessageKind.BERICHT and clock_kind == ClockKind.ALGEMEEN_EERSTE:
                how = StopKind.REACTIE  # any reply is the first reaction to a general question
            # else: a plain message does not answer a substantive question; the clock runs on
            if how is None:
                still.append(clock)
            else:
                await self._stop(clock, message, user, how, now)
                stopped.append(clock)
        i_owe = any(c.owed_by_org_id == me for c in still)
        they_owe = any(c.owed_by_org_id == other for c in still)
        if i_owe or they_owe:
            return still
        handed_over = kind == MessageKind.VRAAG_OM_INFORMATIE and bool(stopped)
        asks = kind in (MessageKind.BERICHT, MessageKind.VRAAG_OM_INFORMATIE)
        # Answering a counter question (the information asked for) hands the turn back to the other party.
        hands_back = any(c.handed_over and c.stop_kind == StopKind.REACTIE.value for c in stopped)
        if asks or hands_back:
            # Due moments on the gemeente's calendar (its closing days included), loaded only when a clock starts.
            calendar = await self.calendars.for_gemeente(self.db, thread.gemeente_id)
            for clock_kind in CLOCKS_FOR[ThreadKind(thread.kind)]:
                clock = Clock(
                    id=new_id(),
                    thread_id=thread.id,
                    kind=clock_kind.value,
                    owed_by_org_id=other,
                    started_at=now,
                    started_by_message_id=message.id,
                    due_at=due_for(clock_kind, now, calendar),
                    handed_over=handed_over,
                )
                self.db.add(clock)
                still.append(clock)
        return still

    async def _reschedule(self, clock: Clock, message: Message, now: datetime) -> None:
        """A procesafspraak: the end of the agreed date becomes the due moment; the clock keeps running."""
        assert message.agreed_date is not None
        if now > clock.due_at:
            clock.rescheduled_late = True
        if clock.original_due_at is None:
            clock.original_due_at = clock.due_at
        clock.due_at = end_of_day(message.agreed_date)
        clock.rescheduled_at = now
        clock.rescheduled_by_message_id = message.id
        self.db.add(clock)
        await self.notifier.clock_changed(clock.id, clock.due_at)

    async def _stop(self, clock: Clock, message: Message, user: User, how: StopKind, now: datetime) -> None:
        clock.stopped_at = now
        clock.stopped_by = user.id
        clock.stopped_by_message_id = message.id
        clock.stop_kind = how.value
        clock.in_time = now <= clock.due_at and not clock.rescheduled_late
        self.db.add(clock)
        await self.notifier.clock_changed(clock.id, None)

    @staticmethod
    def _denormalise(thread: Thread, running: list[Clock], now: datetime) -> None:
        thread.last_message_at = now
        thread.status = ThreadStatus.OPEN.value
        thread.closed_at = None
        thread.closed_by = None
        _set_waiting(thread, running)

    async def _running_clocks(self, thread_id: str) -> list[Clock]:
        rows = await self.db.execute(
            select(Clock).where(Clock.thread_id == thread_id, Clock.stopped_at.is_(None)).order_by(Clock.due_at)
        )
        return list(rows.scalars())

    async def _attachable(self, thread: Thread, ids: Sequence[str], errors: dict[str, str]) -> list[Document]:
        wanted = list(dict.fromkeys(i for i in ids if i))
        if not wanted:
            return []
        if thread.case_id is None:
            errors["attachments"] = "Bij een algemene vraag kunt u geen documenten uit een dossier bijvoegen."
            return []
        rows = await self.db.execute(
            select(Document).where(
                Document.id.in_(wanted),
                Document.case_id == thread.case_id,
                Document.gemeente_id == thread.gemeente_id,
                Document.kantoor_id == thread.kantoor_id,
            )
        )
        found = list(rows.scalars())
        if len(found) != len(wanted):
            errors["attachments"] = "Kies alleen documenten uit het dossier van dit gesprek."
            return []
        return found

    async def attachable_documents(self, user: User, thread: Thread | str) -> list[AttachmentView]:
        """The documents of the thread's case that can be attached to a message (newest first)."""
        found = await self.get_thread(user, thread)
        if found.case_id is None:
            return []
        rows = await self.db.execute(
            select(Document)
            .where(
                Document.case_id == found.case_id,
                Document.gemeente_id == found.gemeente_id,
                Document.kantoor_id == found.kantoor_id,
            )
            .order_by(Document.uploaded_at.desc())
        )
        return [self._attachment_view(d) for d in rows.scalars()]

    def _attachment_view(self, document: Document) -> AttachmentView:
        try:
            name = decrypt_text(self.keyring, document.filename, context=DOCUMENT_FILENAME.context(document.id))
        except DecryptionError:
            name = "(naam niet leesbaar)"
        try:
            label = DocumentType(document.doc_type).label
        except ValueError:
            label = document.doc_type
        return AttachmentView(document_id=document.id, case_id=document.case_id, filename=name, type_label=label)

    # -- reading -----------------------------------------------------------------------------------------------

    async def _touch_read(self, thread_id: str, user_id: str, now: datetime) -> None:
        """Upsert the user's read marker (one statement; it never moves back in time)."""
        conn = await self.db.connection()
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(ThreadRead).values(thread_id=thread_id, user_id=user_id, last_read_at=now)
        await self.db.execute(
            stmt.on_conflict_do_update(
                index_elements=["thread_id", "user_id"],
                set_={"last_read_at": stmt.excluded.last_read_at},
                where=ThreadRead.last_read_at < stmt.excluded.last_read_at,
            )
        )

    async def mark_read(self, user: User, thread: Thread | str, now: datetime | None = None) -> None:
        """The user has seen the thread: their unread marker clears, and messages to their organisation get
        their first-read moment (once)."""
        now = self._now(now)
        found = await self.get_thread(user, thread)
        await self._touch_read(found.id, user.id, now)
        await self._receipts_read(found.id, user, now)
        await self.db.flush()

    async def _receipts_read(self, thread_id: str, user: User, now: datetime) -> None:
        await self.db.execute(
            update(MessageReceipt)
            .where(
                MessageReceipt.thread_id == thread_id,
                MessageReceipt.organisation_id == user.organisation_id,
                MessageReceipt.first_read_at.is_(None),
            )
            .values(first_read_at=now, first_read_by=user.id)
        )

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
            await self._touch_read(found.id, user.id, now)
            await self._receipts_read(found.id, user, now)
            await self.db.flush()
        me = user.organisation_id
        partner_id = found.other_party(me)
        orgs = {
            o.id: o
            for o in (
                await self.db.execute(
                    select(Organisation).where(Organisation.id.in_([found.gemeente_id, found.kantoor_id]))
                )
            ).scalars()
        }
        case_reference = None
        if found.case_id is not None:
            case_reference = (
                await self.db.execute(select(Case.reference).where(Case.id == found.case_id))
            ).scalar_one_or_none()
        rows = await self.db.execute(
            select(Message, User.name)
            .join(User, User.id == Message.author_id)
            .where(Message.thread_id == found.id)
            .order_by(Message.sent_at, Message.id)
        )
        messages = rows.all()
        reader = aliased(User)
        receipt_rows = await self.db.execute(
            select(MessageReceipt, reader.name)
            .outerjoin(reader, reader.id == MessageReceipt.first_read_by)
            .where(MessageReceipt.thread_id == found.id)
        )
        receipts: dict[str, list[ReceiptView]] = {}
        for receipt, reader_name in receipt_rows.all():
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
        attachments: dict[str, list[AttachmentView]] = {}
        if messages:
            att_rows = await self.db.execute(
                select(MessageAttachment.message_id, Document)
                .join(Document, Document.id == MessageAttachment.document_id)
                .where(MessageAttachment.message_id.in_([m.id for m, _ in messages]))
                .order_by(Document.uploaded_at)
            )
            for message_id, document in att_rows.all():
                attachments.setdefault(message_id, []).append(self._attachment_view(document))
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
        calendar = await self.calendars.for_gemeente(self.db, found.gemeente_id)
        stopper = aliased(User)
        clock_rows = await self.db.execute(
            select(Clock, stopper.name)
            .outerjoin(stopper, stopper.id == Clock.stopped_by)
            .where(Clock.thread_id == found.id)
            .order_by(Clock.started_at, Clock.kind)
        )
        clocks = []
        for clock, stopped_by_name in clock_rows.all():
            running = clock.stopped_at is None
            clocks.append(
                ClockView(
                    clock=clock,
                    kind=ClockKind(clock.kind),
                    owed_by_name=orgs[clock.owed_by_org_id].name,
                    owed_by_us=clock.owed_by_org_id == me,
                    running=running,
                    due_words=describe_due(clock.due_at, now, calendar) if running else "",
                    overdue=running and clock.due_at < now,
                    stopped_by_name=stopped_by_name,
                    stop_kind=StopKind(clock.stop_kind) if clock.stop_kind else None,
                )
            )
        assignee_id = found.gemeente_assignee_id if me == found.gemeente_id else found.kantoor_assignee_id
        assignee_name = None
        if assignee_id is not None:
            assignee_name = (await self.db.execute(select(User.name).where(User.id == assignee_id))).scalar_one()
        return ThreadView(
            thread=found,
            subject=decrypt_text(self.keyring, found.subject, context=THREAD_SUBJECT.context(found.id)),
            kind=ThreadKind(found.kind),
            status=ThreadStatus(found.status),
            case_reference=case_reference,
            gemeente_name=orgs[found.gemeente_id].name,
            kantoor_name=orgs[found.kantoor_id].name,
            partner_name=orgs[partner_id].name,
            own_name=orgs[me].name,
            messages=views,
            clocks=clocks,
            waiting_on_us=found.waiting_on_org_id == me,
            assignee_id=assignee_id,
            assignee_name=assignee_name,
        )

    # -- the inbox ---------------------------------------------------------------------------------------------

    async def inbox(
        self,
        user: User,
        *,
        tab: str = "te_beantwoorden",
        case_id: str | None = None,
        kind: str | None = None,
        status: str | None = None,
        assignee: str | None = None,
        limit: int = 50,
        offset: int = 0,
        now: datetime | None = None,
    ) -> InboxPage:
        """One page of the user's inbox: one indexed query, then only that page's subjects are decrypted.

        ``tab``: te_beantwoorden (my organisation owes a reaction; most urgent first), wacht_op_ander (the other
        party owes one; most urgent first) or alle (newest activity first). Filters: ``case_id``, ``kind``
        (casuistiek | algemeen), ``status`` (open | afgerond), ``assignee`` ("mij", "niemand" or a colleague's id).
        """
        now = self._now(now)
        require(user, Action.VIEW_CASES)
        if tab not in INBOX_TABS:
            tab = INBOX_TABS[0]
        limit = max(1, min(limit, 200))
        offset = max(0, offset)
        me = user.organisation_id
        own_org = await self.db.get(Organisation, me)
        if own_org is None or own_org.org_kind not in (OrgKind.GEMEENTE, OrgKind.KANTOOR):
            return InboxPage(tab, [], offset, limit, False, {"te_beantwoorden": 0, "te_laat": 0, "wacht_op_ander": 0})
        is_gemeente = own_org.org_kind == OrgKind.GEMEENTE
        side = Thread.gemeente_id if is_gemeente else Thread.kantoor_id
        partner_col = Thread.kantoor_id if is_gemeente else Thread.gemeente_id
        assignee_col = Thread.gemeente_assignee_id if is_gemeente else Thread.kantoor_assignee_id
        partner, assigned = aliased(Organisation), aliased(User)
        query = (
            select(
                Thread.id,
                Thread.subject,
                Thread.kind,
                Thread.status,
                Thread.case_id,
                Case.reference,
                partner.name,
                assigned.name,
                Thread.last_message_at,
                Thread.current_due_at,
                Thread.waiting_on_org_id,
                Thread.gemeente_id,
                side,
                ThreadRead.last_read_at,
            )
            .select_from(Thread)
            # Outer joins keep the thread table the driving one, so its index gives the order and the limit.
            .outerjoin(Case, Case.id == Thread.case_id)
            .outerjoin(partner, partner.id == partner_col)
            .outerjoin(assigned, assigned.id == assignee_col)
            .outerjoin(ThreadRead, and_(ThreadRead.thread_id == Thread.id, ThreadRead.user_id == user.id))
        )
        if tab == "te_beantwoorden":
            query = query.where(Thread.waiting_on_org_id == me).order_by(Thread.current_due_at, Thread.id)
        elif tab == "wacht_op_ander":
            query = query.where(Thread.awaited_by_org_id == me).order_by(Thread.current_due_at, Thread.id)
        else:
            query = query.where(side == me).order_by(Thread.last_message_at.desc(), Thread.id.desc())
        if case_id:
            query = query.where(Thread.case_id == case_id)
        if kind in (ThreadKind.CASUISTIEK.value, ThreadKind.ALGEMEEN.value):
            query = query.where(Thread.kind == kind)
        if status in (ThreadStatus.OPEN.value, ThreadStatus.AFGEROND.value):
            query = query.where(Thread.status == status)
        if assignee == ASSIGNEE_MINE:
            query = query.where(side == me, assignee_col == user.id)
        elif assignee == ASSIGNEE_NOBODY:
            query = query.where(side == me, assignee_col.is_(None))
        elif assignee:
            query = query.where(side == me, assignee_col == assignee)
        rows = (await self.db.execute(query.limit(limit + 1).offset(offset))).all()
        has_next = len(rows) > limit
        # Defence in depth: the tab conditions imply the party check; a row that fails it is never shown.
        rows = [r for r in rows[:limit] if r[12] == me]
        calendars = await self.calendars.for_gemeenten(self.db, {r[11] for r in rows if r[9] is not None})
        page: list[InboxRow] = []
        for (
            thread_id,
            subject,
            t_kind,
            t_status,
            t_case,
            reference,
            partner_name,
            assignee_name,
            last_at,
            due_at,
            waiting_on,
            gemeente_id,
            _side,
            last_read,
        ) in rows:
            page.append(
                InboxRow(
                    thread_id=thread_id,
                    subject=decrypt_text(self.keyring, subject, context=THREAD_SUBJECT.context(thread_id)),
                    kind=ThreadKind(t_kind),
                    status=ThreadStatus(t_status),
                    case_id=t_case,
                    case_reference=reference,
                    partner_name=partner_name or "",
                    assignee_name=assignee_name,
                    last_message_at=last_at,
                    due_at=due_at,
                    due_words=describe_due(due_at, now, calendars[gemeente_id]) if due_at is not None else "",
                    overdue=due_at is not None and due_at < now,
                    unread=last_read is None or last_read < last_at,
                    waiting_on_us=waiting_on == me,
                    waiting_on_partner=waiting_on is not None and waiting_on != me,
                )
            )
        if page:
            # Subjects were decrypted: audited like a case list (which threads is not recorded, only that).
            await self._audit(user, "thread.list", OBJECT_THREAD, "-")
        return InboxPage(tab, page, offset, limit, has_next, await self.inbox_counts(user, now))

    async def inbox_counts(self, user: User, now: datetime | None = None) -> dict[str, int]:
        """How many threads wait for the user's organisation (and how many of those are late), and for others."""
        now = self._now(now)
        me = user.organisation_id
        waiting = (
            await self.db.execute(
                select(func.count(), func.count(Thread.current_due_at).filter(col(Thread.current_due_at) < now))
                .select_from(Thread)
                .where(Thread.waiting_on_org_id == me)
            )
        ).one()
        awaited = (
            await self.db.execute(select(func.count()).select_from(Thread).where(Thread.awaited_by_org_id == me))
        ).scalar_one()
        return {"te_beantwoorden": int(waiting[0]), "te_laat": int(waiting[1]), "wacht_op_ander": int(awaited)}

    # -- assignment and status ---------------------------------------------------------------------------------

    async def assign(self, user: User, thread: Thread | str, assignee_id: str | None) -> Thread:
        """Assign the thread on the user's side to a colleague (same organisation), or to nobody."""
        found = await self.get_thread(user, thread, Action.POST_MESSAGE, lock=True)
        if assignee_id:
            colleague = await self.db.get(User, assignee_id)
            if colleague is None or colleague.organisation_id != user.organisation_id or colleague.disabled:
                raise ValidationError({"assignee_id": "Kies een collega van uw eigen organisatie."})
        else:
            assignee_id = None
        if user.organisation_id == found.gemeente_id:
            found.gemeente_assignee_id = assignee_id
        else:
            found.kantoor_assignee_id = assignee_id
        self.db.add(found)
        await self.db.flush()
        return found

    async def close(self, user: User, thread: Thread | str, now: datetime | None = None) -> Thread:
        """Mark the conversation afgerond. Not while a reaction term runs: that must be answered first.
        A new message reopens the thread."""
        now = self._now(now)
        found = await self.get_thread(user, thread, Action.POST_MESSAGE, lock=True)
        if await self._running_clocks(found.id):
            raise ValidationError(
                {"status": "Er loopt nog een reactietermijn. Rond het gesprek af nadat de vraag is beantwoord."}
            )
        found.status = ThreadStatus.AFGEROND.value
        found.closed_at = now
        found.closed_by = user.id
        self.db.add(found)
        await self.db.flush()
        return found

    # -- the gemeente's calendar changed -------------------------------------------------------------------

    async def recompute_due(self, gemeente_id: str, day: date) -> None:
        """A closing day of the gemeente was added or removed (the ``on_change`` of
        :class:`hub.calendars.services.ClosingDayService`): running clocks of this gemeente whose term spans ``day``
        get their rule-based due moment again. A due moment agreed in a procesafspraak stays as agreed."""
        calendar = await self.calendars.for_gemeente(self.db, gemeente_id)
        start_of_day = end_of_day(day) - timedelta(days=1)
        rows = await self.db.execute(
            select(Clock)
            .join(Thread, Thread.id == Clock.thread_id)
            .where(
                Thread.gemeente_id == gemeente_id,
                Clock.stopped_at.is_(None),
                Clock.rescheduled_at.is_(None),
                Clock.started_at <= end_of_day(day),
                Clock.due_at >= start_of_day,
            )
        )
        touched: set[str] = set()
        for clock in rows.scalars():
            due = due_for(ClockKind(clock.kind), clock.started_at, calendar)
            if due != clock.due_at:
                clock.due_at = due
                self.db.add(clock)
                touched.add(clock.thread_id)
                await self.notifier.clock_changed(clock.id, due)
        await self.db.flush()
        for thread_id in touched:
            thread = await self.db.get(Thread, thread_id)
            assert thread is not None
            _set_waiting(thread, await self._running_clocks(thread_id))
            self.db.add(thread)
        await self.db.flush()

    # -- for monitoring and tests ------------------------------------------------------------------------------

    async def clocks(self, user: User, thread: Thread | str) -> list[Clock]:
        found = await self.get_thread(user, thread)
        rows = await self.db.execute(
            select(Clock).where(Clock.thread_id == found.id).order_by(Clock.started_at, Clock.kind)
        )
        return list(rows.scalars())

    async def messages(self, user: User, thread: Thread | str) -> list[tuple[Message, str]]:
        """The thread's messages with their decrypted bodies, in order (NotFound for a non-party; audited as
        ``thread.view``)."""
        found = await self.get_thread(user, thread)
        await self._audit(user, "thread.view", OBJECT_THREAD, found.id)
        rows = await self.db.execute(
            select(Message).where(Message.thread_id == found.id).order_by(Message.sent_at, Message.id)
        )
        return [(m, decrypt_text(self.keyring, m.body, context=MESSAGE_BODY.context(m.id))) for m in rows.scalars()]


def _set_waiting(thread: Thread, running: list[Clock]) -> None:
    if running:
        owner = running[0].owed_by_org_id
        thread.waiting_on_org_id = owner
        thread.awaited_by_org_id = thread.other_party(owner)
        thread.current_due_at = min(c.due_at for c in running)
    else:
        thread.waiting_on_org_id = None
        thread.awaited_by_org_id = None
        thread.current_due_at = None


def _body_error(body: str) -> str:
    if not body.strip():
        return "Schrijf een bericht."
    if len(body) > BODY_MAX:
        return f"Het bericht is te lang: gebruik hoogstens {BODY_MAX} tekens."
    return ""
