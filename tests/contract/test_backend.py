"""The storage seam's contract: what every `Backend` (archive/storage) must do, run on every database.

The generic code (the event store, the projector, the replay, the reads) relies on these and nothing else,
so the fast paths of each database are tested here, at their seam, and not only through HTTP.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from archive.eventstore import GENESIS_HASH, ConcurrencyError, events_table
from archive.eventstore.hashing import canonical_row, chain_hash
from archive.projections.checkpoints import checkpoints_table
from archive.storage import Backend, Complete, Replay, backend_for
from archive.storage.engine import create_engine
from archive.storage.postgres.append import APPEND_LOCK_KEY

#: A table of the shape the versioned read models have, for the batch writes, in a metadata of its own.
scratch = MetaData()
rows_table = Table(
    "contract_rows",
    scratch,
    Column("fact_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("note", Text, nullable=True),
    Column("day", Date, nullable=True),
    Column("recorded_from", DateTime(timezone=True), nullable=False),
    Column("recorded_to", DateTime(timezone=True), nullable=True),
    Column("position_to", BigInteger, nullable=True),
    Index("ix_contract_rows_note", "note"),
)
AT = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
LATER = datetime(2026, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)


@pytest.fixture
async def seam(engine: AsyncEngine) -> Backend:
    """The engine's backend, with the scratch table created."""
    async with engine.begin() as conn:
        await conn.run_sync(scratch.create_all)
    return backend_for(engine)


def event_row(stream_id: str, version: int) -> dict[str, object]:
    return {
        "stream_id": stream_id,
        "stream_version": version,
        "event_type": "thing.happened",
        "schema_version": 1,
        "data": {"n": version},
        "event_metadata": {"actor": "contract"},
    }


def row(fact_id: str, version: int, note: str, seam: Backend, conn: AsyncConnection) -> tuple[object, ...]:
    encoding = seam.encoding(conn)
    return (fact_id, version, note, encoding.day(date(1992, 1, 31)), encoding.moment(AT), None, None)


async def stored(engine: AsyncEngine) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        found = await conn.execute(select(rows_table).order_by(rows_table.c.fact_id, rows_table.c.version))
        return [tuple(r) for r in found]


async def test_one_backend_per_engine(engine: AsyncEngine, seam: Backend) -> None:
    assert backend_for(engine) is seam
    assert seam.name == engine.dialect.name


# -- the write transaction ----------------------------------------------------------------------------


async def test_write_transactions_take_turns_holding_the_lock(
    engine: AsyncEngine, database_url: str, seam: Backend
) -> None:
    # Another engine on the same database, as another process would have: the database's lock, not this
    # process's queue, must keep the second writer out.
    other_engine = create_engine(database_url)
    other = backend_for(other_engine)
    assert other is not seam
    steps: list[str] = []

    async def writer(name: str, backend: Backend, on: AsyncEngine, hold: float) -> None:
        async with backend.write_transaction(on, commit=True) as conn:
            await conn.execute(select(func.count()).select_from(events_table))
            steps.append(f"{name} in")
            await asyncio.sleep(hold)
            steps.append(f"{name} out")

    try:
        first = asyncio.create_task(writer("first", seam, engine, 0.3))
        await asyncio.sleep(0.05)
        await asyncio.gather(first, writer("second", other, other_engine, 0))
    finally:
        await other_engine.dispose()
    assert steps == ["first in", "first out", "second in", "second out"]


async def test_a_write_transaction_commits_rolls_back_on_request_and_on_error(
    engine: AsyncEngine, seam: Backend
) -> None:
    async with seam.write_transaction(engine, commit=True) as conn:
        await seam.insert_rows(conn, rows_table, [row("kept", 1, "kept", seam, conn)])
    async with seam.write_transaction(engine, commit=False) as conn:
        await seam.insert_rows(conn, rows_table, [row("dropped", 1, "dropped", seam, conn)])

    async def fail_after_a_write() -> None:
        async with seam.write_transaction(engine, commit=True) as conn:
            await seam.insert_rows(conn, rows_table, [row("failed", 1, "failed", seam, conn)])
            raise RuntimeError("refused")

    with pytest.raises(RuntimeError, match="refused"):
        await fail_after_a_write()
    assert [r[0] for r in await stored(engine)] == ["kept"]


