"""The outbox implementation of :class:`hub.notifications.interfaces.Notifier`: rows to send, written in the caller's
transaction. Nothing here sends (the worker does), and nothing here reads a producer's tables: the events carry the
ids, the assignees come resolved, and only the accounts tables are read (who is active, of which role, at which
address).

- :func:`notify`: one row per recipient of an event; a recipient who still has an unsent row of the same kind for the
  same link gets no second one (ten messages in a thread before the mail goes out make one mail).
- :func:`remind`: the rows of one reminder stage of a reaction clock, each at most once per clock, stage, due moment
  and recipient (``dedupe_key``); the clock's owner decides when a stage is reached, once.
- :func:`withdraw_reminders`: reminder rows not sent yet whose clock stopped or moved are cancelled.
- :func:`terms_moved`: a gemeente's calendar change moved running terms: one row per recipient of the threads'
  parties, with how many terms moved and by how many werkdagen at most, at most once per change.

Who is told (the README's table "event → who gets a mail" says the same): the receiving side's assignees, else its
users of :data:`RECIPIENT_ROLES`; at a gemeente also the users of each topic's :data:`TOPIC_ROLES`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.models import Organisation, User, people
from hub.accounts.roles import OrgKind, Role
from hub.db import new_id, utcnow
from hub.errors import NotFound
from hub.notifications.interfaces import (
    ClockReminder,
    ClockStates,
    NotificationEvent,
    ReminderStage,
    TermsMoved,
    Topic,
)
from hub.notifications.models import CLOCK_KINDS, MailKind, MailStatus, OutboxMail
from hub.terms import require_aware

log = logging.getLogger("hub.notifications")

# When nobody is assigned on the receiving side, these roles of the receiving organisation are told.
RECIPIENT_ROLES: dict[OrgKind, frozenset[Role]] = {
    OrgKind.KANTOOR: frozenset({Role.BEWINDVOERDER}),
    OrgKind.GEMEENTE: frozenset({Role.KLANTMANAGER, Role.CONSULENT}),
    OrgKind.BEHEER: frozenset(),
}
# Besides the owing organisation's fixed address, the users of these roles at the thread's gemeente receive every
# escalation, whichever side is late: the contractmanager watches the terms and contacts the bewindvoerders.
ESCALATION_ROLES: frozenset[Role] = frozenset({Role.CONTRACTMANAGER})
# What an event is about brings in these roles of a receiving gemeente as well, whoever is assigned: the
# contractmanager is the gemeente's contact for the convenant (§1a.1), so a general question reaches them; a
# bijstand application or thread reaches the consulenten bijzondere bijstand, also when a klantmanager handles the case.
TOPIC_ROLES: dict[Topic, frozenset[Role]] = {
    Topic.ALGEMENE_VRAAG: frozenset({Role.CONTRACTMANAGER}),
    Topic.BIJZONDERE_BIJSTAND: frozenset({Role.CONSULENT}),
}
# Where a "termijnen verschoven" mail's link goes: the inbox (it covers several threads).
INBOX_PATH = "/berichten"


# -- recipients ----------------------------------------------------------------------------------------------


async def _active_users(db: AsyncSession, org_id: str, ids: Iterable[str] | None = None) -> list[User]:
    query = select(User).where(col(User.organisation_id) == org_id, col(User.disabled).is_(False), people())
    if ids is not None:
        query = query.where(col(User.id).in_(list(ids)))
    return list((await db.execute(query.order_by(col(User.email)))).scalars())


async def users_with_roles(db: AsyncSession, org_id: str, roles: frozenset[Role]) -> list[User]:
    return [u for u in await _active_users(db, org_id) if u.role_set & roles]


async def recipients(
    db: AsyncSession, org: Organisation, assigned_user_ids: Sequence[str] = (), topics: Iterable[Topic] = ()
) -> list[User]:
    """The users told about something for ``org``: its active assignees among ``assigned_user_ids`` (users of
    another organisation are ignored), or else its users of the recipient roles; at a gemeente also its users of
    the roles of each of ``topics``. Each user once, by e-mail address."""
    ids = [i for i in assigned_user_ids if i]
    users = await _active_users(db, org.id, ids) if ids else []
    if not users:
        users = await users_with_roles(db, org.id, RECIPIENT_ROLES[org.org_kind])
    extra = frozenset().union(*(TOPIC_ROLES[t] for t in topics)) if org.org_kind == OrgKind.GEMEENTE else frozenset()
    if extra:
        told = {u.id for u in users}
        users += [u for u in await users_with_roles(db, org.id, extra) if u.id not in told]
    return sorted(users, key=lambda u: u.email)


def _status_for(user: User) -> MailStatus:
    return MailStatus.DIGEST_HELD if user.notify_mode == "digest" else MailStatus.PENDING


# -- events ----------------------------------------------------------------------------------------------------


async def notify(db: AsyncSession, event: NotificationEvent, *, now: datetime | None = None) -> list[str]:
    """Write the outbox rows for ``event`` in the caller's transaction; return the addresses they go to.

    A user who still has an unsent row of the same kind for the same link gets no second one. Users who chose the
    digest get a held row instead of a mail.
    """
    now = now or utcnow()
    org = await db.get(Organisation, event.organisation_id)
    if org is None:
        raise NotFound(event.organisation_id)
    users = await recipients(db, org, event.assigned_user_ids, event.topics)
    link = event.link_path
    # One query for every recipient's unsent row of this kind and link (an organisation may have many users).
    waiting_for: dict[str | None, OutboxMail] = {}
    if users:
        found = await db.execute(
            select(OutboxMail).where(
                col(OutboxMail.recipient_user_id).in_([u.id for u in users]),
                col(OutboxMail.status).in_([MailStatus.PENDING.value, MailStatus.DIGEST_HELD.value]),
                col(OutboxMail.kind) == event.kind.value,
                col(OutboxMail.link_path) == link,
            )
        )
        for waiting_row in found.scalars():
            waiting_for.setdefault(waiting_row.recipient_user_id, waiting_row)
    new_rows: list[dict[str, Any]] = []
    for user in users:
        waiting = waiting_for.get(user.id)
        if waiting is not None:
            # The newest event says what is owed now: a due moment that was met (or handed over) meanwhile must
            # not be announced, so None replaces an older due moment as well.
            waiting.due_at = event.due_at
            db.add(waiting)
            continue
        new_rows.append(
            {
                "id": new_id(),
                "created_at": now,
                "kind": event.kind.value,
                "recipient_user_id": user.id,
                "recipient_address": user.email,
                "organisation_id": org.id,
                "due_at": event.due_at,
                "link_path": link,
                "status": _status_for(user).value,
                "attempts": 0,
                "next_attempt_at": now,
            }
        )
    if not users:
        log.warning("notification %s for organisation %s has no recipient", event.kind.value, org.id)
    await db.flush()
    if new_rows:
        # One multi-row INSERT, without an ORM object per row: a notice to all twenty klantmanagers of a gemeente
        # cost more in building and flushing objects than in the database.
        await db.execute(insert(OutboxMail), new_rows)
    return [u.email for u in users]


# -- reminders -------------------------------------------------------------------------------------------------


def stage_key(stage: str, due_at: datetime) -> str:
    """A reminder stage for one due moment as text, e.g. ``verlopen:1777499999`` (epoch seconds): part of the
    outbox rows' dedupe key. A procesafspraak (or a new closing day) that moves the due moment gives the stages
    again for the new moment, and still at most once per stage and due moment."""
    return f"{stage}:{int(require_aware(due_at, 'due_at').timestamp())}"


def _reminder_row(
    reminder: ClockReminder, *, user: User | None, address: str, org_id: str, now: datetime
) -> OutboxMail:
    kind = reminder.stage.mail_kind
    who = user.id if user is not None else "org"
    return OutboxMail(
        created_at=now,
        kind=kind.value,
        recipient_user_id=user.id if user is not None else None,
        recipient_address=address,
        organisation_id=org_id,
        due_at=reminder.due_at,
        link_path=reminder.link_path,
        clock_id=reminder.clock_id,
        status=(_status_for(user) if user is not None and kind is not MailKind.ESCALATIE else MailStatus.PENDING).value,
        next_attempt_at=now,
        dedupe_key=f"clock:{reminder.clock_id}:{stage_key(reminder.stage.value, reminder.due_at)}:{who}",
    )


async def remind(db: AsyncSession, reminder: ClockReminder, *, now: datetime) -> list[OutboxMail]:
    """The rows of one reminder stage: "verloopt vandaag" and "verlopen" to the owing side's assignees (or its users
    of the recipient roles); an escalation to the owing organisation's fixed address and to the contractmanagers of
    the thread's gemeente (also when the kantoor is late). Every row is about the owing organisation."""
    org = await db.get(Organisation, reminder.owing_org_id)
    if org is None:
        return []
    rows: list[OutboxMail] = []
    if reminder.stage is ReminderStage.ESCALATIE:
        targets: list[tuple[User | None, str]] = []
        if org.contact_email:
            targets.append((None, org.contact_email))
        else:
            log.warning("escalation for clock %s: organisation %s has no fixed address", reminder.clock_id, org.id)
        seen = {org.contact_email.lower()} if org.contact_email else set()
        for user in await users_with_roles(db, reminder.gemeente_id, ESCALATION_ROLES):
            if user.email.lower() not in seen:
                seen.add(user.email.lower())
                targets.append((user, user.email))
        rows = [_reminder_row(reminder, user=u, address=a, org_id=org.id, now=now) for u, a in targets]
    else:
        users = await recipients(db, org, reminder.assigned_user_ids, reminder.topics)
        if not users:
            log.warning(
                "reminder %s for clock %s: organisation %s has no recipient", reminder.stage, reminder.clock_id, org.id
            )
        rows = [_reminder_row(reminder, user=u, address=u.email, org_id=org.id, now=now) for u in users]
    db.add_all(rows)
    await db.flush()
    return rows


