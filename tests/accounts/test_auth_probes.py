"""Black-box probes of authentication: wrong and replayed codes, throttling, sessions, CSRF, headers."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from sqlalchemy import select, update

from hub.accounts import totp
from hub.accounts.auth import ACCOUNT_MAX_FAILURES, SESSION_ABSOLUTE, SESSION_IDLE, AuthService
from hub.accounts.models import LoginThrottle, RecoveryCode, User, UserSession
from hub.accounts.roles import OrgKind, Role
from hub.db import utcnow
from tests.support.hubclient import PASSWORD, HubUnderTest, csrf_from


async def _password_step(hub: HubUnderTest, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    client = hub.client()
    page = await client.get("/inloggen")
    response = await client.post(
        "/inloggen", data={"email": email, "password": password, "csrf_token": csrf_from(page.text)}
    )
    return client, response


async def test_wrong_password_and_unknown_email_answer_alike(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    await hub.user(org, Role.BEWINDVOERDER, email="known@a.example.nl")
    _, wrong = await _password_step(hub, "known@a.example.nl", "not the right password")
    _, unknown = await _password_step(hub, "nobody@a.example.nl", "not the right password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Het e-mailadres of het wachtwoord is niet juist." in wrong.text
    strip = lambda html: html.replace("known@", "X").replace("nobody@", "X")  # noqa: E731
    assert strip(wrong.text).replace(csrf_from(wrong.text), "") == strip(unknown.text).replace(
        csrf_from(unknown.text), ""
    )
    assert "set-cookie" not in {k.lower() for k in wrong.headers if "session" in wrong.headers[k]}


async def test_account_throttled_after_failures_even_with_right_password(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    await hub.user(org, Role.BEWINDVOERDER, email="known@a.example.nl")
    for _ in range(ACCOUNT_MAX_FAILURES):
        _, response = await _password_step(hub, "known@a.example.nl", "wrong wrong wrong")
    _, response = await _password_step(hub, "known@a.example.nl", PASSWORD)
    assert response.status_code == 401
    assert "Te veel mislukte pogingen" in response.text
    # An unknown address is throttled the same way: locking reveals nothing about existence.
    for _ in range(ACCOUNT_MAX_FAILURES):
        await _password_step(hub, "ghost@a.example.nl", "wrong wrong wrong")
    _, ghost = await _password_step(hub, "ghost@a.example.nl", "wrong wrong wrong")
    assert "Te veel mislukte pogingen" in ghost.text
    # When the lock has passed, the right password works again.
    async with hub.db() as db:
        await db.execute(update(LoginThrottle).values(locked_until=utcnow() - timedelta(seconds=1)))
    _, response = await _password_step(hub, "known@a.example.nl", PASSWORD)
    assert response.status_code == 303


async def test_wrong_and_replayed_totp_refused(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER, email="b@a.example.nl")
    client, _ = await _password_step(hub, "b@a.example.nl")
    page = await client.get("/inloggen/mfa")
    token = csrf_from(page.text)
    wrong = await client.post("/inloggen/mfa", data={"code": "000000", "csrf_token": token})
    assert wrong.status_code == 401
    assert "niet juist of is al gebruikt" in wrong.text
    code = hub.next_code(user, None)
    ok = await client.post("/inloggen/mfa", data={"code": code, "csrf_token": token})
    assert ok.status_code == 303
    # The same code a second time, in a second login: refused.
    client2, _ = await _password_step(hub, "b@a.example.nl")
    page2 = await client2.get("/inloggen/mfa")
    replay = await client2.post("/inloggen/mfa", data={"code": code, "csrf_token": csrf_from(page2.text)})
    assert replay.status_code == 401
    assert (await client2.get("/account")).status_code == 303  # still not logged in


async def test_recovery_code_works_once(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER, email="b@a.example.nl")
    async with hub.db() as db:
        fresh = await db.get(User, user.id)
        assert fresh is not None
        codes = await AuthService(db, hub.runtime.keyring).replace_recovery_codes(fresh)
        stored = (await db.execute(select(RecoveryCode.code_hash))).scalars().all()
    assert codes[0] not in stored and codes[0].replace("-", "") not in stored  # only hashes are stored
    for attempt, expected in ((1, 303), (2, 401)):
        client, _ = await _password_step(hub, "b@a.example.nl")
        page = await client.get("/inloggen/mfa")
        response = await client.post("/inloggen/mfa", data={"code": codes[0], "csrf_token": csrf_from(page.text)})
        assert response.status_code == expected, attempt


async def test_session_token_is_new_at_each_login_step_and_only_hashed(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER, email="b@a.example.nl")
    client, response = await _password_step(hub, "b@a.example.nl")
    partial = client.cookies.get("hub_session")
    assert partial
    page = await client.get("/inloggen/mfa")
    await client.post("/inloggen/mfa", data={"code": hub.next_code(user, None), "csrf_token": csrf_from(page.text)})
    full = client.cookies.get("hub_session")
    assert full and full != partial
    async with hub.db() as db:
        hashes = (await db.execute(select(UserSession.token_hash))).scalars().all()
    assert full not in hashes and partial not in hashes
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


async def test_logout_ends_session_on_server(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER)
    client = await hub.client_for(user)
    token = client.cookies.get("hub_session")
    assert (await client.get("/account")).status_code == 200
    response = await client.post_form("/uitloggen")
    assert response.status_code == 303
    replayed = hub.client()
    replayed.cookies.set("hub_session", token or "")
    assert (await replayed.get("/account")).status_code == 303


async def test_idle_and_absolute_expiry(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER)
    idle = await hub.client_for(user)
    old = await hub.client_for(user)
    async with hub.db() as db:
        sessions = (await db.execute(select(UserSession).order_by(UserSession.created_at))).scalars().all()
        sessions[0].last_seen_at = utcnow() - SESSION_IDLE - timedelta(seconds=5)
        sessions[1].created_at = utcnow() - SESSION_ABSOLUTE - timedelta(seconds=5)
    assert (await idle.get("/account")).status_code == 303
    assert (await old.get("/account")).status_code == 303


async def test_disable_and_reset_mfa_end_sessions(hub: HubUnderTest) -> None:
    from hub.accounts.services import UserService

    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER)
    client = await hub.client_for(user)
    assert (await client.get("/account")).status_code == 200
    async with hub.db() as db:
        fresh = await db.get(User, user.id)
        assert fresh is not None
        await UserService(db).reset_mfa(fresh, AuthService(db, hub.runtime.keyring))
    assert (await client.get("/account")).status_code == 303
    client = await hub.client_for(user)
    async with hub.db() as db:
        fresh = await db.get(User, user.id)
        assert fresh is not None
        await UserService(db).set_disabled(fresh, True, AuthService(db, hub.runtime.keyring))
    assert (await client.get("/account")).status_code == 303
    _, response = await _password_step(hub, user.email)
    assert response.status_code == 401


async def test_post_without_or_with_wrong_csrf_token_is_refused_and_changes_nothing(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER)
    client = await hub.client_for(user)
    for data in ({}, {"csrf_token": "forged"}):
        response = await client.post("/uitloggen", data=data)
        assert response.status_code == 403
        assert "Verzoek geweigerd" in response.text
    assert (await client.get("/account")).status_code == 200  # still logged in: nothing changed
    # A JSON or multipart body on a form endpoint is refused as well.
    assert (await client.post("/uitloggen", json={"csrf_token": client.csrf_token})).status_code == 403
    # The login form itself needs the login cookie's token.
    anonymous = hub.client()
    response = await anonymous.post("/inloggen", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 403


async def test_security_headers(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER)
    anonymous = await hub.client().get("/inloggen")
    logged_in = await (await hub.client_for(user)).get("/account")
    for response in (anonymous, logged_in):
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" not in response.headers  # http base URL
    assert logged_in.headers["cache-control"] == "no-store"


async def test_not_found_page_is_dutch(hub: HubUnderTest) -> None:
    response = await hub.client().get("/bestaat-niet")
    assert response.status_code == 404
    assert "Pagina niet gevonden" in response.text


def test_totp_window_and_replay_guard() -> None:
    secret = totp.new_secret()
    now = 1_800_000_000.0
    step = int(now) // totp.STEP
    code = totp.code_at(secret, now)
    assert totp.matching_step(secret, code, last_step=None, now=now) == step
    assert totp.matching_step(secret, code, last_step=step, now=now) is None
    assert totp.matching_step(secret, totp.code_at(secret, now - 30), last_step=None, now=now) == step - 1
    assert totp.matching_step(secret, totp.code_at(secret, now - 90), last_step=None, now=now) is None
    assert totp.matching_step(secret, "12345", last_step=None, now=now) is None


async def test_recovery_codes_have_80_bits_and_are_stored_keyed_and_bound_to_their_user(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER, email="b@a.example.nl")
    other = await hub.user(org, Role.BEWINDVOERDER, email="c@a.example.nl")
    async with hub.db() as db:
        fresh = await db.get(User, user.id)
        assert fresh is not None
        codes = await AuthService(db, hub.runtime.keyring).replace_recovery_codes(fresh)
        stored = set((await db.execute(select(RecoveryCode.code_hash))).scalars())
    assert len(set(codes)) == 10
    for code in codes:
        assert re.fullmatch(r"[a-z2-7]{4}(-[a-z2-7]{4}){3}", code)  # 16 base32 characters: 80 bits
        plain = code.replace("-", "")
        assert hashlib.sha256(plain.encode()).hexdigest() not in stored  # keyed: no unkeyed hash to test guesses on
    # Another user cannot use them (the digest binds the user), whatever the code.
    async with hub.db() as db:
        stranger = await db.get(User, other.id)
        assert stranger is not None
        assert not await AuthService(db, hub.runtime.keyring).use_recovery_code(stranger, codes[1])


async def test_a_recovery_code_made_before_december_2026_still_works_once(hub: HubUnderTest) -> None:
    """Codes of 10 characters were stored as an unkeyed SHA-256; they stay usable until their cut-off (revision 0011
    gives every row that existed then 90 days: tests/accounts/test_legacy_recovery_codes.py)."""
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER, email="b@a.example.nl")
    old_code = "abcde-fghij"
    async with hub.db() as db:
        db.add(
            RecoveryCode(
                user_id=user.id,
                code_hash=hashlib.sha256(b"abcdefghij").hexdigest(),
                legacy_until=utcnow() + timedelta(days=90),
            )
        )
    async with hub.db() as db:
        fresh = await db.get(User, user.id)
        assert fresh is not None
        auth = AuthService(db, hub.runtime.keyring)
        assert await auth.use_recovery_code(fresh, old_code)
        assert not await auth.use_recovery_code(fresh, old_code)