async def test_a_catch_up_in_one_trip_commits_returns_its_value_and_leaves_nothing_on_error(
    engine: AsyncEngine, seam: Backend
) -> None:
    # Written as async code over the connection's execute, scalars and scalar: on SQLite it runs in the
    # driver's thread over a synchronous connection, on PostgreSQL as an ordinary write transaction.
    async def write(conn: AsyncConnection) -> tuple[int, list[str]]:
        await conn.execute(
            rows_table.insert(), [{"fact_id": "kept", "version": 1, "note": "first", "recorded_from": AT}]
        )
        await conn.execute(
            rows_table.insert(), [{"fact_id": "kept", "version": 2, "note": "second", "recorded_from": AT}]
        )
        count = await conn.scalar(select(func.count()).select_from(rows_table))
        notes = list(await conn.scalars(select(rows_table.c.note).order_by(rows_table.c.version)))
        return int(count or 0), notes

    assert await seam.follow_in_one_trip(engine, write) == (2, ["first", "second"])

    async def fail_after_a_write(conn: AsyncConnection) -> None:
        await conn.execute(
            rows_table.insert(), [{"fact_id": "failed", "version": 1, "note": "x", "recorded_from": AT}]
        )
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError, match="refused"):
        await seam.follow_in_one_trip(engine, fail_after_a_write)
    assert [(r[0], r[1]) for r in await stored(engine)] == [("kept", 1), ("kept", 2)]


async def holds_then_waits(holder: Coroutine[Any, Any, None], waiter: Coroutine[Any, Any, Any]) -> None:
    """`holder` started first and given time to take its lock, then `waiter`; both run to their end."""
    first = asyncio.create_task(holder)
    await asyncio.sleep(0.05)
    await asyncio.gather(first, waiter)


async def test_a_catch_up_in_one_trip_waits_for_a_write_transaction(
    engine: AsyncEngine, database_url: str, seam: Backend
) -> None:
    other_engine = create_engine(database_url)
    other = backend_for(other_engine)
    steps: list[str] = []

    async def holder() -> None:
        async with other.write_transaction(other_engine, commit=True) as conn:
            await conn.execute(select(func.count()).select_from(events_table))
            steps.append("other in")
            await asyncio.sleep(0.3)
            steps.append("other out")

    async def counted(conn: AsyncConnection) -> None:
        await conn.scalar(select(func.count()).select_from(events_table))
        steps.append("one trip")

    try:
        await holds_then_waits(holder(), seam.follow_in_one_trip(engine, counted))
    finally:
        await other_engine.dispose()
    assert steps == ["other in", "other out", "one trip"]


async def test_a_write_transaction_waits_for_a_catch_up_on_postgresql(
    engine: AsyncEngine, database_url: str, seam: Backend, postgres_backend: str
) -> None:
    # (On SQLite a catch-up is one synchronous trip holding the one write lock, as the test above shows.)
    other_engine = create_engine(database_url)
    other = backend_for(other_engine)
    steps: list[str] = []

    async def catching_up(conn: AsyncConnection) -> None:
        await conn.scalar(select(func.count()).select_from(events_table))
        steps.append("catch-up in")
        await asyncio.sleep(0.3)
        steps.append("catch-up out")

    async def writer() -> None:
        async with other.write_transaction(other_engine, commit=True) as conn:
            await conn.execute(select(func.count()).select_from(events_table))
            steps.append("write transaction")

    try:
        await holds_then_waits(seam.follow_in_one_trip(engine, catching_up), writer())
    finally:
        await other_engine.dispose()
    assert steps == ["catch-up in", "catch-up out", "write transaction"]


