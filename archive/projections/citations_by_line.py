"""Read model `citations_by_line`: source and line → the facts whose citations cover that line now."""

from __future__ import annotations

import msgspec
from sqlalchemy import Column, Integer, String, Table, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.events import Citation, CitationRecheck
from archive.storage.engine import metadata

NAME = "citations_by_line"

citations_by_line_table = Table(
    NAME,
    metadata,
    Column("source_id", String(200), primary_key=True),
    Column("line", Integer, primary_key=True),
    Column("fact_id", String(36), primary_key=True),
    Column("citation_id", String(64), primary_key=True),
)


def _rows(source_id: str, start: int, end: int, fact_id: str, cid: str) -> list[dict[str, object]]:
    return [
        {"source_id": source_id, "line": line, "fact_id": fact_id, "citation_id": cid}
        for line in range(start, end + 1)
    ]


class CitationLineRow(msgspec.Struct, kw_only=True):
    """A row of `citations_by_line`: one line a citation covers."""

    source_id: str
    line: int
    fact_id: str
    citation_id: str


def rows_for(fact_id: str, added: list[tuple[str, Citation]]) -> list[CitationLineRow]:
    """Index rows for the lines of newly added citations."""
    return [
        CitationLineRow(source_id=c.source_id, line=line, fact_id=fact_id, citation_id=cid)
        for cid, c in added
        for line in range(c.line_start, c.line_end + 1)
    ]


async def recheck(conn: AsyncConnection, source_id: str, rechecks: tuple[CitationRecheck, ...]) -> None:
    """Move each re-checked citation to its current lines (none when orphaned).

    One DELETE per 500 re-checked citations, then one INSERT for all their lines; a citation
    re-checked twice keeps its last outcome, as one statement per outcome would leave it.
    """
    if not rechecks:
        return
    table = citations_by_line_table
    last = {(outcome.fact_id, outcome.citation_id): outcome for outcome in rechecks}
    pairs = list(last)
    # A citation's id covers its source, so its rows are all under `source_id` (the primary key's
    # first column): the condition is implied, and it keeps each DELETE to one pass over that source.
    for offset in range(0, len(pairs), 500):
        await conn.execute(
            table.delete().where(
                table.c.source_id == source_id,
                tuple_(table.c.fact_id, table.c.citation_id).in_(pairs[offset : offset + 500]),
            )
        )
    rows = [
        row
        for outcome in last.values()
        if outcome.line_start is not None and outcome.line_end is not None
        for row in _rows(
            source_id, outcome.line_start, outcome.line_end, outcome.fact_id, outcome.citation_id
        )
    ]
    if rows:
        await conn.execute(table.insert(), rows)


async def facts_citing(conn: AsyncConnection, source_id: str, line: int) -> list[str]:
    """The ids of the facts citing this line, in id order."""
    table = citations_by_line_table
    query = (
        select(table.c.fact_id)
        .where(table.c.source_id == source_id, table.c.line == line)
        .distinct()
        .order_by(table.c.fact_id)
    )
    return list((await conn.execute(query)).scalars())
