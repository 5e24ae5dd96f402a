"""Appending on PostgreSQL: one call of the server-side function `archive_append` (migrations 0004, 0011).

It takes the append lock, checks that each continued stream's expected version exists and that each
stream the decision only read is still at the version it was read at, chains with
`sha256()` over the canonical bytes built here, and inserts, so a lone append is one round trip in
autocommit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import asyncpg
import msgspec
from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.eventstore.errors import ConcurrencyError
from archive.eventstore.hashing import canonical_row
from archive.storage import BatchWrites, positional
from archive.storage.engine import json_text
from archive.storage.postgres.batch import batch_parts
from archive.storage.postgres.driver import postgres_driver

#: The PostgreSQL advisory lock key that serialises appends (any constant; this one spells "EVTS").
APPEND_LOCK_KEY = 0x45565453
#: The lock of the read model that follows the log (the findings), which a one-trip append does not take:
#: a catch-up holds it alone, and a write transaction takes it before the append lock (spells "FLLW").
FOLLOW_LOCK_KEY = 0x464C4C57

#: The server-side append of migration 0011, with asyncpg's positional parameters.
_APPEND_CALL = (
    "SELECT event_position, event_prev_hash, event_hash FROM archive_append("
    "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
)
#: The SQLSTATE `archive_append` raises when an expected version does not exist, or a stream that was
#: read has moved past the version it was read at.
_MISSING_VERSION_STATE = "AR409"


def _append_arguments(
    rows: list[dict[str, Any]],
    continuing: list[tuple[str, int]],
    read: Sequence[tuple[str, int]],
    metadata: dict[str, Any],
    recorded_at: datetime,
) -> list[Any]:
    """`archive_append`'s arguments, in its order."""
    return [
        APPEND_LOCK_KEY,
        [stream for stream, _ in continuing],
        [version for _, version in continuing],
        [stream for stream, _ in read],
        [version for _, version in read],
        [row["stream_id"] for row in rows],
        [row["stream_version"] for row in rows],
        [row["event_type"] for row in rows],
        [row["schema_version"] for row in rows],
        [json_text(row["data"]) for row in rows],
        json_text(metadata),
        recorded_at,
        [canonical_row(row, recorded_at) for row in rows],
    ]


async def _call(driver: Any, statement: str, args: list[Any]) -> list[tuple[int, str, str]]:
    """Run a statement that calls `archive_append`, its refusals as the store's errors."""
    try:
        result = await driver.fetch(statement, *args)
    except asyncpg.PostgresError as error:
        if error.sqlstate == _MISSING_VERSION_STATE:
            detail = msgspec.json.decode(getattr(error, "detail", None) or "{}")
            raise ConcurrencyError(str(detail["stream_id"]), int(detail["version"])) from None
        if isinstance(error, asyncpg.UniqueViolationError):
            raise IntegrityError(statement, None, error) from error
        raise
    return [(position, prev_hash, hash_) for position, prev_hash, hash_ in result]


async def insert_events(
    conn: AsyncConnection,
    rows: list[dict[str, Any]],
    continuing: list[tuple[str, int]],
    metadata: dict[str, Any],
    recorded_at: datetime,
    own_transaction: bool,
    read: Sequence[tuple[str, int]] = (),
) -> list[tuple[int, str, str]]:
    """One call of `archive_append`: lock, check, chain and insert on the server.

    The call goes to asyncpg directly (its statement cache keeps it prepared): through SQLAlchemy the
    same call took twice as long on the client as on the server. With `own_transaction` the
    connection is in autocommit and the call is its own transaction.
    """
    driver = await postgres_driver(conn, in_transaction=not own_transaction)
    return await _call(driver, _APPEND_CALL, _append_arguments(rows, continuing, read, metadata, recorded_at))


async def append_and_project(
    conn: AsyncConnection,
    rows: list[dict[str, Any]],
    continuing: list[tuple[str, int]],
    read: Sequence[tuple[str, int]],
    metadata: dict[str, Any],
    recorded_at: datetime,
    writes: BatchWrites,
    qualified: Callable[[Table], str],
) -> list[tuple[int, str, str]]:
    """A decided command's write as one statement in autocommit: `archive_append` in a CTE, the
    projection's writes in CTEs that read the positions it gave, the events' links as the result.

    The lock is taken inside the statement and held until it commits, with no round trip and no
    Python in between. The result is read from the append's CTE, which the executor runs before the
    other data-modifying CTEs (it runs the main query first, then the CTEs it has not run); the
    projection's writes name the positions anyway, so they cannot run before it.
    """
    args = _append_arguments(rows, continuing, read, metadata, recorded_at)
    inserts = {table: positional(values) for table, values in writes.inserts.items()}
    parts, args = batch_parts(
        qualified, writes.closes, writes.close_tables, inserts, writes.checkpoint, args, placed="placed"
    )
    statement = (
        f"WITH appended AS MATERIALIZED ({_APPEND_CALL}), "
        "placed AS (SELECT array_agg(event_position ORDER BY event_position) AS ps FROM appended)"
        + "".join(f", w{i} AS ({part})" for i, part in enumerate(parts))
        + " SELECT event_position, event_prev_hash, event_hash FROM appended ORDER BY event_position"
    )
    return await _call(await postgres_driver(conn, in_transaction=False), statement, args)
