"""Mijn account shows where the user is logged in (browser, address, when) and lets them end another session, or
all others; nobody can end someone else's session."""

from __future__ import annotations

import re

from sqlalchemy import select

from hub.accounts.devices import describe_user_agent
from hub.accounts.models import UserSession
from hub.accounts.roles import OrgKind, Role
from hub.audit.models import AuditEvent
from tests.support.hubclient import HubUnderTest

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Version/18.1 Mobile Safari/604.1"
END_FORM = re.compile(r'action="(/account/sessies/([0-9a-f]{32})/beeindigen)"')


def test_user_agents_in_a_few_dutch_words() -> None:
    assert describe_user_agent(FIREFOX) == "Firefox op Windows"
    assert describe_user_agent(IPHONE) == "Safari op iPhone"
    edge = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0"
    assert describe_user_agent(edge) == "Edge op macOS"
    assert describe_user_agent("") == "onbekende browser"


async def test_the_account_page_lists_the_sessions_and_ends_another(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER, email="bea@a.example.nl")
    laptop = hub.client(address="192.0.2.10", headers={"user-agent": FIREFOX})
    await hub.login_via_pages("bea@a.example.nl", user=user, client=laptop)
    await hub.reset_totp_replay_guard(user)
    phone = hub.client(address="192.0.2.77", headers={"user-agent": IPHONE})
    await hub.login_via_pages("bea@a.example.nl", user=user, client=phone)

    page = await laptop.get("/account")
    assert "Firefox op Windows" in page.text and "(deze sessie)" in page.text
    assert "Safari op iPhone" in page.text and "192.0.2.77" in page.text
    (action, phone_session), *_ = END_FORM.findall(page.text)  # only the other session has an end button
    response = await laptop.post_form(action)
    assert response.status_code == 303 and response.headers["location"].endswith("?gelukt=sessie#sessies")
    assert (await phone.get("/account")).status_code == 303  # the phone is logged out
    assert (await laptop.get("/account")).status_code == 200  # this one is not
    async with hub.db() as db:
        ended = (await db.execute(select(AuditEvent).where(AuditEvent.action == "auth.session_ended"))).scalars()
        assert [(e.object_id, e.user_id) for e in ended] == [(phone_session, user.id)]


async def test_all_other_sessions_end_at_once_and_nobody_ends_someone_elses(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER, email="bea@a.example.nl")
    other = await hub.user(org, Role.BEWINDVOERDER, email="piet@a.example.nl")
    mine = [await hub.client_for(user) for _ in range(3)]
    theirs = await hub.client_for(other)
    async with hub.db() as db:
        their_session = (
            await db.execute(select(UserSession.id).where(UserSession.user_id == other.id))  # type: ignore[arg-type]
        ).scalar_one()
    # Another user's session does not exist for me, and without the form's token nothing happens at all.
    assert (await mine[0].post_form(f"/account/sessies/{their_session}/beeindigen")).status_code == 404
    assert (await mine[0].post_form(f"/account/sessies/{their_session}/beeindigen", csrf=False)).status_code == 403
    assert (await theirs.get("/account")).status_code == 200
    response = await mine[0].post_form("/account/sessies/andere-beeindigen")
    assert response.status_code == 303
    assert [(await c.get("/account")).status_code for c in mine] == [200, 303, 303]
    assert (await theirs.get("/account")).status_code == 200
