"""The steekproef pages: draw through the form, read it back, record a finding; wrong input and other gemeenten."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import col

from hub.accounts.roles import Role
from hub.cases.milestones import K
from hub.cases.models import CaseMilestone
from hub.monitoring.steekproef_models import Steekproef
from tests.messaging.world import World

FORM = {"van": "2026-01-01", "tot": "2026-06-30", "rate_deelnemer": "100", "rate_buiten": "100"}


async def _bijstand_case(world: World) -> None:
    async with world.hub.db() as db:
        db.add(CaseMilestone(case_id=world.case.id, kind=K.AANVRAAG_BIJSTAND.value, milestone_date=date(2026, 3, 2),
                             recorded_by=world.bewindvoerder.id, recorded_by_org_id=world.kantoor.id))  # fmt: skip


async def test_draw_read_and_record_a_finding(world_sqlite: World) -> None:
    world = world_sqlite
    await _bijstand_case(world)
    client = await world.hub.client_for(world.contractmanager)
    assert "Nog geen steekproeven." in (await client.get("/monitoring/steekproeven")).text
    drawn = await client.post_form("/monitoring/steekproeven", FORM)
    assert drawn.status_code == 303
    page = await client.get(drawn.headers["location"])
    assert page.status_code == 200
    html = page.text
    assert "De steekproef is getrokken." in html and "Nagerekend" in html
    assert world.case.reference in html and world.case.id in html
    async with world.hub.db() as db:
        [row] = list((await db.execute(select(Steekproef))).scalars())
    assert row.seed in html and "Jan Jansen" not in html

    action = f"/monitoring/steekproeven/{row.id}/dossiers/{world.case.id}"
    refused = await client.post_form(action, {"outcome": "niet_in_orde", "note": ""})
    assert refused.status_code == 400 and "Schrijf op wat niet in orde is." in refused.text
    assert f'href="#note-{world.case.id}"' in refused.text
    done = await client.post_form(action, {"outcome": "niet_in_orde", "note": "Besluit ontbreekt in het dossier"})
    assert done.status_code == 303
    again = (await client.get(done.headers["location"])).text
    assert "De bevinding is vastgelegd." in again and "Besluit ontbreekt in het dossier" in again
    assert (await client.post_form(action, {"outcome": "in_orde"}, csrf=False)).status_code == 403


async def test_wrong_input_is_refused_in_dutch(world_sqlite: World) -> None:
    client = await world_sqlite.hub.client_for(world_sqlite.contractmanager)
    page = await client.post_form("/monitoring/steekproeven", {**FORM, "rate_deelnemer": "12,345", "tot": "morgen"})
    assert page.status_code == 400
    assert "Vul een percentage tussen 0 en 100 in" in page.text and "Vul een geldige einddatum in" in page.text
    page = await client.post_form("/monitoring/steekproeven", {**FORM, "rate_deelnemer": "30", "rate_buiten": "10"})
    assert page.status_code == 400 and "mag niet hoger zijn" in page.text
    async with world_sqlite.hub.db() as db:
        assert list((await db.execute(select(col(Steekproef.id)))).scalars()) == []


async def test_other_gemeenten_and_roles(world_sqlite: World) -> None:
    world = world_sqlite
    await _bijstand_case(world)
    client = await world.hub.client_for(world.contractmanager)
    location = (await client.post_form("/monitoring/steekproeven", FORM)).headers["location"].split("?")[0]
    wijchen = await world.hub.user(world.other_gemeente, Role.CONTRACTMANAGER, name="Wendy Wijchen",
                                   email="wendy@wijchen.example.nl")  # fmt: skip
    other = await world.hub.client_for(wijchen)
    assert (await other.get(location)).status_code == 404
    assert (await other.post_form(f"{location}/dossiers/{world.case.id}", {"outcome": "in_orde"})).status_code == 404
    for user in (world.klantmanager, world.bewindvoerder):
        assert (await (await world.hub.client_for(user)).get("/monitoring/steekproeven")).status_code == 403
