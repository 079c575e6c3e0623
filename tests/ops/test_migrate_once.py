"""Migrations run once: `hub migrate` holds a PostgreSQL advisory lock, so two started together on a fresh database
both succeed and only one of them migrates; `hub serve` never migrates, it refuses a database behind the code."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg

from hub import migrate
from hub.keys import create_keyring
from tests.support.postgres import PostgresCluster

RAN = "Running upgrade"


def hub_env(data_dir: Path, url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    return {**env, "HUB_DATA_DIR": str(data_dir), "HUB_DATABASE_URL": url, **extra}


async def test_two_concurrent_migrations_both_succeed_and_one_migrates(
    pg_cluster: PostgresCluster, tmp_path: Path
) -> None:
    url = pg_cluster.create_database("hub_migrate_twice")
    dsn = url.replace("postgresql+asyncpg", "postgresql")
    holder = await asyncpg.connect(dsn)
    try:
        # The test holds the lock first, so that both commands are surely inside `hub migrate` at the same moment.
        await holder.execute("SELECT pg_advisory_lock($1)", migrate.MIGRATION_LOCK)
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "hub",
                "migrate",
                env=hub_env(tmp_path / f"d{i}", url),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            for i in range(2)
        ]
        waiting = 0
        for _ in range(300):
            waiting = await holder.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1",
                migrate.MIGRATION_LOCK & 0xFFFFFFFF,
            )
            if waiting == 2:
                break
            await asyncio.sleep(0.05)
        assert waiting == 2, "both migrations should be waiting for the lock"
        await holder.execute("SELECT pg_advisory_unlock($1)", migrate.MIGRATION_LOCK)
        results = [await asyncio.wait_for(p.communicate(), 120) for p in procs]
    finally:
        await holder.close()
    assert [p.returncode for p in procs] == [0, 0], [r[1].decode()[-2000:] for r in results]
    logs = [stderr.decode() for _, stderr in results]
    assert all("waiting for it to finish" in log for log in logs)
    assert sum(RAN in log for log in logs) == 1, logs  # one migrated, the other found the work done
    assert await asyncio.to_thread(migrate.current_revision, url) == migrate.head_revision()
    pg_cluster.drop_database("hub_migrate_twice")


def test_serve_does_not_migrate_a_database_behind_the_code(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    create_keyring(data / "keyring.json")
    url = f"sqlite+aiosqlite:///{data / 'hub.sqlite3'}"
    migrate.upgrade(url, "0001")
    done = subprocess.run(
        [sys.executable, "-m", "hub", "serve"],
        env=hub_env(data, url, HUB_CLAMD="off", HUB_PORT="1"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "hub migrate" in done.stderr
    assert migrate.current_revision(url) == "0001"
