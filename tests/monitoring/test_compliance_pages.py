"""The term-compliance pages: figures per partner, the late items without content, and who may see them."""

from __future__ import annotations

from hub.accounts.roles import Role
from tests.messaging.world import World
from tests.monitoring.compliance_world import build_march

QUERY = "?van=2026-01-01&tot=2026-06-30"


async def test_contractmanager_reads_the_figures_and_the_late_items(world_sqlite: World) -> None:
    world = world_sqlite
    await build_march(world)
    client = await world.hub.client_for(world.contractmanager)
    page = await client.get("/monitoring/termijnen" + QUERY)
    assert page.status_code == 200
    html = page.text
    assert "Bewindvoering De Brug" in html and "Ander Kantoor" not in html
    assert "2 van 4 (50%)" in html  # the gemeente's own reaction clocks
    assert "1 van 3 (33%)" in html  # the kantoor's case deadlines
    assert f"/monitoring/termijnen/{world.kantoor.id}?van=2026-01-01&amp;tot=2026-06-30" in html

    late = await client.get(f"/monitoring/termijnen/{world.kantoor.id}" + QUERY)
    assert late.status_code == 200
    assert world.case.reference in late.text
    assert "Te late termijnen (4)" in late.text
    assert "Afspraak met de nieuwe klant" in late.text and "loopt nog" in late.text
    # The due day of the late reply, without a time.
    assert '<td data-label="Uiterlijk">11 maart 2026</td>' in late.text and "23:59" not in late.text
    for secret in ("Vraag over de aanvraag", "Het antwoord", "Kunt u kijken", "Jan Jansen", "111222333"):
        assert secret not in late.text and secret not in html


async def test_a_wrong_date_is_refused_in_dutch(world_sqlite: World) -> None:
    client = await world_sqlite.hub.client_for(world_sqlite.contractmanager)
    page = await client.get("/monitoring/termijnen?van=2026-13-01&tot=2026-06-30")
    assert page.status_code == 400
    assert "Vul een geldige begindatum in" in page.text
    page = await client.get("/monitoring/termijnen?van=2026-06-01&tot=2026-01-01")
    assert page.status_code == 400 and "De einddatum ligt voor de begindatum." in page.text


async def test_who_may_see_it(world_sqlite: World) -> None:
    world = world_sqlite
    await build_march(world)
    for user in (world.klantmanager, world.bewindvoerder):
        assert (await (await world.hub.client_for(user)).get("/monitoring/termijnen")).status_code == 403
    wijchen = await world.hub.user(world.other_gemeente, Role.CONTRACTMANAGER, name="Wendy Wijchen",
                                   email="wendy@wijchen.example.nl")  # fmt: skip
    other = await world.hub.client_for(wijchen)
    assert (await other.get(f"/monitoring/termijnen/{world.kantoor.id}" + QUERY)).status_code == 404
    assert "Bewindvoering De Brug" not in (await other.get("/monitoring/termijnen" + QUERY)).text
    beheerder = await world.hub.user(world.kantoor, Role.KANTOORBEHEERDER, name="Kim Beheer",
                                     email="kim@brug.example.nl")  # fmt: skip
    own = await (await world.hub.client_for(beheerder)).get("/monitoring/termijnen" + QUERY)
    assert own.status_code == 200 and "Gemeente Nijmegen" in own.text and "Termijnen" in own.text
