"""Every authentication event is in the audit chain (with client address and user agent) and in the log, and
neither holds a password, code, token, e-mail address or name (issue 10)."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from hub.accounts import totp
from hub.accounts.auth import ACCOUNT_MAX_FAILURES, ADDRESS_MAX_FAILURES, SESSION_IDLE, ActiveSession, AuthService
from hub.accounts.models import User, UserSession
from hub.accounts.roles import OrgKind, Role
from hub.accounts.users import UserService
from hub.audit import auth_events as events
from hub.audit.auth_events import Origin
from hub.audit.models import AuditEvent
from hub.audit.services import verify
from hub.db import utcnow
from hub.notifications.accountmail import OutboxAccountMailer
from tests.support.hubclient import PASSWORD, HubClient, HubUnderTest, csrf_from

ADDRESS = "192.0.2.44"
AGENT = "Mozilla/5.0 (TestBrowser) Gecko/20100101"
NEW_PASSWORD = "een heel ander wachtwoord 77"
NAME = "Bartholomeus Zwanenburg"


def _client(hub: HubUnderTest) -> HubClient:
    return hub.client(address=ADDRESS, headers={"user-agent": AGENT})


async def _password_step(client: HubClient, email: str, password: str = PASSWORD) -> httpx.Response:
    page = await client.get("/inloggen")
    return await client.post(
        "/inloggen", data={"email": email, "password": password, "csrf_token": csrf_from(page.text)}
    )


async def _code(client: HubClient, code: str) -> httpx.Response:
    page = await client.get("/inloggen/mfa")
    return await client.post("/inloggen/mfa", data={"code": code, "csrf_token": csrf_from(page.text)})


async def _records(hub: HubUnderTest) -> list[AuditEvent]:
    async with hub.db() as db:
        return list((await db.execute(select(AuditEvent).order_by(AuditEvent.seq))).scalars())  # type: ignore[arg-type]


async def test_authentication_events_are_audited_and_logged_without_secrets(
    hub: HubUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER, email="bart@a.example.nl", name=NAME)
    newbie = await hub.user(org, Role.BEWINDVOERDER, email="nieuw@a.example.nl", enrolled=False, name=NAME)
    secrets: list[str] = [PASSWORD, NEW_PASSWORD, "bart@a.example.nl", "ghost@a.example.nl", "bart@", NAME]

    client = _client(hub)
    assert (await _password_step(client, "bart@a.example.nl", "wrong wrong wrong")).status_code == 401
    assert (await _password_step(client, "ghost@a.example.nl", "wrong wrong wrong")).status_code == 401
    assert (await _password_step(client, "bart@a.example.nl")).status_code == 303
    assert (await _code(client, "000000")).status_code == 401
    fresh = await hub.reload(user)
    good_code = hub.next_code(fresh, fresh.totp_last_step)
    secrets.append(good_code)
    assert (await _code(client, good_code)).status_code == 303  # auth.login
    start = await client.get("/")
    client.csrf_token = csrf_from(start.text)
    token = client.cookies.get("hub_session") or ""
    secrets.append(token)

    response = await client.post_form("/account/herstelcodes", {"codes_password": "wrong wrong wrong"})
    assert response.status_code == 400  # auth.reauth_failed
    codes_page = await client.post_form("/account/herstelcodes", {"codes_password": PASSWORD})
    assert codes_page.status_code == 200  # auth.recovery_codes_renewed
    async with hub.db() as db:
        recovery = (await AuthService(db, hub.runtime.keyring).replace_recovery_codes(await db.get(User, user.id)))[0]  # type: ignore[arg-type]
    secrets.append(recovery)
    response = await client.post_form(
        "/account/wachtwoord",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
    )
    assert response.status_code == 303  # auth.password_changed
    client.csrf_token = csrf_from((await client.get("/")).text)
    assert (await client.post_form("/uitloggen")).status_code == 303  # auth.logout

    second = _client(hub)
    assert (await _password_step(second, "bart@a.example.nl", NEW_PASSWORD)).status_code == 303
    assert (await _code(second, recovery)).status_code == 303  # auth.recovery_code_used + auth.login
    async with hub.db() as db:  # the session idles out: the next request finds it expired
        await db.execute(update(UserSession).values(last_seen_at=utcnow() - SESSION_IDLE - timedelta(seconds=5)))
    assert (await second.get("/account")).status_code == 303  # auth.session_expired

    third = _client(hub)  # a first login that enrols the authenticator app
    assert (await _password_step(third, "nieuw@a.example.nl")).status_code == 303
    await third.get("/inloggen/mfa/instellen")
    async with hub.db() as db:
        sess = (await db.execute(select(UserSession).where(UserSession.user_id == newbie.id))).scalar_one()  # type: ignore[arg-type]
        secret = AuthService(db, hub.runtime.keyring).begin_enrolment(ActiveSession(session=sess, user=newbie))
    page = await third.get("/inloggen/mfa/instellen")
    enrol = await third.post(
        "/inloggen/mfa/instellen",
        data={"code": totp.code_at(secret, int(utcnow().timestamp())), "csrf_token": csrf_from(page.text)},
    )
    assert enrol.status_code == 200  # auth.mfa_enrolled + auth.login

    lockout = _client(hub)
    for _ in range(ACCOUNT_MAX_FAILURES):
        await _password_step(lockout, "ghost@a.example.nl", "wrong wrong wrong")  # auth.account_locked

    async with hub.db() as db:  # the worker's purge of an expired session
        await AuthService(db, hub.runtime.keyring).start_session(user)
        await db.execute(update(UserSession).values(created_at=utcnow() - timedelta(hours=13)))
    async with hub.db() as db:
        assert await AuthService(db, hub.runtime.keyring).purge_expired_sessions() >= 1

    records = await _records(hub)
    actions = [r.action for r in records]
    for action in (
        events.PASSWORD_FAILED,
        events.MFA_FAILED,
        events.LOGIN,
        events.REAUTH_FAILED,
        events.RECOVERY_CODES_RENEWED,
        events.PASSWORD_CHANGED,
        events.LOGOUT,
        events.RECOVERY_CODE_USED,
        events.SESSION_EXPIRED,
        events.MFA_ENROLLED,
        events.ACCOUNT_LOCKED,
        events.SESSION_PURGED,
    ):
        assert action in actions, action
    for r in records:
        if r.action != events.SESSION_PURGED:  # the worker has no request
            assert (r.client_address, r.user_agent) == (ADDRESS, AGENT), r.action
    failed = [r for r in records if r.action == events.PASSWORD_FAILED]
    # the ghost: one failure above, four here, the fifth attempt refused unhashed (as auth.locked_attempt)
    assert [r.user_id for r in failed] == [user.id, None] + [None] * (ACCOUNT_MAX_FAILURES - 1)  # unknown: no one
    assert all(r.object_id in ("", user.id) for r in failed)
    logins = [r for r in records if r.action == events.LOGIN]
    assert [r.user_id for r in logins] == [user.id, user.id, newbie.id]
    async with hub.db() as db:
        assert (await verify(db)).ok

    logged = [r for r in caplog.records if r.name == "hub.auth"]
    assert {r.getMessage().split()[0] for r in logged} >= set(actions)
    assert any(ADDRESS in r.getMessage() and user.id in r.getMessage() for r in logged)
    everything = "\n".join(r.getMessage() for r in caplog.records) + "\n".join(
        f"{r.user_id} {r.organisation_id} {r.action} {r.object_type} {r.object_id} {r.client_address} {r.user_agent}"
        for r in records
    )
    for secret_text in secrets:
        assert secret_text and secret_text not in everything, secret_text


async def test_an_address_lockout_is_audited_without_any_user(hub: HubUnderTest) -> None:
    client = _client(hub)
    for i in range(ADDRESS_MAX_FAILURES):
        await _password_step(client, f"probe{i}@a.example.nl", "wrong wrong wrong")
    locks = [r for r in await _records(hub) if r.action == events.ADDRESS_LOCKED]
    assert len(locks) == 1
    assert (locks[0].user_id, locks[0].object_type, locks[0].client_address) == (None, "address", ADDRESS)


async def test_an_mfa_reset_records_who_reset_whose_mfa(hub: HubUnderTest) -> None:
    """The organisation's administrator resets a user's MFA: one record names who, whose, and from where."""
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    admin = await hub.user(org, Role.KANTOORBEHEERDER)
    user = await hub.user(org, Role.BEWINDVOERDER)
    async with hub.db() as db:
        users = UserService(db, OutboxAccountMailer(db), origin=Origin(ADDRESS, AGENT))
        await users.reset_mfa_for(admin, user.id, AuthService(db, hub.runtime.keyring))
    (record,) = [r for r in await _records(hub) if r.action == "user.mfa_reset"]
    assert (record.user_id, record.object_type, record.object_id) == (admin.id, "user", user.id)
    assert (record.client_address, record.user_agent) == (ADDRESS, AGENT)


async def test_attempts_against_a_locked_account_are_audited_one_record_each(
    hub: HubUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    """The password step, the second factor and the account page's current password, each refused by a lock: one
    auth.locked_attempt record per attempt, with the origin, the user when the account exists, and no secret."""
    caplog.set_level(logging.INFO)
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER, email="bart@a.example.nl", name=NAME)
    in_second_step = _client(hub)
    assert (await _password_step(in_second_step, "bart@a.example.nl")).status_code == 303
    signed_in = await hub.client_for(user)
    for email in ("bart@a.example.nl", "ghost@a.example.nl"):
        for _ in range(ACCOUNT_MAX_FAILURES):
            await _password_step(_client(hub), email, "wrong wrong wrong")
    before = len(await _records(hub))

    for email, password in (("bart@a.example.nl", PASSWORD), ("bart@a.example.nl", "x"), ("ghost@a.example.nl", "x")):
        response = await _password_step(_client(hub), email, password)
        assert response.status_code == 401 and "Te veel mislukte pogingen" in response.text
    fresh = await hub.reload(user)
    code = hub.next_code(fresh, fresh.totp_last_step)
    assert (await _code(in_second_step, code)).status_code == 401  # the account's lock holds the second factor too
    response = await signed_in.post_form("/account/herstelcodes", {"codes_password": PASSWORD})
    assert response.status_code == 303  # locked: the sessions end, as at the limit

    new = (await _records(hub))[before:]
    assert [r.action for r in new] == [events.LOCKED_ATTEMPT] * 5
    assert [r.user_id for r in new] == [user.id, user.id, None, user.id, user.id]
    assert {(r.object_type, r.client_address, r.user_agent) for r in new[:4]} == {("account", ADDRESS, AGENT)}
    assert new[0].organisation_id == org.id and new[2].organisation_id is None
    everything = "\n".join(r.getMessage() for r in caplog.records) + " ".join(
        f"{r.object_id} {r.client_address} {r.user_agent}" for r in new
    )
    for secret_text in (PASSWORD, "bart@a.example.nl", "ghost@a.example.nl", code, NAME):
        assert secret_text not in everything, secret_text
    assert sum(events.LOCKED_ATTEMPT in r.getMessage() for r in caplog.records if r.name == "hub.auth") >= 5
    async with hub.db() as db:
        assert (await verify(db)).ok


async def test_an_attempt_from_a_locked_address_is_audited_as_the_address(hub: HubUnderTest) -> None:
    client = _client(hub)
    for i in range(ADDRESS_MAX_FAILURES):
        await _password_step(client, f"probe{i}@a.example.nl", "wrong wrong wrong")
    assert (await _password_step(client, "someone@a.example.nl", "x")).status_code == 401
    last = (await _records(hub))[-1]
    assert (last.action, last.user_id, last.object_type) == (events.LOCKED_ATTEMPT, None, "address")
