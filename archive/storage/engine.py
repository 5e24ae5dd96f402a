"""The engine factory and what every backend shares: the metadata with its naming convention, JSON text,
the lock timeout, table names as a connection sends them, and the write transaction's shape."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import MetaData, Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)
_json_encoder = msgspec.json.Encoder()

_json_encoder = msgspec.json.Encoder()

#: How long a statement waits for a lock another connection holds (SQLite's write lock, PostgreSQL's
#: append lock) before the database gives up; `ARCHIVE_LOCK_TIMEOUT_MS` sets it for the service.
LOCK_TIMEOUT_MS = 30_000

#: SQLite's answers for "another connection holds the lock", and PostgreSQL's `lock_not_available`
#: (raised when `lock_timeout` runs out).
SQLITE_BUSY_ERRORS = frozenset(
    {"SQLITE_BUSY", "SQLITE_BUSY_RECOVERY", "SQLITE_BUSY_SNAPSHOT", "SQLITE_LOCKED"}
)
_POSTGRES_LOCK_NOT_AVAILABLE = "55P03"


def _error_chain(error: BaseException) -> Iterator[BaseException]:
    """`error` and the driver errors behind it, each once.

    SQLAlchemy keeps the driver's error as `orig`; the asyncpg adapter keeps asyncpg's as the cause.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = getattr(current, "orig", None) or current.__cause__


def _postgres_state(error: BaseException) -> tuple[object, object]:
    """The SQLSTATE as asyncpg (`sqlstate`) or SQLAlchemy's adapter (`pgcode`) carries it."""
    return getattr(error, "sqlstate", None), getattr(error, "pgcode", None)


def is_lock_timeout(error: BaseException) -> bool:
    """Whether `error` (a driver's, or SQLAlchemy's wrapping one) says a lock wait ran out."""
    return any(
        getattr(each, "sqlite_errorname", None) in SQLITE_BUSY_ERRORS
        or _POSTGRES_LOCK_NOT_AVAILABLE in _postgres_state(each)
        for each in _error_chain(error)
    )


def json_text(value: Any) -> str:
    """JSON columns' text, written by msgspec (several times faster than `json.dumps`; same JSON)."""
    return _json_encoder.encode(value).decode()


#: PostgreSQL's `undefined_table`.
_POSTGRES_UNDEFINED_TABLE = "42P01"


def is_missing_table(error: BaseException) -> bool:
    """Whether `error` says a table does not exist (a database the migrations have not reached)."""
    return any(
        "no such table" in str(each)  # SQLite's only sign of it is the message
        or _POSTGRES_UNDEFINED_TABLE in _postgres_state(each)
        for each in _error_chain(error)
    )


def stored_utc(moment: datetime) -> datetime:
    """A time as a database hands it back, as aware UTC (SQLite keeps no zone: what it holds is UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def schema_of(conn: AsyncConnection) -> str | None:
    """The schema `conn`'s `schema_translate_map` sends unqualified tables to (None: their own)."""
    sync = conn.sync_connection
    options = sync.get_execution_options() if sync is not None else {}
    translate = options.get("schema_translate_map") or {}
    schema = translate.get(None)
    return None if schema is None else str(schema)


def table_name_on(conn: AsyncConnection, table: Table) -> str:
    """`table`'s quoted name as `conn` sends it (in the schema its `schema_translate_map` names)."""
    schema = schema_of(conn) or table.schema
    return f'"{schema}"."{table.name}"' if schema else f'"{table.name}"'


@asynccontextmanager
async def transaction_on(conn: AsyncConnection, commit: bool) -> AsyncIterator[None]:
    """A transaction on `conn` that commits at the end (or always rolls back, without `commit`), and
    rolls back on any error."""
    transaction = await conn.begin()
    try:
        yield
    except BaseException:
        await transaction.rollback()
        raise
    if commit:
        await transaction.commit()
    else:
        await transaction.rollback()


def create_engine(
    url: str,
    lock_timeout_ms: int = LOCK_TIMEOUT_MS,
    connect_timeout_ms: int | None = None,
    **kwargs: Any,
) -> AsyncEngine:
    """Create the async engine for `url`, with the SQLite transaction and pragma handling installed.

    `lock_timeout_ms` bounds a wait for a lock another connection holds: past it the statement fails
    with an error `is_lock_timeout` recognises, which the API answers with 503 and Retry-After.
    `connect_timeout_ms` bounds opening a PostgreSQL connection (the driver's default otherwise); past
    it the connection fails with `TimeoutError`. A SQLite file opens at once and ignores it.
    """
    kwargs.setdefault("json_serializer", json_text)
    kwargs.setdefault("json_deserializer", msgspec.json.decode)
    if url.startswith("sqlite"):
        from archive.storage.sqlite import engine as sqlite_engine

        return sqlite_engine.create(url, lock_timeout_ms, kwargs)
    from archive.storage.postgres import driver as postgres

    return create_async_engine(url, **postgres.engine_options(lock_timeout_ms, kwargs, connect_timeout_ms))
