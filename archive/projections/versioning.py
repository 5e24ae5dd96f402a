"""Record-time versioning shared by the fact-derived read models.

Each row carries the record-time interval in which the archive believed it: `recorded_from` (the
event's `recorded_at`) and `recorded_to` (when a later event replaced it; null while current), with
the matching positions. A new fact event closes the fact's current rows and inserts the new ones (the
runner batches both), so an `as_of` query is an indexed range condition, never a replay.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, ColumnElement, DateTime, Integer, Table, and_, bindparam, or_
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.eventstore import RecordedEvent


def record_time_columns() -> list[Column[Any]]:
    """The four columns of a record-time interval."""
    return [
        Column("recorded_from", DateTime(timezone=True), nullable=False),
        Column("recorded_to", DateTime(timezone=True), nullable=True),
        Column("position_from", BigInteger().with_variant(Integer(), "sqlite"), nullable=False),
        Column("position_to", BigInteger().with_variant(Integer(), "sqlite"), nullable=True),
    ]


def believed_at(table: Table, as_of: datetime | None) -> ColumnElement[bool]:
    """Rows the archive believed at `as_of` (the current rows when `as_of` is None)."""
    if as_of is None:
        return table.c.recorded_to.is_(None)
    return and_(
        table.c.recorded_from <= as_of,
        or_(table.c.recorded_to.is_(None), table.c.recorded_to > as_of),
    )


def opened_by(recorded: RecordedEvent) -> dict[str, Any]:
    """The interval columns of a row that `recorded` makes current."""
    return {
        "recorded_from": recorded.recorded_at,
        "recorded_to": None,
        "position_from": recorded.position,
        "position_to": None,
    }


async def close_many(conn: AsyncConnection, table: Table, closes: list[dict[str, Any]]) -> None:
    """End the current rows of several facts: each dict has `fact_id`, `at` and `position`."""
    if not closes:
        return
    await conn.execute(
        table.update()
        .where(table.c.fact_id == bindparam("close_fact_id"), table.c.recorded_to.is_(None))
        .values(recorded_to=bindparam("close_at"), position_to=bindparam("close_position")),
        [
            {"close_fact_id": c["fact_id"], "close_at": c["at"], "close_position": c["position"]}
            for c in closes
        ],
    )
