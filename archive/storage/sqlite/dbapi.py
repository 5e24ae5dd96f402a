"""SQLAlchemy's aiosqlite adapter, with one trip to the driver's thread per statement.

aiosqlite runs every call on a connection in that connection's own thread; each call is a trip there
and back through the event loop (a queue, a thread wake-up, a loop wake-up), tens of microseconds on a
quiet machine and more on a busy one. SQLAlchemy's adapter makes four trips a statement: create a
cursor, execute, fetch all rows, close the cursor; and one more to roll back a connection that holds no
transaction. A read of one fact costs more in trips than in SQLite.

`OneTripDBAPI` is SQLAlchemy's own aiosqlite DBAPI shim with a cursor that does all four steps as one
function in the driver's thread, and a rollback that stays home when SQLite has no transaction open.
The engine takes it through `create_async_engine(..., module=...)`; the URL, the dialect and its
pool are SQLAlchemy's. Server-side cursors (`stream()`) keep SQLAlchemy's cursor.

Functions are queued to the thread the way aiosqlite's own methods do it (`Connection._execute`;
SQLAlchemy's adapter uses the same queue to set the isolation level). aiosqlite and SQLAlchemy are
pinned by uv.lock, and every SQLite statement of the test suite but the point reads
(`archive.storage.sqlite.point_reads`, which skip the thread) runs through here.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.util import EMPTY_DICT, await_

T = TypeVar("T")

#: What one statement leaves behind: description, rows, rowcount, lastrowid.
_Outcome = tuple[Any, list[Any], int, int | None]


def in_driver_thread(driver: aiosqlite.Connection, work: Callable[..., T], *args: Any) -> Awaitable[T]:
    """`work(sqlite3_connection, *args)`, queued to the thread of an aiosqlite connection."""
    return driver._execute(work, driver._conn, *args)  # type: ignore[no-untyped-call]


async def run_in_sqlite_thread(conn: AsyncConnection, work: Callable[..., T], *args: Any) -> T:
    """Run `work(sqlite3_connection, *args)` in the thread that owns `conn`'s SQLite connection.

    Several statements as one function are one trip, and the function sees them all at once.
    """
    driver = (await conn.get_raw_connection()).driver_connection
    if not isinstance(driver, aiosqlite.Connection):
        raise TypeError(f"not an aiosqlite connection: {driver!r}")
    return await in_driver_thread(driver, work, *args)


def immediate_transaction(db: sqlite3.Connection, work: Callable[..., T], *args: Any) -> T:
    """`work(db, *args)` in a write transaction of its own: BEGIN IMMEDIATE, then COMMIT or ROLLBACK.

    Meant for `run_in_sqlite_thread`, so that the whole transaction is one trip.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        result = work(db, *args)
    except BaseException:
        db.rollback()
        raise
    db.commit()
    return result


def _statement(db: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """Execute, fetch everything and close, in the driver's thread."""
    cursor = db.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose statement, with all its rows, is one trip to the driver's thread."""

    __slots__ = ("_arraysize", "_outcome")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # SQLAlchemy's cursor opens a driver cursor here (a trip); this one opens it with each statement.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._outcome: _Outcome = (None, [], -1, None)
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._outcome[0]

    @property
    def rowcount(self) -> int:
        return self._outcome[2]

    @property
    def lastrowid(self) -> Any:
        return self._outcome[3]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            await_(self._run(operation, parameters, many=False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        try:
            await_(self._run(operation, seq_of_parameters, many=True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            self._outcome = await in_driver_thread(driver, _statement, operation, parameters, many)
        self._rows = collections.deque(self._outcome[1])

    async def _async_soft_close(self) -> None:
        return  # the driver's cursor is closed already

    def close(self) -> None:
        self._rows.clear()

    def nextset(self) -> None:
        raise NotImplementedError("SQLite has one result set a statement")

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's adapted connection, with `OneTripCursor` and a rollback only when one is due."""

    __slots__ = ()
    _cursor_cls = OneTripCursor  # type: ignore[assignment]

    def rollback(self) -> None:
        # The pool rolls back every connection it gets back; with no transaction open that is a
        # trip for nothing. `in_transaction` reads SQLite's own autocommit flag.
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        if driver._connection is not None and driver.in_transaction:
            super().rollback()


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite DBAPI shim, handing out `OneTripConnection`s."""

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


def one_trip_dbapi() -> OneTripDBAPI:
    """The DBAPI module to give `create_async_engine(..., module=...)` for a SQLite URL."""
    return OneTripDBAPI(aiosqlite, sqlite3)
