"""Alembic environment (async). The URL comes from the caller (hub.migrate) or HUB_DATABASE_URL."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel

import hub.models  # noqa: F401  (registers every table on SQLModel.metadata)
from hub.db import create_engine
from hub.migrate import MIGRATION_LOCK

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from hub.config import load_settings

    return load_settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _sqlite_pragma(connection: Connection, statement: str) -> None:
    """A pragma on the driver's connection, outside SQLAlchemy's transaction handling (which would begin one)."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # SQLite changes a column by rebuilding its table (batch mode); with foreign keys enforced, dropping a table
        # that others reference fails. SQLite's own procedure: keys off before the transaction (the pragma does
        # nothing inside one), and every key checked before the commit.
        _sqlite_pragma(connection, "PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
    )
    try:
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration leaves foreign keys broken: {broken[:5]}")
    finally:
        if sqlite:
            _sqlite_pragma(connection, "PRAGMA foreign_keys=ON")


async def _lock(connection: AsyncConnection) -> None:
    """PostgreSQL: one migration at a time, however many `hub migrate` (or `hub init`) run at once. A session lock,
    taken before the migration reads the current revision: the second waits, then finds the first one's work done
    and has nothing left to do. Committed at once (the lock outlives the transaction), so that alembic's own
    transaction starts on a clean connection."""
    key = {"key": MIGRATION_LOCK}
    if not (await connection.execute(text("SELECT pg_try_advisory_lock(:key)"), key)).scalar_one():
        logging.getLogger("hub.migrate").info("another migration is running: waiting for it to finish")
        await connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
    await connection.commit()


async def _unlock(connection: AsyncConnection) -> None:
    await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
    await connection.commit()


async def run_migrations_online() -> None:
    engine = create_engine(_url())
    try:
        async with engine.connect() as connection:
            locking = connection.dialect.name == "postgresql"
            if locking:
                await _lock(connection)
            try:
                await connection.run_sync(_run)
            finally:
                if locking:
                    # A connection that broke releases the lock as it closes (engine.dispose below): the error that
                    # broke it is the one to report.
                    with contextlib.suppress(Exception):
                        await _unlock(connection)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
