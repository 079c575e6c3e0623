"""Password hashing: the production parameters, the dummy verification, rehashing, and where the work runs."""

from __future__ import annotations

import asyncio
import dataclasses

import argon2
from sqlalchemy import update

from hub.accounts import passwords
from hub.accounts.models import User
from hub.accounts.roles import OrgKind, Role
from tests.support.hubclient import PASSWORD, HubUnderTest, csrf_from
from tests.support.passwords import CHEAP_HASHER, CHEAP_PARAMETERS, BlockingHasher, CountingHasher


async def _password_step(hub: HubUnderTest, email: str, password: str = PASSWORD) -> int:
    client = hub.client()
    page = await client.get("/inloggen")
    response = await client.post(
        "/inloggen", data={"email": email, "password": password, "csrf_token": csrf_from(page.text)}
    )
    return response.status_code


def test_production_hashes_with_argon2id_rfc_9106_low_memory(production_hasher: passwords.PasswordHasher) -> None:
    stored = production_hasher.hash(PASSWORD)
    params = argon2.extract_parameters(stored)
    assert (params.type, params.time_cost, params.memory_cost, params.parallelism) == (argon2.Type.ID, 3, 65536, 4)
    assert production_hasher.verify(stored, PASSWORD)
    assert not production_hasher.verify(stored, PASSWORD + "x")
    assert not production_hasher.verify("not a hash", PASSWORD)
    assert not production_hasher.needs_rehash(stored)
    assert production_hasher.needs_rehash(CHEAP_HASHER.hash(PASSWORD))


def test_the_dummy_hash_costs_what_a_real_one_costs(production_hasher: passwords.PasswordHasher) -> None:
    dummy = argon2.extract_parameters(production_hasher.dummy_hash())
    real = argon2.extract_parameters(production_hasher.hash(PASSWORD))
    assert dummy == real


async def test_an_unknown_address_is_verified_against_the_dummy_hash(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER, email="known@a.example.nl")
    counting = CountingHasher(CHEAP_HASHER)
    previous = passwords.install_hasher(counting)
    try:
        assert await _password_step(hub, "known@a.example.nl", "not the right password") == 401
        assert await _password_step(hub, "nobody@a.example.nl", "not the right password") == 401
        assert await _password_step(hub, "Known@A.example.nl", PASSWORD) == 303
    finally:
        passwords.install_hasher(previous)
    assert counting.verified == [user.password_hash, CHEAP_HASHER.dummy_hash(), user.password_hash]
    assert counting.hashed == 0  # nothing needed a rehash


async def test_login_rehashes_a_hash_made_with_older_parameters(
    hub: HubUnderTest, production_hasher: passwords.PasswordHasher
) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER, email="known@a.example.nl")
    async with hub.db() as db:
        await db.execute(update(User).where(User.id == user.id).values(password_hash=CHEAP_HASHER.hash(PASSWORD)))  # type: ignore[arg-type]
    assert await _password_step(hub, "known@a.example.nl") == 303
    stored = (await hub.reload(user)).password_hash
    assert argon2.extract_parameters(stored).memory_cost == 65536
    assert production_hasher.verify(stored, PASSWORD)


async def test_a_blocked_or_locked_account_costs_no_rehash(hub: HubUnderTest) -> None:
    """A rehash after a correct password would take measurably longer: it must not tell a locked or blocked
    account's right password from a wrong one."""
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER, email="known@a.example.nl")
    old = passwords.Argon2Hasher(dataclasses.replace(CHEAP_PARAMETERS, memory_cost=16)).hash(PASSWORD)  # older ones
    async with hub.db() as db:
        await db.execute(update(User).where(User.id == user.id).values(password_hash=old, disabled=True))  # type: ignore[arg-type]
    counting = CountingHasher(CHEAP_HASHER)
    assert counting.needs_rehash(old)
    previous = passwords.install_hasher(counting)
    try:
        assert await _password_step(hub, "known@a.example.nl") == 401  # blocked
        async with hub.db() as db:
            await db.execute(update(User).where(User.id == user.id).values(disabled=False))  # type: ignore[arg-type]
        for _ in range(5):
            assert await _password_step(hub, "known@a.example.nl", "not the right password") == 401
        assert await _password_step(hub, "known@a.example.nl") == 401  # locked now
        assert counting.hashed == 0
        assert (await hub.reload(user)).password_hash == old
    finally:
        passwords.install_hasher(previous)


async def test_hashing_runs_off_the_loop_and_outside_any_transaction(hub: HubUnderTest) -> None:
    """While a login's verification is stuck, other requests are served and other transactions write."""
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER, email="known@a.example.nl")
    blocking = BlockingHasher(CHEAP_HASHER)
    previous = passwords.install_hasher(blocking)
    try:
        client = hub.client()
        page = await client.get("/inloggen")
        login = asyncio.create_task(
            client.post(
                "/inloggen",
                data={"email": "known@a.example.nl", "password": PASSWORD, "csrf_token": csrf_from(page.text)},
            )
        )
        assert await asyncio.to_thread(blocking.started.wait, 10)
        other = await asyncio.wait_for(hub.client().get("/inloggen"), timeout=5)
        assert other.status_code == 200

        async def write() -> None:
            async with hub.db() as db:
                await db.execute(update(User).where(User.id == user.id).values(name="Nog Steeds Bereikbaar"))  # type: ignore[arg-type]

        # SQLite transactions take the write lock at BEGIN: this would wait if the login held a transaction open.
        await asyncio.wait_for(write(), timeout=5)
        assert not login.done()
        blocking.release.set()
        response = await asyncio.wait_for(login, timeout=10)
    finally:
        blocking.release.set()
        passwords.install_hasher(previous)
    assert response.status_code == 303


async def test_a_password_changed_while_it_was_being_verified_does_not_log_in(hub: HubUnderTest) -> None:
    """The hash is verified outside any transaction; the outcome is written only if the account still has it."""
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER, email="known@a.example.nl")
    blocking = BlockingHasher(CHEAP_HASHER)
    previous = passwords.install_hasher(blocking)
    try:
        client = hub.client()
        page = await client.get("/inloggen")
        login = asyncio.create_task(
            client.post(
                "/inloggen",
                data={"email": "known@a.example.nl", "password": PASSWORD, "csrf_token": csrf_from(page.text)},
            )
        )
        assert await asyncio.to_thread(blocking.started.wait, 10)
        async with hub.db() as db:
            new_hash = CHEAP_HASHER.hash("a new password, set meanwhile")
            await db.execute(update(User).where(User.id == user.id).values(password_hash=new_hash))  # type: ignore[arg-type]
        blocking.release.set()
        response = await asyncio.wait_for(login, timeout=10)
    finally:
        blocking.release.set()
        passwords.install_hasher(previous)
    assert response.status_code == 401
