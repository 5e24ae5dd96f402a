"""A rebuild never locks readers out, and on PostgreSQL swaps in new tables that keep the old grants.

Row-for-row equality with the inline projection, and a failure midway, are in
tests/contract/test_projections.py; these tests are about what readers and the catalog see.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Sequence

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from archive.bootstrap import wire
from archive.commands import Archive
from archive.eventstore import LockTimeoutError, ReplayedEvent
from archive.projections import findings as findings_module
from archive.projections import rebuild as rebuild_module
from archive.projections.fact_versions import fact_versions_table
from archive.projections.rebuild import (
    REPLAY_GC_THRESHOLD,
    REPLAYED_TABLES,
    collecting_less_often,
    rebuild,
)
from archive.projections.roles import roles_table
from archive.projections.runner import Projector
from archive.projections.shadow import compare_with_rebuild
from archive.reads import FactFilter, Reads
from archive.storage import postgres as postgres_backend_module
from archive.storage.engine import create_engine, table_name_on
from archive.storage.postgres import rebuild as swap_module
from archive.storage.postgres.rebuild import REBUILD_SCHEMA
from tests.contract.test_projections import ExplodingProjector, event_count, read_model_indexes, snapshot


class GatedProjector(Projector):
    """Applies its first page, then waits for `go` before applying the rest."""

    def __init__(self, projector: Projector) -> None:
        super().__init__(projector.vocabulary)
        self.first_page_applied = asyncio.Event()
        self.go = asyncio.Event()

    async def apply_replayed(self, conn: AsyncConnection, recorded_events: Sequence[ReplayedEvent]) -> None:
        await super().apply_replayed(conn, recorded_events)
        self.first_page_applied.set()
        await self.go.wait()


async def read_everything(queries: Reads, fact_id: str) -> tuple[object, ...]:
    """A few reads across the read models, as a client would make them."""
    return (
        await queries.fact(fact_id),
        await queries.search_facts(FactFilter(), 50, 0),
        await queries.entities(None, None, 50, 0),
        await queries.sources(50, 0),
    )


async def test_readers_see_the_old_rows_during_a_rebuild_and_are_never_blocked_or_failed(
    seeded_archive: Archive, seeded_database_url: str
) -> None:
    reader = create_engine(seeded_database_url)
    try:
        queries = wire(reader).reads
        async with reader.connect() as conn:
            fact_id = (await conn.execute(select(fact_versions_table.c.fact_id).limit(1))).scalar_one()
        before = await read_everything(queries, fact_id)

        gated = GatedProjector(seeded_archive.projector)
        rebuilding = asyncio.create_task(rebuild(seeded_archive.store, gated, page_size=20))
        await asyncio.wait_for(gated.first_page_applied.wait(), 30)
        # Midway: the new rows so far are uncommitted (and on PostgreSQL in other tables).
        assert await asyncio.wait_for(read_everything(queries, fact_id), 10) == before

        gated.go.set()
        reads = 0
        while not rebuilding.done():  # through the end of the rebuild, its swap and commit included
            assert await asyncio.wait_for(read_everything(queries, fact_id), 10) == before
            reads += 1
        assert await rebuilding == await event_count(reader)
        assert await read_everything(queries, fact_id) == before
        assert reads > 0
    finally:
        await reader.dispose()


async def table_oids(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = await conn.exec_driver_sql(
            "SELECT relname, oid::int FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
            "AND relkind = 'r' AND relname = ANY($1::text[])",
            ([t.name for t in REPLAYED_TABLES],),
        )
        return {str(name): int(oid) for name, oid in rows}


async def rebuild_schema_exists(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        found = await conn.exec_driver_sql(
            "SELECT count(*) FROM pg_namespace WHERE nspname = $1", (REBUILD_SCHEMA,)
        )
        return bool(found.scalar_one())


async def table_definitions(engine: AsyncEngine) -> list[tuple[str, ...]]:
    """Every column (type, nullability, default) and constraint of the replayed tables, as migrated."""
    async with engine.connect() as conn:
        columns = await conn.exec_driver_sql(
            "SELECT table_name, column_name, data_type, coalesce(character_maximum_length::text, ''), "
            "is_nullable, coalesce(column_default, '') FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ANY($1::text[]) "
            "ORDER BY table_name, ordinal_position",
            ([t.name for t in REPLAYED_TABLES],),
        )
        constraints = await conn.exec_driver_sql(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = ANY(SELECT oid FROM pg_class WHERE relname = ANY($1::text[]) "
            "AND relnamespace = current_schema()::regnamespace) ORDER BY 1, 2",
            ([t.name for t in REPLAYED_TABLES],),
        )
        return [tuple(map(str, row)) for row in [*columns, *constraints]]


async def test_postgres_rebuild_swaps_in_new_tables_with_the_same_rows_indexes_and_grants(
    postgres_backend: str, seeded_archive: Archive, seeded_engine: AsyncEngine
) -> None:
    """The new tables come from the models, the old ones from the migrations: they must not differ."""
    async with seeded_engine.begin() as conn:
        await conn.exec_driver_sql('GRANT SELECT ON "roles", "fact_versions" TO PUBLIC')
    before, indexes, definitions, oids = (
        await snapshot(seeded_engine),
        await read_model_indexes(seeded_engine),
        await table_definitions(seeded_engine),
        await table_oids(seeded_engine),
    )
    assert len(oids) == len(REPLAYED_TABLES)
    assert len(definitions) > 50

    await rebuild(seeded_archive.store, seeded_archive.projector)

    after_oids = await table_oids(seeded_engine)
    assert after_oids.keys() == oids.keys()
    assert all(after_oids[name] != oids[name] for name in oids), "every table was replaced"
    assert await snapshot(seeded_engine) == before
    assert await read_model_indexes(seeded_engine) == indexes
    assert await table_definitions(seeded_engine) == definitions
    assert not await rebuild_schema_exists(seeded_engine)
    async with seeded_engine.connect() as conn:
        public = await conn.exec_driver_sql(
            "SELECT table_name FROM information_schema.table_privileges "
            "WHERE table_schema = current_schema() AND grantee = 'PUBLIC' AND privilege_type = 'SELECT' "
            "ORDER BY table_name"
        )
        assert [name for (name,) in public] == ["fact_versions", "roles"]
        analyzed = await conn.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_user_tables "
            "WHERE relname = 'fact_versions' AND last_analyze IS NOT NULL"
        )
        assert analyzed.scalar_one() == 1, "the new tables come with statistics"


async def test_postgres_rebuild_that_fails_midway_leaves_no_schema_and_the_same_tables(
    postgres_backend: str, seeded_archive: Archive, seeded_engine: AsyncEngine
) -> None:
    oids = await table_oids(seeded_engine)
    exploding = ExplodingProjector(seeded_archive.projector, fail_at=100)
    with pytest.raises(RuntimeError, match="boom"):
        await rebuild(seeded_archive.store, exploding, page_size=50)
    assert await table_oids(seeded_engine) == oids
    assert not await rebuild_schema_exists(seeded_engine)


async def test_postgres_rebuild_in_place_when_the_role_may_not_swap_tables(
    postgres_backend: str,
    seeded_archive: Archive,
    seeded_engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with seeded_engine.connect() as conn:
        assert await swap_module.can_swap_tables(conn, REPLAYED_TABLES), "the test role owns its tables"

    async def not_allowed(conn: AsyncConnection, tables: object) -> bool:
        return False

    monkeypatch.setattr(postgres_backend_module, "can_swap_tables", not_allowed)
    before, oids = await snapshot(seeded_engine), await table_oids(seeded_engine)
    assert await rebuild(seeded_archive.store, seeded_archive.projector) == await event_count(seeded_engine)
    assert await table_oids(seeded_engine) == oids, "the same tables, rewritten"
    assert await snapshot(seeded_engine) == before


async def hold_a_read_lock_until(engine: AsyncEngine, holding: asyncio.Event, release: asyncio.Event) -> None:
    """A reader's transaction holding `roles` (as a long report would) until `release`."""
    async with engine.connect() as conn, conn.begin():
        await conn.execute(select(roles_table.c.fact_id).limit(1))
        holding.set()
        await asyncio.wait_for(release.wait(), 60)


