"""A user chooses on the account page between a mail per event and one daily digest."""

from __future__ import annotations

from hub.accounts.roles import OrgKind, Role
from tests.support.hubclient import HubUnderTest


async def test_user_switches_to_the_daily_digest_and_back(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.GEMEENTE, "Gemeente Nijmegen")
    user = await hub.user(org, Role.KLANTMANAGER)
    client = await hub.client_for(user)
    page = await client.get("/account")
    assert 'value="direct" checked' in page.text
    response = await client.post_form("/account/meldingen", {"notify_mode": "digest"})
    assert response.status_code == 303
    assert (await hub.reload(user)).notify_mode == "digest"
    page = await client.get("/account?gelukt=meldingen")
    assert 'value="digest" checked' in page.text
    assert "Uw keuze voor e-mail is opgeslagen." in page.text
    await client.post_form("/account/meldingen", {"notify_mode": "direct"})
    assert (await hub.reload(user)).notify_mode == "direct"


async def test_an_unknown_choice_is_refused_and_changes_nothing(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER)
    client = await hub.client_for(user)
    response = await client.post_form("/account/meldingen", {"notify_mode": "hourly"})
    assert response.status_code == 400
    assert "Kies hoe u e-mail over nieuwe zaken wilt ontvangen." in response.text
    assert (await hub.reload(user)).notify_mode == "direct"


async def test_the_choice_needs_a_csrf_token(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER)
    client = await hub.client_for(user)
    response = await client.post("/account/meldingen", data={"notify_mode": "digest"})
    assert response.status_code == 403
    assert (await hub.reload(user)).notify_mode == "direct"
