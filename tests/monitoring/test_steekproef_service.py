"""The steekproef on a real database (SQLite and PostgreSQL): who is in the population and in which stratum, a draw
stored with its inputs and recomputed from them, findings per case with an encrypted note, and other gemeenten."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlmodel import col

from hub.accounts.models import User
from hub.accounts.organisations import ConvenantService
from hub.accounts.roles import OrgKind, Role
from hub.cases.milestones import K
from hub.cases.models import Case, CaseMilestone
from hub.errors import Forbidden, NotFound, ValidationError
from hub.monitoring.compliance import Period
from hub.monitoring.steekproef import draw, population_from_json
from hub.monitoring.steekproef_models import SteekproefCase
from hub.monitoring.steekproef_population import population
from hub.monitoring.steekproef_service import SteekproefService, rates_of, seed_of
from tests.messaging.world import World, insert_case

PERIOD = Period(date(2026, 1, 1), date(2026, 6, 30))


async def _milestone(
    world: World, case: Case, kind: K, day: date, *, outcome: str | None = None, supersedes: str | None = None,
    void: bool = False,
) -> CaseMilestone:  # fmt: skip
    row = CaseMilestone(case_id=case.id, kind=kind.value, milestone_date=day, outcome=outcome,
                        recorded_by=world.bewindvoerder.id, recorded_by_org_id=case.kantoor_id,
                        supersedes_id=supersedes, void=void)  # fmt: skip
    async with world.hub.db() as db:
        db.add(row)
    return row


async def _cases(world: World) -> dict[str, Case]:
    """Cases of Nijmegen (and one of Wijchen) whose place in the population is known by construction."""
    oud = await world.hub.org(OrgKind.KANTOOR, "Oud Kantoor")
    async with world.hub.db() as db:
        ended = await ConvenantService(db).create(world.gemeente.id, oud.id, date(2023, 1, 1), date(2025, 12, 31),
                                                  "beeindigd")  # fmt: skip
    made = {
        "deelnemer": world.case,
        "buiten": await insert_case(world.hub, ended, world.bewindvoerder, "2026-000002"),
        "eerder": await insert_case(world.hub, world.convenant, world.bewindvoerder, "2026-000003"),
        "ingetrokken": await insert_case(world.hub, world.convenant, world.bewindvoerder, "2026-000004"),
        "afgewezen": await insert_case(world.hub, world.convenant, world.bewindvoerder, "2026-000005"),
        "wijchen": await insert_case(world.hub, world.other_convenant, world.outsider, "2026-000006"),
    }
    await _milestone(world, made["deelnemer"], K.AANVRAAG_BIJSTAND, date(2026, 3, 1))
    await _milestone(world, made["buiten"], K.AANVRAAG_BIJSTAND, date(2025, 11, 1))
    await _milestone(world, made["buiten"], K.BESLUIT_BIJSTAND, date(2026, 1, 15), outcome="toegekend")
    await _milestone(world, made["eerder"], K.AANVRAAG_BIJSTAND, date(2025, 12, 31))
    wrong = await _milestone(world, made["ingetrokken"], K.AANVRAAG_BIJSTAND, date(2026, 2, 1))
    await _milestone(world, made["ingetrokken"], K.AANVRAAG_BIJSTAND, date(2026, 2, 1), supersedes=wrong.id, void=True)
    await _milestone(world, made["afgewezen"], K.AANVRAAG_BIJSTAND, date(2025, 10, 1))
    await _milestone(world, made["afgewezen"], K.BESLUIT_BIJSTAND, date(2026, 2, 1), outcome="afgewezen")
    await _milestone(world, made["wijchen"], K.AANVRAAG_BIJSTAND, date(2026, 3, 1))
    return made


async def test_population_and_its_strata(world: World) -> None:
    made = await _cases(world)
    async with world.hub.db() as db:
        members = await population(db, world.gemeente.id, PERIOD)
    assert members == sorted(
        [(made["buiten"].id, "buiten_convenant"), (made["deelnemer"].id, "deelnemer")], key=lambda m: (m[1], m[0])
    )


async def test_a_draw_is_stored_and_recomputed_from_its_inputs(world: World) -> None:
    made = await _cases(world)
    async with world.hub.db() as db:
        row = await SteekproefService(db, world.keyring).draw(world.contractmanager, PERIOD, 0, 10_000)
    async with world.hub.db() as db:
        view = await SteekproefService(db, world.keyring).view(world.contractmanager, row.id)
    assert view.verified
    assert view.result == [made["buiten"].id]  # 0 % of participants, 100 % of the others
    assert view.count("deelnemer") == (0, 1) and view.count("buiten_convenant") == (1, 1)
    assert len(row.seed) == 64
    assert draw(seed_of(row), population_from_json(row.population), rates_of(row)) == view.result
    assert [(c.reference, c.kantoor, c.row.outcome) for c in view.cases] == [("2026-000002", "Oud Kantoor", None)]

    async with world.hub.db() as db:  # a tampered result no longer verifies
        stored = await db.get(type(row), row.id)
        assert stored is not None
        stored.result = f'["{made["deelnemer"].id}"]'
        db.add(stored)
    async with world.hub.db() as db:
        assert not (await SteekproefService(db, world.keyring).view(world.contractmanager, row.id)).verified


async def test_findings_per_case_with_an_encrypted_note(world: World) -> None:
    made = await _cases(world)
    async with world.hub.db() as db:
        row = await SteekproefService(db, world.keyring).draw(world.contractmanager, PERIOD, 10_000, 10_000)
    case_id = made["deelnemer"].id
    async with world.hub.db() as db:
        svc = SteekproefService(db, world.keyring)
        with pytest.raises(ValidationError) as refused:
            await svc.assess(world.contractmanager, row.id, case_id, "niet_in_orde", "  ")
        assert refused.value.errors == {"note": "Schrijf op wat niet in orde is."}
        with pytest.raises(ValidationError):
            await svc.assess(world.contractmanager, row.id, case_id, "misschien", "")
        with pytest.raises(NotFound):
            await svc.assess(world.contractmanager, row.id, made["eerder"].id, "in_orde", "")
    async with world.hub.db() as db:
        await SteekproefService(db, world.keyring).assess(world.contractmanager, row.id, case_id, "niet_in_orde",
                                                          "Nota periodieke kosten ontbreekt")  # fmt: skip
    async with world.hub.db() as db:
        stored = (await db.execute(select(SteekproefCase).where(col(SteekproefCase.case_id) == case_id))).scalars()
        [finding] = list(stored)
        assert finding.note is not None and b"Nota periodieke" not in finding.note
        view = await SteekproefService(db, world.keyring).view(world.contractmanager, row.id)
    assert [(c.reference, c.row.outcome, c.note) for c in view.cases] == [
        ("2026-000001", "niet_in_orde", "Nota periodieke kosten ontbreekt"),
        ("2026-000002", None, ""),
    ]


async def test_rates_and_rights(world: World) -> None:
    await _cases(world)
    wijchen: User = await world.hub.user(world.other_gemeente, Role.CONTRACTMANAGER, name="Wendy Wijchen",
                                         email="wendy@wijchen.example.nl")  # fmt: skip
    async with world.hub.db() as db:
        svc = SteekproefService(db, world.keyring)
        with pytest.raises(ValidationError) as refused:
            await svc.draw(world.contractmanager, PERIOD, 2000, 1000)
        assert "mag niet hoger" in refused.value.errors["rate_deelnemer"]
        row = await svc.draw(world.contractmanager, PERIOD, 1000, 3000)
    async with world.hub.db() as db:
        svc = SteekproefService(db, world.keyring)
        with pytest.raises(NotFound):
            await svc.view(wijchen, row.id)
        with pytest.raises(NotFound):
            await svc.assess(wijchen, row.id, world.case.id, "in_orde", "")
        assert await svc.draws(wijchen) == []
        for user in (world.klantmanager, world.bewindvoerder):
            with pytest.raises(Forbidden):
                await svc.draws(user)
        wijchen_draw = await svc.draw(wijchen, PERIOD, 1000, 3000)
    assert population_from_json(wijchen_draw.population) == [(
        (await _wijchen_case(world)), "deelnemer"
    )]  # fmt: skip


async def _wijchen_case(world: World) -> str:
    async with world.hub.db() as db:
        found = await db.execute(select(col(Case.id)).where(col(Case.reference) == "2026-000006"))
        return str(found.scalar_one())