async def test_a_catch_up_goes_on_while_a_one_trip_write_holds_the_append_lock_on_postgresql(
    engine: AsyncEngine, database_url: str, seam: Backend, postgres_backend: str
) -> None:
    # `archive_append` takes the append lock alone, and a catch-up takes only the follow lock.
    other_engine = create_engine(database_url)

    async def counted(conn: AsyncConnection) -> int:
        return int(await conn.scalar(select(func.count()).select_from(events_table)) or 0)

    try:
        async with other_engine.connect() as conn, conn.begin():
            await conn.execute(select(func.pg_advisory_xact_lock(APPEND_LOCK_KEY)))
            assert await asyncio.wait_for(seam.follow_in_one_trip(engine, counted), 10) == 0
    finally:
        await other_engine.dispose()


# -- events -------------------------------------------------------------------------------------------


async def test_inserted_events_are_numbered_and_chained_from_the_head(
    engine: AsyncEngine, seam: Backend
) -> None:
    rows = [event_row("s", 1), event_row("s", 2)]
    async with seam.write_transaction(engine, commit=True) as conn:
        linked = await seam.insert_events(conn, rows, [], {"actor": "contract"}, AT, own_transaction=False)
    assert [position for position, _, _ in linked] == [1, 2]
    first_hash = chain_hash(GENESIS_HASH, canonical_row(event_row("s", 1), AT))
    assert linked[0] == (1, GENESIS_HASH, first_hash)
    assert linked[1] == (2, first_hash, chain_hash(first_hash, canonical_row(event_row("s", 2), AT)))
    async with seam.lone_append(engine) as conn:
        [(position, prev_hash, _)] = await seam.insert_events(
            conn, [event_row("s", 3)], [("s", 2)], {"actor": "contract"}, LATER, own_transaction=True
        )
    assert (position, prev_hash) == (3, linked[1][2])
    async with engine.connect() as conn:
        stored_events = (await conn.execute(select(events_table.c.position, events_table.c.hash))).all()
    assert [tuple(e) for e in stored_events] == [
        (1, linked[0][2]),
        (2, linked[1][2]),
        (3, stored_events[2][1]),
    ]


async def test_continuing_a_stream_from_a_version_it_has_not_reached_inserts_nothing(
    engine: AsyncEngine, seam: Backend
) -> None:
    async with seam.lone_append(engine) as conn:
        await seam.insert_events(conn, [event_row("s", 1)], [], {}, AT, own_transaction=True)

    async def continue_from_version_two() -> None:
        async with seam.lone_append(engine) as conn:
            await seam.insert_events(conn, [event_row("s", 3)], [("s", 2)], {}, AT, own_transaction=True)

    with pytest.raises(ConcurrencyError):
        await continue_from_version_two()
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(events_table))).scalar_one() == 1


# -- projection batches -------------------------------------------------------------------------------


async def test_a_batch_closes_before_it_inserts_and_moves_the_checkpoints(
    engine: AsyncEngine, seam: Backend
) -> None:
    async with seam.write_transaction(engine, commit=True) as conn:
        await seam.insert_rows(conn, rows_table, [row("f", 1, "first", seam, conn)])
    async with seam.write_transaction(engine, commit=True) as conn:
        await seam.write_batch(
            conn,
            closes=[("f", 1, LATER, 7)],
            close_tables=[rows_table],
            inserts={rows_table: [row("f", 2, "second", seam, conn)]},
            checkpoint=(checkpoints_table, ["contract"], 7),
        )
    rows = await stored(engine)
    assert [(r[0], r[1], r[2], r[6]) for r in rows] == [("f", 1, "first", 7), ("f", 2, "second", None)]
    assert rows[0][5] is not None
    assert rows[0][5].replace(tzinfo=UTC) == LATER  # SQLite hands back naive UTC
    assert rows[1][3] == date(1992, 1, 31)
    assert rows[1][4].replace(tzinfo=UTC) == AT
    async with engine.connect() as conn:
        position = await conn.execute(
            select(checkpoints_table.c.position).where(checkpoints_table.c.projection == "contract")
        )
        assert position.scalar_one() == 7


