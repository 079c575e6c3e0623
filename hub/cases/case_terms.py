"""The running terms of a case's path (``case_term``), kept in step with its milestones, and their reminder stages.

A term is a step of :func:`hub.cases.timeline.timeline` that is owed and timed. Its reminder stages, each mailed at
most once per due moment (``case_term_notice``):

- ``nadert-N``: N months before the due day (the schuldhulp term of §2.3 only; ``HUB_SCHULDHULP_WARN_MONTHS``);
- ``vandaag``: on the due day;
- ``verlopen``: from the day after, for :data:`LATE_MAIL_DAYS` days. A term found later than that (a case whose path
  started before the hub knew it) is shown as late, not mailed: a mail about a deadline months ago is noise.

Only the most advanced stage begun is sent: a term first seen on its due day gets "vandaag", not its warnings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.cases.milestones import K, MilestoneKind, Side
from hub.cases.models import Case, CaseMilestone, CaseTerm, CaseTermNotice
from hub.cases.timeline import Step, timeline
from hub.notifications.interfaces import TermNotifier, TermStage
from hub.terms import AMSTERDAM, WerkdagCalendar, add_months, as_local_date

DEFAULT_WARN_MONTHS: tuple[int, ...] = (2, 1)
LATE_MAIL_DAYS = 14
WARNED_STEPS = frozenset({K.AANMELDING_SCHULDHULP.value})


@dataclass(frozen=True)
class Stage:
    mark: str  # nadert-2, vandaag, verlopen: the notice's stage
    stage: TermStage
    begins: date
    ends: date  # the last day on which it is still sent


def stages(step: str, due_at: datetime, warn_months: Sequence[int]) -> list[Stage]:
    """The reminder stages of a term, in order, each with the days it may be sent."""
    due_day = as_local_date(due_at)
    found: list[Stage] = []
    if step in WARNED_STEPS:
        for months in sorted(set(warn_months), reverse=True):
            found.append(Stage(f"nadert-{months}", TermStage.NADERT, add_months(due_day, -months), due_day))
    found.append(Stage("vandaag", TermStage.VANDAAG, due_day, due_day))
    late = due_day + timedelta(days=1)
    found.append(Stage("verlopen", TermStage.VERLOPEN, late, late + timedelta(days=LATE_MAIL_DAYS - 1)))
    for i, stage in enumerate(found[:-1]):  # a warning ends where the next stage begins
        following = found[i + 1].begins - timedelta(days=1)
        if stage.ends > following:
            found[i] = Stage(stage.mark, stage.stage, stage.begins, max(stage.begins, following))
    return found


def current_stage(step: str, due_at: datetime, warn_months: Sequence[int], today: date) -> Stage | None:
    """The most advanced stage begun by ``today``, while it may still be sent."""
    begun = [s for s in stages(step, due_at, warn_months) if s.begins <= today]
    return begun[-1] if begun and today <= begun[-1].ends else None


def next_stage_on(
    step: str, due_at: datetime, warn_months: Sequence[int], today: date, handled: set[str]
) -> date | None:
    """The day the sweep must look at this term again: today when the current stage is not handled yet, else the
    day the next stage begins; None when nothing more will be sent."""
    now = current_stage(step, due_at, warn_months, today)
    if now is not None and now.mark not in handled:
        return today
    later = [s.begins for s in stages(step, due_at, warn_months) if s.begins > today]
    return min(later) if later else None


def owed_by_org(case: Case, step: Step) -> str:
    return case.kantoor_id if step.owed_by is Side.KANTOOR else case.gemeente_id


async def case_milestones(db: AsyncSession, case_id: str) -> list[CaseMilestone]:
    """Every milestone record of the case (corrected and withdrawn ones too), in the order they were recorded."""
    rows = await db.execute(
        select(CaseMilestone)
        .where(col(CaseMilestone.case_id) == case_id)
        .order_by(col(CaseMilestone.recorded_at), col(CaseMilestone.id))
    )
    return list(rows.scalars())


def in_force() -> ColumnElement[bool]:
    """A condition on ``case_milestone`` rows: superseded by no later record (hub.cases.milestones.effective in SQL;
    the withdrawals themselves are the rows with ``void``)."""
    later = aliased(CaseMilestone)
    return ~select(col(later.id)).where(col(later.supersedes_id) == col(CaseMilestone.id)).exists()


async def lock_case(db: AsyncSession, case_id: str) -> Case | None:
    """The case row, locked until the transaction ends (PostgreSQL; SQLite serialises writing transactions), so that
    recording a milestone and the term sweep take turns per case. Read afresh, not from the session's cache."""
    result = await db.execute(
        select(Case).where(col(Case.id) == case_id).with_for_update().execution_options(populate_existing=True)
    )
    return result.scalars().first()


