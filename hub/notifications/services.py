"""Who is told what, and when: outbox rows for events, reminder sweeps over the reaction clocks, and digests.

Everything here writes outbox rows inside the caller's transaction; nothing sends. The worker sends.

- :func:`notify` is called by a producer (messaging, documents) inside the transaction of the event itself, so that
  the event and its notifications commit together or not at all.
- :func:`sweep_clocks` turns running reaction clocks into at most one "verloopt vandaag", one "verlopen" and one
  escalation per clock and due moment (recorded in ``clock_notice``), and nothing once a clock has stopped. A
  procesafspraak that moves the due moment starts the stages afresh for the new moment.
- :func:`build_digests` bundles the rows held for users who chose the daily digest into one mail per user per
  werkdag, at or after the digest hour.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.models import Organisation, User
from hub.accounts.roles import OrgKind, Role
from hub.cases.models import Case
from hub.db import utcnow
from hub.errors import NotFound
from hub.messaging.models import Clock, GemeenteClosingDay, Thread
from hub.notifications.models import CLOCK_KINDS, EVENT_KINDS, ClockNotice, MailKind, MailStatus, OutboxMail
from hub.terms import AMSTERDAM, WerkdagCalendar, as_local_date, default_calendar, end_of_day, require_aware

log = logging.getLogger(__name__)

# When nobody is assigned on the receiving side, these roles of the receiving organisation are told.
RECIPIENT_ROLES: dict[OrgKind, frozenset[Role]] = {
    OrgKind.KANTOOR: frozenset({Role.BEWINDVOERDER}),
    OrgKind.GEMEENTE: frozenset({Role.KLANTMANAGER, Role.CONSULENT}),
    OrgKind.BEHEER: frozenset(),
}
# Besides the owing organisation's fixed address, the users of these roles at the thread's gemeente receive every
# escalation, whichever side is late: the contractmanager watches the terms and contacts the bewindvoerders.
ESCALATION_ROLES: frozenset[Role] = frozenset({Role.CONTRACTMANAGER})

STAGE_VANDAAG = "vandaag"
STAGE_VERLOPEN = "verlopen"
STAGE_ESCALATIE = "escalatie"

ID_RE = re.compile(r"^[0-9a-f]{32}$")

CalendarFor = Callable[[str], WerkdagCalendar]


def _check_id(value: str | None, what: str) -> None:
    if value is not None and not ID_RE.fullmatch(value):
        raise ValueError(f"{what} must be a hub id (32 hex characters)")


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
    ``organisation_id``: the receiving organisation (the party that did not act).
    ``thread_id`` / ``case_id``: what the link opens (the thread when given, else the case) and where assignees
    are looked up. ``assigned_user_ids``: the receiving side's assignees when the producer knows them; empty means
    "look them up": the thread's assignee for that side, else the case's, else the organisation's users of the
    roles in :data:`RECIPIENT_ROLES`. ``due_at``: the due moment of the reaction now owed, if any.
    """

    kind: MailKind
    organisation_id: str
    thread_id: str | None = None
    case_id: str | None = None
    assigned_user_ids: tuple[str, ...] = ()
    due_at: datetime | None = None

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
        for user_id in self.assigned_user_ids:
            _check_id(user_id, "assigned_user_ids")
        if self.due_at is not None:
            require_aware(self.due_at, "due_at")

    @property
    def link_path(self) -> str:
        return thread_path(self.thread_id) if self.thread_id else case_path(self.case_id or "")


# -- recipients ----------------------------------------------------------------------------------------------


async def _assignee_for(db: AsyncSession, org: Organisation, thread: Thread | None, case_id: str | None) -> str | None:
    """The receiving side's assignee: the thread's for that side, else the case's."""
    if thread is not None:
        if org.id == thread.gemeente_id and thread.gemeente_assignee_id:
            return thread.gemeente_assignee_id
        if org.id == thread.kantoor_id and thread.kantoor_assignee_id:
            return thread.kantoor_assignee_id
        case_id = case_id or thread.case_id
    if case_id is not None:
        case = await db.get(Case, case_id)
        if case is not None:
            if org.id == case.gemeente_id:
                return case.gemeente_contact_id
            if org.id == case.kantoor_id:
                return case.bewindvoerder_id
    return None