@pytest.mark.parametrize("count", [3, 40], ids=["few", "many"])
async def test_rows_land_however_many_there_are(engine: AsyncEngine, seam: Backend, count: int) -> None:
    async with seam.write_transaction(engine, commit=True) as conn:
        await seam.insert_rows(
            conn, rows_table, [row(f"f{n:03}", 1, str(n), seam, conn) for n in range(count)]
        )
    assert [r[2] for r in await stored(engine)] == [str(n) for n in range(count)]


# -- reads --------------------------------------------------------------------------------------------


async def test_reads_and_point_reads_see_what_was_committed(engine: AsyncEngine, seam: Backend) -> None:
    async with seam.write_transaction(engine, commit=True) as conn:
        await seam.insert_rows(conn, rows_table, [row("f", 1, "seen", seam, conn)])
    many, single = seam.read_engines(engine)
    for reads in (many, single):
        async with reads.connect() as conn:
            assert (await conn.execute(select(rows_table.c.note))).scalar_one() == "seen"
    statement = select(rows_table.c.fact_id, rows_table.c.note).where(rows_table.c.version == 1)
    [found] = await seam.point_reader(engine, single).all(statement, {})
    assert (found.fact_id, found.note) == ("f", "seen")


async def test_a_query_told_its_index_returns_the_same_rows(engine: AsyncEngine, seam: Backend) -> None:
    async with seam.write_transaction(engine, commit=True) as conn:
        await seam.insert_rows(conn, rows_table, [row(f"f{n}", 1, f"note {n}", seam, conn) for n in range(5)])
    query = select(rows_table.c.fact_id).where(rows_table.c.note >= "note 2").order_by(rows_table.c.note)
    hinted = seam.use_index(query, rows_table, next(iter(rows_table.indexes)))
    async with engine.connect() as conn:
        assert (await conn.execute(hinted)).scalars().all() == (await conn.execute(query)).scalars().all()
        await seam.analyze(conn, [rows_table])


# -- rebuild ------------------------------------------------------------------------------------------


async def test_a_rebuild_replays_into_empty_tables_completes_them_and_a_failed_one_keeps_the_old_rows(
    engine: AsyncEngine, seam: Backend
) -> None:
    async with seam.write_transaction(engine, commit=True) as conn:
        await seam.insert_rows(conn, rows_table, [row("old", 1, "old", seam, conn)])
    steps: list[str] = []

    async def replay(conn: AsyncConnection, read_conn: AsyncConnection | None) -> int:
        assert (await conn.execute(select(func.count()).select_from(rows_table))).scalar_one() == 0
        await seam.insert_rows(conn, rows_table, [row("new", 1, "new", seam, conn)])
        steps.append("replay")
        return 1

    async def complete(conn: AsyncConnection) -> None:
        # It sees the replayed rows, and writes beside them into the same fresh tables.
        rows = (await conn.execute(select(rows_table.c.fact_id))).scalars().all()
        await seam.insert_rows(conn, rows_table, [row(f"after-{r}", 1, "", seam, conn) for r in rows])
        steps.append("complete")

    async def failing(conn: AsyncConnection, read_conn: AsyncConnection | None) -> int:
        raise RuntimeError("the replay failed")

    async def failing_complete(conn: AsyncConnection) -> None:
        raise RuntimeError("the completion failed")

    async def rebuild_failing(replayed: Replay, completed: Complete) -> None:
        async with seam.write_transaction(engine, commit=True) as conn:
            await seam.rebuild(conn, [rows_table], replayed, completed)

    with pytest.raises(RuntimeError, match="the replay failed"):
        await rebuild_failing(failing, complete)
    with pytest.raises(RuntimeError, match="the completion failed"):
        await rebuild_failing(replay, failing_complete)
    assert [r[0] for r in await stored(engine)] == ["old"]
    steps.clear()
    async with seam.write_transaction(engine, commit=True) as conn:
        assert await seam.rebuild(conn, [rows_table], replay, complete) == 1
    assert steps == ["replay", "complete"]
    assert [r[0] for r in await stored(engine)] == ["after-new", "new"]
    async with engine.connect() as conn:
        indexes = await conn.run_sync(lambda sync: sync.dialect.get_indexes(sync, "contract_rows"))
    assert {index["name"] for index in indexes} >= {"ix_contract_rows_note"}
