"""A gemeente's own administrator, the gemeentebeheerder, manages the gemeente's users as a kantoorbeheerder does
the kantoor's: a one-time password shown once, the users of another organisation out of reach (404). The role is
party to no case: it opens no case list."""

from __future__ import annotations

import re

from hub.accounts.roles import OrgKind, Role
from tests.support.hubclient import HubUnderTest

ONE_TIME_PASSWORD = re.compile(r'id="one-time-password">([^<]+)<')


async def test_a_gemeentebeheerder_manages_the_gemeentes_users(hub: HubUnderTest) -> None:
    gemeente = await hub.org(OrgKind.GEMEENTE, "Gemeente G")
    other = await hub.org(OrgKind.GEMEENTE, "Gemeente H")
    gb = await hub.user(gemeente, Role.GEMEENTEBEHEERDER, email="gb@g.example.nl")
    elsewhere = await hub.user(other, Role.KLANTMANAGER, email="km@h.example.nl")
    client = await hub.client_for(gb)

    page = await client.get("/gebruikers")
    assert page.status_code == 200 and "Gebruikers van Gemeente G" in page.text
    assert 'value="klantmanager"' in page.text and 'value="bewindvoerder"' not in page.text
    response = await client.post_form(
        "/gebruikers", {"name": "Karim", "email": "km@g.example.nl", "roles": ["klantmanager"]}
    )
    assert response.status_code == 200 and ONE_TIME_PASSWORD.search(response.text)
    assert (
        await client.post_form(f"/gebruikers/{elsewhere.id}/wachtwoord-herstellen", {"bevestigd": "ja"})
    ).status_code == 404
    assert (await client.get("/dossiers")).status_code == 403
