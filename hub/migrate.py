"""Run Alembic migrations programmatically: the only way a schema is created, in tests too."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.config import Config

from hub.resources import MIGRATIONS_DIR as MIGRATIONS

# The PostgreSQL advisory lock every migration holds (migrations/env.py): two `hub migrate` at once are safe, the
# second waits and then finds nothing to do. A fixed 64-bit number: "hub migr" in ASCII.
MIGRATION_LOCK = int.from_bytes(b"hub migr", "big") >> 1


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, database_url, revision)


async def downgrade_async(database_url: str, revision: str) -> None:
    await asyncio.to_thread(downgrade, database_url, revision)


class NotMigrated(Exception):
    """The database is not at the newest schema revision."""


def current_revision(database_url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    from hub.db import create_engine

    async def read() -> str | None:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
        finally:
            await engine.dispose()

    return asyncio.run(read())


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def require_current(database_url: str) -> None:
    current, head = current_revision(database_url), head_revision()
    if current != head:
        raise NotMigrated(
            f"The database is at revision {current or 'none'}, the code needs {head}. "
            "Run `hub migrate` (or `hub init` for a new hub)."
        )