class RecordingLog:
    """Stands in for the rebuild's logger: records each event, and says when the swap first waited (the
    rebuild also logs how long each of its phases took)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, object]]] = []
        self.logged = asyncio.Event()

    def info(self, event: str, **fields: object) -> None:
        self.events.append((event, fields))
        if event == "rebuild_swap_waiting":
            self.logged.set()


async def test_postgres_swap_waits_out_a_reader_that_holds_a_table_then_swaps(
    postgres_backend: str,
    seeded_archive: Archive,
    seeded_engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(swap_module, "SWAP_LOCK_TIMEOUT", "100ms")
    recording = RecordingLog()
    monkeypatch.setattr(swap_module, "log", recording)
    oids = await table_oids(seeded_engine)
    holding, release = asyncio.Event(), asyncio.Event()
    reader = asyncio.create_task(hold_a_read_lock_until(seeded_engine, holding, release))
    await holding.wait()

    async def release_after_a_failed_attempt() -> None:
        await recording.logged.wait()
        release.set()

    releasing = asyncio.create_task(release_after_a_failed_attempt())
    applied = await asyncio.wait_for(rebuild(seeded_archive.store, seeded_archive.projector), 60)
    await reader
    await releasing

    assert applied == await event_count(seeded_engine)
    waits = [fields["reason"] for event, fields in recording.events if event == "rebuild_swap_waiting"]
    assert waits[0] == "LockNotAvailableError"
    # Each phase says how long it took, the search documents before the swap (which must stay short).
    phases = [fields["phase"] for event, fields in recording.events if event == "rebuild_phase"]
    assert phases[0] == "replay"
    assert phases[-4:] == ["analyze", "complete", "search_documents", "swap"]
    after = await table_oids(seeded_engine)
    assert all(after[name] != oids[name] for name in oids)


async def test_postgres_swap_that_never_gets_its_locks_fails_and_leaves_the_old_tables(
    postgres_backend: str,
    seeded_archive: Archive,
    seeded_engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(swap_module, "SWAP_LOCK_TIMEOUT", "50ms")
    monkeypatch.setattr(swap_module, "SWAP_LOCK_ATTEMPTS", 3)
    before, oids = await snapshot(seeded_engine), await table_oids(seeded_engine)
    holding, release = asyncio.Event(), asyncio.Event()
    reader = asyncio.create_task(hold_a_read_lock_until(seeded_engine, holding, release))
    await holding.wait()
    try:
        # The store reports the database's lock timeout as its own error, the driver's as its cause.
        with pytest.raises(LockTimeoutError) as refused:
            await rebuild(seeded_archive.store, seeded_archive.projector)
    finally:
        release.set()
        await reader
    assert isinstance(refused.value.__cause__, asyncpg.LockNotAvailableError)
    assert await table_oids(seeded_engine) == oids
    assert await snapshot(seeded_engine) == before
    assert not await rebuild_schema_exists(seeded_engine)


class StatisticsProbe(Projector):
    """After each page: how many events are applied, and `fact_versions`' row estimate where it is written."""

    def __init__(self, projector: Projector) -> None:
        super().__init__(projector.vocabulary)
        self.applied = 0
        self.seen: list[tuple[int, float, int]] = []  # (events applied, reltuples, rows)

    async def apply_replayed(self, conn: AsyncConnection, recorded_events: Sequence[ReplayedEvent]) -> None:
        await super().apply_replayed(conn, recorded_events)
        self.applied += len(recorded_events)
        name = table_name_on(conn, fact_versions_table)
        estimate = await conn.exec_driver_sql(
            f"SELECT reltuples FROM pg_class WHERE oid = '{name}'::regclass"
        )
        rows = await conn.exec_driver_sql(f"SELECT count(*) FROM {name}")
        self.seen.append((self.applied, float(estimate.scalar_one()), int(rows.scalar_one())))


