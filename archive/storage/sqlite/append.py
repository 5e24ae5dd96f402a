"""Appending on SQLite: one function run in the driver's thread, under the write lock.

A lone append's whole transaction, from `BEGIN IMMEDIATE` to `COMMIT`, is that one trip. The writers of
one process queue on an `asyncio.Lock` first (`SqliteBackend`), so that they wait in order instead of in
SQLite's busy handler, which sleeps for up to 100 ms between tries.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.eventstore.errors import ConcurrencyError
from archive.eventstore.hashing import GENESIS_HASH, canonical_row, chain_hash
from archive.eventstore.table import events_table
from archive.storage import BatchWrites, placed
from archive.storage.driver import DriverStatement
from archive.storage.sqlite.batch import execute_each, sqlite_batch
from archive.storage.sqlite.dbapi import immediate_transaction, run_in_sqlite_thread

_HEAD = (
    "SELECT (SELECT hash FROM events ORDER BY position DESC LIMIT 1), "
    "(SELECT coalesce(max(position), 0) FROM events)"
)
#: Whether a stream has the version after the one a decision read (the unique index answers it).
_NEWER = "SELECT 1 FROM events WHERE stream_id = ? AND stream_version = ?"
#: SQLite binds at most 32766 values a statement; two a pair, with room to spare.
_PAIRS_PER_QUERY = 5000


def _link_and_insert(
    db: sqlite3.Connection,
    insert: DriverStatement,
    rows: list[dict[str, Any]],
    continuing: list[tuple[str, int]],
    recorded_at: datetime,
    read: Sequence[tuple[str, int]],
) -> list[tuple[int, str, str]]:
    """In the SQLite driver's thread, under the write lock: read the head, check, chain and insert.

    The checks: each continued stream's expected version exists, and each stream in `read` (read by
    the decision, not written) has no version after the one it was read at.

    The lock is held, so the next positions are known: they are given explicitly, which lets SQLite
    insert the batch with one executemany (with RETURNING it would insert row by row). The values go
    through SQLAlchemy's own bind processors.
    """
    head, last_position = db.execute(_HEAD).fetchone()
    present: set[tuple[str, int]] = set()
    for start in range(0, len(continuing), _PAIRS_PER_QUERY):
        chunk = continuing[start : start + _PAIRS_PER_QUERY]
        pairs = ", ".join(["(?, ?)"] * len(chunk))
        query = (
            "SELECT stream_id, stream_version FROM events "
            f"WHERE (stream_id, stream_version) IN (VALUES {pairs})"
        )
        present.update(db.execute(query, [v for pair in chunk for v in pair]).fetchall())
    if len(present) != len(continuing):
        raise ConcurrencyError(*next(pair for pair in continuing if pair not in present))
    for stream_id, version in read:
        if db.execute(_NEWER, (stream_id, version + 1)).fetchone() is not None:
            raise ConcurrencyError(stream_id, version)
    prev_hash = head or GENESIS_HASH
    linked = []
    for position, row in enumerate(rows, start=last_position + 1):
        row["position"] = position
        row["recorded_at"] = recorded_at
        row["prev_hash"] = prev_hash
        row["hash"] = chain_hash(prev_hash, canonical_row(row, recorded_at))
        linked.append((position, prev_hash, row["hash"]))
        prev_hash = row["hash"]
    db.executemany(insert.sql, [insert.parameters(row) for row in rows])
    return linked


def _append_and_project(
    db: sqlite3.Connection,
    insert: DriverStatement,
    rows: list[dict[str, Any]],
    continuing: list[tuple[str, int]],
    recorded_at: datetime,
    read: Sequence[tuple[str, int]],
    writes: BatchWrites,
    qualified: Callable[[Table], str],
) -> list[tuple[int, str, str]]:
    """In the driver's thread, inside `immediate_transaction`: the events, then the projection's rows
    at the positions the events got."""
    linked = _link_and_insert(db, insert, rows, continuing, recorded_at, read)
    writes = placed(writes, [position for position, _, _ in linked])
    execute_each(
        db, sqlite_batch(qualified, writes.closes, writes.close_tables, writes.inserts, writes.checkpoint)
    )
    return linked


class EventInserter:
    """Chains and inserts events in one trip to the driver's thread (the insert compiled once)."""

    def __init__(self) -> None:
        self._insert: DriverStatement | None = None

    def _statement(self, conn: AsyncConnection) -> DriverStatement:
        if self._insert is None:
            self._insert = DriverStatement(
                events_table.insert(), conn.dialect, [c.key for c in events_table.c]
            )
        return self._insert

    async def __call__(
        self,
        conn: AsyncConnection,
        rows: list[dict[str, Any]],
        continuing: list[tuple[str, int]],
        recorded_at: datetime,
        own_transaction: bool,
        read: Sequence[tuple[str, int]] = (),
    ) -> list[tuple[int, str, str]]:
        """With `own_transaction`, `BEGIN IMMEDIATE` to `COMMIT` in the same one trip."""
        insert = self._statement(conn)
        work: tuple[Any, ...] = (_link_and_insert, insert, rows, continuing, recorded_at, read)
        try:
            if own_transaction:
                return await run_in_sqlite_thread(conn, immediate_transaction, *work)
            return await run_in_sqlite_thread(conn, *work)
        except sqlite3.IntegrityError as error:
            raise IntegrityError(insert.sql, None, error) from error

    async def append_and_project(
        self,
        conn: AsyncConnection,
        rows: list[dict[str, Any]],
        continuing: list[tuple[str, int]],
        recorded_at: datetime,
        read: Sequence[tuple[str, int]],
        writes: BatchWrites,
        qualified: Callable[[Table], str],
    ) -> list[tuple[int, str, str]]:
        """`BEGIN IMMEDIATE`, the events, the projection's rows and `COMMIT`, in one trip."""
        insert = self._statement(conn)
        work = (_append_and_project, insert, rows, continuing, recorded_at, read, writes, qualified)
        try:
            return await run_in_sqlite_thread(conn, immediate_transaction, *work)
        except sqlite3.IntegrityError as error:
            raise IntegrityError(insert.sql, None, error) from error
