"""Database plumbing: the metadata with its naming convention, and the engine factory.

SQLite gets WAL, foreign keys and a busy timeout on every connection. The driver's own implicit BEGIN is
switched off so that a write transaction can start with `BEGIN IMMEDIATE` (taking the write lock at the
start, which makes the global position order equal the commit order).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import ClauseElement, Dialect, FromClause, MetaData, event
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.compiler import SQLCompiler

from archive.aiosqlite_adapter import one_trip_dbapi

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)
_json_encoder = msgspec.json.Encoder()

#: Execution option naming how a transaction begins on SQLite ("IMMEDIATE" for writers; None for none).
SQLITE_BEGIN = "archive_sqlite_begin"
#: How long a statement waits for a lock another connection holds (SQLite's write lock, PostgreSQL's
#: append lock) before the database gives up; `ARCHIVE_LOCK_TIMEOUT_MS` sets it for the service.
LOCK_TIMEOUT_MS = 30_000

#: SQLite's answers for "another connection holds the lock", and PostgreSQL's `lock_not_available`
#: (raised when `lock_timeout` runs out).
SQLITE_BUSY_ERRORS = frozenset(
    {"SQLITE_BUSY", "SQLITE_BUSY_RECOVERY", "SQLITE_BUSY_SNAPSHOT", "SQLITE_LOCKED"}
)
_POSTGRES_LOCK_NOT_AVAILABLE = "55P03"


def is_lock_timeout(error: BaseException) -> bool:
    """Whether `error` (a driver's, or SQLAlchemy's wrapping one) says a lock wait ran out."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "sqlite_errorname", None) in SQLITE_BUSY_ERRORS:
            return True
        codes = (getattr(current, "sqlstate", None), getattr(current, "pgcode", None))
        if _POSTGRES_LOCK_NOT_AVAILABLE in codes:
            return True
        # SQLAlchemy keeps the driver's error as `orig`; the asyncpg adapter keeps asyncpg's as the cause.
        current = getattr(current, "orig", None) or current.__cause__
    return False


def _sqlite_pragmas(busy_timeout_ms: int) -> Callable[[Any, ConnectionPoolEntry], None]:
    def on_connect(dbapi_connection: Any, _: ConnectionPoolEntry) -> None:
        # No isinstance(sqlite3.Connection) guard: aiosqlite's adapted connection would fail it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    return on_connect


def _sqlite_from_hint(self: SQLiteCompiler, table: FromClause, text: str | None) -> str | None:
    return text


# `Select.with_hint(table, "INDEXED BY ix_...", dialect_name="sqlite")` is SQLAlchemy's way to name the
# index a query must use, and SQLite has the syntax, but SQLAlchemy's SQLite compiler drops FROM hints.
# It renders them after the table name, as the base compiler does for the dialects that support them.
SQLiteCompiler.get_from_hint_text = _sqlite_from_hint  # type: ignore[method-assign,assignment]


def _on_sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
    if mode is not None:  # None: no transaction, for a read of one statement (consistent by itself)
        conn.exec_driver_sql(f"BEGIN {mode}")


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for an in-memory database or another backend."""
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[1] if ":///" in url else ""
    return None if path in ("", ":memory:") else Path(path)


def json_text(value: Any) -> str:
    """JSON columns' text, written by msgspec (several times faster than `json.dumps`; same JSON)."""
    return _json_encoder.encode(value).decode()


