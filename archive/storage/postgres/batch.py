"""A projection batch on PostgreSQL: one statement (data-modifying CTEs, arrays bound once), and `COPY`
(binary) for a table that gets many rows. All run on the caller's connection, inside its transaction,
and honour a `schema_translate_map` (the shadow check writes to temporary tables)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Column, Dialect, Table
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.storage import POSITION_COLUMNS, Close
from archive.storage.postgres.driver import postgres_driver

#: The dialect that names the array types `write_postgres` binds.
_POSTGRES = PGDialect()  # type: ignore[no-untyped-call]

#: From this many rows on, a table gets COPY rather than a prepared INSERT per row.
COPY_FROM_ROWS = 32


class PostgresEncoding:
    """asyncpg takes dates and times as Python objects; `JSON` is the text of the engine's serializer."""

    def __init__(self, dialect: Dialect) -> None:
        serializer = getattr(dialect, "_json_serializer", None)
        self.json: Callable[[Any], str] = serializer or json.dumps

    def moment(self, value: datetime) -> Any:
        """A `DateTime(timezone=True)` value."""
        return value

    def day(self, value: date | None) -> Any:
        """A `Date` value (None stays NULL)."""
        return value


async def copy_rows(
    conn: AsyncConnection, schema: str | None, table: Table, rows: Sequence[Sequence[Any]]
) -> None:
    """`rows` into `table` (in `schema`) by binary COPY."""
    driver = await postgres_driver(conn)
    columns = [column.name for column in table.columns]
    await driver.copy_records_to_table(table.name, records=rows, columns=columns, schema_name=schema)


@cache  # compiling the type name for every array of every statement was most of the statement's cost
def _array_of(column: Column[Any]) -> str:
    # The column's own type, unbounded (an explicit cast to varchar(n) would truncate, where an
    # INSERT refuses a value that is too long: the assignment into the column still checks).
    return re.sub(r"\(\d+\)", "", column.type.compile(dialect=_POSTGRES)) + "[]"


async def write_postgres(
    conn: AsyncConnection,
    qualified: Callable[[Table], str],
    *,
    closes: Sequence[Close] = (),
    close_tables: Sequence[Table] = (),
    inserts: Mapping[Table, Sequence[Sequence[Any]]] | None = None,
    checkpoint: tuple[Table, Sequence[str], int] | None = None,
) -> None:
    """A batch's writes as one statement.

    - `closes` end the current rows of those facts in each of `close_tables`; every part of the
      statement sees the rows as they were before it, so the rows it inserts are never closed by it;
    - `inserts` adds rows (each a value per column, in the table's column order);
    - `checkpoint` (table, names, position) sets those checkpoints, creating the missing ones.

    The statement's text depends only on which tables it touches, so the driver prepares it once.
    """
    statement, args = postgres_batch(qualified, closes, close_tables, inserts or {}, checkpoint)
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
    parts, args = batch_parts(qualified, closes, close_tables, inserts, checkpoint)
    if not parts:
        return "", []
    *first, last = parts
    statement = (
        ("WITH " + ", ".join(f"w{i} AS ({part})" for i, part in enumerate(first)) + " ") if first else ""
    )
    return statement + last, args


def batch_parts(
    qualified: Callable[[Table], str],
    closes: Sequence[Close],
    close_tables: Sequence[Table],
    inserts: Mapping[Table, Sequence[Sequence[Any]]],
    checkpoint: tuple[Table, Sequence[str], int] | None,
    args: list[Any] | None = None,
    placed: str | None = None,
) -> tuple[list[str], list[Any]]:
    """Each write of a batch as a statement of its own, its parameters numbered after those already in
    `args`. With `placed`, the name of a one-row relation whose `ps` holds the positions an append in
    the same statement gave its events: a negative position (`POSITION_COLUMNS`) is read from it, and
    every write names it, so that none runs before the append."""
    args = [] if args is None else args

    def param(value: Any, cast: str) -> str:
        args.append(value)
        return f"${len(args)}::{cast}"

    def positions(array: str) -> str:
        if placed is None:
            return array
        return (
            f"ARRAY(SELECT CASE WHEN x < 0 THEN p.ps[-x] ELSE x END FROM {placed} AS p, "
            f"unnest({array}) WITH ORDINALITY AS u(x, o) ORDER BY o)"
        )

    parts: list[str] = []
    if closes:
        fact_ids, versions, moments, ends = (list(values) for values in zip(*closes, strict=True))
        arrays = ", ".join(
            (
                param(fact_ids, "text[]"),
                param(versions, "integer[]"),
                param(moments, "timestamptz[]"),
                positions(param(ends, "bigint[]")),
            )
        )
        parts += [
            f"UPDATE {qualified(table)} AS t "
            '  SET "recorded_to" = v.recorded_to, "position_to" = v.position_to '
            f"  FROM unnest({arrays}) AS v(fact_id, version, recorded_to, position_to) "
            '  WHERE t."fact_id" = v.fact_id AND t."version" = v.version'
            for table in close_tables
        ]
    after = f", {placed}" if placed is not None else ""
    for table, rows in inserts.items():
        if rows:
            columns = list(table.columns)
            listed = ", ".join(f'"{column.name}"' for column in columns)
            arrays = ", ".join(
                positions(param(list(values), _array_of(column)))
                if column.name in POSITION_COLUMNS
                else param(list(values), _array_of(column))
                for column, values in zip(columns, zip(*rows, strict=True), strict=True)
            )
            parts.append(
                f"INSERT INTO {qualified(table)} ({listed}) SELECT r.* FROM unnest({arrays}) AS r{after}"
            )
    if checkpoint is not None:
        table, names, position = checkpoint
        at = param(position, "bigint")
        if placed is not None:
            at = f"CASE WHEN {at} < 0 THEN (SELECT ps FROM {placed})[-{at}] ELSE {at} END"
        parts.append(
            f'INSERT INTO {qualified(table)} ("projection", "position") '
            f"SELECT unnest({param(list(names), 'text[]')}), {at} "
            'ON CONFLICT ("projection") DO UPDATE SET "position" = EXCLUDED."position"'
        )
    return parts, args
