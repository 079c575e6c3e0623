"""Every migration upgrades and downgrades on SQLite and on PostgreSQL, and the models match the migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import BigInteger, Integer, inspect
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
