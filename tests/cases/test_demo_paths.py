"""`hub demo` shows every stage of a case's path, with terms due today, tomorrow and late, whatever the day."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from crypto import Keyring
from hub import demo
from hub.calendars.services import CalendarSource
from hub.cases.case_terms import case_milestones
from hub.cases.models import Case, CaseStatus
from hub.cases.records import local_today
from hub.cases.term_sweep import sweep_case_terms
from hub.cases.timeline import StepState, timeline
from hub.config import Settings
from hub.db import create_engine, session_factory, transaction, utcnow
from hub.notifications.term_outbox import OutboxTermNotifier
from hub.runtime import open_runtime
from hub.terms import as_local_date, default_calendar


async def test_demo_cases_in_every_stage_with_terms_due_today_tomorrow_and_late(
    sqlite_url: str, tmp_path: Path
) -> None:
    keyring = Keyring.generate()
    async with open_runtime(Settings.for_data_dir(tmp_path, HUB_DATABASE_URL=sqlite_url), keyring=keyring) as rt:
        await demo.seed(rt)
    calendar, today = default_calendar(), local_today()
    engine = create_engine(sqlite_url)
    try:
        async with transaction(session_factory(engine)) as db:
            cases = list((await db.execute(select(Case))).scalars())
            assert {c.status for c in cases} == {s.value for s in CaseStatus}
            due_days: set[object] = set()
            late = 0
            for case in cases:
                for step in timeline(case, await case_milestones(db, case.id), calendar, today):
                    if step.state is StepState.DUE and step.due_at is not None:
                        due_days.add(as_local_date(step.due_at))
                    late += step.state is StepState.LATE
            assert calendar.werkdag_on_or_after(today) in due_days  # due today (on a weekend: the next werkdag)
            assert calendar.werkdag_on_or_after(today + timedelta(days=1)) in due_days  # and the one after
            assert late >= 2
            assert all(c.terms_stale for c in cases)  # the worker computes their terms for today
            told = await sweep_case_terms(db, utcnow(), CalendarSource(), OutboxTermNotifier(db))
            assert not any(c.terms_stale for c in (await db.execute(select(Case))).scalars())
            assert {r.mark for r in told} >= {"nadert-1"} or {r.mark for r in told} >= {"nadert-2"}
    finally:
        await engine.dispose()
