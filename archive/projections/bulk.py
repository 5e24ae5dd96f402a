"""Many rows into one read-model table, through the driver, with the values SQLAlchemy would store.

SQLAlchemy's executemany processes every parameter of every row (bind processors for dates, times and
JSON, then its own parameter assembly), which is most of a projection batch's CPU. The projector
builds positional rows whose values are already what the driver receives, encoded exactly as
SQLAlchemy's column types would encode them (`Encoding`), and hands a batch's rows to the driver:
`write_sqlite`, one trip to aiosqlite's thread with an `executemany` per table, on SQLite; on
PostgreSQL `write_postgres`, one statement, or `insert_rows`, `COPY` (binary) for large batches. All
run on the caller's connection, inside its transaction, and honour a `schema_translate_map` (the
shadow check writes to temporary tables).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Column, Dialect, Table
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.aiosqlite_adapter import run_in_sqlite_thread
from archive.db import postgres_driver

#: The dialect that names the array types `write_postgres` binds (it runs on PostgreSQL only).
_POSTGRES = PGDialect()  # type: ignore[no-untyped-call]

#: From this many rows on, PostgreSQL gets COPY rather than a prepared INSERT per row.
COPY_FROM_ROWS = 32

# SQLAlchemy's SQLite DATETIME and DATE storage formats (sqlalchemy.dialects.sqlite.DATETIME / DATE).
_SQLITE_DATETIME = "%04d-%02d-%02d %02d:%02d:%02d.%06d"
_SQLITE_DATE = "%04d-%02d-%02d"


class Encoding:
    """Column values as the driver receives them from SQLAlchemy's types, on one dialect.

    SQLite stores `DateTime` and `Date` as text in SQLAlchemy's storage formats (the time zone is not
    kept; every moment here is UTC) and asyncpg takes the Python objects. `JSON` is the text of the
    engine's `json_serializer` (`json.dumps` by default), on both.
    """

    def __init__(self, dialect: Dialect) -> None:
        self.sqlite = dialect.name == "sqlite"
        serializer = getattr(dialect, "_json_serializer", None)
        self.json: Callable[[Any], str] = serializer or json.dumps
        self._last_moment: datetime | None = None
        self._last_text = ""

    def moment(self, value: datetime) -> Any:
        """A `DateTime(timezone=True)` value."""
        if not self.sqlite:
            return value
        last = self._last_moment  # the events of one append share their `recorded_at`
        if last is not None and value == last and value.utcoffset() == last.utcoffset():
            return self._last_text
        self._last_moment = value
        self._last_text = _SQLITE_DATETIME % (
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
        if value is None or not self.sqlite:
            return value
        return _SQLITE_DATE % (value.year, value.month, value.day)


_ENCODINGS: WeakKeyDictionary[Dialect, Encoding] = WeakKeyDictionary()


def encoding_of(conn: AsyncConnection) -> Encoding:
    """The encoding of `conn`'s dialect (one per engine)."""
    dialect = conn.dialect
    found = _ENCODINGS.get(dialect)
    if found is None:
        found = _ENCODINGS[dialect] = Encoding(dialect)
    return found


def _schema(conn: AsyncConnection) -> str | None:
    sync = conn.sync_connection
    options = sync.get_execution_options() if sync is not None else {}
    translate = options.get("schema_translate_map") or {}
    schema = translate.get(None)
    return None if schema is None else str(schema)


def table_name_on(conn: AsyncConnection, table: Table) -> str:
    """`table`'s quoted name as `conn` sends it (in the schema its `schema_translate_map` names)."""
    schema = _schema(conn) or table.schema
    return f'"{schema}"."{table.name}"' if schema else f'"{table.name}"'


