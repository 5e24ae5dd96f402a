"""As-of queries read `fact_versions` through an index, never by scanning it (PostgreSQL's planner);
`GET /roles?valid_at=` reads `ix_roles_current_valid_time` (both databases).

The seed alone is too small for the planner to prefer an index, so 20,000 synthetic versions (2,000
facts of 10 versions each) are bulk-inserted and the table analysed. The statements explained are the
ones `fact_versions.version_at` and `Reads.fact` (what `GET /facts/{id}` runs) actually send,
captured on their way to the driver. The roles tests add 20,000 synthetic current roles (and 2,000
older versions), vacuumed and analysed on PostgreSQL only: SQLite runs without statistics, as the app's do.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import pytest
from sqlalchemy import event, func, or_, select, text
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.bootstrap import load_vocabulary, wire
from archive.domain.time import PartialDate, parse_partial_date
from archive.projections import fact_versions, findings
from archive.projections.fact_versions import fact_versions_table
from archive.projections.roles import roles_table
from archive.reads import Reads
from archive.storage import Close
from archive.storage.postgres.batch import postgres_batch
from archive.storage.postgres.driver import postgres_driver

T = TypeVar("T")

FACTS = 2_000
VERSIONS = 10
START = datetime(2001, 1, 1, tzinfo=UTC)
STEP = timedelta(days=1)


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


async def answer_and_its_statements(
    engine: AsyncEngine, read: Callable[[], Awaitable[T]], table: str = ""
) -> tuple[T, list[tuple[str, Sequence[Any]]]]:
    """What `read` returns, and the statements (with parameters) it sent (those reading `table`, if named)."""
    sent: list[tuple[str, Sequence[Any]]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if not table or f"FROM {table}" in statement:
            sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        answer = await read()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    return answer, sent


async def answer_and_its_sql(
    engine: AsyncEngine, read: Callable[[], Awaitable[T]]
) -> tuple[T, str, Sequence[Any]]:
    """What `read` returns, and the one statement and parameters it sent to the driver."""
    answer, sent = await answer_and_its_statements(engine, read)
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
        await conn.execute(text("ANALYZE entities"))  # as autovacuum would: the planner then scans it
    queries = wire(seeded_engine).reads
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
    # ...but a scan must not read the qualifiers out of the fact's JSON state once per entity row.
    assert not re.search(r"Filter: .*entity_id.*#>>", plan), plan


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


# -- roles by valid time --------------------------------------------------------------------------------

ROLE_FACTS = 20_000


def synthetic_role(n: int, version: int = 1, current: bool = True) -> dict[str, Any]:
    """Role n: one of 2,000 holders in one of 50 offices, from a month of 1800-1999 to the end of a later
    year (1 to 5 years later).

    Every 40th has an open start, every 45th an open end (some both); every 30th is deprecated, every
    35th retracted, every 7th planned.
    """
    start = date(1800 + n % 200, 1 + n % 12, 1)
    end = date(start.year + 1 + n % 5, 12, 31)
    return {
        "fact_id": synthetic_fact_id(n),
        "version": version,
        "holder": f"synthetic-person-{n % 2_000}",
        "office_id": f"synthetic-office-{n % 50}",
        "office_label": None,
        "organization_id": f"synthetic-organisation-{n % 20}",
        "organization_label": None,
        "predicate": "held_position",
        "valid_from": None,
        "valid_to": None,
        "point_in_time": None,
        "valid_earliest": None if n % 40 == 0 else start,
        "valid_latest": None if n % 45 == 0 else end,
        "modality": "planned" if n % 7 == 0 else "asserted",
        "rank": "deprecated" if n % 30 == 0 else "normal",
        "status": "retracted" if n % 35 == 0 else "active",
        "recorded_from": recorded_from(version),
        "recorded_to": None if current else recorded_from(version + 1),
        "position_from": 3_000_000 + 2 * n + version,
        "position_to": None if current else 3_000_000 + 2 * n + version + 1,
    }


async def add_synthetic_roles(engine: AsyncEngine) -> None:
    """ROLE_FACTS current roles, every 10th with an older version; then VACUUM ANALYZE on PostgreSQL.

    VACUUM, as autovacuum would after a load: an index-only scan is only cheap once the visibility map
    says the table's pages hold no dead rows.
    """
    rows = [synthetic_role(n, version=2) for n in range(ROLE_FACTS)]
    rows += [synthetic_role(n, version=1, current=False) for n in range(0, ROLE_FACTS, 10)]
    async with engine.begin() as conn:
        await conn.execute(roles_table.insert(), rows)
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE roles"))


@pytest.fixture
async def roles_queries(seeded_engine: AsyncEngine) -> Reads:
    """The read side over the seed plus the synthetic roles."""
    await add_synthetic_roles(seeded_engine)
    return wire(seeded_engine).reads


async def plan_of(engine: AsyncEngine, statement: str, parameters: Sequence[Any]) -> str:
    """The plan of a statement: SQLite's EXPLAIN QUERY PLAN, or PostgreSQL's EXPLAIN."""
    if engine.dialect.name != "sqlite":
        return await explain(engine, statement, parameters)
    async with engine.connect() as conn:
        result = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, tuple(parameters))
        return "\n".join(str(row[-1]) for row in result)


async def roles_by_the_plain_conditions(engine: AsyncEngine, valid_at: PartialDate) -> list[str]:
    """The current dated roles of rank best, asserted, valid at some time in `valid_at`, in the route's order,
    found by the conditions as they read before the index (its reference answer)."""
    table = roles_table
    query = (
        select(table.c.fact_id)
        .where(
            table.c.recorded_to.is_(None),
            table.c.rank != "deprecated",
            table.c.status != "retracted",
            table.c.modality == "asserted",
            or_(table.c.valid_earliest.is_(None), table.c.valid_earliest <= valid_at.latest),
            or_(table.c.valid_latest.is_(None), table.c.valid_latest >= valid_at.earliest),
            # undated roles are no answer to "when"
            or_(table.c.valid_earliest.is_not(None), table.c.valid_latest.is_not(None)),
        )
        .order_by(table.c.valid_earliest.is_(None), table.c.valid_earliest, table.c.fact_id)
    )
    async with engine.connect() as conn:
        return [fact_id for (fact_id,) in await conn.execute(query)]


async def test_roles_valid_at_counts_and_pages_through_the_valid_time_index(
    backend: str, seeded_engine: AsyncEngine, roles_queries: Reads
) -> None:
    # GET /roles?valid_at=YEAR counted and sorted every current row: 425 ms on SQLite and 66 ms on
    # PostgreSQL at 10^5 facts (bench case 5a). Both statements must read ix_roles_current_valid_time:
    # the count from its entries alone, the page in the index's order (no sort of every match).
    queries = roles_queries
    valid_at = parse_partial_date("1802")

    page, statements = await answer_and_its_statements(
        seeded_engine,
        lambda: queries.roles(None, None, None, valid_at, None, "best", "asserted", 50, 0),
        "roles",
    )
    expected = await roles_by_the_plain_conditions(seeded_engine, valid_at)
    assert page.total == len(expected)
    assert [role.fact_id for role in page.items] == expected[:50]
    count, rows = statements
    assert "count(" in count[0]

    count_plan = await plan_of(seeded_engine, *count)
    page_plan = await plan_of(seeded_engine, *rows)
    if backend == "sqlite":
        assert "USING INDEX ix_roles_current_valid_time" in count_plan or (
            "USING COVERING INDEX ix_roles_current_valid_time" in count_plan
        ), count_plan
        assert "ix_roles_current_valid_time" in page_plan, page_plan
        assert "TEMP B-TREE" not in page_plan, page_plan
    else:
        assert "Index Only Scan using ix_roles_current_valid_time" in count_plan, count_plan
        assert "Index Scan using ix_roles_current_valid_time" in page_plan, page_plan
        # Best rank's subplan may sort its few preferred pairs; the matches themselves are not sorted.
        assert "Sort" not in page_plan.split("SubPlan")[0], page_plan


#: sqlite_stat1 of `roles` in the bench's 10^5-fact database after its ANALYZE: 20 organisations, 50
#: offices, 2000 holders, no open start, 132 distinct first days.
BENCH_ROLES_STATISTICS = {
    "ix_roles_organization_id_recorded_to": "100200 5010 456",
    "ix_roles_holder_recorded_to": "100200 51 46",
    "ix_roles_office_id_recorded_to": "100200 2004 401",
    "ix_roles_current_valid_time": "100000 100000 758 1 1 1 1 1",
    "sqlite_autoindex_roles_1": "100200 1 1",
}

#: sqlite_stat1 of `fact_versions` in the same database. It has no row for `ix_fact_versions_preferred`:
#: the bench states no preferred fact, and ANALYZE writes nothing for an empty index.
BENCH_FACT_VERSIONS_STATISTICS = {
    "ix_fact_versions_recorded_to_recorded_from": "100200 499 223",
    "ix_fact_versions_content": "100200 51 51 1 1",
    "ix_fact_versions_predicate_recorded_to": "100200 100200 499",
    "ix_fact_versions_subject_recorded_to": "100200 51 46",
    "ix_fact_versions_object_recorded_to": "100200 2004 401",
    "ix_fact_versions_fact_id_recorded": "100200 1 1 1",
    "sqlite_autoindex_fact_versions_1": "100200 1 1",
}


async def test_roles_valid_at_keeps_the_valid_time_index_once_sqlite_has_statistics(
    sqlite_backend: str, seeded_engine: AsyncEngine, roles_queries: Reads
) -> None:
    # With the statistics ANALYZE (or `PRAGMA optimize`) left in the bench's database, SQLite's
    # planner preferred a skip-scan of the organisation index with a table lookup per current row
    # (bench case 5a: 229 ms a request at 10^5 facts): the listing names its index.
    # Best rank's outranked ids, written as a join, were then found by walking every version and looking
    # each up among the preferred ones (88 ms of each statement at 10^5): the few preferred pairs must
    # drive the search, each finding its normal versions by subject.
    async with seeded_engine.begin() as conn:
        await conn.exec_driver_sql("ANALYZE")
        for table, statistics in (
            ("roles", BENCH_ROLES_STATISTICS),
            ("fact_versions", BENCH_FACT_VERSIONS_STATISTICS),
        ):
            for index, stat in statistics.items():
                await conn.exec_driver_sql(
                    "UPDATE sqlite_stat1 SET stat = ? WHERE tbl = ? AND idx = ?", (stat, table, index)
                )
        await conn.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE idx = 'ix_fact_versions_preferred'")
        await conn.exec_driver_sql("ANALYZE sqlite_schema")  # reload them
    await seeded_engine.dispose()  # and every connection reads them afresh
    valid_at = parse_partial_date("1802")
    page, statements = await answer_and_its_statements(
        seeded_engine,
        lambda: roles_queries.roles(None, None, None, valid_at, None, "best", "asserted", 50, 0),
        "roles",
    )
    assert page.total == len(await roles_by_the_plain_conditions(seeded_engine, valid_at))
    assert len(statements) == 2
    for statement in statements:
        plan = await plan_of(seeded_engine, *statement)
        assert "ix_roles_current_valid_time" in plan, plan
        assert "organization_id" not in plan, plan
        assert "SCAN outranked" not in plan, plan
        assert "SEARCH outranked USING INDEX ix_fact_versions_subject_recorded_to" in plan, plan


async def test_roles_pages_by_valid_time_answer_as_the_plain_conditions_do(
    backend: str, seeded_engine: AsyncEngine, roles_queries: Reads
) -> None:
    # The conditions are rewritten (open bounds as the first and last day, the order spelled as the
    # index is): every page, open bounds and history included, must be the one the plain ones give.
    queries = roles_queries
    for text_date in ("1799", "1802", "1900-06", "1999-12-31", "2010"):
        valid_at = parse_partial_date(text_date)
        expected = await roles_by_the_plain_conditions(seeded_engine, valid_at)
        assert expected, text_date  # in 1799 and 2010 only roles with an open start or end
        # The first pages, the last one, and one past the end (which `_page` answers without reading).
        for offset in sorted({0, 50, max(len(expected) - 10, 0), len(expected) + 5}):
            page = await queries.roles(None, None, None, valid_at, None, "best", "asserted", 50, offset)
            assert page.total == len(expected), text_date
            assert [r.fact_id for r in page.items] == expected[offset : offset + 50], (text_date, offset)


async def test_roles_narrowed_by_holder_office_or_organization_leave_the_valid_time_index_alone(
    backend: str, seeded_engine: AsyncEngine, roles_queries: Reads
) -> None:
    # Without statistics SQLite takes a partial index to hold half the table. It chose the valid-time
    # index over ix_roles_holder_recorded_to when the query named the index's first column (0.2 ms ->
    # 99 ms at 10^5 facts), and for `office` (no index can serve its OR) it walked the valid-time index
    # with a lookup in the table per entry rather than scan the table. Only listings opt in to it.
    # PostgreSQL has statistics and may choose it for a page: there only the holder's index is held.
    queries = roles_queries
    valid_at = parse_partial_date("1802")
    narrowed = {
        "holder": ("synthetic-person-2", None, None),
        "office": (None, "synthetic-office-2", None),
        "organization": (None, None, "synthetic-organisation-2"),
    }
    for name, (holder, office, organization) in narrowed.items():
        page, statements = await answer_and_its_statements(
            seeded_engine,
            partial(queries.roles, holder, office, organization, valid_at, None, "best", "asserted", 50, 0),
            "roles",
        )
        assert page.items, name
        for statement in statements:
            plan = await plan_of(seeded_engine, *statement)
            if backend == "sqlite":
                assert "ix_roles_current_valid_time" not in plan, (name, plan)
            if name == "holder":
                assert "ix_roles_holder_recorded_to" in plan, plan
                assert "ix_roles_current_valid_time" not in plan, plan


async def test_a_findings_refresh_sends_only_statements_compiled_once(seeded_engine: AsyncEngine) -> None:
    # SQLAlchemy compiles a statement it cannot cache (one holding VALUES) at every execution: the content
    # lookup's 900 keys took 40-50 ms to compile, at each chunk of every batch and of a rebuild's fill.
    async with seeded_engine.connect() as conn:
        fact_ids = set(await conn.scalars(select(fact_versions_table.c.fact_id)))
    uncached: list[str] = []
    cached: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if context is not None and context.compiled is not None:
            (uncached if context.cache_hit == CacheStats.NO_CACHE_KEY else cached).append(statement)

    event.listen(seeded_engine.sync_engine, "after_cursor_execute", capture)
    try:
        async with seeded_engine.begin() as conn:
            await findings._refresh_scopes(conn, fact_ids, set(), load_vocabulary())
    finally:
        event.remove(seeded_engine.sync_engine, "after_cursor_execute", capture)
    assert fact_ids
    assert uncached == []
    assert any("wanted" in statement for statement in cached), "the content lookup was not sent"


async def test_precision_variants_look_a_batchs_contents_up_in_the_content_index(
    seeded_engine: AsyncEngine,
) -> None:
    # By subject alone, a batch read every fact of every subject it named: at 10^6 facts of the bench's
    # corpus, every fact at each batch of 2,000. The content index finds those sharing a (subject,
    # predicate, object), with and without an object, and SQLite is told to take it: on an archive
    # analysed before migration 0014 made the index, its planner built an automatic index over the whole
    # table instead, at each batch. It does so for a chunk of hundreds of keys, not for two: the keys that
    # match nothing are there to make it.
    await add_synthetic_history(seeded_engine)
    async with seeded_engine.begin() as conn:
        await conn.run_sync(lambda sync: fact_versions.content_index.drop(sync))
        await conn.run_sync(lambda sync: fact_versions.content_index.create(sync))
    wanted = {("synthetic-3", "member_of", "synthetic-organisation"), ("synthetic-5", "founded", None)}
    wanted |= {(f"absent-{n}", "member_of", "synthetic-organisation") for n in range(600)}
    wanted |= {(f"absent-{n}", "founded", None) for n in range(600)}

    async def read() -> set[str]:
        async with seeded_engine.connect() as conn:
            return await findings._sharing_content(conn, wanted)  # type: ignore[arg-type]

    found, sent = await answer_and_its_statements(seeded_engine, read)
    assert found == {synthetic_fact_id(n) for n in range(3, FACTS, 97)}
    sent = [(statement, parameters) for statement, parameters in sent if "fact_versions" in statement]
    assert len(sent) == 2, sent
    for statement, parameters in sent:
        plan = await plan_of(seeded_engine, statement, parameters)
        if seeded_engine.dialect.name == "sqlite":
            assert "SEARCH fact_versions USING INDEX ix_fact_versions_content" in plan, plan
        else:
            assert "Seq Scan on fact_versions" not in plan, plan


async def test_a_refresh_finds_the_standing_findings_it_touched_by_their_refs_first(
    seeded_engine: AsyncEngine,
) -> None:
    # As a join of `findings` to `finding_refs`, SQLite with statistics scanned `findings` and looked every
    # row up once for each ref of the list: with 1,000 findings and a chunk of 900 refs, 900,000 lookups
    # at each chunk of a batch and of a rebuild's fill. By the refs first, each ref is one lookup.
    if seeded_engine.dialect.name != "sqlite":
        pytest.skip("SQLite's planner: PostgreSQL's hashes the refs, either way")
    await add_synthetic_history(seeded_engine)
    findings_rows, refs_rows = [], []
    for n in range(1000):
        finding = f"synthetic-finding-{n:04d}"
        facts = [synthetic_fact_id(n % 500), synthetic_fact_id((n + 1) % 500)]
        # As an overlap of two holders names them, their office and its organisation, and a source.
        entities = [f"person-{n % 100}", f"person-{(n + 1) % 100}", f"office-{n % 50}", f"org-{n % 20}"]
        findings_rows.append(
            {
                "finding_id": finding,
                "kind": "overlapping_holders",
                "scope": f"office:office-{n % 50}|org-{n % 20}",
                "fact_ids": facts,
                "entity_ids": entities,
                "due_on": None,
            }
        )
        refs = [f"fact:{f}" for f in facts] + [f"entity:{e}" for e in entities] + [f"source:{n % 50}"]
        refs_rows += [{"ref": ref, "finding_id": finding} for ref in refs]
    async with seeded_engine.begin() as conn:
        await conn.execute(findings.findings_table.insert(), findings_rows)
        await conn.execute(findings.finding_refs_table.insert(), refs_rows)
    # With statistics (SQLite's after an ANALYZE or `PRAGMA optimize`; PostgreSQL's after autovacuum).
    async with seeded_engine.begin() as conn:
        for table in ("findings", "finding_refs"):
            await conn.execute(text(f"ANALYZE {table}"))
    touched = {synthetic_fact_id(n) for n in range(900)}
    _, sent = await answer_and_its_statements(
        seeded_engine, partial(refresh_rolled_back, seeded_engine, touched)
    )
    lookups = [
        (s, p)
        for s, p in sent
        if "finding_refs.ref IN" in s and s.lstrip().startswith("SELECT findings.scope")
    ]
    assert lookups, "the refresh looked up no standing finding by its refs"
    for statement, parameters in lookups:
        plan = await plan_of(seeded_engine, statement, parameters)
        assert "SCAN findings" not in plan, plan
        assert "SEARCH findings USING INDEX sqlite_autoindex_findings_1 (finding_id=?)" in plan, plan


async def test_a_findings_refresh_reads_each_facts_state_once(seeded_engine: AsyncEngine) -> None:
    # The rules ask for the states of many of the same facts (the batch's own, the plans among them, the
    # facts sharing their contents): each was read and decoded three times in a refresh.
    async with seeded_engine.connect() as conn:
        fact_ids = set(await conn.scalars(select(fact_versions_table.c.fact_id)))
    refresh = partial(refresh_rolled_back, seeded_engine, fact_ids)
    _, sent = await answer_and_its_statements(seeded_engine, refresh, "fact_versions")
    reads = [p for s, p in sent if s.lstrip().startswith("SELECT fact_versions.state")]
    read_ids = [value for parameters in reads for value in _values(parameters)]
    assert fact_ids <= set(read_ids)
    assert sorted(read_ids) == sorted(set(read_ids))


async def refresh_rolled_back(engine: AsyncEngine, fact_ids: set[str]) -> None:
    """A findings refresh of `fact_ids`, in a transaction rolled back."""
    async with engine.connect() as conn, conn.begin() as transaction:
        await findings._refresh_scopes(conn, fact_ids, set(), load_vocabulary())
        await transaction.rollback()


def _values(parameters: Any) -> list[Any]:
    """The values bound to a statement, as a list (SQLite's are a tuple, PostgreSQL's a list or a dict)."""
    bound = parameters.values() if isinstance(parameters, dict) else parameters
    return [v for value in bound for v in (value if isinstance(value, list) else [value])]


async def test_the_content_lookup_is_planned_for_its_values_on_postgresql(seeded_engine: AsyncEngine) -> None:
    # asyncpg prepares each statement, and after five executions PostgreSQL may keep a generic plan for it:
    # for the content lookup's join to hundreds of VALUES rows that plan took 10-12 s, where one planned
    # for the values took 25-33 ms. The session here prefers generic plans, as PostgreSQL may choose to.
    if seeded_engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan cache")
    wanted = {(f"absent-{n}", "member_of", "synthetic-organisation") for n in range(300)}
    async with seeded_engine.connect() as conn:
        await conn.execute(text("SET plan_cache_mode = force_generic_plan"))
        await conn.commit()
        for _ in range(3):
            async with conn.begin():
                assert await findings._sharing_content(conn, wanted) == set()  # type: ignore[arg-type]
        plans = (
            await conn.execute(
                text(
                    "SELECT sum(generic_plans), sum(custom_plans) FROM pg_prepared_statements"
                    " WHERE statement LIKE '%wanted%' AND statement NOT LIKE '%pg_prepared_statements%'"
                )
            )
        ).one()
        # SET LOCAL: the session's own setting is back once each transaction has ended.
        assert await conn.scalar(text("SHOW plan_cache_mode")) == "force_generic_plan"
        await conn.execute(text("RESET plan_cache_mode"))
        await conn.commit()
    assert tuple(plans) == (0, 3)
