"""Migration 0011 on data, on SQLite (foreign keys on: the rebuild of the dossier table must keep them) and
PostgreSQL: down to 0010 and up again, every case gets the milestones its data states; the downgrade refuses while a
case waits for its beschikking."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from hub import migrate
from hub.cases.milestones import K
from hub.cases.models import Case, CaseMilestone
from tests.cases.path import build_path
from tests.cases.world import World


async def test_down_and_up_again_keeps_the_cases_and_states_their_milestones(world: World) -> None:
    path = await build_path(world)
    running = await world.open_case()
    ended = await world.open_case(
        bsn="111222333", beschikking_date=date(2025, 1, 6), bewind_start_date=date(2025, 1, 6)
    )
    await path.record(world.bv_x, ended, K.EINDE_BEWIND, date(2025, 6, 2), choice="overlijden")
    waiting = await world.open_case(bsn="999999990", beschikking_date=None, bewind_start_date=None)
    url = world.hub.settings.database_url

    with pytest.raises(RuntimeError, match="wait for their beschikking"):
        await migrate.downgrade_async(url, "0013")
    # SQLite runs the later revisions' downgrades outside the refused one's transaction: back to head first.
    await migrate.upgrade_async(url)
    await path.record(world.bv_x, waiting, K.BESCHIKKING, date(2025, 2, 3), detail_date=date(2025, 2, 4))
    await migrate.downgrade_async(url, "0013")
    await migrate.upgrade_async(url)

    async with world.hub.db() as db:
        rows = (await db.execute(select(CaseMilestone))).scalars().all()
        cases = {c.id: c for c in (await db.execute(select(Case))).scalars()}
    # The einde bewind's day and reason were not in the old schema: the day of the case's last change, "anders".
    stated = sorted(
        (r.case_id, r.kind, r.milestone_date, r.detail_date, r.outcome) for r in rows if r.kind != "einde_bewind"
    )
    assert stated == sorted(
        [
            (running.id, "beschikking", date(2025, 3, 4), date(2025, 3, 4), None),
            (ended.id, "beschikking", date(2025, 1, 6), date(2025, 1, 6), None),
            (waiting.id, "beschikking", date(2025, 2, 3), date(2025, 2, 4), None),
        ]
    )
    assert [(r.case_id, r.outcome) for r in rows if r.kind == "einde_bewind"] == [(ended.id, "anders")]
    assert all(c.terms_stale for c in cases.values())
    assert cases[ended.id].status == "beeindigd" and cases[waiting.id].bewind_start_date == date(2025, 2, 4)
