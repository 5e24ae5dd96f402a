"""As-of queries read `fact_versions` through an index, never by scanning it (PostgreSQL's planner).

The seed alone is too small for the planner to prefer an index, so 20,000 synthetic versions (2,000
facts of 10 versions each) are bulk-inserted and the table analysed. The statements explained are the
ones `fact_versions.version_at` and `ArchiveQueries.fact` (what `GET /facts/{id}` runs) actually send,
captured on their way to the driver.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.db import postgres_driver
from archive.events import event_registry
from archive.eventstore import EventStore
from archive.projections import fact_versions
from archive.projections.bulk import Close, postgres_batch
from archive.projections.fact_versions import fact_versions_table
from archive.queries import ArchiveQueries

T = TypeVar("T")

FACTS = 2_000
VERSIONS = 10
START = datetime(2001, 1, 1, tzinfo=UTC)
STEP = timedelta(days=1)


@pytest.fixture
def postgres_backend(backend: str) -> str:
    """Skip on SQLite: the plan checked here is PostgreSQL's."""
    if backend != "postgres":
        pytest.skip("query plans are checked on PostgreSQL")
    return backend


def synthetic_fact_id(n: int) -> str:
    return f"00000000-0000-5000-8000-{n:012d}"


def recorded_from(version: int) -> datetime:
    return START + STEP * (version - 1)


async def add_synthetic_history(engine: AsyncEngine, analyse: bool = True) -> None:
    """FACTS facts of VERSIONS versions each, one bulk insert, then ANALYZE (unless told not to)."""
    rows = []
    for n in range(FACTS):
        fact_id = synthetic_fact_id(n)
        for version in range(1, VERSIONS + 1):
            last = version == VERSIONS
            rows.append(
                {
                    "fact_id": fact_id,
                    "version": version,
                    "event_type": "fact.recorded" if version == 1 else "fact.corrected",
                    "subject": f"synthetic-{n % 97}",
                    "predicate": "member_of",
                    "object": "synthetic-organisation",
                    "value": None,
                    "valid_from": "1992",
                    "valid_to": None,
                    "point_in_time": None,
                    "valid_earliest": None,
                    "valid_latest": None,
                    "modality": "asserted",
                    "rank": "normal",
                    "status": "active",
                    "state": {"fact_id": fact_id},
                    "recorded_from": recorded_from(version),
                    "recorded_to": None if last else recorded_from(version + 1),
                    "position_from": 1_000_000 + n * VERSIONS + version,
                    "position_to": None if last else 1_000_000 + n * VERSIONS + version + 1,
                }
            )
    async with engine.begin() as conn:
        await conn.execute(fact_versions_table.insert(), rows)
    if not analyse:
        return
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("ANALYZE fact_versions"))


async def first_seeded_fact(engine: AsyncEngine) -> Any:
    """The (fact_id, recorded_from) of the seed's first current fact version, by id."""
    async with engine.connect() as conn:
        return (
            await conn.execute(
                select(fact_versions_table.c.fact_id, fact_versions_table.c.recorded_from)
                .where(fact_versions_table.c.recorded_to.is_(None))
                .order_by(fact_versions_table.c.fact_id)
                .limit(1)
            )
        ).one()


