"""Issue 17 probe: the rate limit per token under concurrent calls on PostgreSQL. Every call counts once (the
token's row is locked while it is counted: no lost update), the calls beyond the limit are 429 with Retry-After and
are neither counted nor audited, and another token's window is its own."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from hub.accounts.models import ApiToken
from hub.audit.models import AuditEvent
from tests.api.conftest import Api
from tests.cases.world import build_world
from tests.support.hubclient import running_hub

LIMIT = 10


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_concurrent_calls_are_counted_exactly_once(database_url: str, tmp_path: Path) -> None:
    async with running_hub(tmp_path / "data", database_url, HUB_API_RATE_LIMIT=str(LIMIT)) as hub:
        api = Api(await build_world(hub))
        token, other = await api.token(api.world.bv_x), await api.token(api.world.bv_x2)
        clients = [api.client(token) for _ in range(6)]
        answers = await asyncio.gather(*(clients[i % 6].get("/api/v1/cases") for i in range(3 * LIMIT)))
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200] * LIMIT + [429] * (2 * LIMIT)
        for refused in (a for a in answers if a.status_code == 429):
            assert 1 <= int(refused.headers["retry-after"]) <= 60
            assert refused.headers["content-type"] == "application/problem+json" and refused.headers["api-version"]
        assert (await api.client(other).get("/api/v1/cases")).status_code == 200
        async with hub.db() as db:
            row = await db.get(ApiToken, token.split("_")[1])
            calls = (
                await db.execute(select(AuditEvent).where(col(AuditEvent.action) == "api.call",
                                                          col(AuditEvent.object_id) == token.split("_")[1]))
            ).scalars()  # fmt: skip
            assert row is not None and row.rate_count == LIMIT and len(list(calls)) == LIMIT
