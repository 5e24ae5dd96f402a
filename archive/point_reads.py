"""Point reads: one short statement (an indexed lookup, a handful of rows), run where it costs least.

On a SQLite file, a point read costs SQLite tens of microseconds, and a trip to aiosqlite's thread more
than that: a queue, a thread wake-up, a loop wake-up, and the GIL handed back and forth, which under
load is most of a request (bench case 7 on SQLite, as-of/hello-JSON requests a second: 0.23 with the
fact read of `GET /facts/{id}` through aiosqlite, 0.33 on the event loop's own thread). `PointReads`
runs such a statement on the calling thread through a synchronous engine on the same file: SQLAlchemy's
pysqlite dialect, so the statement compiles and its rows come back exactly as through the async engine.
Each thread keeps one connection, `query_only`, outside any transaction (each statement reads the
latest commit, as a one-statement read of the async engine does), that never waits for a lock: where
SQLite answers busy (a writer not in WAL mode, a recovery), the read takes the ordinary way, through
the async engine, which may wait.

Only bounded statements belong here: a read that scans blocks every request of the process meanwhile.
On PostgreSQL and on an in-memory SQLite database, a point read is an ordinary read of the async engine.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
from sqlalchemy import Connection, Engine, Executable, create_engine, event
from sqlalchemy.engine import Row
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import ConnectionPoolEntry

from archive.db import json_text, sqlite_path


def _on_connect(dbapi_connection: sqlite3.Connection, _: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None  # no BEGIN: each statement is its own read
    dbapi_connection.execute("PRAGMA query_only=ON")
    dbapi_connection.execute("PRAGMA busy_timeout=0")


def _busy(error: OperationalError) -> bool:
    return isinstance(error.orig, sqlite3.OperationalError) and error.orig.sqlite_errorname in (
        "SQLITE_BUSY",
        "SQLITE_BUSY_RECOVERY",
        "SQLITE_BUSY_SNAPSHOT",
        "SQLITE_LOCKED",
    )


class PointReads:
    """Point reads against `engine`'s database; on a SQLite file, on the calling thread."""

    def __init__(self, engine: AsyncEngine, ordinary: AsyncEngine | None = None) -> None:
        """`ordinary` is the engine (or engine with options) a read takes when it cannot run inline."""
        self.engine = engine
        self.ordinary = ordinary or engine
        self.path = sqlite_path(engine.url.render_as_string(hide_password=False))
        self._inline: Engine | None = None
        self._local = threading.local()  # each thread's connection to the file, kept between reads
        self._held: list[Connection] = []

    @property
    def inline(self) -> bool:
        """Whether reads run on the calling thread (a SQLite file)."""
        return self.path is not None

    def _connection(self) -> Connection:
        """This thread's connection: checked out once and kept (a checkout cost a quarter of a read)."""
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._inline is None:
                self._inline = create_engine(
                    f"sqlite:///{self.path}",
                    json_serializer=json_text,
                    json_deserializer=msgspec.json.decode,
                    connect_args={"check_same_thread": False},  # closed by whichever thread disposes
                    pool_size=1,
                    max_overflow=8,
                )
                event.listen(self._inline, "connect", _on_connect)
                # Closed with the async engine (the app's lifespan disposes of that one).
                event.listen(self.engine.sync_engine, "engine_disposed", lambda _: self.close())
            conn = self._local.conn = self._inline.connect()
            self._held.append(conn)
        return conn

    def close(self) -> None:
        """Close every thread's connection and the synchronous engine (a later read opens them again)."""
        held, self._held, self._local = self._held, [], threading.local()
        for conn in held:
            conn.close()
        if self._inline is not None:
            self._inline.dispose()

    async def all(self, statement: Executable, parameters: Mapping[str, Any]) -> Sequence[Row[Any]]:
        """Every row `statement` returns with `parameters`."""
        if self.path is not None:
            conn = self._connection()
            try:
                return conn.execute(statement, dict(parameters)).all()
            except OperationalError as error:
                if not _busy(error):
                    raise
            finally:
                conn.rollback()  # SQLAlchemy's transaction only: the driver opened none
        async with self.ordinary.connect() as ordinary:
            return (await ordinary.execute(statement, dict(parameters))).all()
