"""The closing-days page: for the gemeente's own contractmanager only; another gemeente's day does not exist."""

from __future__ import annotations

import re
from datetime import timedelta

from hub.accounts.roles import Role
from hub.db import utcnow
from hub.terms import AMSTERDAM, werkdag_on_or_after
from tests.messaging.world import World


async def test_closing_days_page(world: World) -> None:
    carla = await world.hub.client_for(world.contractmanager)
    karim = await world.hub.client_for(world.klantmanager)
    bea = await world.hub.client_for(world.bewindvoerder)
    assert (await karim.get("/instellingen/sluitingsdagen")).status_code == 403
    assert (await bea.get("/instellingen/sluitingsdagen")).status_code == 403
    assert "Sluitingsdagen van de gemeente" in (await carla.get("/berichten")).text
    assert "Sluitingsdagen van de gemeente" not in (await karim.get("/berichten")).text
    page = await carla.get("/instellingen/sluitingsdagen")
    assert page.status_code == 200 and "Uw gemeente heeft geen eigen sluitingsdagen." in page.text
    day = werkdag_on_or_after((utcnow().astimezone(AMSTERDAM) + timedelta(days=30)).date())
    response = await carla.post_form(
        "/instellingen/sluitingsdagen", {"day": day.isoformat(), "description": "Studiedag"}
    )
    assert response.status_code == 303
    page = await carla.get("/instellingen/sluitingsdagen?gelukt=toegevoegd")
    assert "De sluitingsdag is toegevoegd." in page.text and "Studiedag" in page.text
    response = await carla.post_form("/instellingen/sluitingsdagen", {"day": day.isoformat(), "description": ""})
    assert response.status_code == 400 and "Deze dag staat al in de lijst." in response.text
    response = await carla.post_form("/instellingen/sluitingsdagen", {"day": "31-13-2026", "description": ""})
    assert response.status_code == 400 and "Vul een geldige datum in" in response.text
    day_id = re.search(r"/instellingen/sluitingsdagen/([0-9a-f]{32})/verwijderen", page.text)
    assert day_id
    wim = await world.hub.client_for(world.outsider_gemeente)  # a klantmanager: not the role
    assert (await wim.post_form(f"/instellingen/sluitingsdagen/{day_id.group(1)}/verwijderen")).status_code == 403
    other_carla = await world.hub.client_for(
        await world.hub.user(world.other_gemeente, Role.CONTRACTMANAGER, email="cm@wijchen.example.nl")
    )
    assert "Studiedag" not in (await other_carla.get("/instellingen/sluitingsdagen")).text
    response = await other_carla.post_form(f"/instellingen/sluitingsdagen/{day_id.group(1)}/verwijderen")
    assert response.status_code == 404
    response = await carla.post_form(f"/instellingen/sluitingsdagen/{day_id.group(1)}/verwijderen")
    assert response.status_code == 303
    assert "Studiedag" not in (await carla.get("/instellingen/sluitingsdagen")).text
