"""What every read shares: the filters of a search, their SQL conditions, and one page of a query."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.time import PartialDate
from archive.projections import citations, entities
from archive.storage.engine import contains_pattern

RankFilter = Literal["best", "all"]
ModalityFilter = Literal["all", "asserted", "planned"]

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


def text_condition(table: Any, text: str) -> ColumnElement[bool]:
    """Facts whose literal value, subject or object (label or alias), or a citation's quote contains `text`.

    Quotes are read from the `citations` read model, which holds every citation a fact ever had; a fact's
    citations only accumulate, so with `as_of` a quote can match a citation added after that time.
    """
    pattern = contains_pattern(text)
    entity_table = entities.entities_table
    named = select(entity_table.c.entity_id).where(entity_table.c.search_text.like(pattern, escape="\\"))
    quoted = select(citations.citations_table.c.fact_id).where(
        func.lower(citations.citations_table.c.quote).like(pattern, escape="\\")
    )
    return or_(
        func.lower(table.c.value).like(pattern, escape="\\"),
        table.c.subject.in_(named),
        table.c.object.in_(named),
        table.c.fact_id.in_(quoted),
    )


def unmatchable(*values: str | None) -> bool:
    """Whether some text can match nothing stored, because it holds a NUL character.

    PostgreSQL text cannot hold NUL, so no id, label or predicate has one; binding one makes
    PostgreSQL fail rather than answer "none" (SQLite would simply find nothing). Both answer "none".
    """
    return any(value is not None and "\x00" in value for value in values)


def rank_condition(table: Any, rank: RankFilter) -> list[ColumnElement[bool]]:
    if rank == "all":
        return []
    return [table.c.rank != "deprecated", table.c.status != "retracted"]


def valid_condition(table: Any, valid_at: PartialDate | None) -> list[ColumnElement[bool]]:
    """Rows that held, definitely or possibly, at some time within the period `valid_at` names.

    This is exactly the set for which `holds_at` is not None: the stored bounds are the widest days the
    valid time may cover, so no refinement in Python is needed, and pages are cut in SQL.
    """
    if valid_at is None:
        return []
    return [
        or_(table.c.valid_earliest.is_(None), table.c.valid_earliest <= valid_at.latest),
        or_(table.c.valid_latest.is_(None), table.c.valid_latest >= valid_at.earliest),
    ]


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
