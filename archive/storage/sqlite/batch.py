"""A projection batch on SQLite: one trip to aiosqlite's thread, with an `executemany` per statement.

The projector builds rows whose values are already what the driver receives, encoded exactly as
SQLAlchemy's column types would encode them (`SqliteEncoding`), so SQLAlchemy's per-parameter processing,
most of a batch's CPU, is skipped. A correction's projection was one trip per table (about ten); a trip
costs more than most of these statements.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Dialect, Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.storage import Close
from archive.storage.sqlite.dbapi import run_in_sqlite_thread

# SQLAlchemy's SQLite DATETIME and DATE storage formats (sqlalchemy.dialects.sqlite.DATETIME / DATE).
_DATETIME = "%04d-%02d-%02d %02d:%02d:%02d.%06d"
_DATE = "%04d-%02d-%02d"


class SqliteEncoding:
    """SQLite stores `DateTime` and `Date` as text in SQLAlchemy's storage formats (the time zone is not
    kept; every moment here is UTC); `JSON` is the text of the engine's `json_serializer`."""

    def __init__(self, dialect: Dialect) -> None:
        serializer = getattr(dialect, "_json_serializer", None)
        self.json: Callable[[Any], str] = serializer or json.dumps
        self._last_moment: datetime | None = None
        self._last_text = ""

    def moment(self, value: datetime) -> Any:
        """A `DateTime(timezone=True)` value."""
        last = self._last_moment  # the events of one append share their `recorded_at`
        if last is not None and value == last and value.utcoffset() == last.utcoffset():
            return self._last_text
        self._last_moment = value
        self._last_text = _DATETIME % (
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
        )
        return self._last_text

    def day(self, value: date | None) -> Any:
        """A `Date` value (None stays NULL)."""
        return None if value is None else _DATE % (value.year, value.month, value.day)


async def write_sqlite(
    conn: AsyncConnection,
    qualified: Callable[[Table], str],
    *,
    closes: Sequence[Close] = (),
    close_tables: Sequence[Table] = (),
    inserts: Mapping[Table, Sequence[Sequence[Any]]] | None = None,
    checkpoint: tuple[Table, Sequence[str], int] | None = None,
) -> None:
    """A batch's writes as one trip to the driver's thread, the closes first, so that they never reach
    the rows the batch inserts (`recorded_to` in the closes is encoded for SQLite)."""
    statements = sqlite_batch(qualified, closes, close_tables, inserts or {}, checkpoint)
    if statements:
        await run_in_sqlite_thread(conn, execute_each, statements)


def execute_each(db: sqlite3.Connection, statements: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
    """In the driver's thread: each statement with its rows; an error as SQLAlchemy would raise it."""
    for statement, rows in statements:
        try:
            db.executemany(statement, rows)
        except sqlite3.Error as error:
            raise DBAPIError.instance(statement, None, error, sqlite3.Error) from error


def sqlite_batch(
    qualified: Callable[[Table], str],
    closes: Sequence[Close],
    close_tables: Sequence[Table],
    inserts: Mapping[Table, Sequence[Sequence[Any]]],
    checkpoint: tuple[Table, Sequence[str], int] | None,
) -> list[tuple[str, Sequence[Sequence[Any]]]]:
    """The statements, each with its rows, of `write_sqlite` (none when there is nothing to write)."""
    statements: list[tuple[str, Sequence[Sequence[Any]]]] = []
    if closes:
        ended = [(moment, position, fact_id, version) for fact_id, version, moment, position in closes]
        statements += [
            (
                f'UPDATE {qualified(table)} SET "recorded_to" = ?, "position_to" = ? '
                'WHERE "fact_id" = ? AND "version" = ?',
                ended,
            )
            for table in close_tables
        ]
    for table, rows in inserts.items():
        if rows:
            listed = ", ".join(f'"{column.name}"' for column in table.columns)
            marks = ", ".join("?" * len(table.columns))
            statements.append((f"INSERT INTO {qualified(table)} ({listed}) VALUES ({marks})", rows))
    if checkpoint is not None:
        table, names, position = checkpoint
        statements.append(
            (
                f'INSERT INTO {qualified(table)} ("projection", "position") VALUES (?, ?) '
                'ON CONFLICT ("projection") DO UPDATE SET "position" = excluded."position"',
                [(name, position) for name in names],
            )
        )
    return statements
