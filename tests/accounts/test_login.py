"""Login with password + TOTP through the real pages, on SQLite and PostgreSQL."""

from __future__ import annotations

import time

from hub.accounts import totp
from hub.accounts.roles import OrgKind, Role
from tests.support.hubclient import PASSWORD, HubUnderTest, csrf_from


async def test_login_with_password_and_totp(hub: HubUnderTest) -> None:
    kantoor = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(kantoor, Role.BEWINDVOERDER, email="bart@a.example.nl")
    client = await hub.login_via_pages("bart@a.example.nl", user=user)
    start = await client.get("/")
    assert start.status_code == 200
    assert "Kantoor A" in start.text


async def test_smoke_login_page(hub: HubUnderTest) -> None:
    client = hub.client()
    page = await client.get("/inloggen")
    assert page.status_code == 200
    assert csrf_from(page.text)
    assert PASSWORD
    assert totp.code_at(b"x" * 20, time.time())