async def insert_rows(conn: AsyncConnection, table: Table, rows: Sequence[Sequence[Any]]) -> None:
    """Insert `rows` (each a value per column of `table`, in the table's column order)."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        await write_sqlite(conn, inserts={table: rows})
        return
    driver = await postgres_driver(conn)
    if len(rows) >= COPY_FROM_ROWS:
        schema = _schema(conn) or table.schema
        columns = [column.name for column in table.columns]
        await driver.copy_records_to_table(table.name, records=rows, columns=columns, schema_name=schema)
        return
    await write_postgres(conn, inserts={table: rows})


#: One fact whose current rows a batch ends: (fact id, the version they belong to, `recorded_to`,
#: `position_to`). Every version closes the rows of the one before, so a fact's current rows, in every
#: versioned read model, are exactly the rows of its current version: the closes find them by primary
#: key. A `recorded_to IS NULL` condition would add nothing, and on PostgreSQL, with statistics that
#: lag behind a bulk load, it makes the planner read every current row through the record-time index
#: (tests/integration/test_query_plan.py).
Close = tuple[str, int, Any, int]


async def write_sqlite(
    conn: AsyncConnection,
    *,
    closes: Sequence[Close] = (),
    close_tables: Sequence[Table] = (),
    inserts: Mapping[Table, Sequence[Sequence[Any]]] | None = None,
    checkpoint: tuple[Table, Sequence[str], int] | None = None,
) -> None:
    """On SQLite, a batch's writes as one trip to the driver's thread: one executemany per statement.

    Takes what `write_postgres` takes (with `recorded_to` encoded for SQLite), in the same order: the
    closes first, so that they never reach the rows the batch inserts. A correction's projection was
    one trip per table (about ten); a trip costs more than most of these statements.
    """
    statements = sqlite_batch(
        lambda table: table_name_on(conn, table), closes, close_tables, inserts or {}, checkpoint
    )
    if statements:
        await run_in_sqlite_thread(conn, _execute_each, statements)


def _execute_each(db: sqlite3.Connection, statements: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
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


@cache  # compiling the type name for every array of every statement was most of the statement's cost
def _array_of(column: Column[Any]) -> str:
    # The column's own type, unbounded (an explicit cast to varchar(n) would truncate, where an
    # INSERT refuses a value that is too long: the assignment into the column still checks).
    return re.sub(r"\(\d+\)", "", column.type.compile(dialect=_POSTGRES)) + "[]"


async def write_postgres(
    conn: AsyncConnection,
    *,
    closes: Sequence[Close] = (),
    close_tables: Sequence[Table] = (),
    inserts: Mapping[Table, Sequence[Sequence[Any]]] | None = None,
    checkpoint: tuple[Table, Sequence[str], int] | None = None,
) -> None:
    """On PostgreSQL, a batch's writes as one statement (data-modifying CTEs, arrays bound once).

    - `closes` end the current rows of those facts in each of `close_tables`; every part of the
      statement sees the rows as they were before it, so the rows it inserts are never closed by it;
    - `inserts` adds rows (each a value per column, in the table's column order);
    - `checkpoint` (table, names, position) sets those checkpoints, creating the missing ones.

    The statement's text depends only on which tables it touches, so the driver prepares it once.
    """
    statement, args = postgres_batch(
        lambda table: table_name_on(conn, table), closes, close_tables, inserts or {}, checkpoint
    )
    if statement:
        driver = await postgres_driver(conn)
        await driver.execute(statement, *args)


def postgres_batch(
    qualified: Callable[[Table], str],
    closes: Sequence[Close],
    close_tables: Sequence[Table],
    inserts: Mapping[Table, Sequence[Sequence[Any]]],
    checkpoint: tuple[Table, Sequence[str], int] | None,
) -> tuple[str, list[Any]]:
    """The statement and arguments of `write_postgres` (empty when there is nothing to write)."""
    args: list[Any] = []

    def param(value: Any, cast: str) -> str:
        args.append(value)
        return f"${len(args)}::{cast}"

    parts: list[str] = []
    if closes:
        fact_ids, versions, moments, positions = (list(values) for values in zip(*closes, strict=True))
        arrays = ", ".join(
            (
                param(fact_ids, "text[]"),
                param(versions, "integer[]"),
                param(moments, "timestamptz[]"),
                param(positions, "bigint[]"),
            )
        )
        parts += [
            f"UPDATE {qualified(table)} AS t "
            '  SET "recorded_to" = v.recorded_to, "position_to" = v.position_to '
            f"  FROM unnest({arrays}) AS v(fact_id, version, recorded_to, position_to) "
            '  WHERE t."fact_id" = v.fact_id AND t."version" = v.version'
            for table in close_tables
        ]
    for table, rows in inserts.items():
        if rows:
            columns = list(table.columns)
            listed = ", ".join(f'"{column.name}"' for column in columns)
            arrays = ", ".join(
                param(list(values), _array_of(column))
                for column, values in zip(columns, zip(*rows, strict=True), strict=True)
            )
            parts.append(f"INSERT INTO {qualified(table)} ({listed}) SELECT * FROM unnest({arrays})")
    if checkpoint is not None:
        table, names, position = checkpoint
        parts.append(
            f'INSERT INTO {qualified(table)} ("projection", "position") '
            f"SELECT unnest({param(list(names), 'text[]')}), {param(position, 'bigint')} "
            'ON CONFLICT ("projection") DO UPDATE SET "position" = EXCLUDED."position"'
        )
    if not parts:
        return "", []
    *first, last = parts
    statement = (
        ("WITH " + ", ".join(f"w{i} AS ({part})" for i, part in enumerate(first)) + " ") if first else ""
    )
    return statement + last, args
