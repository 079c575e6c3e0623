"""The contractmanager reads their gemeente's convenants (parties, dates, the terms that apply); nobody else's."""

from __future__ import annotations

from datetime import date

from hub.accounts.organisations import ConvenantService
from hub.accounts.roles import OrgKind, Role
from tests.messaging.world import build_world
from tests.support.hubclient import HubUnderTest


async def test_contractmanager_reads_own_convenants_only(hub_sqlite: HubUnderTest) -> None:
    world = await build_world(hub_sqlite)
    oud = await world.hub.org(OrgKind.KANTOOR, "Oud Kantoor", contact_person="Olga Oud")
    async with world.hub.db() as db:
        await ConvenantService(db).create(world.gemeente.id, oud.id, date(2023, 1, 1), date(2025, 12, 31), "beeindigd")
    client = await world.hub.client_for(world.contractmanager)
    admin = await client.get("/beheer/convenanten")
    assert admin.status_code == 303 and admin.headers["location"] == "/convenanten"
    page = await client.get("/convenanten")
    assert page.status_code == 200
    html = page.text
    assert "Gemeente Nijmegen en Bewindvoering De Brug" in html and "Gemeente Nijmegen en Oud Kantoor" in html
    assert "Olga Oud" in html and "31 december 2025" in html and "Beëindigd" in html
    assert "Reactie casuïstiek" in html and "2 werkdagen" in html and "§2.2" in html
    assert "Gemeente Wijchen" not in html and "Ander Kantoor" not in html
    assert 'href="/convenanten"' in html  # in the menu
    assert "Convenant toevoegen" not in html


async def test_others_may_not_read_them(hub_sqlite: HubUnderTest) -> None:
    world = await build_world(hub_sqlite)
    beheerder = await world.hub.user(world.gemeente, Role.GEMEENTEBEHEERDER, name="Gert Beheer",
                                     email="gert@nijmegen.example.nl")  # fmt: skip
    for user in (world.klantmanager, world.bewindvoerder, beheerder):
        client = await world.hub.client_for(user)
        assert (await client.get("/convenanten")).status_code == 403
        assert (await client.get("/beheer/convenanten")).status_code == 403
    wijchen = await world.hub.user(world.other_gemeente, Role.CONTRACTMANAGER, name="Wendy Wijchen",
                                   email="wendy@wijchen.example.nl")  # fmt: skip
    page = (await (await world.hub.client_for(wijchen)).get("/convenanten")).text
    assert "Gemeente Wijchen en Ander Kantoor" in page and "Bewindvoering De Brug" not in page
