"""Check the read models against a rebuild into shadow tables, without touching the live ones.

The same projector replays the whole log into temporary copies of the read-model tables: SQLAlchemy's
`schema_translate_map` sends every statement to the session's temporary schema (`temp` on SQLite,
`pg_temp` on PostgreSQL). The transaction holds the append lock, so no write lands in between, and it
rolls back, so nothing is left behind.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.eventstore import EventStore
from archive.projections.findings import catch_up, read_after
from archive.projections.rebuild import REPLAYED_TABLES, complete, replay
from archive.projections.runner import Projector
from archive.storage.engine import stored_utc


class TableDifference(msgspec.Struct, frozen=True):
    """How one read model differs from its rebuild."""

    table: str
    live_rows: int
    rebuilt_rows: int
    only_live: int
    only_rebuilt: int
    example: str


def _normalise(value: Any) -> Any:
    if isinstance(value, datetime):
        return stored_utc(value).isoformat()
    if isinstance(value, dict | list):
        return msgspec.json.encode(value, order="sorted").decode()
    return value


async def snapshot(conn: AsyncConnection, table: Table) -> list[tuple[Any, ...]]:
    """Every row of `table`, normalised across drivers, in primary-key order."""
    rows = await conn.execute(select(table).order_by(*table.primary_key.columns))
    return [tuple(_normalise(v) for v in row) for row in rows]


async def compare_with_rebuild(
    store: EventStore,
    projector: Projector,
    page_size: int = 2000,
    on_progress: Callable[[int], None] | None = None,
) -> list[TableDifference]:
    """Every read model whose rows differ from a fresh replay of the log (empty when all match)."""
    shadow_schema = store.backend.shadow_schema
    async with store.transaction(commit=False) as conn:
        # The findings catch up after a one-trip write (archive/commands/follow.py): they are compared as of
        # the log, caught up first in this transaction, which is rolled back with the shadows.
        await catch_up(conn, read_after(store, conn), projector.vocabulary)
        live = {table.name: await snapshot(conn, table) for table in REPLAYED_TABLES}
        await conn.execution_options(schema_translate_map={None: shadow_schema})
        await conn.run_sync(lambda sync: REPLAYED_TABLES[0].metadata.create_all(sync, tables=REPLAYED_TABLES))
        # Pages come through another connection: `conn` now sends every table name to the shadows.
        await replay(store, projector, conn, None, page_size, on_progress)
        await complete(projector, conn)
        rebuilt = {table.name: await snapshot(conn, table) for table in REPLAYED_TABLES}
        await conn.execution_options(schema_translate_map=None)
    differences = []
    for name, rows in live.items():
        if rows == rebuilt[name]:
            continue
        only_live = sorted(set(rows) - set(rebuilt[name]), key=repr)
        only_rebuilt = sorted(set(rebuilt[name]) - set(rows), key=repr)
        example = _example((only_live or only_rebuilt or [("order differs",)])[0])
        differences.append(
            TableDifference(name, len(rows), len(rebuilt[name]), len(only_live), len(only_rebuilt), example)
        )
    return differences


#: How much of each text value an example row shows: every column stays visible, however long a text.
EXAMPLE_TEXT_CHARS = 60


def _example(row: tuple[Any, ...]) -> str:
    """One differing row for a person to read: each long text cut short, so no column is pushed out."""
    return repr(
        tuple(
            value[:EXAMPLE_TEXT_CHARS] + "…"
            if isinstance(value, str) and len(value) > EXAMPLE_TEXT_CHARS
            else value
            for value in row
        )
    )