async def _active_users(db: AsyncSession, org_id: str, ids: Iterable[str] | None = None) -> list[User]:
    query = select(User).where(User.organisation_id == org_id, User.disabled.is_(False))
    if ids is not None:
        query = query.where(User.id.in_(list(ids)))
    return list((await db.execute(query.order_by(User.email))).scalars())


async def users_with_roles(db: AsyncSession, org_id: str, roles: frozenset[Role]) -> list[User]:
    return [u for u in await _active_users(db, org_id) if u.role_set & roles]


async def recipients(
    db: AsyncSession,
    org: Organisation,
    *,
    assigned_user_ids: Sequence[str] = (),
    thread: Thread | None = None,
    case_id: str | None = None,
) -> list[User]:
    """The users told about something for ``org``: its assignees, or else its users of the recipient roles."""
    ids = list(assigned_user_ids)
    if not ids:
        assignee = await _assignee_for(db, org, thread, case_id)
        ids = [assignee] if assignee else []
    users = await _active_users(db, org.id, ids) if ids else []
    if not users:
        users = await users_with_roles(db, org.id, RECIPIENT_ROLES[org.org_kind])
    return users


def _status_for(user: User) -> MailStatus:
    return MailStatus.DIGEST_HELD if user.notify_mode == "digest" else MailStatus.PENDING


# -- events ----------------------------------------------------------------------------------------------------


async def notify(db: AsyncSession, event: NotificationEvent, *, now: datetime | None = None) -> list[OutboxMail]:
    """Write the outbox rows for ``event`` in the caller's transaction; return the rows that will carry it.

    A user who still has an unsent row of the same kind for the same link gets no second one (ten messages in a
    thread before the mail goes out make one mail). Users who chose the digest get a held row instead of a mail.
    """
    now = now or utcnow()
    org = await db.get(Organisation, event.organisation_id)
    if org is None:
        raise NotFound(event.organisation_id)
    thread = await db.get(Thread, event.thread_id) if event.thread_id else None
    if event.thread_id and (thread is None or org.id not in thread.party_ids()):
        raise ValueError("the receiving organisation is not a party to this thread")
    if event.case_id and not event.thread_id:
        case = await db.get(Case, event.case_id)
        if case is None or org.id not in case.party_ids():
            raise ValueError("the receiving organisation is not a party to this case")
    users = await recipients(db, org, assigned_user_ids=event.assigned_user_ids, thread=thread, case_id=event.case_id)
    link = event.link_path
    rows: list[OutboxMail] = []
    # One query for every recipient's unsent row of this kind and link (an organisation may have many users).
    waiting_for: dict[str | None, OutboxMail] = {}
    if users:
        found = await db.execute(
            select(OutboxMail).where(
                OutboxMail.recipient_user_id.in_([u.id for u in users]),
                OutboxMail.status.in_([MailStatus.PENDING.value, MailStatus.DIGEST_HELD.value]),
                OutboxMail.kind == event.kind.value,
                OutboxMail.link_path == link,
            )
        )
        for waiting_row in found.scalars():
            waiting_for.setdefault(waiting_row.recipient_user_id, waiting_row)
    for user in users:
        waiting = waiting_for.get(user.id)
        if waiting is not None:
            # The newest event says what is owed now: a due moment that was met (or handed over) meanwhile must
            # not be announced, so None replaces an older due moment as well.
            waiting.due_at = event.due_at
            db.add(waiting)
            rows.append(waiting)
            continue
        row = OutboxMail(
            created_at=now,
            kind=event.kind.value,
            recipient_user_id=user.id,
            recipient_address=user.email,
            organisation_id=org.id,
            due_at=event.due_at,
            link_path=link,
            status=_status_for(user).value,
            next_attempt_at=now,
        )
        db.add(row)
        rows.append(row)
    if not users:
        log.warning("notification %s for organisation %s has no recipient", event.kind.value, org.id)
    await db.flush()
    return rows


# -- calendars -------------------------------------------------------------------------------------------------


