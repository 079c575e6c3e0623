"""SQLite through aiosqlite with one thread hop per SQL statement.

aiosqlite runs each call on its own thread and hands the result back to the event loop; SQLAlchemy's adapter makes
three or four such calls per statement (open a cursor, execute, fetch the rows, close the cursor). Each hop wakes a
thread and then the event loop, which on a busy machine costs more than the statement itself: a reply of about twenty
statements made about seventy hops. This cursor does the four steps in one function on aiosqlite's thread, so a
statement is one hop; and the pool's rollback after a commit is left out when nothing ran since. Everything else (the
connection's commit and rollback, server-side cursors, the error translation) is SQLAlchemy's own; the module is
passed as the engine's DBAPI (``create_async_engine(module=...)``, documented), so the URL stays
``sqlite+aiosqlite://``.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

# What a statement leaves behind: description, rowcount, lastrowid, rows.
_Outcome = tuple[Any, int, Any, list[Any]]


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """On aiosqlite's thread: one statement from cursor to rows."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement runs in one call on the connection's thread (no aiosqlite cursor)."""

    __slots__ = ("_outcome",)
    _awaitable_cursor_close = False  # nothing is open on the thread between statements

    def __init__(self, adapt_connection: Any) -> None:  # no super().__init__: it opens an aiosqlite cursor (a hop)
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._outcome: _Outcome = (None, -1, None, [])

    @property
    def description(self) -> Any:
        return self._outcome[0]

    @property
    def rowcount(self) -> int:
        return self._outcome[1]

    @property
    def lastrowid(self) -> int:
        return self._outcome[2]  # None before the first INSERT, as sqlite3 has it

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass  # the rows are fetched whole

    async def _async_soft_close(self) -> None:
        pass

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(self._run(operation, parameters, many=False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        try:
            return await_(self._run(operation, seq_of_parameters, many=True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _run(self, operation: str, parameters: Any, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            self._outcome = await connection._execute(_run, connection._conn, operation, parameters, many)
        self._rows = collections.deque(self._outcome[3])

    def nextset(self) -> None:
        return None

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """The connection skips the pool's rollback when nothing ran since the last commit or rollback: every transaction
    is begun by a statement (``isolation_level=None``, hub.db), so none can be open, and the hop is saved (two a
    request). A statement cut off by cancellation counts as run, so its connection is still rolled back."""

    __slots__ = ("_used",)
    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._used = True  # unknown until the first commit or rollback

    def cursor(self, server_side: bool = False) -> Any:
        self._used = True
        return super().cursor(server_side)

    def commit(self) -> None:
        super().commit()
        self._used = False

    def rollback(self) -> None:
        if self._used:
            super().rollback()
            self._used = False


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite DBAPI of SQLAlchemy, with connections that use :class:`OneHopCursor`."""

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        connection = self.aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True  # as SQLAlchemy does: an open connection does not keep the process alive
        return OneHopConnection(self, await_(connection))


def one_hop_dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
