"""Bench case 5a's raw SQL for `GET /roles?valid_at=YEAR` (`bench.cases.http.RawRoles`) counts what
`Reads.roles` counts, with the API's defaults, before and after a preferred fact outranks others: the floor
does the read's work, no less. On every backend."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from archive.bootstrap import wire
from archive.commands import CommandMeta
from archive.domain.time import PartialDate
from bench.cases.http import RawRoles

YEARS = range(1990, 2013)


async def raw_roles(engine: AsyncEngine) -> tuple[RawRoles, Any]:
    """RawRoles on the bare driver, as the bench opens it, and the connection to close."""
    if engine.dialect.name == "sqlite":
        conn: Any = sqlite3.connect(str(engine.url.database))
        return RawRoles(SimpleNamespace(backend="sqlite", conn=conn)), conn
    import asyncpg

    dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    return RawRoles(SimpleNamespace(backend="postgres", conn=conn)), conn


async def totals(engine: AsyncEngine, raw: RawRoles) -> tuple[dict[int, int], dict[int, int]]:
    reads = wire(engine).reads
    ours = {
        year: (await reads.roles(None, None, None, PartialDate(year), None, "best", "asserted", 50, 0)).total
        for year in YEARS
    }
    return ours, {year: await raw.roles(year) for year in YEARS}


async def test_the_raw_roles_statements_count_what_the_read_counts(seeded_engine: AsyncEngine) -> None:
    raw, conn = await raw_roles(seeded_engine)
    try:
        ours, theirs = await totals(seeded_engine, raw)
        assert ours == theirs
        assert ours[2010] >= 2

        archive = wire(seeded_engine)
        listed = await archive.reads.roles(
            None, None, None, PartialDate(2010), None, "best", "asserted", 50, 0
        )
        chaired = [r for r in listed.items if r.holder.id == "kazakhstan" and r.predicate == "chaired"]
        assert len(chaired) >= 2
        chosen = chaired[0].fact_id
        await archive.commands.rerank_fact(
            fact_id=chosen,
            expected_version=(await archive.reads.fact(chosen)).version,
            rank="preferred",
            reason_code="other",
            justification="the chair of the year",
            meta=CommandMeta(actor="test", reason="best rank in the raw SQL"),
        )
        outranked_ours, outranked_theirs = await totals(seeded_engine, raw)
        assert outranked_ours == outranked_theirs
        assert outranked_theirs[2010] == ours[2010] - (len(chaired) - 1)
    finally:
        if isinstance(conn, sqlite3.Connection):
            conn.close()
        else:
            await conn.close()
