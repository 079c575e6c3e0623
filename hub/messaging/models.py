"""Threads and messages between a gemeente and a kantoor, their read state, and the reaction clocks that time them.

A thread lives on a case (casuïstiek) or, for a general question, on a convenant. Its two parties are copied from
the case or convenant so that every scoped query is one indexed comparison. Subjects and bodies are field-encrypted
(context: table, column, row id). The thread also carries a few denormalised columns the inbox reads (who owes a
reaction, who waits for it, the earliest due moment of the running clocks), kept in step by the service on every
post, so that the inbox's first page is one query on an index.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from hub.db import UTCDateTime, new_id, utcnow


def _moment(nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable)


class ThreadKind(StrEnum):
    CASUISTIEK = "casuistiek"  # about one case (personal data): 2 werkdagen
    ALGEMEEN = "algemeen"  # a general question under the convenant: 2 werkdagen first reaction, 2 weken answer

    @property
    def label(self) -> str:
        return {"casuistiek": "Casuïstiek", "algemeen": "Algemene vraag"}[self.value]


class ThreadStatus(StrEnum):
    OPEN = "open"
    AFGEROND = "afgerond"

    @property
    def label(self) -> str:
        return {"open": "Open", "afgerond": "Afgerond"}[self.value]


class MessageKind(StrEnum):
    BERICHT = "bericht"  # an ordinary message (a question, a reminder, a first reaction)
    # A message that asks nothing (a thank-you, a confirmation): it starts no clock and stops none.
    GEEN_REACTIE_NODIG = "geen_reactie_nodig"
    INHOUDELIJKE_REACTIE = "inhoudelijke_reactie"  # the substantive answer: stops the sender's clocks
    PROCESAFSPRAAK = "procesafspraak"  # an agreed date by which the answer comes: the new due moment
    VRAAG_OM_INFORMATIE = "vraag_om_informatie"  # asks the other side for missing information: hands the clock over

    @property
    def label(self) -> str:
        return MESSAGE_KIND_LABELS[self]


MESSAGE_KIND_LABELS: dict[MessageKind, str] = {
    MessageKind.BERICHT: "Bericht",
    MessageKind.GEEN_REACTIE_NODIG: "Bericht zonder vraag",
    MessageKind.INHOUDELIJKE_REACTIE: "Inhoudelijke reactie",
    MessageKind.PROCESAFSPRAAK: "Procesafspraak",
    MessageKind.VRAAG_OM_INFORMATIE: "Vraag om informatie",
}


class ClockKind(StrEnum):
    CASUISTIEK = "casuistiek"  # reactie casuïstiek, 2 werkdagen (§1b)
    ALGEMEEN_EERSTE = "algemeen_eerste"  # algemene reactie, 2 werkdagen (§1b)
    ALGEMEEN_INHOUDELIJK = "algemeen_inhoudelijk"  # inhoudelijke reactie op een algemene vraag, 2 weken (§1b)

    @property
    def label(self) -> str:
        return CLOCK_KIND_LABELS[self]


CLOCK_KIND_LABELS: dict[ClockKind, str] = {
    ClockKind.CASUISTIEK: "Reactie casuïstiek (2 werkdagen)",
    ClockKind.ALGEMEEN_EERSTE: "Eerste reactie (2 werkdagen)",
    ClockKind.ALGEMEEN_INHOUDELIJK: "Inhoudelijke reactie (2 weken)",
}


class StopKind(StrEnum):
    REACTIE = "reactie"  # a (substantive, or for the first-reaction clock any) reply
    PROCESAFSPRAAK = "procesafspraak"  # a procesafspraak counts as the first reaction on a general question
    OVERGEDRAGEN = "overgedragen"  # a vraag om informatie handed the clock to the other party

    @property
    def label(self) -> str:
        return {"reactie": "reactie", "procesafspraak": "procesafspraak", "overgedragen": "overgedragen"}[self.value]


class Thread(SQLModel, table=True):
    __tablename__ = "message_thread"
    __table_args__ = (
        # The inbox's tabs: "te beantwoorden" and "wacht op ander", most urgent first.
        Index("ix_message_thread_waiting_due", "waiting_on_org_id", "current_due_at"),
        Index("ix_message_thread_awaited_due", "awaited_by_org_id", "current_due_at"),
        # "Alle": newest first, per side; with an assignee filter; per case.
        Index("ix_message_thread_gemeente_last", "gemeente_id", "last_message_at"),
        Index("ix_message_thread_kantoor_last", "kantoor_id", "last_message_at"),
        Index("ix_message_thread_gemeente_assignee", "gemeente_id", "gemeente_assignee_id", "last_message_at"),
        Index("ix_message_thread_kantoor_assignee", "kantoor_id", "kantoor_assignee_id", "last_message_at"),
        Index("ix_message_thread_case_last", "case_id", "last_message_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    kind: str = Field(max_length=20)  # ThreadKind
    case_id: str | None = Field(default=None, foreign_key="dossier.id", max_length=32)
    convenant_id: str = Field(foreign_key="convenant.id", max_length=32)
    gemeente_id: str = Field(foreign_key="organisation.id", max_length=32)
    kantoor_id: str = Field(foreign_key="organisation.id", max_length=32)
    subject: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # field-encrypted
    # Marked by its starter as about bijzondere bijstand: its notices reach the gemeente's consulenten too.
    bijzondere_bijstand: bool = False
    created_by: str = Field(foreign_key="user_account.id", max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_moment())
    gemeente_assignee_id: str | None = Field(default=None, foreign_key="user_account.id", max_length=32)
    kantoor_assignee_id: str | None = Field(default=None, foreign_key="user_account.id", max_length=32)
    status: str = Field(default=ThreadStatus.OPEN.value, max_length=20)
    closed_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    closed_by: str | None = Field(default=None, foreign_key="user_account.id", max_length=32)
    last_message_at: datetime = Field(default_factory=utcnow, sa_column=_moment())
    # Denormalised from the running clocks: the party that owes a reaction, the party waiting for it, and the
    # earliest due moment of the running clocks. All NULL when no clock runs.
    waiting_on_org_id: str | None = Field(default=None, foreign_key="organisation.id", max_length=32)
    awaited_by_org_id: str | None = Field(default=None, foreign_key="organisation.id", max_length=32)
    current_due_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))

    def party_ids(self) -> tuple[str, str]:
        return (self.gemeente_id, self.kantoor_id)

    def other_party(self, org_id: str) -> str:
        return self.kantoor_id if org_id == self.gemeente_id else self.gemeente_id


class Message(SQLModel, table=True):
    __tablename__ = "message"
    __table_args__ = (Index("ix_message_thread_sent", "thread_id", "sent_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    thread_id: str = Field(foreign_key="message_thread.id", max_length=32)
    author_id: str = Field(foreign_key="user_account.id", max_length=32)
    author_org_id: str = Field(foreign_key="organisation.id", max_length=32)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # field-encrypted plain text
    sent_at: datetime = Field(default_factory=utcnow, sa_column=_moment())
    kind: str = Field(default=MessageKind.BERICHT.value, max_length=30)  # MessageKind
    agreed_date: date | None = None  # the date of a procesafspraak
    # SHA-256 of the author's id and the one-time token of the form the message was sent with: a retried
    # submission (the answer was lost, the user pressed again) finds this message instead of posting it twice.
    form_token: str | None = Field(default=None, max_length=64, unique=True)


class MessageAttachment(SQLModel, table=True):
    """A document from the case's vault attached to a message (the document keeps its own access rules)."""

    __tablename__ = "message_attachment"
    __table_args__ = (Index("ix_message_attachment_document", "document_id"),)

    message_id: str = Field(foreign_key="message.id", primary_key=True, max_length=32)
    document_id: str = Field(foreign_key="document.id", primary_key=True, max_length=32)


