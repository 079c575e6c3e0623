"""Starting a thread and posting in it: the form's rules, the message and its receipt, the clock changes (decided by
the pure rule engine :mod:`hub.messaging.clocks`, applied here to the rows), the notice for the other side; and a
thread's assignment and status.

The audit record of a post is written first, before the thread is locked (see :mod:`hub.messaging.access`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date, datetime

from crypto import encrypt_field
from hub.accounts.authz import Action, require
from hub.accounts.models import Convenant, User
from hub.audit import actions
from hub.cases.models import Case
from hub.db import new_id
from hub.documents.models import FIELD_FILE, Document
from hub.errors import NotFound, ValidationError
from hub.fields import MESSAGE_BODY, THREAD_SUBJECT
from hub.messaging import clocks as rules
from hub.messaging.access import OBJECT_MESSAGE, OBJECT_THREAD, MessagingBase, set_waiting, thread_id_of
from hub.messaging.agreed_dates import agreed_date_problem
from hub.messaging.assignees import message_event
from hub.messaging.attachments import attachable
from hub.messaging.clock_rows import apply_changes
from hub.messaging.form_tokens import form_token_digest, posted_with
from hub.messaging.models import (
    Clock,
    ClockKind,
    Message,
    MessageAttachment,
    MessageKind,
    MessageReceipt,
    Thread,
    ThreadKind,
    ThreadStatus,
)
from hub.messaging.reading import receipts_read, touch_read
from hub.messaging.reply_choices import refusal, reply_choices
from hub.notifications.interfaces import MailKind
from hub.terms import as_local_date
from hub.webhooks import events as webhooks
from hub.webhooks.events import EventType

SUBJECT_MAX = 200
BODY_MAX = 20_000
NO_UPLOAD_WITHOUT_CASE = (
    "Bij een algemene vraag kunt u geen bestand meesturen: een document hoort altijd bij een dossier. "
    "Stel uw vraag vanuit het dossier om een bestand mee te sturen."
)
FIELD_UPLOAD = FIELD_FILE  # the form field (and error key) of a file uploaded with a reply


def _body_error(body: str) -> str:
    if not body.strip():
        return "Schrijf een bericht."
    if len(body) > BODY_MAX:
        return f"Het bericht is te lang: gebruik hoogstens {BODY_MAX} tekens."
    if _controls(body, allowed="\r\n\t\v\f"):  # the white space of text pasted from a word processor stays
        return "Het bericht bevat een teken dat niet in tekst hoort (een stuurteken)."
    return ""


def _controls(text: str, allowed: str = "") -> bool:
    """Control characters (NUL, escape, ...) that an API client could send and no page shows."""
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text)


def _running(clocks: Sequence[Clock]) -> list[rules.RunningClock]:
    """The rule engine's view of clock rows (the reply form previews :func:`hub.messaging.clocks.decide` with it)."""
    return [
        rules.RunningClock(
            id=c.id,
            kind=ClockKind(c.kind),
            owed_by=c.owed_by_org_id,
            due_at=c.due_at,
            depth=c.depth,
            rescheduled_late=c.rescheduled_late,
            rule_due_at=c.original_due_at,
        )
        for c in clocks
    ]


