"""The outbox: one row per e-mail to send, written in the transaction of the event that causes it.

A row carries ids and kinds only, never case content: what kind of thing waits, for which organisation, when it is
due, and a hub path made of ids (``/berichten/<thread id>``). The mail itself is rendered from those values when it
is sent. ``last_error`` is a server reply with e-mail addresses removed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from hub.db import UTCDateTime, new_id, utcnow


def _moment(nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable)


class MailKind(StrEnum):
    NIEUW_BERICHT = "nieuw_bericht"
    NIEUW_DOCUMENT = "nieuw_document"
    TERMIJN_VERLOOPT_VANDAAG = "termijn_verloopt_vandaag"
    TERMIJN_VERLOPEN = "termijn_verlopen"
    PROCESAFSPRAAK = "procesafspraak"
    ESCALATIE = "escalatie"
    # A gemeente's closing days changed and running terms moved: how many, by how many werkdagen at most.
    TERMIJNEN_VERSCHOVEN = "termijnen_verschoven"
    # A term of a case's path (hub.cases.term_sweep): a warning ahead, due today, passed.
    DOSSIERTERMIJN_NADERT = "dossiertermijn_nadert"
    DOSSIERTERMIJN_VANDAAG = "dossiertermijn_vandaag"
    DOSSIERTERMIJN_VERLOPEN = "dossiertermijn_verlopen"
    DIGEST = "digest"
    # About the recipient's own account (hub.accounts.enrolment): never held for a digest, never content.
    ACCOUNT_ACTIVEREN = "account_activeren"  # a new account: the enrolment link
    ACCOUNT_HERSTELLEN = "account_herstellen"  # a password reset by the operator: the enrolment link
    ACCOUNT_NIEUWE_LINK = "account_nieuwe_link"  # the operator's new link for an administrator who never enrolled
    ACCOUNT_AANGEMAAKT = "account_aangemaakt"
    ACCOUNT_GEBLOKKEERD = "account_geblokkeerd"
    ACCOUNT_GEDEBLOKKEERD = "account_gedeblokkeerd"
    ACCOUNT_WACHTWOORD = "account_wachtwoord"
    ACCOUNT_MFA = "account_mfa"
    ACCOUNT_ROLLEN = "account_rollen"
    ACCOUNT_GEGEVENS = "account_gegevens"  # name or address changed (to the old address and the new one)
    ACCOUNT_VERWIJDERD = "account_verwijderd"

    @property
    def label(self) -> str:
        return MAIL_KIND_LABELS[self]


MAIL_KIND_LABELS: dict[MailKind, str] = {
    MailKind.NIEUW_BERICHT: "Nieuw bericht",
    MailKind.NIEUW_DOCUMENT: "Nieuw document",
    MailKind.TERMIJN_VERLOOPT_VANDAAG: "Termijn verloopt vandaag",
    MailKind.TERMIJN_VERLOPEN: "Termijn verlopen",
    MailKind.PROCESAFSPRAAK: "Procesafspraak",
    MailKind.ESCALATIE: "Escalatie",
    MailKind.TERMIJNEN_VERSCHOVEN: "Termijnen verschoven",
    MailKind.DOSSIERTERMIJN_NADERT: "Termijn in dossier nadert",
    MailKind.DOSSIERTERMIJN_VANDAAG: "Termijn in dossier verloopt vandaag",
    MailKind.DOSSIERTERMIJN_VERLOPEN: "Termijn in dossier verlopen",
    MailKind.DIGEST: "Dagelijks overzicht",
    MailKind.ACCOUNT_ACTIVEREN: "Account aangemaakt (activeringslink)",
    MailKind.ACCOUNT_HERSTELLEN: "Wachtwoord hersteld (activeringslink)",
    MailKind.ACCOUNT_NIEUWE_LINK: "Nieuwe activeringslink",
    MailKind.ACCOUNT_AANGEMAAKT: "Account aangemaakt",
    MailKind.ACCOUNT_GEBLOKKEERD: "Account geblokkeerd",
    MailKind.ACCOUNT_GEDEBLOKKEERD: "Account gedeblokkeerd",
    MailKind.ACCOUNT_WACHTWOORD: "Wachtwoord hersteld",
    MailKind.ACCOUNT_MFA: "Tweestapsverificatie hersteld",
    MailKind.ACCOUNT_ROLLEN: "Rollen gewijzigd",
    MailKind.ACCOUNT_GEGEVENS: "Accountgegevens gewijzigd",
    MailKind.ACCOUNT_VERWIJDERD: "Account verwijderd",
}
# The mails that carry a single-use enrolment link, made by the worker as it sends (never stored in a row).
ENROLMENT_KINDS = frozenset({MailKind.ACCOUNT_ACTIVEREN, MailKind.ACCOUNT_HERSTELLEN, MailKind.ACCOUNT_NIEUWE_LINK})
# Every mail about the recipient's own account. Also sent to a blocked account (it is told it was blocked).
ACCOUNT_KINDS = ENROLMENT_KINDS | frozenset(
    {
        MailKind.ACCOUNT_AANGEMAAKT,
        MailKind.ACCOUNT_GEBLOKKEERD,
        MailKind.ACCOUNT_GEDEBLOKKEERD,
        MailKind.ACCOUNT_WACHTWOORD,
        MailKind.ACCOUNT_MFA,
        MailKind.ACCOUNT_ROLLEN,
        MailKind.ACCOUNT_GEGEVENS,
        MailKind.ACCOUNT_VERWIJDERD,
    }
)

# The kinds a producer (messaging, documents) may raise through notify(); the others come from the sweeps.
EVENT_KINDS = frozenset({MailKind.NIEUW_BERICHT, MailKind.NIEUW_DOCUMENT, MailKind.PROCESAFSPRAAK})
# The kinds tied to a reaction clock: not sent once the clock has stopped.
CLOCK_KINDS = frozenset({MailKind.TERMIJN_VERLOOPT_VANDAAG, MailKind.TERMIJN_VERLOPEN, MailKind.ESCALATIE})
# The kinds tied to a term of a case's path: not sent once the step is done or its due moment moved.
CASE_TERM_KINDS = frozenset(
    {MailKind.DOSSIERTERMIJN_NADERT, MailKind.DOSSIERTERMIJN_VANDAAG, MailKind.DOSSIERTERMIJN_VERLOPEN}
)


class MailStatus(StrEnum):
    PENDING = "pending"  # waiting for a worker (from next_attempt_at)
    SENDING = "sending"  # claimed by a worker; taken up again when next_attempt_at (the lease) has passed
    SENT = "sent"
    FAILED = "failed"  # permanent failure (5xx) or given up after too many temporary failures
    DIGEST_HELD = "digest_held"  # the recipient chose the daily digest: waits for build_digests
    DIGESTED = "digested"  # counted in the digest row digest_id
    CANCELLED = "cancelled"  # not sent: the clock stopped or the recipient was blocked before sending

    @property
    def label(self) -> str:
        return MAIL_STATUS_LABELS[self]


MAIL_STATUS_LABELS: dict[MailStatus, str] = {
    MailStatus.PENDING: "Wacht op verzending",
    MailStatus.SENDING: "Wordt verzonden",
    MailStatus.SENT: "Verzonden",
    MailStatus.FAILED: "Mislukt",
    MailStatus.DIGEST_HELD: "Voor dagelijks overzicht",
    MailStatus.DIGESTED: "In dagelijks overzicht",
    MailStatus.CANCELLED: "Vervallen",
}


class OutboxMail(SQLModel, table=True):
    __tablename__ = "outbox_mail"
    __table_args__ = (
        # The worker's claim: due rows of one status, oldest first.
        Index("ix_outbox_mail_status_next", "status", "next_attempt_at"),
        # Digests and coalescing: a user's held or waiting rows.
        Index("ix_outbox_mail_recipient_status", "recipient_user_id", "status"),
        Index("ix_outbox_mail_created", "created_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_moment())
    kind: str = Field(max_length=30)  # MailKind
    recipient_user_id: str | None = Field(default=None, foreign_key="user_account.id", max_length=32)
    recipient_address: str = Field(max_length=254)  # the user's address, or an organisation's fixed address
    # The organisation the mail is about and names: the receiving one; for an escalation the owing (late) one, also
    # in the rows for the gemeente's contractmanagers.
    organisation_id: str = Field(foreign_key="organisation.id", max_length=32)
    due_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    link_path: str = Field(default="/", max_length=200)  # a hub path of ids only
    clock_id: str | None = Field(default=None, index=True, max_length=32)  # reminders: the reaction clock
    digest_id: str | None = Field(default=None, foreign_key="outbox_mail.id", index=True, max_length=32)
    status: str = Field(default=MailStatus.PENDING.value, max_length=20)  # MailStatus
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=_moment())
    claimed_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    claimed_by: str | None = Field(default=None, max_length=64)
    last_error: str | None = Field(default=None, max_length=300)
    sent_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    message_id: str | None = Field(default=None, max_length=200)
    # termijnen_verschoven only: how many running terms the calendar change moved for this recipient, and the largest
    # move in werkdagen (positive: later, negative: earlier). Counts, never which terms.
    moved_terms: int | None = None
    moved_werkdagen: int | None = None
    # At most one row per key, e.g. "clock:<id>:vandaag:<due epoch>:<user id>" or "digest:<user id>:<date>".
    dedupe_key: str | None = Field(default=None, unique=True, max_length=200)