class MessageReceipt(SQLModel, table=True):
    """Per message and receiving organisation: delivered to its inbox, and first read (by whom)."""

    __tablename__ = "message_receipt"
    __table_args__ = (Index("ix_message_receipt_thread_org", "thread_id", "organisation_id"),)

    message_id: str = Field(foreign_key="message.id", primary_key=True, max_length=32)
    organisation_id: str = Field(foreign_key="organisation.id", primary_key=True, max_length=32)
    thread_id: str = Field(foreign_key="message_thread.id", max_length=32)  # copied: mark_read is one update
    delivered_at: datetime = Field(default_factory=utcnow, sa_column=_moment())
    first_read_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    first_read_by: str | None = Field(default=None, foreign_key="user_account.id", max_length=32)


class ThreadRead(SQLModel, table=True):
    """When a user last looked at a thread: the inbox's unread marker."""

    __tablename__ = "thread_read"

    # The key starts with the user: the inbox joins one user's markers, by thread (either way round an index lookup).
    user_id: str = Field(foreign_key="user_account.id", primary_key=True, max_length=32)
    thread_id: str = Field(foreign_key="message_thread.id", primary_key=True, max_length=32)
    last_read_at: datetime = Field(default_factory=utcnow, sa_column=_moment())


class Clock(SQLModel, table=True):
    """One reaction term: who owes it, from when, until when, and how it ended. Raw material for monitoring."""

    __tablename__ = "reaction_clock"
    __table_args__ = (
        Index("ix_reaction_clock_owed_running", "owed_by_org_id", "stopped_at", "due_at"),
        Index("ix_reaction_clock_thread", "thread_id", "stopped_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    thread_id: str = Field(foreign_key="message_thread.id", max_length=32)
    kind: str = Field(max_length=30)  # ClockKind
    owed_by_org_id: str = Field(foreign_key="organisation.id", max_length=32)
    started_at: datetime = Field(sa_column=_moment())
    started_by_message_id: str = Field(foreign_key="message.id", max_length=32)
    # The depth of the turn's stack (hub.messaging.clocks): 0 for the original question, d + 1 for the clocks a
    # vraag om informatie of the party owing at depth d started. Answering at depth d > 0 (an inhoudelijke reactie)
    # hands the turn back to the other party at depth d - 1.
    depth: int = 0
    due_at: datetime = Field(sa_column=_moment())  # the due moment in force (moved by a procesafspraak)
    # A procesafspraak moves the due moment: the first rule-based due moment is kept, with the last change.
    original_due_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    rescheduled_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    rescheduled_by_message_id: str | None = Field(default=None, foreign_key="message.id", max_length=32)
    # True when a procesafspraak was only made after the due moment then in force had passed.
    rescheduled_late: bool = False
    stopped_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    stopped_by: str | None = Field(default=None, foreign_key="user_account.id", max_length=32)
    stopped_by_message_id: str | None = Field(default=None, foreign_key="message.id", max_length=32)
    stop_kind: str | None = Field(default=None, max_length=20)  # StopKind
    in_time: bool | None = None  # NULL while running

    @property
    def running(self) -> bool:
        return self.stopped_at is None


class ClockNotice(SQLModel, table=True):
    """That a reminder stage (vandaag, verlopen, escalatie) of a reaction clock was handled for one due moment: once,
    whoever the recipients were. The sweep (:mod:`hub.messaging.reminders`) skips stages already recorded for the
    clock's current due moment, so a clock sends each reminder once per due moment, a procesafspraak that moves the
    due moment gets reminders for the new moment, and an escalated clock is not examined again unless its due moment
    moves.
    """

    __tablename__ = "clock_notice"

    clock_id: str = Field(primary_key=True, max_length=32)
    stage: str = Field(primary_key=True, max_length=20)
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_moment())
