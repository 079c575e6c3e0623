"""Second-factor failures counted apart, the lock checked before any hash, re-authentication throttled, and the
half-finished login timed from the password step (issue 10)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from hub.accounts import passwords
from hub.accounts.auth import ACCOUNT_MAX_FAILURES, PARTIAL_SESSION_LIMIT
from hub.accounts.models import LoginThrottle, UserSession
from hub.accounts.roles import OrgKind, Role
from hub.db import utcnow
from tests.support.hubclient import PASSWORD, HubClient, HubUnderTest, csrf_from

THROTTLED = "Te veel mislukte pogingen"
CODE_FAILED = "niet juist of is al gebruikt"


async def _password_step(hub: HubUnderTest, email: str, password: str = PASSWORD) -> tuple[HubClient, httpx.Response]:
    client = hub.client()
    page = await client.get("/inloggen")
    response = await client.post(
        "/inloggen", data={"email": email, "password": password, "csrf_token": csrf_from(page.text)}
    )
    return client, response


async def _code(client: HubClient, code: str) -> httpx.Response:
    page = await client.get("/inloggen/mfa")
    return await client.post("/inloggen/mfa", data={"code": code, "csrf_token": csrf_from(page.text)})


async def test_twelve_wrong_codes_across_three_password_logins_lock_the_account(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER, email="b@a.example.nl")
    answers: list[str] = []
    partial: list[HubClient] = []
    for _login in range(3):
        client, step = await _password_step(hub, "b@a.example.nl")  # the right password, each time
        if step.status_code != 303:
            assert THROTTLED in step.text
            answers.append("password refused")
            continue
        partial.append(client)
        for _ in range(4):
            wrong = await _code(client, "000000")
            assert wrong.status_code == 401
            answers.append("throttled" if THROTTLED in wrong.text else "wrong")
    assert answers.count("wrong") == ACCOUNT_MAX_FAILURES  # a correct password cleared none of them
    assert answers[-1] in ("throttled", "password refused")
    # Locked now: the right code is refused in a login still open, and the right password is refused too.
    fresh = await hub.reload(user)
    right = await _code(partial[-1], hub.next_code(fresh, fresh.totp_last_step))
    assert right.status_code == 401 and THROTTLED in right.text
    _, step = await _password_step(hub, "b@a.example.nl")
    assert step.status_code == 401 and THROTTLED in step.text
    async with hub.db() as db:  # on the second factor's own key, not the password's
        keys = {row.key[:4] for row in (await db.execute(select(LoginThrottle))).scalars() if row.locked_until}
    assert keys == {"mfa:"}


async def test_a_correct_password_does_not_clear_second_factor_failures(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER, email="b@a.example.nl")
    client, _ = await _password_step(hub, "b@a.example.nl")
    for _ in range(ACCOUNT_MAX_FAILURES - 1):
        assert CODE_FAILED in (await _code(client, "000000")).text
    client, step = await _password_step(hub, "b@a.example.nl")
    assert step.status_code == 303
    assert CODE_FAILED in (await _code(client, "000000")).text  # the fifth
    fresh = await hub.reload(user)
    right = await _code(client, hub.next_code(fresh, fresh.totp_last_step))
    assert right.status_code == 401 and THROTTLED in right.text


@pytest.fixture
def hash_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = passwords.verify_password

    async def counting(stored: str | None, password: str) -> bool:
        calls.append("verify")
        return await real(stored, password)

    monkeypatch.setattr(passwords, "verify_password", counting)
    return calls


async def test_a_locked_attempt_runs_no_hash(hub: HubUnderTest, hash_calls: list[str]) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    await hub.user(org, Role.BEWINDVOERDER, email="known@a.example.nl")
    for email in ("known@a.example.nl", "ghost@a.example.nl"):
        for _ in range(ACCOUNT_MAX_FAILURES):
            await _password_step(hub, email, "wrong wrong wrong")
    assert len(hash_calls) == 2 * ACCOUNT_MAX_FAILURES
    hash_calls.clear()
    for email, password in (
        ("known@a.example.nl", PASSWORD),
        ("known@a.example.nl", "wrong wrong wrong"),
        ("ghost@a.example.nl", "wrong wrong wrong"),
    ):
        _, response = await _password_step(hub, email, password)
        assert response.status_code == 401 and THROTTLED in response.text
    assert hash_calls == []  # the same (no) work whether right, wrong, known or unknown


async def test_wrong_current_passwords_on_the_account_page_end_the_session(
    hub: HubUnderTest, hash_calls: list[str]
) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER, email="b@a.example.nl")
    client = await hub.client_for(user)
    other = await hub.client_for(user)  # another browser of the same user
    attempts = [("/account/herstelcodes", {"codes_password": "not it"})] * 2 + [
        ("/account/wachtwoord", {"current_password": "not it", "password": "x" * 14, "password_repeat": "x" * 14})
    ] * 2
    for path, data in attempts:  # four failures, on one count for both forms
        response = await client.post_form(path, data)
        assert response.status_code == 400
        assert (await client.get("/account")).status_code == 200
    response = await client.post_form("/account/herstelcodes", {"codes_password": "not it"})
    assert response.status_code == 303 and response.headers["location"] == "/inloggen"
    assert (await client.get("/account")).status_code == 303
    assert (await other.get("/account")).status_code == 303  # every session of the user ended
    async with hub.db() as db:
        assert (await db.execute(select(UserSession))).scalars().all() == []
    # And the account is locked for the password step as after five wrong logins, at no hash's cost.
    hash_calls.clear()
    _, step = await _password_step(hub, "b@a.example.nl")
    assert step.status_code == 401 and THROTTLED in step.text and hash_calls == []


async def test_a_half_finished_login_ends_ten_minutes_after_the_password_step(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    await hub.user(org, Role.BEWINDVOERDER, email="b@a.example.nl")
    client, _ = await _password_step(hub, "b@a.example.nl")
    assert (await client.get("/inloggen/mfa")).status_code == 200
    async with hub.db() as db:  # busy all along (seen just now), but the password step was long ago
        await db.execute(
            update(UserSession).values(
                created_at=utcnow() - PARTIAL_SESSION_LIMIT - timedelta(seconds=5), last_seen_at=utcnow()
            )
        )
    response = await client.get("/inloggen/mfa")
    assert response.status_code == 303 and response.headers["location"].startswith("/inloggen")
    async with hub.db() as db:
        assert (await db.execute(select(UserSession))).scalars().all() == []
