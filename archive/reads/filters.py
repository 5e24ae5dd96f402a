"""What every read shares: the filters of a search, their SQL conditions, and one page of a query."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec
from sqlalchemy import ColumnElement, Select, func, or_, select, tuple_
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.time import PartialDate, holds_at, make_valid_time
from archive.projections.fact_versions import UseIndex, outranked

RankFilter = Literal["best", "all"]
ModalityFilter = Literal["all", "asserted", "planned"]
#: With `valid_at`: facts that held there `possible`y (or definitely), or only those that `definite`ly did.
CertaintyFilter = Literal["possible", "definite"]

#: The largest line number and offset worth binding: line columns are 32-bit integers on PostgreSQL,
#: and neither database binds more than a signed 64-bit integer. Anything larger matches nothing.
MAX_LINE = 2**31 - 1
MAX_OFFSET = 2**63 - 1


class FactFilter(msgspec.Struct, frozen=True):
    """The filters of a fact search; every one optional."""

    subject: str | None = None
    object: str | None = None
    entity: str | None = None
    predicate: str | None = None
    source: str | None = None
    line: int | None = None
    valid_at: PartialDate | None = None
    as_of: datetime | None = None
    rank: RankFilter = "best"
    modality: ModalityFilter = "all"
    text: str | None = None
    certainty: CertaintyFilter = "possible"
    undated: bool = False


def unmatchable(*values: str | None) -> bool:
    """Whether some text can match nothing stored, because it holds a NUL character.

    PostgreSQL text cannot hold NUL, so no id, label or predicate has one; binding one makes
    PostgreSQL fail rather than answer "none" (SQLite would simply find nothing). Both answer "none".
    """
    return any(value is not None and "\x00" in value for value in values)


def rank_condition(
    table: Any, rank: RankFilter, as_of: datetime | None = None, use_index: UseIndex | None = None
) -> list[ColumnElement[bool]]:
    """With rank "best", Wikidata's best rank as believed at `as_of`: no deprecated or retracted fact,
    and no normal one where a preferred fact has the same subject and predicate. "all" keeps every fact.
    """
    if rank == "all":
        return []
    return [
        table.c.rank != "deprecated",
        table.c.status != "retracted",
        or_(table.c.rank != "normal", table.c.fact_id.not_in(outranked(as_of, use_index))),
    ]


def valid_condition(
    table: Any, valid_at: PartialDate | None, undated: bool = False
) -> list[ColumnElement[bool]]:
    """Rows that held, definitely or possibly, at some time within the period `valid_at` names, and with
    `undated` the rows with no valid time at all.

    This is exactly the set for which `holds_at` is "definite" or "possible" (or "undated"): the stored
    bounds are the widest days the valid time may cover, so no refinement in Python is needed, and pages
    are cut in SQL. An undated row has neither bound.
    """
    if valid_at is None:
        return []
    conditions = [
        or_(table.c.valid_earliest.is_(None), table.c.valid_earliest <= valid_at.latest),
        or_(table.c.valid_latest.is_(None), table.c.valid_latest >= valid_at.earliest),
    ]
    if not undated:
        conditions.append(dated(table))
    return conditions


def dated(table: Any) -> ColumnElement[bool]:
    """Rows with a valid time (an undated one has neither bound)."""
    return or_(table.c.valid_earliest.is_not(None), table.c.valid_latest.is_not(None))


async def page(
    conn: AsyncConnection, query: Select[Any], limit: int, offset: int
) -> tuple[list[Row[Any]], int]:
    """One page of an ordered query, and the size of the whole result.

    A page that starts at or past the end is empty without being read: finding that out can cost as
    much as the count did (for a year no role reaches, a walk of ix_roles_current_valid_time).
    """
    total = (
        await conn.execute(select(func.count()).select_from(query.order_by(None).subquery()))
    ).scalar_one()
    start = min(offset, MAX_OFFSET)
    if start >= total:
        return [], int(total)
    rows = (await conn.execute(query.limit(limit).offset(start))).all()
    return list(rows), int(total)


async def held_page(
    conn: AsyncConnection,
    query: Select[Any],
    table: Any,
    valid_at: PartialDate | None,
    certainty: CertaintyFilter,
    limit: int,
    offset: int,
) -> tuple[list[Row[Any]], int]:
    """`page`, keeping with ``certainty="definite"`` only the rows that definitely held within `valid_at`.

    Whether a term surely held needs both ends of both bounds, which the stored columns (the widest days)
    do not carry, so the candidates' keys and dates are read in the query's order, judged by `holds_at`,
    and only the page's rows are read whole. The default, "possible", is answered in SQL alone.
    """
    if certainty == "possible" or valid_at is None:
        return await page(conn, query, limit, offset)
    keyed = query.with_only_columns(
        table.c.fact_id, table.c.version, table.c.valid_from, table.c.valid_to, table.c.point_in_time
    )
    held = [
        (row.fact_id, row.version)
        for row in await conn.execute(keyed)
        if holds_at(make_valid_time(row.valid_from, row.valid_to, row.point_in_time), valid_at) == "definite"
    ]
    wanted = held[min(offset, MAX_OFFSET) :][:limit]
    if not wanted:
        return [], len(held)
    found = await conn.execute(select(table).where(tuple_(table.c.fact_id, table.c.version).in_(wanted)))
    by_key = {(row.fact_id, row.version): row for row in found}
    return [by_key[key] for key in wanted if key in by_key], len(held)
