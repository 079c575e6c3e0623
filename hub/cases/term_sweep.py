"""The worker's sweep over the terms of the cases' paths: compute the terms of cases marked stale, then tell the
Notifier of every term that reached a reminder stage (:mod:`hub.cases.case_terms`), once per stage and due moment.

Safe to run twice at once: each case is handled under its row lock (PostgreSQL; SQLite runs one writing transaction
at a time) and re-read after taking it, and the stage is recorded in ``case_term_notice`` (primary key) before the
Notifier is told, in the same transaction as the mail rows. A term whose step was recorded meanwhile is gone when
the lock is taken, and sends nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.roles import Role
from hub.calendars.services import CalendarSource
from hub.cases.case_terms import (
    DEFAULT_WARN_MONTHS,
    case_milestones,
    current_stage,
    lock_case,
    next_stage_on,
    refresh_terms,
)
from hub.cases.milestones import K
from hub.cases.models import Case, CaseTerm, CaseTermNotice
from hub.notifications.interfaces import TermAudience, TermNotifier, TermReminder, TermStage
from hub.notifications.term_outbox import OutboxTermNotifier
from hub.terms import as_local_date, require_aware
from hub.webhooks import events as webhooks
from hub.webhooks.events import EventType

log = logging.getLogger("hub.cases")

STALE_BATCH = 200  # cases whose terms are computed per sweep (a migration or a closing day marks many at once)
Sweep = Callable[[AsyncSession, datetime], Awaitable[object]]  # as hub.notifications.worker.Sweep


def audiences(case: Case, term: CaseTerm, stage: TermStage) -> tuple[TermAudience, ...]:
    """Who hears of a term's stage: the owing side's case worker (the case's bewindvoerder or gemeente contact; when
    none, the organisation's users of the recipient roles); for the schuldhulp term also the gemeente's
    contractmanagers (they watch the 12 months, §2.3); for a missing uitstroomverslag also BSHV (§2.5)."""
    owing_is_kantoor = term.owed_by_org_id == case.kantoor_id
    own = TermAudience(
        term.owed_by_org_id,
        ((case.bewindvoerder_id if owing_is_kantoor else case.gemeente_contact_id) or "",),
    )
    found = [own]
    if term.step == K.AANMELDING_SCHULDHULP.value:
        found.append(TermAudience(case.gemeente_id, roles=frozenset({Role.CONTRACTMANAGER})))
    if term.step == K.UITSTROOMVERSLAG.value and stage is TermStage.VERLOPEN:
        found.append(
            TermAudience(case.gemeente_id, (case.gemeente_contact_id or "",), roles=frozenset({Role.KLANTMANAGER}))
        )
    return tuple(found)


# The stages a webhook tells of (a warning ahead of the due day is the mail's only).
TERM_EVENTS = {TermStage.VANDAAG: EventType.TERM_DUE_TODAY, TermStage.VERLOPEN: EventType.TERM_PASSED}


async def _record_stage(db: AsyncSession, term: CaseTerm, mark: str, now: datetime) -> bool:
    """Record that a stage of a term is handled for its due moment; False when another sweep already did."""
    try:
        async with db.begin_nested():
            db.add(CaseTermNotice(case_id=term.case_id, step=term.step, stage=mark, due_at=term.due_at, created_at=now))
            await db.flush()
    except IntegrityError:
        return False
    return True


async def refresh_stale(
    db: AsyncSession, now: datetime, calendars: CalendarSource, notifier: TermNotifier, warn_months: Sequence[int]
) -> int:
    """Compute the terms of (at most :data:`STALE_BATCH`) cases marked stale; how many."""
    today = as_local_date(now)
    ids = list(
        (
            await db.execute(
                select(col(Case.id)).where(col(Case.terms_stale).is_(True)).order_by(col(Case.id)).limit(STALE_BATCH)
            )
        ).scalars()
    )
    done = 0
    for case_id in ids:
        case = await lock_case(db, case_id)
        if case is None or not case.terms_stale:
            continue
        calendar = await calendars.for_gemeente(db, case.gemeente_id)
        milestones = await case_milestones(db, case.id)
        await refresh_terms(db, case, milestones, calendar, notifier, warn_months=warn_months, today=today)
        done += 1
    return done


async def sweep_case_terms(
    db: AsyncSession,
    now: datetime,
    calendars: CalendarSource,
    notifier: TermNotifier,
    *,
    warn_months: Sequence[int] = DEFAULT_WARN_MONTHS,
) -> list[TermReminder]:
    """Stale terms computed, then a reminder for every term whose current stage was not handled yet; the reminders
    told."""
    require_aware(now, "now")
    today = as_local_date(now)
    await refresh_stale(db, now, calendars, notifier, warn_months)
    candidates = (
        await db.execute(
            select(col(CaseTerm.case_id), col(CaseTerm.step))
            .where(col(CaseTerm.next_stage_on) <= today)
            .order_by(col(CaseTerm.case_id), col(CaseTerm.step))
        )
    ).all()
    told: list[TermReminder] = []
    for case_id, step in candidates:
        case = await lock_case(db, case_id)
        term = (
            await db.execute(
                select(CaseTerm)
                .where(col(CaseTerm.case_id) == case_id, col(CaseTerm.step) == step)
                .execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()
        if case is None or term is None or term.next_stage_on is None or term.next_stage_on > today:
            continue  # done, moved or handled by another sweep meanwhile
        handled = set(
            (
                await db.execute(
                    select(col(CaseTermNotice.stage)).where(
                        col(CaseTermNotice.case_id) == case_id,
                        col(CaseTermNotice.step) == step,
                        col(CaseTermNotice.due_at) == term.due_at,
                    )
                )
            ).scalars()
        )
        stage = current_stage(step, term.due_at, warn_months, today)
        if stage is not None and stage.mark not in handled and await _record_stage(db, term, stage.mark, now):
            handled.add(stage.mark)
            reminder = TermReminder(
                stage=stage.stage,
                mark=stage.mark,
                case_id=case.id,
                step=step,
                owing_org_id=term.owed_by_org_id,
                due_at=term.due_at,
                audiences=audiences(case, term, stage.stage),
            )
            await notifier.remind_term(reminder, now=now)
            if event := TERM_EVENTS.get(stage.stage):  # both parties of the case may see its terms
                data = {"caseId": case.id, "term": step}
                await webhooks.enqueue(db, event, (case.gemeente_id, case.kantoor_id), data, now=now)
            told.append(reminder)
        term.next_stage_on = next_stage_on(step, term.due_at, warn_months, today, handled)
        db.add(term)
    await db.flush()
    return told


def term_sweep(calendars: CalendarSource, *, warn_months: Sequence[int] = DEFAULT_WARN_MONTHS) -> Sweep:
    """The sweep as a periodic job of the worker (``(db, now)``), telling the outbox in that session."""

    async def case_term_reminders(db: AsyncSession, now: datetime) -> list[TermReminder]:
        return await sweep_case_terms(db, now, calendars, OutboxTermNotifier(db), warn_months=warn_months)

    return case_term_reminders
