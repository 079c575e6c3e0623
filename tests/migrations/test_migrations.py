"""Every migration upgrades and downgrades on SQLite and on PostgreSQL, and the models match the migrations."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import BigInteger, Integer, inspect, text
from sqlmodel import SQLModel

import hub.models  # noqa: F401
from hub import migrate
from hub.db import create_engine
from tests.support.postgres import PostgresCluster


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    name = f"mig_{abs(hash(str(tmp_path))) % 10**8}"
    return cluster.create_database(name)


def test_each_revision_up_and_down(empty_url: str) -> None:
    revisions = _revisions()
    assert revisions, "no migrations found"
    for rev in revisions:
        migrate.upgrade(empty_url, rev)
        assert migrate.current_revision(empty_url) == rev
    for index in range(len(revisions) - 1, -1, -1):
        target = revisions[index - 1] if index > 0 else "base"
        migrate.downgrade(empty_url, target)
        assert migrate.current_revision(empty_url) == (None if target == "base" else target)
    migrate.upgrade(empty_url)
    assert migrate.current_revision(empty_url) == migrate.head_revision()


async def test_models_match_migrations(empty_url: str) -> None:
    await migrate.upgrade_async(empty_url)
    engine = create_engine(empty_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"compare_type": False}), SQLModel.metadata
                )
            )
    finally:
        await engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}"
    with pytest.raises(migrate.NotMigrated, match="hub migrate"):
        migrate.require_current(url)
    migrate.upgrade(url)
    migrate.require_current(url)


async def test_document_size_holds_files_beyond_2_gib(empty_url: str) -> None:
    await migrate.upgrade_async(empty_url)
    engine = create_engine(empty_url)
    try:
        async with engine.connect() as conn:
            columns = await conn.run_sync(lambda c: {col["name"]: col for col in inspect(c).get_columns("document")})
    finally:
        await engine.dispose()
    size_type = columns["size"]["type"]
    # PostgreSQL: BIGINT; SQLite stores every INTEGER in up to 64 bits.
    assert isinstance(size_type, BigInteger) or (empty_url.startswith("sqlite") and isinstance(size_type, Integer))


def _sql(url: str, statement: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    async def run() -> list[tuple[Any, ...]]:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(text(statement), params or {})
                return [tuple(r) for r in result.all()] if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _utc(value: Any) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value  # SQLite answers raw SQL with text
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def test_clock_notice_due_moments_move_out_of_the_stage_and_back(empty_url: str) -> None:
    """0006 takes the due moment out of "verlopen:<epoch>" into clock_notice.due_at; its downgrade puts it back."""
    migrate.upgrade(empty_url, "0005")
    created = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    due = datetime(2026, 4, 29, 21, 59, 59, tzinfo=UTC)
    stored = created.replace(tzinfo=None) if empty_url.startswith("sqlite") else created  # SQLite keeps UTC naive
    _sql(
        empty_url,
        "INSERT INTO clock_notice (clock_id, stage, created_at) VALUES ('c1', :s1, :c), ('c2', 'vandaag', :c)",
        {"s1": f"verlopen:{int(due.timestamp())}", "c": stored},
    )
    migrate.upgrade(empty_url, "0006")
    rows = _sql(empty_url, "SELECT clock_id, stage, due_at FROM clock_notice ORDER BY clock_id")
    as_utc = [(c, s, _utc(d)) for c, s, d in rows]
    # c2 was written before due moments were kept and has no clock any more: the moment it was recorded stands in.
    assert as_utc == [("c1", "verlopen", due), ("c2", "vandaag", created)]
    migrate.downgrade(empty_url, "0005")
    rows = _sql(empty_url, "SELECT clock_id, stage FROM clock_notice ORDER BY clock_id")
    assert rows == [("c1", f"verlopen:{int(due.timestamp())}"), ("c2", f"vandaag:{int(created.timestamp())}")]
