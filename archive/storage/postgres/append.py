"""Appending on PostgreSQL: one call of the server-side function `archive_append` (migrations 0004, 0011).

It takes the append lock, checks that each continued stream's expected version exists and that each
stream the decision only read is still at the version it was read at, chains with
`sha256()` over the canonical bytes built here, and inserts, so a lone append is one round trip in
autocommit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import msgspec
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.eventstore.errors import ConcurrencyError
from archive.eventstore.hashing import canonical_row
from archive.storage.engine import json_text
from archive.storage.postgres.driver import postgres_driver

#: The PostgreSQL advisory lock key that serialises appends (any constant; this one spells "EVTS").
APPEND_LOCK_KEY = 0x45565453

#: The server-side append of migration 0011, with asyncpg's positional parameters.
_APPEND_CALL = (
    "SELECT event_position, event_prev_hash, event_hash FROM archive_append("
    "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
)
#: The SQLSTATE `archive_append` raises when an expected version does not exist, or a stream that was
#: read has moved past the version it was read at.
_MISSING_VERSION_STATE = "AR409"


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
    try:
        result = await driver.fetch(
            _APPEND_CALL,
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
        )
    except asyncpg.PostgresError as error:
        if error.sqlstate == _MISSING_VERSION_STATE:
            detail = msgspec.json.decode(getattr(error, "detail", None) or "{}")
            raise ConcurrencyError(str(detail["stream_id"]), int(detail["version"])) from None
        if isinstance(error, asyncpg.UniqueViolationError):
            raise IntegrityError(_APPEND_CALL, None, error) from error
        raise
    return [(position, prev_hash, hash_) for position, prev_hash, hash_ in result]
