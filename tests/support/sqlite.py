"""Reading a test's own SQLite file: move the write-ahead log into it first."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine


async def sqlite_checkpoint(engine: AsyncEngine) -> None:
    """Checkpoint the WAL into the database file (outside any transaction, as SQLite requires)."""
    async with engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