async def withdraw_reminders(db: AsyncSession, clock_id: str, due_at: datetime | None) -> int:
    """Held and waiting reminder rows of a clock that are no longer true become 'cancelled': the clock stopped
    (``due_at`` None), or its due moment moved to ``due_at`` (the new moment gets its own reminders)."""
    stmt = update(OutboxMail).where(
        col(OutboxMail.clock_id) == clock_id,
        col(OutboxMail.status).in_([MailStatus.DIGEST_HELD.value, MailStatus.PENDING.value]),
        col(OutboxMail.kind).in_([k.value for k in CLOCK_KINDS]),
    )
    if due_at is None:
        stmt = stmt.values(status=MailStatus.CANCELLED.value, last_error="Termijn gestopt voor verzending")
    else:
        stmt = stmt.where(col(OutboxMail.due_at) != require_aware(due_at, "due_at")).values(
            status=MailStatus.CANCELLED.value, last_error="Termijn verschoven voor verzending"
        )
    result = await db.execute(stmt.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


async def cancel_stale_reminders(
    db: AsyncSession, clock_states: ClockStates, *, claimed_ids: Sequence[str] | None = None
) -> int:
    """Reminder rows that are no longer true become 'cancelled': their clock stopped, or its due moment moved (a
    procesafspraak; the new moment gets its own reminders). With ``claimed_ids``: those rows a worker just claimed;
    otherwise every held or waiting reminder (before the digests are built).

    The clocks' owner answers through ``clock_states``; this covers what :func:`withdraw_reminders` cannot: a row
    written by a sweep that read the clock just before it stopped, and a row taken up again after a dead worker's
    lease."""
    query = select(col(OutboxMail.id), col(OutboxMail.clock_id), col(OutboxMail.due_at)).where(
        col(OutboxMail.kind).in_([k.value for k in CLOCK_KINDS]), col(OutboxMail.clock_id).is_not(None)
    )
    if claimed_ids is not None:
        query = query.where(
            col(OutboxMail.id).in_(list(claimed_ids)), col(OutboxMail.status) == MailStatus.SENDING.value
        )
    else:
        query = query.where(col(OutboxMail.status).in_([MailStatus.DIGEST_HELD.value, MailStatus.PENDING.value]))
    rows = (await db.execute(query)).all()
    if not rows:
        return 0
    states = await clock_states(db, sorted({clock_id for _, clock_id, _ in rows if clock_id}))
    stopped = [row_id for row_id, clock_id, _ in rows if states.get(clock_id or "") is None]
    moved = [
        row_id for row_id, clock_id, due_at in rows if (now_due := states.get(clock_id or "")) and now_due != due_at
    ]
    for ids, reason in ((stopped, "Termijn gestopt voor verzending"), (moved, "Termijn verschoven voor verzending")):
        if ids:
            await db.execute(
                update(OutboxMail)
                .where(col(OutboxMail.id).in_(ids))
                .values(status=MailStatus.CANCELLED.value, last_error=reason)
                .execution_options(synchronize_session=False)
            )
    return len(stopped) + len(moved)


# -- calendar changes ----------------------------------------------------------------------------------------------


async def terms_moved(db: AsyncSession, notice: TermsMoved, *, now: datetime) -> list[OutboxMail]:
    """One row per recipient of a calendar change that moved running terms: the people each party of each thread
    would be told about that thread (:func:`recipients`), with how many of those terms moved and the largest move
    in werkdagen. The row names the gemeente whose calendar changed and links to the inbox; its ``dedupe_key``
    holds it to one per change and recipient (a change told twice writes nothing the second time)."""
    moved: dict[str, set[str]] = {}  # user id -> the clocks that moved for them
    largest: dict[str, int] = {}  # user id -> the largest move (signed)
    users: dict[str, User] = {}
    organisations: dict[str, Organisation | None] = {}
    for term in notice.terms:
        for audience in term.audiences:
            org_id = audience.organisation_id
            if org_id not in organisations:
                organisations[org_id] = await db.get(Organisation, org_id)
            org = organisations[org_id]
            if org is None:
                continue
            for user in await recipients(db, org, audience.assigned_user_ids, audience.topics):
                users[user.id] = user
                moved.setdefault(user.id, set()).add(term.clock_id)
                if abs(term.werkdagen) > abs(largest.get(user.id, 0)):
                    largest[user.id] = term.werkdagen
    keys = {user_id: f"termijnen:{notice.change_id}:{user_id}" for user_id in users}
    already = select(col(OutboxMail.dedupe_key)).where(col(OutboxMail.dedupe_key).in_(list(keys.values())))
    told = set((await db.execute(already)).scalars()) if keys else set()
    rows = [
        OutboxMail(
            created_at=now,
            kind=MailKind.TERMIJNEN_VERSCHOVEN.value,
            recipient_user_id=user.id,
            recipient_address=user.email,
            organisation_id=notice.gemeente_id,
            link_path=INBOX_PATH,
            status=_status_for(user).value,
            next_attempt_at=now,
            moved_terms=len(moved[user.id]),
            moved_werkdagen=largest[user.id],
            dedupe_key=keys[user.id],
        )
        for user in sorted(users.values(), key=lambda u: u.email)
        if keys[user.id] not in told
    ]
    db.add_all(rows)
    await db.flush()
    return rows


class OutboxNotifier:
    """The :class:`~hub.notifications.interfaces.Notifier` that writes outbox rows in the caller's session."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def notify(self, event: NotificationEvent, *, now: datetime) -> None:
        await notify(self.db, event, now=now)

    async def remind(self, reminder: ClockReminder, *, now: datetime) -> None:
        await remind(self.db, reminder, now=now)

    async def clock_changed(self, clock_id: str, due_at: datetime | None) -> None:
        await withdraw_reminders(self.db, clock_id, due_at)

    async def terms_moved(self, notice: TermsMoved, *, now: datetime) -> None:
        await terms_moved(self.db, notice, now=now)
