"""Point reads: one short statement (an indexed lookup, a handful of rows), run where it costs least.

On a SQLite file, a point read costs SQLite tens of microseconds, and a trip to aiosqlite's thread more
than that: a queue, a thread wake-up, a loop wake-up, and the GIL handed back and forth, which under
load is most of a request (bench case 7 on SQLite, as-of/hello-JSON requests a second: 0.23 with the
fact read of `GET /facts/{id}` through aiosqlite, 0.33 on the event loop's own thread). `PointReads`
runs such a statement on the calling thread, with `sqlite3` on the same file: the statement is compiled
once by the async engine's dialect and run by the driver with SQLAlchemy's own bind and result
processors (`archive.db.DriverStatement`), so it sends the same SQL and returns the same values as the
async engine would, without SQLAlchemy's execution path, which cost more than the read itself.
Each thread keeps one connection, `query_only`, outside any transaction (each statement reads the
latest commit, as a one-statement read of the async engine does), that never waits for a lock: where
SQLite answers busy (a writer not in WAL mode, a recovery), the read takes the ordinary way, through
the async engine, which may wait. Other driver errors are raised as SQLAlchemy's (`DBAPIError`).

Only bounded statements belong here: a read that scans blocks every request of the process meanwhile.
On PostgreSQL and on an in-memory SQLite database, a point read is an ordinary read of the async engine.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.storage.driver import DriverStatement
from archive.storage.engine import SQLITE_BUSY_ERRORS
from archive.storage.sqlite.engine import sqlite_path


class PointReads:
    """Point reads against `engine`'s database; on a SQLite file, on the calling thread."""

    def __init__(self, engine: AsyncEngine, ordinary: AsyncEngine | None = None) -> None:
        """`ordinary` is the engine (or engine with options) a read takes when it cannot run inline."""
        self.engine = engine
        self.ordinary = ordinary or engine
        self.path = sqlite_path(engine.url.render_as_string(hide_password=False))
        self._local = threading.local()  # each thread's connection to the file, kept between reads
        self._held: list[sqlite3.Connection] = []
        # Statements are meant to be built once (module constants); one built per call is compiled per
        # call, and is forgotten with it.
        self._compiled: weakref.WeakKeyDictionary[Select[Any], DriverStatement] = weakref.WeakKeyDictionary()
        self._closes_with_engine = False

    @property
    def inline(self) -> bool:
        """Whether reads run on the calling thread (a SQLite file)."""
        return self.path is not None

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection: opened once and kept (a checkout cost a quarter of a read)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            if not self._closes_with_engine:  # the app's lifespan disposes of the async engine
                event.listen(self.engine.sync_engine, "engine_disposed", lambda _: self.close())
                self._closes_with_engine = True
            # No BEGIN (each statement is its own read); closed by whichever thread disposes.
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)  # type: ignore[arg-type]
            db.execute("PRAGMA query_only=ON")
            db.execute("PRAGMA busy_timeout=0")
            self._local.db = db
            self._held.append(db)
        return db

    def close(self) -> None:
        """Close every thread's connection (a later read opens one again)."""
        held, self._held, self._local = self._held, [], threading.local()
        for db in held:
            db.close()

    def compiled(self, statement: Select[Any]) -> DriverStatement:
        """`statement` as this database's driver runs it (compiled on first use)."""
        found = self._compiled.get(statement)
        if found is None:
            found = self._compiled[statement] = DriverStatement(statement, self.engine.dialect)
        return found

    async def all(self, statement: Select[Any], parameters: Mapping[str, Any]) -> Sequence[Any]:
        """Every row `statement` returns with `parameters` (attributes named for its columns)."""
        if self.path is not None:
            driver = self.compiled(statement)
            values = driver.parameters(parameters)
            try:
                return driver.rows(self._connection().execute(driver.sql, values).fetchall())
            except sqlite3.Error as error:
                if getattr(error, "sqlite_errorname", None) not in SQLITE_BUSY_ERRORS:
                    raise DBAPIError.instance(driver.sql, values, error, sqlite3.Error) from error
        async with self.ordinary.connect() as ordinary:
            rows: Sequence[Any] = (await ordinary.execute(statement, dict(parameters))).all()
        return rows