async def calendars(db: AsyncSession, base: WerkdagCalendar | None = None) -> CalendarFor:
    """Per organisation id: the base calendar plus a gemeente's own closing days."""
    base = base or default_calendar()
    days: dict[str, set[date]] = {}
    for gemeente_id, day in (await db.execute(select(GemeenteClosingDay.gemeente_id, GemeenteClosingDay.day))).all():
        days.setdefault(gemeente_id, set()).add(day)
    by_org = {gid: base.with_extra_closed(d) for gid, d in days.items()}
    return lambda org_id: by_org.get(org_id, base)


# -- clocks ----------------------------------------------------------------------------------------------------


def stage_key(stage: str, due_at: datetime) -> str:
    """A reminder stage for one due moment as text, e.g. ``verlopen:1777499999`` (epoch seconds): part of the
    outbox rows' dedupe key. A procesafspraak (or a new closing day) that moves the due moment gives the stages
    again for the new moment, and still at most once per stage and due moment."""
    return f"{stage}:{int(require_aware(due_at, 'due_at').timestamp())}"


async def _record_stage(db: AsyncSession, clock: Clock, stage: str, now: datetime) -> bool:
    """Record that a stage of a clock is handled for its current due moment; False when another worker already
    did (primary key)."""
    try:
        async with db.begin_nested():
            db.add(ClockNotice(clock_id=clock.id, stage=stage, due_at=clock.due_at, created_at=now))
            await db.flush()
    except IntegrityError:
        return False
    return True


def _clock_row(
    clock: Clock, *, kind: MailKind, key: str, user: User | None, address: str, org_id: str, now: datetime
) -> OutboxMail:
    who = user.id if user is not None else "org"
    return OutboxMail(
        created_at=now,
        kind=kind.value,
        recipient_user_id=user.id if user is not None else None,
        recipient_address=address,
        organisation_id=org_id,
        due_at=clock.due_at,
        link_path=thread_path(clock.thread_id),
        clock_id=clock.id,
        status=(_status_for(user) if user is not None and kind is not MailKind.ESCALATIE else MailStatus.PENDING).value,
        next_attempt_at=now,
        dedupe_key=f"clock:{clock.id}:{key}:{who}",
    )


async def sweep_clocks(
    db: AsyncSession, now: datetime, calendar_for: CalendarFor, *, escalate_after: int = 1
) -> list[OutboxMail]:
    """Reminders for running reaction clocks, each at most once per clock and due moment:

    - due later today: "termijn verloopt vandaag" to the owing side's assignee (or users of the recipient roles);
    - past its due moment: "termijn verlopen" to the same people;
    - still running ``escalate_after`` werkdagen after its due moment (the term of that many werkdagen that starts
      on the due day, on the calendar of the thread's gemeente): an escalation to the owing organisation's fixed
      address and to the contractmanagers of the thread's gemeente (whichever side is late). Due Monday with 1:
      from Wednesday.

    The stages are recorded per due moment (``clock_notice``): when a procesafspraak moves the due moment, the new
    moment gets its own "verloopt vandaag", "verlopen" and escalation, also after the old one escalated. A stopped
    clock is never selected, so it sends nothing more.
    """
    require_aware(now, "now")
    if escalate_after < 1:
        raise ValueError("escalate_after must be at least 1 werkdag")
    today = as_local_date(now)
    # Clocks escalated for their current due moment are done.
    done = exists().where(
        ClockNotice.clock_id == Clock.id,
        ClockNotice.stage == STAGE_ESCALATIE,
        ClockNotice.due_at == Clock.due_at,
    )
    result = await db.execute(
        select(Clock, Thread)
        .join(Thread, Thread.id == Clock.thread_id)
        .where(Clock.stopped_at.is_(None), Clock.due_at <= end_of_day(today), ~done)
        .order_by(Clock.due_at)
    )
    pairs: list[tuple[Clock, Thread]] = [(c, t) for c, t in result.all()]
    if not pairs:
        return []
    recorded: dict[str, set[tuple[str, datetime]]] = {}
    notices = await db.execute(
        select(ClockNotice.clock_id, ClockNotice.stage, ClockNotice.due_at).where(
            ClockNotice.clock_id.in_([c.id for c, _ in pairs])
        )
    )
    for clock_id, stage, due_at in notices.all():
        recorded.setdefault(clock_id, set()).add((stage, due_at))

    rows: list[OutboxMail] = []
    for clock, thread in pairs:
        handled = recorded.get(clock.id, set())
        org = await db.get(Organisation, clock.owed_by_org_id)
        if org is None:
            continue
        overdue = clock.due_at < now
        wanted: list[str] = []
        if not overdue:
            wanted.append(STAGE_VANDAAG)
        else:
            wanted.append(STAGE_VERLOPEN)
            escalate_at = calendar_for(thread.gemeente_id).add_werkdagen(clock.due_at, escalate_after)
            if now > escalate_at:
                wanted.append(STAGE_ESCALATIE)
        for stage in wanted:
            if (stage, clock.due_at) in handled or not await _record_stage(db, clock, stage, now):
                continue
            key = stage_key(stage, clock.due_at)
            if stage == STAGE_ESCALATIE:
                rows += await _escalation_rows(db, clock, thread, org, key, now)
                continue
            kind = MailKind.TERMIJN_VERLOOPT_VANDAAG if stage == STAGE_VANDAAG else MailKind.TERMIJN_VERLOPEN
            users = await recipients(db, org, thread=thread)
            if not users:
                log.warning("reminder %s for clock %s: organisation %s has no recipient", stage, clock.id, org.id)
            for user in users:
                rows.append(
                    _clock_row(clock, kind=kind, key=key, user=user, address=user.email, org_id=org.id, now=now)
                )
    db.add_all(rows)
    await db.flush()
    return rows


