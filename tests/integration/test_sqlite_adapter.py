"""The SQLite engine's adapter: one trip to aiosqlite's thread a statement, with SQLAlchemy's behaviour."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.bootstrap import wire
from archive.commands import Archive, CommandMeta, FactWritten
from archive.domain.events import Citation, FactChanges
from archive.reads import FactFilter, FactView
from archive.storage.engine import create_engine
from archive.storage.sqlite.engine import SQLITE_BEGIN


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'adapter.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)"))
    yield engine
    await engine.dispose()


async def test_a_read_without_a_transaction_is_one_trip(sqlite_engine: AsyncEngine, trips: list[str]) -> None:
    async with sqlite_engine.connect() as conn:  # connect once, so the pragmas are not counted
        await conn.execute(text("SELECT 1"))
    trips.clear()
    async with sqlite_engine.connect() as conn:
        await conn.execution_options(**{SQLITE_BEGIN: None})
        assert (await conn.execute(text("SELECT 41 + 1"))).scalar_one() == 42
    # SQLAlchemy's own adapter makes five: cursor, execute, fetch, close, and a rollback on return.
    assert len(trips) == 1, trips


async def test_a_write_transaction_is_a_trip_per_statement(
    sqlite_engine: AsyncEngine, trips: list[str]
) -> None:
    async with sqlite_engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    trips.clear()
    async with sqlite_engine.begin() as conn:
        await conn.execute(text("INSERT INTO item (name) VALUES ('a')"))
    assert len(trips) == 3, trips  # BEGIN, INSERT, COMMIT


async def test_results_rowcounts_and_returning_match_the_driver(sqlite_engine: AsyncEngine) -> None:
    async with sqlite_engine.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO item (name) VALUES ('a')"))
        assert inserted.rowcount == 1
        assert inserted.lastrowid == 1
        insert = text("INSERT INTO item (name) VALUES (:name)")
        many = await conn.execute(insert, [{"name": "b"}, {"name": "c"}])
        assert many.rowcount == 2
        returned = await conn.execute(text("INSERT INTO item (name) VALUES ('d') RETURNING id, name"))
        assert returned.all() == [(4, "d")]
        updated = await conn.execute(text("UPDATE item SET name = name || '!' WHERE id > 2"))
        assert updated.rowcount == 2
        result = await conn.execute(text("SELECT id, name FROM item ORDER BY id"))
        assert list(result.keys()) == ["id", "name"]
        assert result.all() == [(1, "a"), (2, "b"), (3, "c!"), (4, "d!")]
        streamed = await conn.stream(text("SELECT name FROM item ORDER BY id"))
        assert [name async for (name,) in streamed] == ["a", "b", "c!", "d!"]


async def test_a_refused_statement_raises_sqlalchemys_error_and_writes_nothing(
    sqlite_engine: AsyncEngine,
) -> None:
    async with sqlite_engine.begin() as conn:
        await conn.execute(text("INSERT INTO item (name) VALUES ('a')"))
    async with sqlite_engine.connect() as conn:
        await conn.begin()
        await conn.execute(text("INSERT INTO item (name) VALUES ('b')"))
        with pytest.raises(IntegrityError, match="UNIQUE constraint failed"):
            await conn.execute(text("INSERT INTO item (name) VALUES ('a')"))
        await conn.rollback()
    async with sqlite_engine.connect() as conn:
        assert (await conn.execute(text("SELECT name FROM item"))).scalars().all() == ["a"]


async def test_a_connection_returned_inside_a_transaction_is_rolled_back(sqlite_engine: AsyncEngine) -> None:
    async with sqlite_engine.connect() as conn:
        await conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        await conn.begin()
        await conn.execute(text("INSERT INTO item (name) VALUES ('never committed')"))
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        assert driver.in_transaction
    # The write lock is free again (busy_timeout would otherwise make this wait 30 s and fail).
    async with sqlite_engine.connect() as conn:
        await conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        async with conn.begin():
            await conn.execute(text("INSERT INTO item (name) VALUES ('b')"))
    async with sqlite_engine.connect() as conn:
        assert (await conn.execute(text("SELECT name FROM item"))).scalars().all() == ["b"]


async def correct_to_a_later_end(archive: Archive, fact: FactView) -> FactWritten:
    """Correct `fact`'s end to 2099, citing its first citation."""
    evidence = fact.citations[0]
    citation = Citation(
        evidence.source_id, evidence.content_sha256, evidence.line_start, evidence.line_end, evidence.quote
    )
    return await archive.correct_fact(
        fact_id=fact.id,
        expected_version=fact.version,
        changes=FactChanges(valid_to="2099"),
        reason_code="valid_time_shift",
        justification="test: a later end",
        citations=[citation],
        meta=CommandMeta(actor="tester", reason="test"),
    )


async def test_a_correction_projects_its_batch_in_one_trip(
    sqlite_backend: str, seeded_engine: AsyncEngine, seeded_archive: Archive, trips: list[str]
) -> None:
    queries = wire(seeded_engine).reads
    fact = (await queries.search_facts(FactFilter(predicate="member_of"), 1, 0)).items[0]
    trips.clear()
    await correct_to_a_later_end(seeded_archive, fact)
    # The decision's reads come first, outside the lock; then the append, every read model's closes and
    # inserts and the checkpoints are one trip, from BEGIN IMMEDIATE to COMMIT (they were one a statement,
    # ten here); the findings then catch up in a transaction of their own, one trip too (it was a trip
    # a statement, about 27 for a correction).
    write = trips.index("immediate_transaction")
    assert "commit" not in trips[:write], trips
    assert trips[write:] == ["immediate_transaction", "immediate_transaction"], trips


async def test_a_correction_whose_sources_were_read_before_reads_the_facts_state_on_the_loops_thread(
    sqlite_backend: str, seeded_engine: AsyncEngine, seeded_archive: Archive, trips: list[str]
) -> None:
    """Once this process has read the cited source, a correction's decision reads only the fact's state,
    a point read on the loop's thread (no trip, no transaction); its only trips are the write's and the
    findings' (the append checks the version it read)."""
    queries = wire(seeded_engine).reads
    facts = (await queries.search_facts(FactFilter(predicate="member_of"), 50, 0)).items
    first = facts[0]
    second = next(f for f in facts[1:] if f.citations[0].source_id == first.citations[0].source_id)
    for fact in (first, second):
        trips.clear()
        written = await correct_to_a_later_end(seeded_archive, fact)
        assert written.version == fact.version + 1
    assert trips == ["immediate_transaction", "immediate_transaction"], trips
