"""The integration-actor revision (0028) gives every existing organisation token its stored actor, with the token's
id (the id its audit records already carry), disabled when the token is revoked or expired; a user's token gets
none. Down again, the actors stay (messages may name them) but removed and disabled; up again, they are actors
once more. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from hub import migrate
from hub.db import create_engine
from tests.support.postgres import PostgresCluster

ROWS = (
    "INSERT INTO organisation (id, kind, name, contact_person, contact_email, contact_phone, created_at) VALUES "
    "('k1', 'bewindvoerderskantoor', 'K', '', '', '', :now)",
    "INSERT INTO user_account (id, organisation_id, name, email, roles, password_hash, must_change_password, "
    "disabled, notify_mode, created_at) VALUES ('u1', 'k1', 'Kees', 'kees@k.nl', 'kantoorbeheerder', 'x', false, "
    "false, 'direct', :now)",
    "INSERT INTO api_token (id, organisation_id, user_id, role, name, scopes, token_hash, created_by, created_at, "
    "expires_at, revoked_at, rate_count) VALUES "
    "('t_live', 'k1', NULL, 'bewindvoerder', 'Zaaksysteem', 'cases:read', 'h1', 'u1', :now, :later, NULL, 0), "
    "('t_gone', 'k1', NULL, 'bewindvoerder', 'Oud pakket', 'cases:read', 'h2', 'u1', :now, :later, :now, 0), "
    "('t_user', 'k1', 'u1', NULL, 'Eigen', 'cases:read', 'h3', 'u1', :now, :later, NULL, 0)",
)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database(f"m28_{abs(hash(str(tmp_path))) % 10**8}")


def run_sql(url: str, statements: tuple[str, ...] = (), query: str = "") -> list[Any]:
    async def run() -> list[Any]:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                now = datetime.now(UTC)
                naive = url.startswith("sqlite")
                values = {k: v.replace(tzinfo=None) if naive else v for k, v in
                          {"now": now, "later": now + timedelta(days=30)}.items()}  # fmt: skip
                for statement in statements:
                    await conn.execute(text(statement), values)
                return list((await conn.execute(text(query))).all()) if query else []
        finally:
            await engine.dispose()

    return asyncio.run(run())


ACTORS = "SELECT id, name, roles, password_hash, disabled, kind FROM user_account WHERE id LIKE 't_%' ORDER BY id"


def test_existing_organisation_tokens_get_their_actor_and_keep_it_across_a_downgrade(url: str) -> None:
    migrate.upgrade(url, "0027")
    run_sql(url, ROWS)
    migrate.upgrade(url, "0028")
    expected = [
        ("t_gone", "API-koppeling Oud pakket", "bewindvoerder", "!", True, "integration"),
        ("t_live", "API-koppeling Zaaksysteem", "bewindvoerder", "!", False, "integration"),
    ]
    assert [tuple(r) for r in run_sql(url, query=ACTORS)] == expected
    assert run_sql(url, query="SELECT kind FROM user_account WHERE id = 'u1'")[0][0] == "person"

    migrate.downgrade(url, "0027")
    removed = run_sql(url, query="SELECT id, disabled, removed_at FROM user_account WHERE id LIKE 't_%'")
    assert len(removed) == 2 and all(r[1] and r[2] is not None for r in removed)

    migrate.upgrade(url, "0028")
    assert [tuple(r) for r in run_sql(url, query=ACTORS)] == expected
    assert run_sql(url, query="SELECT removed_at FROM user_account WHERE id = 't_live'")[0][0] is None
