"""SQLite's engine: WAL, foreign keys and a busy timeout on every connection, and the driver's own implicit
BEGIN switched off so that a write transaction can start with `BEGIN IMMEDIATE` (taking the write lock at
the start, which makes the global position order equal the commit order)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import FromClause, event
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from archive.eventstore.redaction import content_sha256
from archive.storage.sqlite.dbapi import one_trip_dbapi

#: Execution option naming how a transaction begins on SQLite ("IMMEDIATE" for writers; None for none).
SQLITE_BEGIN = "archive_sqlite_begin"


def canonical_sha256(stored: str | bytes | None) -> str | None:
    """`archive_canonical_sha256(data)`: the digest a redaction marker holds, for the `events` trigger
    (SQLite has no sha256 of its own; migrations/versions/0010_redaction.py). NULL for what is not JSON."""
    if stored is None:
        return None
    try:
        return content_sha256(msgspec.json.decode(stored))
    except msgspec.DecodeError:
        return None


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
        dbapi_connection.create_function("archive_canonical_sha256", 1, canonical_sha256, deterministic=True)

    return on_connect


def _sqlite_from_hint(self: SQLiteCompiler, table: FromClause, text: str | None) -> str | None:
    return text


def install_index_hints() -> None:
    """Make SQLAlchemy's SQLite compiler render FROM hints (`INDEXED BY ix_...`).

    `Select.with_hint(table, "INDEXED BY ix_...", dialect_name="sqlite")` is SQLAlchemy's way to name the
    index a query must use, and SQLite has the syntax, but SQLAlchemy's SQLite compiler drops FROM hints.
    It renders them after the table name, as the base compiler does for the dialects that support them.
    The patch is global to SQLAlchemy's SQLite compiler, so it is installed by the engine factory, on
    purpose, rather than as a side effect of an import.
    """
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


def create(url: str, lock_timeout_ms: int, kwargs: dict[str, Any]) -> AsyncEngine:
    """A SQLite engine for `url` (its folder made), with the pragmas and the BEGIN handling installed."""
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("connect_args", {"timeout": lock_timeout_ms / 1000})
    kwargs.setdefault("module", one_trip_dbapi())  # one trip to aiosqlite's thread per statement
    if path is not None:  # a file: SQLAlchemy's queue pool (5 + 10 overflow), every connection kept
        kwargs.setdefault("pool_size", 15)
        kwargs.setdefault("max_overflow", 0)
    install_index_hints()
    engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas(lock_timeout_ms))
    event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    return engine