class ThreadService(MessagingBase):
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
        form_token: str | None = None,
        bijzondere_bijstand: bool = False,
        documents: Sequence[Document] = (),
        now: datetime | None = None,
    ) -> Thread:
        """Open a thread on a case (casuïstiek) or a convenant (algemene vraag) with its first message.

        The parties are the case's or convenant's gemeente and kantoor; the user's organisation must be one of
        them (NotFound otherwise) and the role must allow posting. The starter is assigned on their side.
        ``bijzondere_bijstand``: a case thread about bijzondere bijstand (its notices reach the consulenten too).
        ``documents``: new documents of the case (added in this transaction) attached to the first message.
        """
        now = self._now(now)
        already = await self.posted_with(user, form_token)  # the same form sent again: its thread, not a new one
        if already is not None and (started := await self.db.get(Thread, already.thread_id)) is not None:
            return started
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
        if bijzondere_bijstand and parties is not None and parties[4] is None:
            errors["bijzondere_bijstand"] = "Bijzondere bijstand gaat altijd over een dossier: kies een dossier."
        clean_subject = " ".join(subject.split())
        if not clean_subject:
            errors["subject"] = "Vul een onderwerp in."
        elif len(clean_subject) > SUBJECT_MAX:
            errors["subject"] = f"Het onderwerp is te lang: gebruik hoogstens {SUBJECT_MAX} tekens."
        elif _controls(clean_subject):
            errors["subject"] = "Het onderwerp bevat een teken dat niet in tekst hoort (een stuurteken)."
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
            bijzondere_bijstand=bijzondere_bijstand,
        )
        thread.subject = encrypt_field(self.keyring, clean_subject, context=THREAD_SUBJECT.context(thread.id))
        if user.organisation_id == gemeente_id:
            thread.gemeente_assignee_id = user.id
        else:
            thread.kantoor_assignee_id = user.id
        self.db.add(thread)
        await self.db.flush()
        await self._post(
            user,
            thread,
            body,
            MessageKind.BERICHT,
            None,
            [d.id for d in documents],
            now,
            message_id,
            form_token_digest(user, form_token),
        )
        return thread

    async def posted_with(self, user: User, form_token: str | None) -> Message | None:
        """The message ``user`` already sent with the form of ``form_token``, if any (a retried submission)."""
        return await posted_with(self.db, user, form_token)

    async def post_message(
        self,
        user: User,
        thread: Thread | str,
        body: str,
        *,
        kind: MessageKind | str = MessageKind.BERICHT,
        agreed_date: date | None = None,
        attachment_ids: Sequence[str] = (),
        form_token: str | None = None,
        now: datetime | None = None,
    ) -> Message:
        """Post a message and apply the clock rules (:mod:`hub.messaging.clocks`).

        ``attachment_ids`` name documents of the thread's case. To attach a file that is not in the vault yet,
        upload it through the documents pipeline first (streaming, scanned, encrypted), in the same transaction,
        and pass the new id here: the message and the document are then committed together or not at all.
        """
        given = now
        found = await self.get_thread(user, thread, Action.POST_MESSAGE)  # the party check, before anything is written
        try:
            message_kind = MessageKind(kind)
        except ValueError:
            raise ValidationError({"kind": "Kies het soort bericht."}) from None
        message_id = new_id()
        # The audit record comes first: it locks the chain head before the thread is locked (see the module text).
        await self._audit(user, "message.post", OBJECT_MESSAGE, message_id)
        if self._locked_since_begin():
            locked = found  # read in this transaction, which holds the database's write lock since its BEGIN
        else:
            locked = await self.get_thread(user, found.id, Action.POST_MESSAGE, lock=True)
        # Holding the lock, a second submission of the same form sees the first one's message: it is not posted again.
        already = await self.posted_with(user, form_token)
        if already is not None and already.thread_id == locked.id:
            return already
        # The time is taken only now, holding the thread's lock: the recorded order is the commit order (a post that
        # waited for the lock is never recorded as sent before the one that held it).
        now = self._now(given)
        return await self._post(
            user, locked, body, message_kind, agreed_date, attachment_ids, now, message_id,
            form_token_digest(user, form_token),
        )  # fmt: skip

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
        if with_upload and found.case_id is None:
            errors[FIELD_UPLOAD] = NO_UPLOAD_WITHOUT_CASE
        try:
            message_kind = MessageKind(kind)
        except ValueError:
            raise ValidationError({**errors, "kind": "Kies het soort bericht."}) from None
        running = await self.running_clocks(found.id)
        await self._validate(user, found, body, message_kind, agreed_date, attachment_ids, running, now, errors)

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
        """The documents to attach; raise the ValidationError of the form's problems (added to ``errors``)."""
        suggested: dict[str, str] = {}  # values the form offers instead, for the user to confirm
        body_error = _body_error(body)
        if body_error:
            errors["body"] = body_error
        # The kinds that make sense for the user's side (what the form offers): a crafted POST gets the same answer.
        me, other = user.organisation_id, thread.other_party(user.organisation_id)
        choices = reply_choices(ThreadKind(thread.kind), _running(running), me, other, now, self.calendars.base)
        if (refused := refusal(kind, choices)) is not None:
            errors["kind"] = refused
        if kind == MessageKind.PROCESAFSPRAAK and "kind" not in errors:  # a refused kind: its date is beside the point
            calendar = await self.calendars.for_gemeente(self.db, thread.gemeente_id)
            limit = rules.agreed_date_limit(_running(running), user.organisation_id)
            if (problem := agreed_date_problem(agreed_date, now, calendar, limit)) is not None:
                errors["agreed_date"] = problem.message
                if problem.instead is not None:
                    suggested["agreed_date"] = problem.instead.isoformat()
        documents = await attachable(self.db, thread, attachment_ids, errors)
        if errors:
            raise ValidationError(errors, suggestions=suggested)
        return documents

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
        form_token: str | None = None,
    ) -> Message:
        me, other = user.organisation_id, thread.other_party(user.organisation_id)
        running = await self.running_clocks(thread.id)
        documents = await self._validate(user, thread, body, kind, agreed_date, attachment_ids, running, now, {})
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
            form_token=form_token,
        )
        message.body = encrypt_field(self.keyring, body.strip("\n\r"), context=MESSAGE_BODY.context(message.id))
        self.db.add(message)
        for document in documents:
            self.db.add(MessageAttachment(message_id=message.id, document_id=document.id))
        # Delivered to the other organisation's inbox now; read when one of its users opens the thread.
        self.db.add(MessageReceipt(message_id=message.id, organisation_id=other, thread_id=thread.id, delivered_at=now))
        # Whoever replies has seen the thread: their organisation's unread messages count as read now.
        await touch_read(self.db, thread.id, user.id, now)
        await receipts_read(self.db, thread.id, user, now)

        running = await self._apply_clock_rules(thread, message, user, running, now)
        thread.last_message_at = now
        thread.status = ThreadStatus.OPEN.value
        thread.closed_at = None
        thread.closed_by = None
        set_waiting(thread, running)
        self.db.add(thread)
        await self.db.flush()
        data = {"caseId": thread.case_id, "threadId": thread.id, "messageId": message.id, "kind": kind.value}
        await webhooks.enqueue(self.db, EventType.MESSAGE_CREATED, (me, other), data, now=now)  # ids only
        if self.notifications:
            # In this transaction: the message and its e-mail notice commit together. The notice carries ids only.
            mail = MailKind.PROCESAFSPRAAK if kind == MessageKind.PROCESAFSPRAAK else MailKind.NIEUW_BERICHT
            due = thread.current_due_at if thread.waiting_on_org_id == other else None
            event = await message_event(self.db, thread, kind=mail, receiver=other, due_at=due, documents=documents)
            await self.notifier.notify(event, now=now)
        return message

    async def _apply_clock_rules(
        self, thread: Thread, message: Message, user: User, running: list[Clock], now: datetime
    ) -> list[Clock]:
        """Decide the clock changes for this message (the rule engine) and apply them to the rows; returns the
        clocks still running afterwards, the new ones included."""
        new_message = rules.NewMessage(
            kind=MessageKind(message.kind),
            sender=message.author_org_id,
            receiver=thread.other_party(message.author_org_id),
            at=now,
            agreed_date=message.agreed_date,
        )
        before = _running(running)
        # Due moments on the gemeente's calendar (its closing days included), loaded only when a new turn starts.
        turn = rules.settle(before, new_message).start_for is not None
        calendar = await self.calendars.for_gemeente(self.db, thread.gemeente_id) if turn else self.calendars.base
        changes = rules.decide(ThreadKind(thread.kind), before, new_message, calendar)
        return await apply_changes(self.db, self.notifier, changes, running, message, user.id, now)

    # -- assignment and status ---------------------------------------------------------------------------------

    async def assign(self, user: User, thread: Thread | str, assignee_id: str | None) -> Thread:
        """Assign the thread on the user's side to a colleague (same organisation), or to nobody. Audited as
        ``thread.assign`` (the record first: see the module text)."""
        await self._audit(user, actions.THREAD_ASSIGN, OBJECT_THREAD, thread_id_of(thread))
        found = await self.get_thread(user, thread, Action.POST_MESSAGE, lock=True)
        if assignee_id:
            colleague = await self.db.get(User, assignee_id)
            if (
                colleague is None
                or colleague.organisation_id != user.organisation_id
                or colleague.disabled
                or not colleague.is_person  # an integration actor is no colleague to assign
            ):
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
        A new message reopens the thread. Audited as ``thread.close``."""
        now = self._now(now)
        await self._audit(user, actions.THREAD_CLOSE, OBJECT_THREAD, thread_id_of(thread))
        found = await self.get_thread(user, thread, Action.POST_MESSAGE, lock=True)
        if await self.running_clocks(found.id):
            raise ValidationError(
                {"status": "Er loopt nog een reactietermijn. Rond het gesprek af nadat de vraag is beantwoord."}
            )
        found.status = ThreadStatus.AFGEROND.value
        found.closed_at = now
        found.closed_by = user.id
        self.db.add(found)
        await self.db.flush()
        return found
