"""Read model `citations`: every citation of every fact, with its state against the current source.

A citation is `verified` when recorded. A new version of its source re-checks it: it stays `verified`,
becomes `drifted` (the quote moved; the current lines are kept) or `orphaned` (the quote is gone).
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import Column, Index, Integer, String, Table, Text, bindparam, func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.events import Citation, CitationRecheck, citation_id
from archive.domain.facts import FactState
from archive.domain.sources import CitationRef
from archive.storage.engine import metadata

NAME = "citations"

citations_table = Table(
    NAME,
    metadata,
    Column("fact_id", String(36), primary_key=True),
    Column("citation_id", String(64), primary_key=True),
    Column("source_id", String(200), nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("line_start", Integer, nullable=False),
    Column("line_end", Integer, nullable=False),
    Column("quote", Text, nullable=False),
    Column("state", String(20), nullable=False),
    Column("current_line_start", Integer, nullable=True),
    Column("current_line_end", Integer, nullable=True),
    Index("ix_citations_source_id", "source_id"),
    Index("ix_citations_state", "state"),
)


def added_citations(state: FactState, known: set[str]) -> list[tuple[str, Citation]]:
    """The fact's citations not in `known`, with their ids (and `known` updated to include them)."""
    added = []
    for c in state.citations:
        cid = citation_id(c)
        if cid not in known:
            known.add(cid)
            added.append((cid, c))
    return added


class CitationRow(msgspec.Struct, kw_only=True):
    """A row of `citations`."""

    fact_id: str
    citation_id: str
    source_id: str
    content_sha256: str
    line_start: int
    line_end: int
    quote: str
    state: str
    current_line_start: int | None
    current_line_end: int | None


def rows_for(fact_id: str, added: list[tuple[str, Citation]]) -> list[CitationRow]:
    """Rows for newly added citations: verified, at their own lines."""
    return [
        CitationRow(
            fact_id=fact_id,
            citation_id=cid,
            source_id=c.source_id,
            content_sha256=c.content_sha256,
            line_start=c.line_start,
            line_end=c.line_end,
            quote=c.quote,
            state="verified",
            current_line_start=c.line_start,
            current_line_end=c.line_end,
        )
        for cid, c in added
    ]


async def recheck(conn: AsyncConnection, rechecks: tuple[CitationRecheck, ...]) -> None:
    """Apply the outcome of a source revision to each citation into it (one statement for all)."""
    if not rechecks:
        return
    await conn.execute(
        citations_table.update()
        .where(
            citations_table.c.fact_id == bindparam("recheck_fact_id"),
            citations_table.c.citation_id == bindparam("recheck_citation_id"),
        )
        .values(
            state=bindparam("recheck_state"),
            current_line_start=bindparam("recheck_line_start"),
            current_line_end=bindparam("recheck_line_end"),
        ),
        [
            {
                "recheck_fact_id": outcome.fact_id,
                "recheck_citation_id": outcome.citation_id,
                "recheck_state": outcome.state,
                "recheck_line_start": outcome.line_start,
                "recheck_line_end": outcome.line_end,
            }
            for outcome in rechecks
        ],
    )


async def refs_into(conn: AsyncConnection, source_id: str) -> tuple[CitationRef, ...]:
    """Every citation into a source, as the source decider needs them to re-check a new version."""
    query = (
        select(citations_table)
        .where(citations_table.c.source_id == source_id)
        .order_by(citations_table.c.fact_id, citations_table.c.citation_id)
    )
    return tuple(
        CitationRef(
            fact_id=row.fact_id,
            citation=Citation(row.source_id, row.content_sha256, row.line_start, row.line_end, row.quote),
        )
        for row in await conn.execute(query)
    )


async def states_of(conn: AsyncConnection, fact_ids: list[str]) -> dict[tuple[str, str], Row[Any]]:
    """(fact id, citation id) → row, for the given facts."""
    if not fact_ids:
        return {}
    rows = await conn.execute(select(citations_table).where(citations_table.c.fact_id.in_(fact_ids)))
    return {(row.fact_id, row.citation_id): row for row in rows}


async def by_state(conn: AsyncConnection, state: str, limit: int, offset: int) -> tuple[list[Row[Any]], int]:
    """Citations in one state (e.g. drifted or orphaned, for an archivist to resolve)."""
    query = select(citations_table).where(citations_table.c.state == state)
    total = (await conn.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await conn.execute(
        query.order_by(citations_table.c.source_id, citations_table.c.line_start).limit(limit).offset(offset)
    )
    return list(rows), int(total)