async def refresh_terms(
    db: AsyncSession,
    case: Case,
    milestones: list[CaseMilestone],
    calendar: WerkdagCalendar,
    notifier: TermNotifier,
    *,
    warn_months: Sequence[int],
    today: date,
) -> list[Step]:
    """Make the case's ``case_term`` rows the running steps of its timeline; tell the notifier of every term that
    ended or moved (its unsent reminders are dropped). Returns the timeline."""
    steps = timeline(case, milestones, calendar, today)
    wanted = {s.kind.value: s for s in steps if s.running and s.kind is not MilestoneKind.MELDING_WIJZIGING}
    existing = {
        t.step: t for t in (await db.execute(select(CaseTerm).where(col(CaseTerm.case_id) == case.id))).scalars()
    }
    handled: dict[tuple[str, datetime], set[str]] = {}
    notices = await db.execute(
        select(col(CaseTermNotice.step), col(CaseTermNotice.stage), col(CaseTermNotice.due_at)).where(
            col(CaseTermNotice.case_id) == case.id
        )
    )
    for step_name, stage, due_at in notices.all():
        handled.setdefault((step_name, due_at), set()).add(stage)
    gone = sorted(set(existing) - set(wanted))
    if gone:
        await db.execute(delete(CaseTerm).where(col(CaseTerm.case_id) == case.id, col(CaseTerm.step).in_(gone)))
        for step_name in gone:
            await notifier.term_changed(case.id, step_name, None)
    for step_name, step in wanted.items():
        assert step.due_at is not None  # running
        owed = owed_by_org(case, step)
        due_handled = next((v for (s, d), v in handled.items() if s == step_name and d == step.due_at), set())
        next_on = next_stage_on(step_name, step.due_at, warn_months, today, due_handled)
        row = existing.get(step_name)
        if row is None:
            db.add(CaseTerm(case_id=case.id, step=step_name, owed_by_org_id=owed, gemeente_id=case.gemeente_id,
                            due_at=step.due_at, next_stage_on=next_on))  # fmt: skip
            continue
        if row.due_at != step.due_at:
            await notifier.term_changed(case.id, step_name, step.due_at)
        row.owed_by_org_id, row.due_at, row.next_stage_on = owed, step.due_at, next_on
        db.add(row)
    case.terms_stale = False
    db.add(case)
    await db.flush()
    return steps


async def closing_day_changed(db: AsyncSession, gemeente_id: str, day: date) -> int:
    """A closing day of the gemeente came or went: the cases with a term running to that day or later are marked
    stale, and the term sweep computes them again on the gemeente's new calendar (the case page always computes
    afresh). Returns how many cases were marked."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=AMSTERDAM)
    affected = select(col(CaseTerm.case_id)).where(
        col(CaseTerm.gemeente_id) == gemeente_id, col(CaseTerm.due_at) >= start
    )
    result = await db.execute(
        update(Case)
        .where(col(Case.id).in_(affected.scalar_subquery()))
        .values(terms_stale=True)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