async def _escalation_rows(
    db: AsyncSession, clock: Clock, thread: Thread, org: Organisation, key: str, now: datetime
) -> list[OutboxMail]:
    """To the owing organisation's fixed address, and to the contractmanagers of the thread's gemeente (also when
    the kantoor is late). Every row is about the owing organisation (``organisation_id``): the mail names it."""
    targets: list[tuple[User | None, str]] = []
    if org.contact_email:
        targets.append((None, org.contact_email))
    else:
        log.warning("escalation for clock %s: organisation %s has no fixed address", clock.id, org.id)
    seen = {org.contact_email.lower()} if org.contact_email else set()
    for user in await users_with_roles(db, thread.gemeente_id, ESCALATION_ROLES):
        if user.email.lower() not in seen:
            seen.add(user.email.lower())
            targets.append((user, user.email))
    return [
        _clock_row(clock, kind=MailKind.ESCALATIE, key=key, user=user, address=address, org_id=org.id, now=now)
        for user, address in targets
    ]


# -- digests ---------------------------------------------------------------------------------------------------


async def cancel_stale_reminders(db: AsyncSession, ids: Sequence[str] | None = None, *, claimed: bool = False) -> int:
    """Reminder rows that are no longer true become 'cancelled': their clock has stopped, or its due moment has
    moved (a procesafspraak; the new moment gets its own reminders). Held and waiting rows, or (``claimed``) the
    worker's own just-claimed rows ``ids``."""
    statuses = [MailStatus.SENDING] if claimed else [MailStatus.DIGEST_HELD, MailStatus.PENDING]
    total = 0
    for stale, reason in (
        (Clock.stopped_at.is_not(None), "Termijn gestopt voor verzending"),
        (Clock.due_at != OutboxMail.due_at, "Termijn verschoven voor verzending"),
    ):
        stmt = (
            update(OutboxMail)
            .where(
                OutboxMail.status.in_([s.value for s in statuses]),
                OutboxMail.kind.in_([k.value for k in CLOCK_KINDS]),
                exists().where(Clock.id == OutboxMail.clock_id, stale),
            )
            .values(status=MailStatus.CANCELLED.value, last_error=reason)
            .execution_options(synchronize_session=False)
        )
        if ids is not None:
            stmt = stmt.where(OutboxMail.id.in_(list(ids)))
        result = await db.execute(stmt)
        total += int(getattr(result, "rowcount", 0) or 0)
    return total