async def answer_and_its_sql(
    engine: AsyncEngine, read: Callable[[], Awaitable[T]]
) -> tuple[T, str, Sequence[Any]]:
    """What `read` returns, and the one statement and parameters it sent to the driver."""
    sent: list[tuple[str, Sequence[Any]]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        answer = await read()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    assert len(sent) == 1, sent
    statement, parameters = sent[0]
    return answer, statement, parameters


async def version_at_and_its_sql(
    engine: AsyncEngine, fact_id: str, as_of: datetime | None
) -> tuple[Any, str, Sequence[Any]]:
    """The row `version_at` returns, and the statement and parameters it sent to the driver."""

    async def read() -> Any:
        async with engine.connect() as conn:
            return await fact_versions.version_at(conn, fact_id, as_of)

    return await answer_and_its_sql(engine, read)


async def explain(engine: AsyncEngine, statement: str, parameters: Sequence[Any]) -> str:
    async with engine.connect() as conn:
        result = await conn.exec_driver_sql("EXPLAIN " + statement, tuple(parameters))
        return "\n".join(str(line) for (line,) in result)


def assert_indexed(plan: str) -> None:
    """No sequential scan of fact_versions; one of its indexes finds the fact by its id.

    An index that merely narrows by record time would also avoid a sequential scan, but its cost grows
    with the history of every fact: the fact id must be an index condition.
    """
    assert "Seq Scan on fact_versions" not in plan, plan
    index_scans = re.findall(
        r"(?:Index Scan|Index Only Scan) using (\w+) on fact_versions|Bitmap Index Scan on (\w+)", plan
    )
    used = {name for pair in index_scans for name in pair if name}
    assert used, plan
    assert all(name.startswith(("ix_fact_versions_", "pk_fact_versions")) for name in used), plan
    conditions = [line for line in plan.splitlines() if "Index Cond:" in line]
    assert any("fact_id" in line for line in conditions), plan


async def test_as_of_query_for_one_fact_uses_an_index_on_fact_versions(
    postgres_backend: str, seeded_engine: AsyncEngine
) -> None:
    await add_synthetic_history(seeded_engine)
    async with seeded_engine.connect() as conn:
        rows = (await conn.execute(select(func.count()).select_from(fact_versions_table))).scalar_one()
    assert rows >= FACTS * VERSIONS

    # Between versions 6 and 7 of one synthetic fact: the query answers version 6.
    fact_id = synthetic_fact_id(1234)
    as_of = recorded_from(6) + timedelta(hours=12)
    row, statement, parameters = await version_at_and_its_sql(seeded_engine, fact_id, as_of)
    assert (row.fact_id, row.version) == (fact_id, 6)
    assert "FROM fact_versions" in statement
    assert_indexed(await explain(seeded_engine, statement, parameters))


async def test_current_version_query_for_one_fact_uses_an_index_on_fact_versions(
    postgres_backend: str, seeded_engine: AsyncEngine
) -> None:
    await add_synthetic_history(seeded_engine)
    fact_id = synthetic_fact_id(7)
    row, statement, parameters = await version_at_and_its_sql(seeded_engine, fact_id, None)
    assert (row.fact_id, row.version) == (fact_id, VERSIONS)
    assert_indexed(await explain(seeded_engine, statement, parameters))


async def test_as_of_query_for_a_seeded_fact_uses_an_index_among_synthetic_history(
    postgres_backend: str, seeded_engine: AsyncEngine
) -> None:
    seeded = await first_seeded_fact(seeded_engine)
    await add_synthetic_history(seeded_engine)
    row, statement, parameters = await version_at_and_its_sql(
        seeded_engine, seeded.fact_id, seeded.recorded_from
    )
    assert row.fact_id == seeded.fact_id
    assert_indexed(await explain(seeded_engine, statement, parameters))


async def test_the_fact_page_query_finds_version_citations_and_labels_through_indexes(
    postgres_backend: str, seeded_engine: AsyncEngine
) -> None:
    seeded = await first_seeded_fact(seeded_engine)
    await add_synthetic_history(seeded_engine)
    async with seeded_engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("ANALYZE citations"))
    queries = ArchiveQueries(seeded_engine, EventStore(seeded_engine, event_registry()))
    view, statement, parameters = await answer_and_its_sql(
        seeded_engine, lambda: queries.fact(seeded.fact_id, seeded.recorded_from)
    )
    assert view.id == seeded.fact_id
    assert view.citations
    plan = await explain(seeded_engine, statement, parameters)
    assert_indexed(plan)
    # The seed's 109 entities fit in three pages, where a scan is the planner's right choice: only the
    # tables that grow with the history are held to an index here.
    assert "Seq Scan on citations" not in plan, plan


async def test_state_lookups_of_commands_use_the_fact_id_index_even_before_statistics_catch_up(
    postgres_backend: str, seeded_engine: AsyncEngine
) -> None:
    # A bulk ingest grows fact_versions faster than autovacuum analyses it. With no statistics on the
    # new rows the planner takes `recorded_to IS NULL` to be rare and reads the current rows through
    # the record-time index, all of them, for every batch (bench case 4: batches went from 0.5 s to 3 s).
    await add_synthetic_history(seeded_engine, analyse=False)
    wanted = {synthetic_fact_id(n) for n in range(0, FACTS, 4)} | {"00000000-0000-5000-8000-999999999999"}

    async def many() -> Any:
        async with seeded_engine.connect() as conn:
            return await fact_versions.current_states(conn, wanted)

    states, statement, parameters = await answer_and_its_sql(seeded_engine, many)
    assert len(states) == FACTS // 4
    # For 500 ids out of 20,000 rows a sequential scan is a fair choice; the record-time index is not.
    plan = await explain(seeded_engine, statement, parameters)
    assert "recorded_to_recorded_from" not in plan, plan

    async def one() -> Any:
        async with seeded_engine.connect() as conn:
            return await fact_versions.current_state(conn, synthetic_fact_id(3))

    state, statement, parameters = await answer_and_its_sql(seeded_engine, one)
    assert state.fact_id == synthetic_fact_id(3)
    assert_indexed(await explain(seeded_engine, statement, parameters))


async def test_batched_closes_find_the_current_rows_by_fact_id_even_before_statistics_catch_up(
    postgres_backend: str, seeded_engine: AsyncEngine
) -> None:
    # The same stale statistics as above, for the projector's batched UPDATE: a batch of corrections
    # (or a rebuild replaying them) must not read every current row through the record-time index.
    await add_synthetic_history(seeded_engine, analyse=False)

    def closes(every: int) -> list[Close]:
        return [
            (synthetic_fact_id(n), VERSIONS, START + STEP * 100, 2_000_000 + n)
            for n in range(0, FACTS, every)
        ]

    def statement_for(batch: list[Close]) -> tuple[str, list[Any]]:
        return postgres_batch(lambda table: f'"{table.name}"', batch, [fact_versions_table], {}, None)

    # 250 facts out of 20,000 rows: a sequential scan is a fair choice, the record-time index is not.
    statement, parameters = statement_for(closes(8))
    assert "recorded_to_recorded_from" not in await explain(seeded_engine, statement, parameters)
    # A correction's close, or a few: through an index on the fact id.
    plan = await explain(seeded_engine, *statement_for(closes(400)))
    assert "recorded_to_recorded_from" not in plan, plan
    assert_indexed(plan)

    async with seeded_engine.begin() as conn:
        driver = await postgres_driver(conn)
        await driver.execute(statement, *parameters)
        closed = await conn.execute(
            select(func.count()).where(
                fact_versions_table.c.fact_id.like("00000000-0000-5000-8000-%"),
                fact_versions_table.c.recorded_to == START + STEP * 100,
            )
        )
        assert closed.scalar_one() == len(closes(8))
