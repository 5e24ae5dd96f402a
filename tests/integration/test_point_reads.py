"""Point reads (`GET /facts/{id}`'s one statement): on a SQLite file they run on the loop's thread, agree
with the async engine's answer, and take the async engine's way when SQLite is busy."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import bindparam, column, event, select, table
from sqlalchemy.dialects.sqlite.aiosqlite import dialect as aiosqlite_dialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.bootstrap import wire
from archive.projections.fact_versions import fact_versions_table
from archive.reads import Reads
from archive.storage.driver import DriverStatement
from archive.storage.engine import create_engine
from archive.storage.sqlite.engine import sqlite_path
from archive.storage.sqlite.point_reads import PointReads
from tests.integration.test_query_plan import answer_and_its_statements, first_seeded_fact


def queries_on(engine: AsyncEngine) -> Reads:
    return wire(engine).reads


async def test_a_fact_read_on_a_sqlite_file_makes_no_trip_to_a_driver_thread(
    sqlite_backend: str, seeded_engine: AsyncEngine, trips: list[str]
) -> None:
    seeded = await first_seeded_fact(seeded_engine)
    queries = queries_on(seeded_engine)
    trips.clear()
    view, sent = await answer_and_its_statements(seeded_engine, lambda: queries.fact(seeded.fact_id))
    assert view.id == seeded.fact_id
    assert (sent, trips) == ([], [])


async def test_a_point_read_answers_as_the_async_engine_does(
    backend: str, seeded_engine: AsyncEngine
) -> None:
    statement = select(fact_versions_table).order_by(fact_versions_table.c.fact_id).limit(5)
    async with seeded_engine.connect() as conn:
        expected = (await conn.execute(statement)).all()
    reads = PointReads(seeded_engine)
    assert reads.inline == (backend == "sqlite")
    got = await reads.all(statement, {})
    assert [tuple(row) for row in got] == [tuple(row) for row in expected]
    assert all(isinstance(row.recorded_from, datetime) for row in got)  # types processed alike


@pytest.fixture
def locked_sqlite_file(
    sqlite_backend: str, seeded_database_url: str
) -> Iterator[tuple[str, sqlite3.Connection]]:
    """The seeded file in rollback-journal mode, with another connection holding its exclusive lock.

    (In WAL mode a reader is never kept waiting by a writer; this is the case where it would be.)"""
    path = sqlite_path(seeded_database_url)
    assert path is not None
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("PRAGMA journal_mode=DELETE")
    blocker.execute("BEGIN EXCLUSIVE")
    yield seeded_database_url, blocker
    blocker.close()


async def test_a_busy_point_read_takes_the_async_engines_way_and_waits_there(
    locked_sqlite_file: tuple[str, sqlite3.Connection],
) -> None:
    url, blocker = locked_sqlite_file
    engine = create_engine(url)
    try:
        reads = PointReads(engine)
        through_async: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: through_async.append(a[2]))
        statement = select(fact_versions_table.c.fact_id).limit(1)
        read = asyncio.create_task(reads.all(statement, {}))
        await asyncio.sleep(0.3)
        assert not read.done()  # waiting on the lock, in the async engine's thread, not on this one
        blocker.execute("ROLLBACK")
        rows = await asyncio.wait_for(read, 30)
        assert len(rows) == 1
        assert any("FROM fact_versions" in sql for sql in through_async)
    finally:
        await engine.dispose()


async def test_a_point_read_that_fails_otherwise_raises_at_once(
    sqlite_backend: str, engine: AsyncEngine
) -> None:
    with pytest.raises(OperationalError, match="no such table"):
        await PointReads(engine).all(select(table("no_such_table", column("x"))), {})


async def test_disposing_of_the_engine_closes_the_point_reads_connections(
    sqlite_backend: str, database_url: str
) -> None:
    engine = create_engine(database_url)
    reads = PointReads(engine)
    statement = select(fact_versions_table.c.fact_id).limit(1)
    await reads.all(statement, {})
    held = reads._held[0]
    await engine.dispose()
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        held.execute("SELECT 1")
    assert await reads.all(statement, {}) == []  # a later read opens a connection again
    await engine.dispose()


def test_a_driver_statement_binds_what_the_statement_carries_and_names_what_is_missing() -> None:
    versions = fact_versions_table.c
    statement = select(versions.fact_id).where(versions.fact_id == bindparam("fact_id")).limit(3)
    driver = DriverStatement(statement, aiosqlite_dialect())
    assert driver.parameters({"fact_id": "a"}) == ("a", 3, 0)  # LIMIT and OFFSET: bound once, here
    with pytest.raises(ValueError, match="'fact_id'"):
        driver.parameters({})


def test_a_driver_statement_refuses_parameters_rendered_at_run_time() -> None:
    versions = fact_versions_table.c
    statement = select(versions.fact_id).where(versions.fact_id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(TypeError, match="rendered at run time"):
        DriverStatement(statement, aiosqlite_dialect())


async def test_point_reads_forget_the_statements_their_callers_dropped(
    sqlite_backend: str, seeded_engine: AsyncEngine
) -> None:
    reads = PointReads(seeded_engine)
    kept = select(fact_versions_table.c.fact_id).limit(1)
    for _ in range(3):
        await reads.all(kept, {})
        await reads.all(select(fact_versions_table.c.fact_id).limit(1), {})  # built anew each time
    gc.collect()
    assert list(reads._compiled) == [kept]