async def build_digests(
    db: AsyncSession, now: datetime, hour: int, *, calendar_for: CalendarFor | None = None
) -> list[OutboxMail]:
    """On a werkdag (of the user's organisation's calendar) at or after ``hour`` Dutch time: one digest row per
    user holding items, which takes those items along (status 'digested', ``digest_id``). At most one digest per
    user per day (``dedupe_key``); items held later that day wait for the next werkdag's digest.
    """
    require_aware(now, "now")
    local = now.astimezone(AMSTERDAM)
    if local.hour < hour:
        return []
    today = local.date()
    cal_for = calendar_for or (lambda _org: default_calendar())
    await cancel_stale_reminders(db)
    user_ids = list(
        (
            await db.execute(
                select(OutboxMail.recipient_user_id)
                .where(OutboxMail.status == MailStatus.DIGEST_HELD.value, OutboxMail.recipient_user_id.is_not(None))
                .distinct()
            )
        ).scalars()
    )
    digests: list[OutboxMail] = []
    for user_id in sorted(user_ids):
        user = await db.get(User, user_id)
        if user is None or user.disabled or not cal_for(user.organisation_id).is_werkdag(today):
            continue
        digest = OutboxMail(
            created_at=now,
            kind=MailKind.DIGEST.value,
            recipient_user_id=user.id,
            recipient_address=user.email,
            organisation_id=user.organisation_id,
            link_path="/",
            status=MailStatus.PENDING.value,
            next_attempt_at=now,
            dedupe_key=f"digest:{user.id}:{today.isoformat()}",
        )
        try:
            async with db.begin_nested():
                db.add(digest)
                await db.flush()
                await db.execute(
                    update(OutboxMail)
                    .where(
                        OutboxMail.recipient_user_id == user.id,
                        OutboxMail.status == MailStatus.DIGEST_HELD.value,
                    )
                    .values(status=MailStatus.DIGESTED.value, digest_id=digest.id)
                    .execution_options(synchronize_session=False)
                )
        except IntegrityError:
            continue  # today's digest exists (made earlier, or by another worker just now)
        digests.append(digest)
    return digests


# -- operations ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxEntry:
    mail: OutboxMail
    organisation: str

    @property
    def kind_label(self) -> str:
        return MailKind(self.mail.kind).label

    @property
    def status_label(self) -> str:
        return MailStatus(self.mail.status).label


@dataclass(frozen=True)
class OutboxOverview:
    counts: dict[MailStatus, int]
    failed: list[OutboxEntry]
    recent: list[OutboxEntry]


async def _entries(db: AsyncSession, *conditions: Any, limit: int) -> list[OutboxEntry]:
    result = await db.execute(
        select(OutboxMail, Organisation.name)
        .join(Organisation, Organisation.id == OutboxMail.organisation_id)
        .where(*conditions)
        .order_by(OutboxMail.created_at.desc(), OutboxMail.id)
        .limit(limit)
    )
    return [OutboxEntry(mail, name) for mail, name in result.all()]


async def outbox_overview(db: AsyncSession, *, status: MailStatus | None = None, limit: int = 100) -> OutboxOverview:
    """For the functioneel beheerder: counts per status, every failed row, and the newest rows."""
    counts = {s: 0 for s in MailStatus}
    for raw, n in (await db.execute(select(OutboxMail.status, func.count()).group_by(OutboxMail.status))).all():
        counts[MailStatus(raw)] = int(n)
    failed = await _entries(db, OutboxMail.status == MailStatus.FAILED.value, limit=limit)
    recent = await _entries(db, *([OutboxMail.status == status.value] if status else []), limit=limit)
    return OutboxOverview(counts, failed, recent)


async def retry_failed(db: AsyncSession, row_id: str, now: datetime | None = None) -> None:
    """Put a failed row back in the queue (after the cause, e.g. the SMTP settings, has been fixed)."""
    row = await db.get(OutboxMail, row_id)
    if row is None or row.status != MailStatus.FAILED.value:
        raise NotFound(row_id)
    row.status = MailStatus.PENDING.value
    row.next_attempt_at = now or utcnow()
    row.attempts = 0
    db.add(row)
    await db.flush()
