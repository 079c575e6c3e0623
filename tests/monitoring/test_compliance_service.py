"""Term compliance on a period built through the real services, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from hub.accounts.models import User
from hub.accounts.roles import Role
from hub.errors import Forbidden, NotFound
from hub.monitoring.compliance_service import ComplianceReport, ComplianceService, LateReport
from tests.messaging.world import World
from tests.monitoring.compliance_world import PERIOD, TODAY, build_march


async def _report(world: World, user: User) -> ComplianceReport:
    async with world.hub.db() as db:
        return await ComplianceService(db, world.calendars).report(user, PERIOD, TODAY)


async def _late(world: World, user: User, partner_id: str) -> LateReport:
    async with world.hub.db() as db:
        return await ComplianceService(db, world.calendars).late(user, partner_id, PERIOD, TODAY)


async def test_contractmanager_sees_each_kantoor_and_the_gemeente_itself(world: World) -> None:
    await build_march(world)
    report = await _report(world, world.contractmanager)
    assert [p.id for p, _ in report.rows] == [world.kantoor.id]
    [(_, row)] = report.rows
    ours, theirs = row.ours, row.theirs
    assert (ours.clocks, ours.clocks_kept, ours.escalations, ours.procesafspraken) == (4, 2, 1, 1)
    assert sorted(ours.reaction_days) == [1, 4, 4]  # 2 → 3 March; 9 → 13 March; 24 → 30 March
    assert (ours.median_days, ours.p90_days) == (4, 4)
    assert (theirs.clocks, theirs.clocks_kept, theirs.reaction_days) == (1, 1, [1])
    assert (theirs.deadlines, theirs.deadlines_kept) == (3, 1)
    assert ours.deadlines == 0

    late = await _late(world, world.contractmanager, world.kantoor.id)
    assert [(i.kind, i.label_kind, i.stopped_on is None) for i in late.items] == [
        ("deadline", "afspraak_nieuwe_klant", True),
        ("clock", "casuistiek", False),
        ("clock", "casuistiek", True),
        ("deadline", "aanvraag_bijzondere_bijstand", False),
    ]
    assert {i.case_reference for i in late.items} == {world.case.reference}


async def test_kantoorbeheerder_sees_itself_per_gemeente(world: World) -> None:
    await build_march(world)
    beheerder = await world.hub.user(world.kantoor, Role.KANTOORBEHEERDER, name="Kim Beheer",
                                     email="kim@brug.example.nl")  # fmt: skip
    [(partner, row)] = (await _report(world, beheerder)).rows
    assert partner.id == world.gemeente.id
    assert (row.ours.clocks, row.ours.deadlines, row.ours.deadlines_kept) == (1, 3, 1)
    assert (row.theirs.clocks, row.theirs.clocks_kept, row.theirs.escalations) == (4, 2, 1)
    assert len((await _late(world, beheerder, world.gemeente.id)).items) == 4


async def test_another_organisation_sees_nothing_of_it(world: World) -> None:
    await build_march(world)
    wijchen = await world.hub.user(world.other_gemeente, Role.CONTRACTMANAGER, name="Wendy Wijchen",
                                   email="wendy@wijchen.example.nl")  # fmt: skip
    [(partner, row)] = (await _report(world, wijchen)).rows
    assert partner.id == world.other_kantoor.id
    # Only its own general question: its two clocks (first reaction, inhoudelijke reactie), both left unanswered.
    assert (row.ours.clocks, row.ours.clocks_kept, row.theirs.clocks, row.theirs.deadlines) == (2, 0, 0, 0)
    with pytest.raises(NotFound):
        await _late(world, wijchen, world.kantoor.id)
    with pytest.raises(Forbidden):
        await _report(world, world.klantmanager)
    with pytest.raises(Forbidden):
        await _report(world, world.bewindvoerder)
