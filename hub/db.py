"""The async engine and session factory (SQLite by default, PostgreSQL by URL), and shared column types."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, event, func
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.errors import OutcomeUnknown
from hub.sqlite_driver import one_hop_dbapi


def new_id() -> str:
    """Primary keys are random UUIDs made in Python: encrypted fields bind their row id before insert."""
    return uuid.uuid4().hex


ID_RE = re.compile(r"[0-9a-f]{32}")


def is_id(value: str | None) -> bool:
    """Is ``value`` shaped like a hub id (:func:`new_id`)? Anything else is looked up nowhere."""
    return value is not None and ID_RE.fullmatch(value) is not None


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset; PostgreSQL uses timestamptz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store timezone-aware moments")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


SQLITE_UNICODE_LOWER = "hub_unicode_lower"


def _lower(value: str | None) -> str | None:
    return value.lower() if value is not None else None


def unicode_lower(dialect: str, value: Any) -> Any:
    """``lower(value)`` that folds every letter on both backends (an SQL expression)."""
    return getattr(func, SQLITE_UNICODE_LOWER)(value) if dialect == "sqlite" else func.lower(value)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    # A database error quotes its statement; its parameters (e-mail addresses, ids of people) stay out of it.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        # One thread hop per statement instead of three or four (hub.sqlite_driver).
        kwargs.setdefault("module", one_hop_dbapi())
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
            # SQLite's own lower() folds ASCII only; searches that must find "Ünal" by "ünal" use this one (PostgreSQL's
            # lower() folds every letter already): see :func:`unicode_lower`.
            dbapi_conn.create_function(SQLITE_UNICODE_LOWER, 1, _lower, deterministic=True)
            # The driver's own transaction handling starts a transaction only before the first INSERT/UPDATE/DELETE,
            # so a SAVEPOINT before it commits on RELEASE and earlier reads see no consistent snapshot. Switch it off
            # and begin every transaction ourselves (SQLAlchemy's documented recipe for pysqlite/aiosqlite).
            dbapi_conn.isolation_level = None

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock at the start, waiting up to busy_timeout for it. A deferred transaction
            # that reads and then writes fails at once (SQLITE_BUSY_SNAPSHOT) when another write came in between;
            # with one writer at a time every transaction sees and changes a consistent database.
            if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_async_engine(url, pool_pre_ping=True, **kwargs)


# A session's ``info`` key: the path of the audit head file that committed audit records go to (hub.audit.head).
AUDIT_HEAD_FILE_INFO = "hub.audit_head_file"


def session_factory(engine: AsyncEngine, *, audit_head_file: Path | None = None) -> async_sessionmaker[AsyncSession]:
    """Sessions on ``engine``; with ``audit_head_file``, the audit records they commit are written there too."""
    info = {AUDIT_HEAD_FILE_INFO: str(audit_head_file)} if audit_head_file is not None else {}
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False, info=info)


async def commit_or_unknown(db: AsyncSession, what: str) -> None:
    """Commit; if that fails, whether it took effect is unknown (the answer may be what was lost): OutcomeUnknown."""
    try:
        await db.commit()
    except Exception as exc:
        raise OutcomeUnknown(what) from exc


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit when the block ends normally, roll back on any exception."""
    async with factory() as session, session.begin():
        yield session