class DriverStatement:
    """A statement compiled once for `dialect` and run by the driver itself, with SQLAlchemy's own bind
    and result processors: the SQL and values SQLAlchemy would send, and the values it would return,
    without its execution path (the compiled-cache lookup, the execution context, the result object),
    which costs more than a SQLite point read or insert itself.

    Parameters are given by name; those the statement carries itself (a LIMIT, a JSON path) are bound
    here once. A SELECT's rows come back as named tuples of its selected columns' keys. Statements that
    render their parameters at run time (an expanding IN) are refused: SQLAlchemy's path is for those.
    """

    def __init__(
        self, statement: ClauseElement, dialect: Dialect, column_keys: Sequence[str] | None = None
    ) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(column_keys or ()) or None)
        assert isinstance(compiled, SQLCompiler)
        if compiled.post_compile_params or compiled.literal_execute_params:
            raise TypeError("a statement with parameters rendered at run time cannot run by the driver")
        self.sql = str(compiled)
        self._names: list[str] = list(compiled.positiontup or ())
        self._bind: dict[str, Callable[[Any], Any] | None] = {}
        self._carried: dict[str, Any] = {}
        for name in self._names:
            bind = compiled.binds[name]
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            self._bind[name] = process
            if not bind.required:
                value = bind.effective_value
                self._carried[name] = value if process is None else process(value)
        selected = list(getattr(statement, "selected_columns", ()))
        self.row: Any = namedtuple("row", [c.key for c in selected], rename=True)  # type: ignore[misc]
        processors = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in selected]
        self._results = [(index, p) for index, p in enumerate(processors) if p is not None]

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The driver's positional values for named `values` (processed as SQLAlchemy would)."""
        out = []
        for name in self._names:
            if name in values:
                process = self._bind[name]
                out.append(values[name] if process is None else process(values[name]))
            elif name in self._carried:
                out.append(self._carried[name])
            else:
                raise ValueError(f"a value is required for the parameter {name!r}")
        return tuple(out)

    def rows(self, fetched: Sequence[Sequence[Any]]) -> list[Any]:
        """Rows as the driver fetched them, with each column processed as SQLAlchemy would."""
        make, results = self.row._make, self._results
        if not results:
            return [make(raw) for raw in fetched]
        processed = []
        for raw in fetched:
            values = list(raw)
            for index, process in results:
                values[index] = process(values[index])
            processed.append(make(values))
        return processed


async def postgres_driver(conn: AsyncConnection, in_transaction: bool = True) -> Any:
    """The asyncpg connection behind `conn`, for COPY and for calls SQLAlchemy would slow down.

    SQLAlchemy's asyncpg adapter opens the driver's transaction on its first statement, so unless the
    caller wants autocommit (`in_transaction=False`) that statement is sent here first.
    """
    driver = (await conn.get_raw_connection()).driver_connection
    if driver is None:
        raise RuntimeError("the connection has no driver connection")
    if in_transaction and not driver.is_in_transaction():
        await conn.exec_driver_sql("SELECT 1")
    return driver


def create_engine(url: str, lock_timeout_ms: int = LOCK_TIMEOUT_MS, **kwargs: Any) -> AsyncEngine:
    """Create the async engine for `url`, with the SQLite transaction and pragma handling installed.

    `lock_timeout_ms` bounds a wait for a lock another connection holds: past it the statement fails
    with an error `is_lock_timeout` recognises, which the API answers with 503 and Retry-After.
    """
    kwargs.setdefault("json_serializer", json_text)
    kwargs.setdefault("json_deserializer", msgspec.json.decode)
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": lock_timeout_ms / 1000})
        kwargs.setdefault("module", one_trip_dbapi())  # one trip to aiosqlite's thread per statement
        if path is not None:  # a file: SQLAlchemy's queue pool (5 + 10 overflow), every connection kept
            kwargs.setdefault("pool_size", 15)
            kwargs.setdefault("max_overflow", 0)
    else:
        # Up to 30 connections, all kept once opened: an overflow connection is closed when it comes back,
        # so a server busier than the pool size opened a new PostgreSQL session (a backend fork) for most
        # requests (bench case 7). The ceiling is the same 30 as before (10 + 20 overflow).
        kwargs.setdefault("pool_size", 30)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("connect_args", {"server_settings": {"lock_timeout": str(int(lock_timeout_ms))}})
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(lock_timeout_ms))
        event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    return engine
