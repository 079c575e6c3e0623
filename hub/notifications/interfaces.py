"""What a producer (messaging, documents) tells notifications, and the one interface it calls: :class:`Notifier`.

Events carry ids only: the receiving organisation, what the mail's link opens (a thread or a case), the receiving
side's assignees (resolved by the producer, which knows its own threads and cases), what the event is about
(:class:`Topic`: a general question under the convenant, bijzondere bijstand) and the due moment. The
notifications package reads no producer's tables; an empty ``assigned_user_ids`` means "the receiving
organisation's users of the recipient roles", which it looks up in the accounts tables, and each topic adds the
users of its roles at a receiving gemeente (the rules are :mod:`hub.notifications.outbox`'s).

The producer passes a Notifier to its service (the outbox one, :class:`hub.notifications.outbox.OutboxNotifier`, by
default), so a test can pass a recording one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.roles import Role
from hub.db import is_id
from hub.notifications.models import EVENT_KINDS, MailKind
from hub.terms import require_aware

__all__ = [
    "Audience",
    "ClockReminder",
    "ClockStates",
    "MailKind",
    "MovedTerm",
    "NotificationEvent",
    "Notifier",
    "ReminderStage",
    "TermAudience",
    "TermNotifier",
    "TermReminder",
    "TermStage",
    "TermsMoved",
    "Topic",
    "case_path",
    "thread_path",
]


def _check_id(value: str | None, what: str) -> None:
    if value is not None and not is_id(value):
        raise ValueError(f"{what} must be a hub id (32 hex characters)")


def _check_ids(values: tuple[str, ...], what: str) -> None:
    for value in values:
        _check_id(value, what)


class Topic(StrEnum):
    """What an event is about, when that brings in more people at a receiving gemeente than its case workers."""

    ALGEMENE_VRAAG = "algemene_vraag"  # a general question under the convenant (§1a.1: the contractmanager)
    BIJZONDERE_BIJSTAND = "bijzondere_bijstand"  # a bijstand application or a thread marked as about bijstand


def _topics(values: Iterable[Topic | str]) -> frozenset[Topic]:
    return frozenset(Topic(t) for t in values)


def thread_path(thread_id: str) -> str:
    _check_id(thread_id, "thread_id")
    return f"/berichten/{thread_id}"


def case_path(case_id: str) -> str:
    _check_id(case_id, "case_id")
    return f"/dossiers/{case_id}"


@dataclass(frozen=True)
class NotificationEvent:
    """Something arrived for an organisation. Ids only: the event cannot carry a name, a text or a file name.

    ``kind``: nieuw_bericht, nieuw_document or procesafspraak.
    ``organisation_id``: the receiving organisation (the party that did not act; the producer vouches for it being
    a party). ``thread_id`` / ``case_id``: what the link opens (the thread when given, else the case).
    ``assigned_user_ids``: the receiving side's assignees as the producer resolved them (the thread's assignee for
    that side, else the case's); empty, or none of them active at that organisation, means the organisation's users
    of the recipient roles. ``topics``: what it is about (each adds its roles at a receiving gemeente).
    ``due_at``: the due moment of the reaction now owed, if any.
    """

    kind: MailKind
    organisation_id: str
    thread_id: str | None = None
    case_id: str | None = None
    assigned_user_ids: tuple[str, ...] = ()
    due_at: datetime | None = None
    topics: frozenset[Topic] = frozenset()

    def __post_init__(self) -> None:
        kind = MailKind(self.kind)
        if kind not in EVENT_KINDS:
            raise ValueError(f"{kind.value} is not an event kind; use one of {sorted(k.value for k in EVENT_KINDS)}")
        object.__setattr__(self, "kind", kind)
        _check_id(self.organisation_id, "organisation_id")
        _check_id(self.thread_id, "thread_id")
        _check_id(self.case_id, "case_id")
        if self.thread_id is None and self.case_id is None:
            raise ValueError("a notification needs a thread_id or a case_id to link to")
        object.__setattr__(self, "assigned_user_ids", tuple(self.assigned_user_ids))
        _check_ids(self.assigned_user_ids, "assigned_user_ids")
        object.__setattr__(self, "topics", _topics(self.topics))
        if self.due_at is not None:
            require_aware(self.due_at, "due_at")

    @property
    def link_path(self) -> str:
        return thread_path(self.thread_id) if self.thread_id else case_path(self.case_id or "")


class ReminderStage(StrEnum):
    VANDAAG = "vandaag"  # due later today
    VERLOPEN = "verlopen"  # past its due moment
    ESCALATIE = "escalatie"  # still running some werkdagen after its due moment

    @property
    def mail_kind(self) -> MailKind:
        return {
            ReminderStage.VANDAAG: MailKind.TERMIJN_VERLOOPT_VANDAAG,
            ReminderStage.VERLOPEN: MailKind.TERMIJN_VERLOPEN,
            ReminderStage.ESCALATIE: MailKind.ESCALATIE,
        }[self]


@dataclass(frozen=True)
class ClockReminder:
    """A reaction clock reached a reminder stage for its current due moment (decided by the clock's owner, once).

    ``owing_org_id``: the organisation that owes the reaction (the mail names it). ``gemeente_id``: the thread's
    gemeente, whose contractmanagers receive every escalation. ``assigned_user_ids`` and ``topics``: the owing side's
    assignees and what the thread is about, as for :class:`NotificationEvent`.
    """

    stage: ReminderStage
    clock_id: str
    thread_id: str
    owing_org_id: str
    gemeente_id: str
    due_at: datetime
    assigned_user_ids: tuple[str, ...] = ()
    topics: frozenset[Topic] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "stage", ReminderStage(self.stage))
        object.__setattr__(self, "topics", _topics(self.topics))
        for value, what in (
            (self.clock_id, "clock_id"),
            (self.thread_id, "thread_id"),
            (self.owing_org_id, "owing_org_id"),
            (self.gemeente_id, "gemeente_id"),
        ):
            _check_id(value, what)
        object.__setattr__(self, "assigned_user_ids", tuple(self.assigned_user_ids))
        _check_ids(self.assigned_user_ids, "assigned_user_ids")
        require_aware(self.due_at, "due_at")

    @property
    def link_path(self) -> str:
        return thread_path(self.thread_id)


@dataclass(frozen=True)
class Audience:
    """Who of one party hears about a thread: the party, its assignees on the thread (resolved by the producer, as for
    :class:`NotificationEvent`) and what the thread is about."""

    organisation_id: str
    assigned_user_ids: tuple[str, ...] = ()
    topics: frozenset[Topic] = frozenset()

    def __post_init__(self) -> None:
        _check_id(self.organisation_id, "organisation_id")
        object.__setattr__(self, "assigned_user_ids", tuple(self.assigned_user_ids))
        _check_ids(self.assigned_user_ids, "assigned_user_ids")
        object.__setattr__(self, "topics", _topics(self.topics))


@dataclass(frozen=True)
class MovedTerm:
    """One running term whose due moment a calendar change moved: by how many werkdagen (later positive, earlier
    negative), and who of each party of its thread hears of it."""

    clock_id: str
    werkdagen: int
    audiences: tuple[Audience, ...]

    def __post_init__(self) -> None:
        _check_id(self.clock_id, "clock_id")
        if type(self.werkdagen) is not int or self.werkdagen == 0:
            raise ValueError("a moved term moved by a non-zero whole number of werkdagen")
        object.__setattr__(self, "audiences", tuple(self.audiences))


@dataclass(frozen=True)
class TermsMoved:
    """A gemeente changed its calendar (a closing day added or removed) and running terms moved with it.

    ``gemeente_id``: whose calendar it is (the mail names it). ``change_id``: that one change (the closing day's
    id and whether it came or went): every recipient gets at most one mail per change. ``terms``: what moved.
    """

    gemeente_id: str
    change_id: str
    terms: tuple[MovedTerm, ...]

    def __post_init__(self) -> None:
        _check_id(self.gemeente_id, "gemeente_id")
        if not self.change_id or len(self.change_id) > 80 or not self.change_id.replace(":", "").isalnum():
            raise ValueError("change_id must be made of ids and words")
        object.__setattr__(self, "terms", tuple(self.terms))


class Notifier(Protocol):
    """Told by producers, inside the transaction of the event itself (event and notice commit together or not)."""

    async def notify(self, event: NotificationEvent, *, now: datetime) -> None:
        """Something arrived for an organisation: tell its people."""

    async def remind(self, reminder: ClockReminder, *, now: datetime) -> None:
        """A reaction clock reached a reminder stage: tell the owing side (an escalation: also others)."""

    async def clock_changed(self, clock_id: str, due_at: datetime | None) -> None:
        """A clock stopped (``due_at`` None) or its due moment moved: reminders not yet sent that are no longer
        true are dropped."""

    async def terms_moved(self, notice: TermsMoved, *, now: datetime) -> None:
        """A gemeente's calendar change moved running terms: tell both parties of each thread, once per recipient."""


class TermStage(StrEnum):
    NADERT = "nadert"  # a warning ahead of the due day
    VANDAAG = "vandaag"  # due today
    VERLOPEN = "verlopen"  # past its due moment

    @property
    def mail_kind(self) -> MailKind:
        return {
            TermStage.NADERT: MailKind.DOSSIERTERMIJN_NADERT,
            TermStage.VANDAAG: MailKind.DOSSIERTERMIJN_VANDAAG,
            TermStage.VERLOPEN: MailKind.DOSSIERTERMIJN_VERLOPEN,
        }[self]


_WORD = re.compile(r"^[a-z0-9_-]{1,40}$")


@dataclass(frozen=True)
class TermAudience:
    """Who at one organisation hears of a case term: its active assignees among ``assigned_user_ids``; when none,
    its users of ``roles`` (or, without roles, of the organisation's recipient roles)."""

    organisation_id: str
    assigned_user_ids: tuple[str, ...] = ()
    roles: frozenset[Role] = frozenset()

    def __post_init__(self) -> None:
        _check_id(self.organisation_id, "organisation_id")
        object.__setattr__(self, "assigned_user_ids", tuple(i for i in self.assigned_user_ids if i))
        _check_ids(self.assigned_user_ids, "assigned_user_ids")
        object.__setattr__(self, "roles", frozenset(Role(r) for r in self.roles))


@dataclass(frozen=True)
class TermReminder:
    """A term of a case's path reached a reminder stage for its current due moment (decided by the cases package,
    once). ``step`` and ``mark`` (the stage instance, e.g. ``nadert-2`` for two months ahead) are plain words used
    only to keep each mail once; the mail names neither. ``audiences``: the owing side first, then whoever else is
    told (the contractmanager of the schuldhulp term, BSHV of a missing uitstroomverslag). Every mail is about the
    owing organisation and links to the case."""

    stage: TermStage
    mark: str
    case_id: str
    step: str
    owing_org_id: str
    due_at: datetime
    audiences: tuple[TermAudience, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "stage", TermStage(self.stage))
        for value, what in ((self.mark, "mark"), (self.step, "step")):
            if not _WORD.match(value):
                raise ValueError(f"{what} must be a plain word")
        _check_id(self.case_id, "case_id")
        _check_id(self.owing_org_id, "owing_org_id")
        require_aware(self.due_at, "due_at")
        object.__setattr__(self, "audiences", tuple(self.audiences))

    @property
    def link_path(self) -> str:
        return case_path(self.case_id)


class TermNotifier(Protocol):
    """Told by the cases package, inside the transaction that decided (notice and rows commit together or not)."""

    async def remind_term(self, reminder: TermReminder, *, now: datetime) -> None:
        """A case term reached a reminder stage: tell its audiences."""

    async def term_changed(self, case_id: str, step: str, due_at: datetime | None) -> None:
        """A case term ended (``due_at`` None: the step was done, or is no longer owed) or its due moment moved:
        reminders not yet sent that are no longer true are dropped."""


class ClockStates(Protocol):
    """Asked by the outbox before a reminder goes out (and before held reminders go into a digest): for each clock id,
    the due moment it runs to now, or None when it has stopped (or is unknown). A reminder whose clock stopped, or
    whose due moment moved, is cancelled: it is no longer true. The producer that owns the clocks provides it."""

    async def __call__(self, db: AsyncSession, clock_ids: list[str]) -> dict[str, datetime | None]: ...