async def test_postgres_replay_analyzes_the_tables_it_fills_as_they_grow(
    postgres_backend: str,
    seeded_archive: Archive,
    seeded_engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """New tables have no statistics: without them, a replay's state lookups read all of `fact_versions`.

    The probe runs before the replay's ANALYZE of the same page, so the page that crosses a threshold
    still shows the old estimate, and the next page shows the rows counted then.
    """
    total = await event_count(seeded_engine)
    first = total * 3 // 4  # the seed registers its entities and sources before most facts
    monkeypatch.setattr(rebuild_module, "ANALYZE_FROM", first)
    for replaying in ("rebuild", "shadow check"):
        probe = StatisticsProbe(seeded_archive.projector)
        if replaying == "rebuild":
            await rebuild(seeded_archive.store, probe, page_size=10)
        else:
            assert await compare_with_rebuild(seeded_archive.store, probe, page_size=10) == []
        never_analyzed = [estimate for applied, estimate, _ in probe.seen if applied <= first]
        assert set(never_analyzed) == {-1.0}, replaying
        crossing = next(i for i, (applied, _, _) in enumerate(probe.seen) if applied >= first)
        rows_then = probe.seen[crossing][2]
        assert rows_then > 0, "facts were projected by then"
        assert probe.seen[crossing + 1][1] == rows_then, replaying


class ThresholdProbe(Projector):
    """Records the garbage collector's thresholds while each page is applied."""

    def __init__(self, projector: Projector) -> None:
        super().__init__(projector.vocabulary)
        self.seen: set[tuple[int, ...]] = set()

    async def apply_replayed(self, conn: AsyncConnection, recorded_events: Sequence[ReplayedEvent]) -> None:
        self.seen.add(gc.get_threshold())
        await super().apply_replayed(conn, recorded_events)


async def test_a_replay_collects_garbage_less_often_and_restores_the_thresholds_even_when_it_fails(
    seeded_archive: Archive,
) -> None:
    before = gc.get_threshold()
    assert before != REPLAY_GC_THRESHOLD
    probe = ThresholdProbe(seeded_archive.projector)
    await rebuild(seeded_archive.store, probe, page_size=50)
    assert probe.seen == {REPLAY_GC_THRESHOLD}
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError, match="boom"):
        await rebuild(
            seeded_archive.store, ExplodingProjector(seeded_archive.projector, fail_at=100), page_size=50
        )
    assert gc.get_threshold() == before


def test_overlapping_replays_restore_the_thresholds_when_the_last_one_ends() -> None:
    before = gc.get_threshold()
    first, second = collecting_less_often(), collecting_less_often()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold() == REPLAY_GC_THRESHOLD, "the second replay still runs"
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before


async def test_a_rebuild_filling_the_findings_a_few_rows_at_a_time_writes_the_rows_the_writes_left(
    seeded_archive: Archive, seeded_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A rebuild computes the findings once its rows are in (`findings.fill`), chunk after chunk: with
    # chunks of three, the seeded corpus's offices, subjects and entities each span many chunks.
    before = await snapshot(seeded_engine)
    assert before["findings"]
    assert before["finding_refs"]
    monkeypatch.setattr(findings_module, "FILL_CHUNK", 3)
    await rebuild(seeded_archive.store, seeded_archive.projector)
    assert await snapshot(seeded_engine) == before
