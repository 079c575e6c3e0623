"""The password step's throttle per client address, changing a password, and new recovery codes."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from hub.accounts.auth import ADDRESS_MAX_FAILURES, THROTTLE_WINDOW, address_key
from hub.accounts.models import LoginThrottle
from hub.accounts.roles import OrgKind, Role
from hub.db import utcnow
from tests.support.hubclient import PASSWORD, HubClient, HubUnderTest, csrf_from

NEW_PASSWORD = "een heel ander wachtwoord 77"
THROTTLED = "Te veel mislukte pogingen"


async def _password_step(hub: HubUnderTest, email: str, password: str = PASSWORD, address: str = "10.0.0.1") -> str:
    """The password step from `address`; returns 'ok', 'wrong' or 'throttled'."""
    client = hub.client(address=address)
    page = await client.get("/inloggen")
    response = await client.post(
        "/inloggen", data={"email": email, "password": password, "csrf_token": csrf_from(page.text)}
    )
    if response.status_code == 303:
        return "ok"
    assert response.status_code == 401
    return "throttled" if THROTTLED in response.text else "wrong"


async def test_an_address_is_throttled_after_30_failures_across_many_accounts(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    await hub.user(org, Role.BEWINDVOERDER, email="known@a.example.nl")
    # Each address below fails too rarely for its account's own limit: only the address's count grows.
    for i in range(ADDRESS_MAX_FAILURES - 1):
        assert await _password_step(hub, f"probe{i}@a.example.nl", "wrong wrong wrong") == "wrong"
    assert await _password_step(hub, "known@a.example.nl") == "ok"  # 29: not yet
    assert await _password_step(hub, "probe-last@a.example.nl", "wrong wrong wrong") == "wrong"  # the 30th
    assert await _password_step(hub, "known@a.example.nl") == "throttled"
    assert await _password_step(hub, "known@a.example.nl", address="10.0.0.2") == "ok"  # another address


async def test_the_address_count_starts_again_after_the_window(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    await hub.user(org, Role.BEWINDVOERDER, email="known@a.example.nl")
    for i in range(ADDRESS_MAX_FAILURES - 1):
        await _password_step(hub, f"probe{i}@a.example.nl", "wrong wrong wrong")
    async with hub.db() as db:
        await db.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == address_key("10.0.0.1"))  # type: ignore[arg-type]
            .values(window_start=utcnow() - THROTTLE_WINDOW - timedelta(seconds=5))
        )
    assert await _password_step(hub, "probe-last@a.example.nl", "wrong wrong wrong") == "wrong"
    assert await _password_step(hub, "known@a.example.nl") == "ok"


async def _account_post(client: HubClient, path: str, **data: str) -> tuple[int, str]:
    response = await client.post_form(path, data)
    return response.status_code, response.text


async def test_changing_a_password_needs_the_current_one_and_follows_the_policy(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER, email="bea@a.example.nl")
    client = await hub.client_for(user)
    stored = (await hub.reload(user)).password_hash
    refused = [
        ({"current_password": "not it at all", "password": NEW_PASSWORD}, "Uw huidige wachtwoord is niet juist."),
        ({"current_password": PASSWORD, "password": "te kort"}, "minstens 12 tekens"),
        ({"current_password": PASSWORD, "password": "Wachtwoord2026!"}, "veelgebruikte"),
        ({"current_password": PASSWORD, "password": NEW_PASSWORD, "password_repeat": "x"}, "niet gelijk"),
    ]
    for data, message in refused:
        status, text = await _account_post(
            client, "/account/wachtwoord", **{"password_repeat": data["password"], **data}
        )
        assert status == 400 and message in text, data
    assert (await hub.reload(user)).password_hash == stored


async def test_changing_a_password_ends_every_other_session(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER, email="bea@a.example.nl")
    here, elsewhere = await hub.client_for(user), await hub.client_for(user)
    response = await here.post_form(
        "/account/wachtwoord",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account?gelukt=wachtwoord"
    assert (await elsewhere.get("/account")).status_code == 303  # logged out
    assert (await here.get("/account")).status_code == 200  # this browser got a new session
    assert await _password_step(hub, "bea@a.example.nl", PASSWORD) == "wrong"
    assert await _password_step(hub, "bea@a.example.nl", NEW_PASSWORD) == "ok"


async def test_the_one_time_password_is_replaced_under_the_policy(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER, email="bea@a.example.nl")
    async with hub.db() as db:
        await db.execute(update(type(user)).where(type(user).id == user.id).values(must_change_password=True))  # type: ignore[arg-type]
    client = hub.client()
    page = await client.get("/inloggen")
    await client.post(
        "/inloggen", data={"email": "bea@a.example.nl", "password": PASSWORD, "csrf_token": csrf_from(page.text)}
    )
    page = await client.get("/inloggen/wachtwoord")
    token = csrf_from(page.text)
    short = await client.post(
        "/inloggen/wachtwoord", data={"password": "te kort", "password_repeat": "te kort", "csrf_token": token}
    )
    assert short.status_code == 400 and "minstens 12 tekens" in short.text
    done = await client.post(
        "/inloggen/wachtwoord",
        data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD, "csrf_token": token},
    )
    assert done.status_code == 303
    assert not (await hub.reload(user)).must_change_password
    assert await _password_step(hub, "bea@a.example.nl", NEW_PASSWORD) == "ok"


async def _recovery_login(hub: HubUnderTest, code: str) -> int:
    client = hub.client()
    page = await client.get("/inloggen")
    await client.post(
        "/inloggen", data={"email": "bea@a.example.nl", "password": PASSWORD, "csrf_token": csrf_from(page.text)}
    )
    page = await client.get("/inloggen/mfa")
    response = await client.post("/inloggen/mfa", data={"code": code, "csrf_token": csrf_from(page.text)})
    return response.status_code


async def test_new_recovery_codes_need_the_password_and_replace_the_old_ones(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER, email="bea@a.example.nl")
    client = await hub.client_for(user)
    first = await client.post_form("/account/herstelcodes", {"codes_password": PASSWORD})
    assert first.status_code == 200
    old_codes = _codes(first.text)
    refused = await client.post_form("/account/herstelcodes", {"codes_password": "not my password"})
    assert refused.status_code == 400 and "Uw wachtwoord is niet juist." in refused.text
    second = await client.post_form("/account/herstelcodes", {"codes_password": PASSWORD})
    new_codes = _codes(second.text)
    assert len(old_codes) == len(new_codes) == 10 and not set(old_codes) & set(new_codes)
    assert await _recovery_login(hub, old_codes[0]) == 401
    assert await _recovery_login(hub, new_codes[0]) == 303


def _codes(html: str) -> list[str]:
    return re.findall(r"<li><code>([^<]+)</code></li>", html)
