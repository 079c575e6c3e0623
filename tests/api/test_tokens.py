"""API tokens: shown once and stored hashed, refused when expired, revoked or blocked, scopes, organisation
tokens, last use, the rate limit (counted in the database), an audit record per call; a session cookie never
authenticates an API call. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from hub.accounts.api_tokens import ApiTokenService
from hub.accounts.models import ApiToken, User
from hub.accounts.roles import Role
from hub.audit.models import AuditEvent
from hub.db import utcnow
from hub.errors import Forbidden, NotFound, ValidationError
from tests.api.conftest import Api
from tests.cases.world import build_world
from tests.support.hubclient import running_hub


def token_id(token: str) -> str:
    return token.split("_")[1]


async def test_a_token_is_shown_once_and_only_its_hash_is_stored(api: Api) -> None:
    token = await api.token(api.world.bv_x)
    assert token.startswith("hub_") and len(token) == 4 + 32 + 1 + 43  # 32 random bytes, URL-safe base64
    async with api.hub.db() as db:
        row = await db.get(ApiToken, token_id(token))
        assert row is not None
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        secret = token[4 + 32 + 1 :]
        assert all(secret not in str(v) for v in row.model_dump().values())
        listed = await ApiTokenService(db).user_tokens(api.world.bv_x)
    assert [t.id for t in listed] == [row.id] and listed[0].last_used_at is None
    assert (await api.client(token).get("/api/v1/cases")).status_code == 200
    async with api.hub.db() as db:
        used = await db.get(ApiToken, row.id)
        assert used is not None and used.last_used_at is not None


async def test_wrong_expired_revoked_or_blocked_tokens_are_refused(api: Api) -> None:
    w = api.world
    token = await api.token(w.bv_x)
    wrong = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for bad in (wrong, "hub_nonsense", token_id(token), "Basic " + token):
        response = await api.client(bad).get("/api/v1/cases")
        assert response.status_code == 401, bad
        assert response.headers["www-authenticate"].startswith("Bearer")
    async with api.hub.db() as db:
        await db.execute(
            update(ApiToken)
            .where(col(ApiToken.id) == token_id(token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert (await api.client(token).get("/api/v1/cases")).status_code == 401

    second = await api.token(w.bv_x)
    async with api.hub.db() as db:
        await ApiTokenService(db).revoke(w.bv_x, token_id(second))
    assert (await api.client(second).get("/api/v1/cases")).status_code == 401

    third = await api.token(w.bv_x2)
    assert (await api.client(third).get("/api/v1/cases")).status_code == 200
    async with api.hub.db() as db:
        await db.execute(update(User).where(col(User.id) == w.bv_x2.id).values(disabled=True))
    assert (await api.client(third).get("/api/v1/cases")).status_code == 401


async def test_a_missing_scope_is_403_and_the_roles_still_decide(api: Api) -> None:
    w = api.world
    case = await w.open_case()
    reader = await api.token(w.bv_x, ["documents:read"])
    response = await api.client(reader).get("/api/v1/cases")
    assert response.status_code == 403 and "cases:read" in response.json()["detail"]
    assert (await api.client(reader).get(f"/api/v1/cases/{case.id}/documents")).status_code == 200
    # The functioneel beheerder holds no case role: no token, whatever the scopes.
    async with api.hub.db() as db:
        with pytest.raises(Forbidden):
            await ApiTokenService(db).create_for_user(w.beheerder, name="x", scopes=["cases:read"], days=90)
        with pytest.raises(ValidationError) as refused:
            await ApiTokenService(db).create_for_user(w.bv_x, name=" ", scopes=["cases:delete"], days=7)
    assert set(refused.value.errors) == {"name", "scopes", "days"}


async def test_organisation_tokens_are_made_by_the_administrator_and_act_with_the_chosen_role(api: Api) -> None:
    w = api.world
    case = await w.open_case()
    async with api.hub.db() as db:
        with pytest.raises(Forbidden):  # a bewindvoerder is not the kantoor's administrator
            await ApiTokenService(db).create_for_organisation(
                w.bv_x, name="Pakket", role="bewindvoerder", scopes=["cases:read"], days=90
            )
        with pytest.raises(ValidationError):  # a role of another kind of organisation
            await ApiTokenService(db).create_for_organisation(
                w.kb_x, name="Pakket", role=Role.KLANTMANAGER.value, scopes=["cases:read"], days=90
            )
    token = await api.org_token(w.kb_x, Role.BEWINDVOERDER.value)
    response = await api.client(token).get(f"/api/v1/cases/{case.id}")
    assert response.status_code == 200 and response.json()["client"]["bsn"] == "123456782"
    async with api.hub.db() as db:
        listed = await ApiTokenService(db).organisation_tokens(w.kb_x)
        view = (await db.execute(select(AuditEvent).where(col(AuditEvent.action) == "case.view"))).scalar_one()
        # Another kantoor's administrator does not see it, and cannot revoke it.
        with pytest.raises(NotFound):
            await ApiTokenService(db).revoke(w.bv_y, token_id(token))
    assert [t.id for t in listed] == [token_id(token)]
    assert view.user_id == token_id(token) and view.organisation_id == w.xander.id  # the token acted


async def test_every_accepted_call_is_audited_with_the_token_id(api: Api) -> None:
    w = api.world
    case = await w.open_case()
    token = await api.token(w.km_arnhem)
    client = api.client(token)
    assert (await client.get("/api/v1/cases")).status_code == 200
    assert (await client.get(f"/api/v1/cases/{case.id}")).status_code == 200
    assert (await client.get("/api/v1/cases/" + "0" * 32)).status_code == 404
    assert (await api.client().get("/api/v1/cases")).status_code == 401  # no token: nothing to name
    async with api.hub.db() as db:
        events = list((await db.execute(select(AuditEvent).order_by(col(AuditEvent.seq)))).scalars())
    calls = [e for e in events if e.action == "api.call"]
    assert len(calls) == 3
    assert {(e.object_type, e.object_id, e.user_id, e.organisation_id) for e in calls} == {
        ("api_token", token_id(token), w.km_arnhem.id, w.arnhem.id)
    }
    actions = [e.action for e in events if e.action.startswith(("api.", "case."))]
    assert actions[-5:] == ["api.call", "case.list", "api.call", "case.view", "api.call"]


async def test_a_session_cookie_never_authenticates_an_api_call(api: Api) -> None:
    browser = await api.hub.client_for(api.world.bv_x)
    response = await browser.get("/api/v1/cases")
    assert response.status_code == 401
    # No CSRF page either: an API POST is judged by its token alone.
    response = await browser.post("/api/v1/cases/search", json={"bsn": "123456782"})
    assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"


async def test_the_rate_limit_answers_429_with_retry_after(database_url: str, tmp_path: Path) -> None:
    async with running_hub(tmp_path / "data", database_url, HUB_API_RATE_LIMIT="10") as hub:
        api = Api(await build_world(hub))
        token = await api.token(api.world.bv_x)
        other = await api.token(api.world.bv_x2)
        client = api.client(token)
        for _ in range(10):
            assert (await client.get("/api/v1/cases")).status_code == 200
        refused = await client.get("/api/v1/cases")
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.json()["status"] == 429
        assert (await api.client(other).get("/api/v1/cases")).status_code == 200  # per token
        # The window lives in the database: a new window (as another server would see it) lets calls through.
        async with hub.db() as db:
            await db.execute(
                update(ApiToken)
                .where(col(ApiToken.id) == token_id(token))
                .values(rate_window_start=utcnow() - timedelta(minutes=1))
            )
        assert (await client.get("/api/v1/cases")).status_code == 200
