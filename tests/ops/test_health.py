"""/healthz and /readyz: no session, no cookie, no personal data, quiet in the access log; /readyz fails (503) when
the database is not at the code's migration head or the blob store does not answer. SQLite and PostgreSQL."""

from __future__ import annotations

import errno
import logging

import pytest
from sqlalchemy import text

from hub.ops.health_views import readiness_of
from tests.support.hubclient import HubUnderTest


async def test_healthz_and_readyz_answer_without_a_session(hub: HubUnderTest) -> None:
    client = hub.client()
    alive = await client.get("/healthz")
    assert alive.status_code == 200 and alive.json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "blobs": "ok"}}
    for response in (alive, ready):
        assert "set-cookie" not in response.headers
        assert response.headers["cache-control"] == "no-store"
    assert (await client.post("/readyz")).status_code in (403, 405)  # GET only: nothing to change there


async def test_readyz_fails_when_the_database_is_behind_the_code(hub: HubUnderTest) -> None:
    probe = readiness_of(hub.runtime)
    probe.ttl = 0  # no cached verdict in this test
    async with hub.db() as db:
        await db.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    response = await hub.client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "migrations": "failed", "blobs": "ok"}
    async with hub.db() as db:
        await db.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": probe.head})
    assert (await hub.client().get("/readyz")).status_code == 200


class UnreachableStore:
    """A blob store whose folder (or bucket) does not answer: every call fails as a dead NFS mount does."""

    async def exists(self, name: str) -> bool:
        raise OSError(errno.EIO, "Input/output error", "/mnt/blobs/00/00")


async def test_readyz_fails_when_the_blob_store_does_not_answer(
    hub_sqlite: HubUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    hub = hub_sqlite
    probe = readiness_of(hub.runtime)
    probe.ttl = 0
    hub.runtime._components["documents.blobs"] = UnreachableStore()
    with caplog.at_level(logging.WARNING):
        response = await hub.client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "migrations": "ok", "blobs": "failed"}
    assert "/mnt/blobs" not in response.text  # no path, no error text in the answer
    assert any("blobs FAILED" in r.getMessage() for r in caplog.records)


async def test_readiness_is_cached_briefly(hub_sqlite: HubUnderTest) -> None:
    """A burst of probes costs one round of checks: the verdict is kept for ttl seconds."""
    probe = readiness_of(hub_sqlite.runtime)
    now = [100.0]
    probe.clock = lambda: now[0]
    probe._verdict = None
    assert (await probe.check()).ready
    hub_sqlite.runtime._components["documents.blobs"] = UnreachableStore()
    now[0] += probe.ttl / 2
    assert (await probe.check()).ready  # still the kept verdict
    now[0] += probe.ttl
    assert not (await probe.check()).ready


async def test_probes_are_not_logged_at_info_level(hub_sqlite: HubUnderTest, caplog: pytest.LogCaptureFixture) -> None:
    client = hub_sqlite.client()
    with caplog.at_level(logging.DEBUG, logger="hub.access"):
        await client.get("/healthz")
        await client.get("/readyz")
        await client.get("/inloggen")
    access = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "hub.access"]
    assert [level for level, _ in access] == [logging.DEBUG, logging.DEBUG, logging.INFO]
    assert access[0][1].startswith("GET /healthz 200 ") and access[1][1].startswith("GET /readyz 200 ")


async def test_readiness_does_not_wait_for_a_writer(hub_sqlite: HubUnderTest) -> None:
    """On SQLite a transaction holds the write lock; the probe reads without one, so a long write does not make the
    server look unready."""
    probe = readiness_of(hub_sqlite.runtime)
    probe.ttl = 0
    probe.timeout = 1.0
    async with hub_sqlite.db() as db:  # BEGIN IMMEDIATE: the write lock, held for the block
        await db.execute(text("UPDATE ops_heartbeat SET completed_at = NULL"))
        verdict = await probe.check()
    assert verdict.ready, verdict.checks
