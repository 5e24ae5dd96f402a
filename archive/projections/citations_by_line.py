"""Read model `citations_by_line`: source and line → the facts whose citations cover that line now."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.db import metadata
from archive.domain.events import Citation, CitationRecheck

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


def rows_for(fact_id: str, added: list[tuple[str, Citation]]) -> list[dict[str, object]]:
    """Index rows for the lines of newly added citations."""
    return [row for cid, c in added for row in _rows(c.source_id, c.line_start, c.line_end, fact_id, cid)]


async def recheck(conn: AsyncConnection, source_id: str, rechecks: tuple[CitationRecheck, ...]) -> None:
    """Move each re-checked citation to its current lines (none when orphaned)."""
    table = citations_by_line_table
    for outcome in rechecks:
        await conn.execute(
            table.delete().where(
                table.c.fact_id == outcome.fact_id, table.c.citation_id == outcome.citation_id
            )
        )
        if outcome.line_start is not None and outcome.line_end is not None:
            await conn.execute(
                table.insert(),
                _rows(source_id, outcome.line_start, outcome.line_end, outcome.fact_id, outcome.citation_id),
            )


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
