"""The case-corrections revision adds the unique index of one running case per BSN and convenant: on a database
whose cases break that rule the upgrade stops, naming the references (never a BSN), and changes nothing; SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from hub import migrate
from hub.db import create_engine
from tests.support.postgres import PostgresCluster

COLUMNS = (
    "id, reference, convenant_id, gemeente_id, kantoor_id, client_name, bsn, bsn_index, birth_date, bewind_kind, "
    "beschikking_date, bewind_start_date, rechtbank, status, created_by, created_at, updated_at"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database(f"m11_{abs(hash(str(tmp_path))) % 10**8}")


PARENTS = (
    "INSERT INTO organisation (id, kind, name, contact_person, contact_email, contact_phone, created_at) VALUES "
    "('g1', 'gemeente', 'G', '', '', '', :now), ('k1', 'bewindvoerderskantoor', 'K', '', '', '', :now)",
    "INSERT INTO convenant (id, gemeente_id, kantoor_id, start_date, status, created_at) "
    "VALUES ('c1', 'g1', 'k1', :d, 'actief', :now)",
    "INSERT INTO user_account (id, organisation_id, name, email, roles, password_hash, must_change_password, "
    "disabled, notify_mode, created_at) VALUES ('u1', 'k1', 'B', 'b@k.nl', 'bewindvoerder', 'x', false, false, "
    "'direct', :now)",
)


def insert_cases(url: str, cases: list[tuple[str, str, str, str]]) -> None:
    """(id, reference, bsn_index, status) rows on one convenant (its organisations, convenant and user first, so that
    the foreign keys hold: the SQLite migrations check them before they commit)."""

    async def run() -> None:
        engine = create_engine(url)
        try:
            async with engine.connect() as plain:
                # Autocommit, so that SQLite's PRAGMA (a no-op inside a transaction) takes effect.
                conn = await plain.execution_options(isolation_level="AUTOCOMMIT")
                if url.startswith("sqlite"):
                    await conn.execute(text("PRAGMA foreign_keys=OFF"))
                else:
                    await conn.execute(text("SET session_replication_role = replica"))
                now = datetime(2026, 12, 1, tzinfo=UTC)
                moment = now.replace(tzinfo=None) if url.startswith("sqlite") else now
                if not (await conn.execute(text("SELECT id FROM organisation WHERE id = 'g1'"))).first():
                    for statement in PARENTS:
                        await conn.execute(text(statement), {"now": moment, "d": date(2025, 1, 1)})
                for case_id, reference, index, status in cases:
                    await conn.execute(
                        text(f"INSERT INTO dossier ({COLUMNS}) VALUES (:id, :ref, 'c1', 'g1', 'k1', :x, :x, :idx, :x, "
                             "'schuldenbewind', :d, :d, 'Rechtbank Gelderland', :status, 'u1', :now, :now)"),
                        {"id": case_id, "ref": reference, "x": b"\x01", "idx": index, "d": date(2025, 1, 1),
                         "status": status, "now": moment},
                    )  # fmt: skip
        finally:
            await engine.dispose()

    asyncio.run(run())


def test_existing_duplicates_stop_the_upgrade_by_reference(url: str) -> None:
    migrate.upgrade(url, "0014")
    insert_cases(
        url,
        [
            ("a" * 32, "2026-000001", "i" * 64, "actief"),
            ("b" * 32, "2026-000002", "i" * 64, "actief"),
            ("c" * 32, "2026-000003", "j" * 64, "beeindigd"),  # an ended case does not count
            ("d" * 32, "2026-000004", "j" * 64, "actief"),
        ],
    )
    with pytest.raises(RuntimeError, match="2026-000001 en 2026-000002") as caught:
        migrate.upgrade(url, "0015")
    assert "i" * 64 not in str(caught.value) and "2026-000004" not in str(caught.value)
    assert migrate.current_revision(url) == "0014"


def test_ended_duplicates_do_not_stop_the_upgrade(url: str) -> None:
    migrate.upgrade(url, "0014")
    insert_cases(url, [("a" * 32, "2026-000001", "i" * 64, "beeindigd"), ("b" * 32, "2026-000002", "i" * 64, "actief")])
    migrate.upgrade(url, "0015")
    assert migrate.current_revision(url) == "0015"
