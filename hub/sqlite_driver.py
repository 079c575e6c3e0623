"""SQLite through aiosqlite with one thread hop per SQL statement.

aiosqlite runs each call on its own thread and hands the result back to the event loop; SQLAlchemy's adapter makes
three or four such calls per statement (open a cursor, execute, fetch the rows, close the cursor). Each hop wakes a
thread and then the event loop, which on a busy machine costs more than the statement itself: a reply of about twenty
statements made about seventy hops. This cursor does the four steps in one function on aiosqlite's thread, so a
statement is one hop. Everything else (the connection, its commit and rollback, server-side cursors, the error
translation) is SQLAlchemy's own; the module is passed as the engine's DBAPI (``create_async_engine(module=...)``,
documented), so the URL stays ``sqlite+aiosqlite://``.
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
_Outcome = tuple[Any, int, int | None, list[Any]]


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
        return self._outcome[2] or 0

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
    __slots__ = ()
    _cursor_cls = OneHopCursor


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite DBAPI of SQLAlchemy, with connections that use :class:`OneHopCursor`."""

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        connection = self.aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True  # as SQLAlchemy does: an open connection does not keep the process alive
        return OneHopConnection(self, await_(connection))


def one_hop_dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
