"""A gemeente whose figures are known by construction (tests/monitoring/seed.py) gives exactly those figures, on
SQLite and PostgreSQL; another gemeente's cases never count."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from sqlalchemy import select
from sqlmodel import col

from hub.cases.case_terms import case_milestones
from hub.cases.models import Case
from hub.errors import Forbidden, NotFound
from hub.monitoring.figures import KINDS, Figures, case_facts
from hub.monitoring.queries import gemeente_facts, report
from tests.monitoring.seed import (
    EXPECTED_2025,
    EXPECTED_2025_REASONS,
    EXPECTED_2025_X,
    EXPECTED_2025_Y,
    EXPECTED_2026,
    EXPECTED_2026_REASONS,
    TODAY,
    Seeded,
)


def plain(figures: Figures) -> dict[str, int]:
    return {k: v for k, v in asdict(figures).items() if k != "u2_reasons"}


async def test_the_seeded_gemeente_gives_exactly_its_figures(seeded: Seeded) -> None:
    w = seeded.world
    async with w.hub.db() as db:
        found = await report(db, seeded.contractmanager, 2026, TODAY, 12)
    assert plain(found.current.total) == EXPECTED_2026
    assert dict(found.current.total.u2_reasons) == EXPECTED_2026_REASONS
    assert plain(found.previous.total) == EXPECTED_2025
    assert dict(found.previous.total.u2_reasons) == EXPECTED_2025_REASONS
    assert plain(found.previous.per_kantoor[w.xander.id]) == EXPECTED_2025_X
    assert plain(found.previous.per_kantoor[w.ypsilon.id]) == EXPECTED_2025_Y
    assert found.kantoren == [(w.xander.id, "Kantoor Xander"), (w.ypsilon.id, "Kantoor Ypsilon")]


async def test_the_query_agrees_with_the_counting_rules_on_each_cases_own_milestones(seeded: Seeded) -> None:
    """The aggregated query (the milestones in force, hub.cases.in_force) gives, for every case, the facts that
    ``effective``/``latest`` give from the case's own rows: corrections and withdrawals included."""
    w = seeded.world
    async with w.hub.db() as db:
        from_query = await gemeente_facts(db, w.arnhem.id)
        cases = (await db.execute(select(Case).where(col(Case.gemeente_id) == w.arnhem.id))).scalars().all()
        from_rules = [
            case_facts(c.kantoor_id, c.bewind_kind, [r for r in await case_milestones(db, c.id) if r.kind in KINDS])
            for c in cases
        ]
    assert len(from_query) == len(from_rules) == 19
    assert sorted(from_query, key=repr) == sorted(from_rules, key=repr)


async def test_another_gemeente_sees_only_its_own_cases(seeded: Seeded) -> None:
    async with seeded.world.hub.db() as db:
        found = await report(db, seeded.berkel_contractmanager, 2025, TODAY, 12)
    assert (found.current.total.i1, found.current.total.i1_new, found.current.total.d2_not) == (4, 4, 4)
    assert found.kantoren == [(seeded.world.xander.id, "Kantoor Xander")]


async def test_only_a_gemeente_contractmanager_reads_the_monitoring(seeded: Seeded) -> None:
    w = seeded.world
    async with w.hub.db() as db:
        with pytest.raises(Forbidden):
            await report(db, w.km_arnhem, 2025, TODAY, 12)
        with pytest.raises(NotFound):
            await report(db, w.bv_x, 2025, TODAY, 12)
