"""Recovery codes of the old kind (50 bits, an unkeyed SHA-256) expire: revision 0011 gives every code that exists at
the upgrade 90 days; after that such a code is refused, the user is told to make new codes, and the account page
says so beforehand (issue 10)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import select, text, update

from hub import migrate
from hub.accounts.auth import AuthService
from hub.accounts.models import RecoveryCode, User
from hub.accounts.roles import OrgKind, Role
from hub.db import create_engine, utcnow
from tests.support.hubclient import HubClient, HubUnderTest, csrf_from
from tests.support.postgres import PostgresCluster

OLD_CODE = "abcde-fghij"
OLD_HASH = hashlib.sha256(b"abcdefghij").hexdigest()
EXPIRED = "Deze herstelcode is van het oude soort (10 tekens) en werkt niet meer."
WARNING = "Maak nieuwe herstelcodes aan."


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'legacy.sqlite3'}"
        return
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    name = f"legacy_{abs(hash(str(tmp_path))) % 10**8}"
    yield cluster.create_database(name)
    cluster.drop_database(name)


async def _sql(url: str, statement: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(statement))
            return [tuple(r) for r in result.all()] if result.returns_rows else []
    finally:
        await engine.dispose()


def _revision_before() -> str:
    """The revision before the one that brought legacy_until (found by its message: re-chaining keeps the test)."""
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    [found] = [r for r in script.walk_revisions() if (r.doc or "").startswith("recovery_code.legacy_until")]
    assert isinstance(found.down_revision, str)
    return found.down_revision


def test_the_upgrade_gives_every_existing_code_ninety_days(empty_url: str) -> None:
    before_revision = _revision_before()
    migrate.upgrade(empty_url, before_revision)
    asyncio.run(
        _sql(
            empty_url,
            "INSERT INTO organisation (id, kind, name, contact_person, contact_email, contact_phone, created_at) "
            "VALUES ('o1', 'bewindvoerderskantoor', 'K', '', '', '', CURRENT_TIMESTAMP)",
        )
    )
    asyncio.run(
        _sql(
            empty_url,
            "INSERT INTO user_account (id, organisation_id, name, email, roles, password_hash, must_change_password, "
            "disabled, notify_mode, created_at) VALUES ('u1', 'o1', 'B', 'b@k.nl', 'bewindvoerder', 'x', false, "
            "false, 'direct', CURRENT_TIMESTAMP)",
        )
    )
    insert = f"INSERT INTO recovery_code (id, user_id, code_hash) VALUES ('r1', 'u1', '{OLD_HASH}')"
    asyncio.run(_sql(empty_url, insert))
    before = datetime.now(UTC)
    migrate.upgrade(empty_url)
    ((stored,),) = asyncio.run(_sql(empty_url, "SELECT legacy_until FROM recovery_code"))
    moment = stored if isinstance(stored, datetime) else datetime.fromisoformat(str(stored))
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    assert timedelta(days=90) <= moment - before < timedelta(days=90, minutes=5)
    migrate.downgrade(empty_url, before_revision)  # and back: the column goes, the code stays
    assert asyncio.run(_sql(empty_url, "SELECT id FROM recovery_code")) == [("r1",)]


async def _with_old_code(hub: HubUnderTest, user: User, until: datetime) -> None:
    async with hub.db() as db:
        db.add(RecoveryCode(user_id=user.id, code_hash=OLD_HASH, legacy_until=until))


async def test_an_old_code_works_until_its_cut_off_and_a_new_code_after_it(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER)
    await _with_old_code(hub, user, utcnow() + timedelta(days=1))
    async with hub.db() as db:
        auth = AuthService(db, hub.runtime.keyring)
        fresh = await db.get(User, user.id)
        assert fresh is not None
        later = utcnow() + timedelta(days=2)
        assert not await auth.use_recovery_code(fresh, OLD_CODE, now=later)  # past the cut-off: refused
        assert await auth.is_expired_legacy_code(fresh, OLD_CODE, now=later)
        assert not await auth.is_expired_legacy_code(fresh, OLD_CODE)
        assert await auth.use_recovery_code(fresh, OLD_CODE)  # before it: accepted once
        # A code of the new kind made before the upgrade also carries a cut-off; its HMAC match is not affected.
        (code, *_) = await auth.replace_recovery_codes(fresh)
        await db.execute(update(RecoveryCode).values(legacy_until=utcnow() - timedelta(days=1)))
        assert not await auth.is_expired_legacy_code(fresh, code)
        assert await auth.use_recovery_code(fresh, code)


async def _to_second_step(hub: HubUnderTest, user: User) -> HubClient:
    client = hub.client()
    page = await client.get("/inloggen")
    response = await client.post(
        "/inloggen", data={"email": user.email, "password": "correct horse battery staple 42",
                           "csrf_token": csrf_from(page.text)},
    )  # fmt: skip
    assert response.status_code == 303
    return client


async def test_an_expired_old_code_is_refused_with_what_to_do(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER)
    await _with_old_code(hub, user, utcnow() - timedelta(minutes=1))
    client = await _to_second_step(hub, user)
    page = await client.get("/inloggen/mfa")
    response = await client.post("/inloggen/mfa", data={"code": OLD_CODE, "csrf_token": csrf_from(page.text)})
    assert response.status_code == 401
    assert EXPIRED in response.text and "nieuwe herstelcodes" in response.text
    page = await client.get("/inloggen/mfa")
    response = await client.post("/inloggen/mfa", data={"code": "zzzzz-zzzzz", "csrf_token": csrf_from(page.text)})
    assert response.status_code == 401 and EXPIRED not in response.text  # a wrong code is only wrong
    async with hub.db() as db:
        unused = (await db.execute(select(RecoveryCode.used_at))).scalars().all()  # type: ignore[call-overload]
    assert unused == [None]


async def test_the_account_page_tells_a_user_with_old_codes_to_make_new_ones(hub: HubUnderTest) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER)
    client = await hub.client_for(user)
    assert WARNING not in (await client.get("/account")).text  # no codes of the old kind
    await _with_old_code(hub, user, datetime(2027, 3, 9, 10, tzinfo=UTC))
    page = await client.get("/account")
    assert WARNING in page.text and "werken nog tot 9 maart 2027 11:00 en daarna niet meer" in page.text
    async with hub.db() as db:
        await db.execute(update(RecoveryCode).values(legacy_until=utcnow() - timedelta(days=1)))
    assert "werken sinds" in (await client.get("/account")).text
    response = await client.post_form("/account/herstelcodes", {"codes_password": "correct horse battery staple 42"})
    assert response.status_code == 200
    assert WARNING not in (await client.get("/account")).text  # new codes: nothing of the old kind left
