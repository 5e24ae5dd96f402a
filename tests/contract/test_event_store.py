"""The event store's contract, run on every backend (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
import enum
from datetime import UTC
from typing import Any

import msgspec
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.eventstore import (
    GENESIS_HASH,
    ConcurrencyError,
    EmptyBatchError,
    EventStore,
    EventTypeRegistry,
    NewEvent,
    StreamWrite,
    UnknownEventTypeError,
    UnserialisableDataError,
    VerifyReport,
    events_table,
)


def _rename_to_title(data: dict[str, Any]) -> dict[str, Any]:
    """v1 of `thing.named` called the field `name`; v2 calls it `title`."""
    return {"title": data["name"], **{k: v for k, v in data.items() if k != "name"}}


REGISTRY = EventTypeRegistry(
    {"thing.happened": 1, "thing.named": 2},
    {("thing.named", 1): _rename_to_title},
)


@pytest.fixture
def events(engine: AsyncEngine) -> EventStore:
    """A store with a small registry of test event types, one of which has an upcaster."""
    return EventStore(engine, REGISTRY)


def happened(n: int) -> NewEvent:
    return NewEvent("thing.happened", {"n": n})


async def _disable_immutability(engine: AsyncEngine) -> None:
    """What a tamperer with direct database access would do first."""
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("ALTER TABLE events DISABLE TRIGGER events_immutable"))
        else:
            await conn.execute(text("DROP TRIGGER events_no_update"))
            await conn.execute(text("DROP TRIGGER events_no_delete"))


async def test_append_then_read_stream_returns_events_with_versions_positions_and_metadata(
    events: EventStore,
) -> None:
    recorded = await events.append("s-1", 0, [happened(1), happened(2)], {"actor": "tester", "reason": "r"})
    read = await events.read_stream("s-1")
    assert [e.stream_version for e in read] == [1, 2]
    assert [e.data for e in read] == [{"n": 1}, {"n": 2}]
    assert [e.position for e in read] == [e.position for e in recorded]
    assert read[0].position < read[1].position
    assert read[0].metadata == {"actor": "tester", "reason": "r"}
    assert read[0].event_type == "thing.happened"
    assert read[0].schema_version == 1
    assert read[0].recorded_at.utcoffset() is not None
    assert read[0].recorded_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert read[0].prev_hash == GENESIS_HASH
    assert read[1].prev_hash == read[0].hash
    assert await events.read_stream("s-1", after_version=1) == read[1:]


async def test_read_all_pages_in_global_order(events: EventStore) -> None:
    await events.append("a", 0, [happened(1)])
    await events.append("b", 0, [happened(2), happened(3)])
    await events.append("a", 1, [happened(4)])
    first = await events.read_all(0, limit=2)
    rest = await events.read_all(first[-1].position, limit=10)
    assert [e.data["n"] for e in first + rest] == [1, 2, 3, 4]
    assert [e.stream_id for e in first + rest] == ["a", "b", "b", "a"]


class Happened(msgspec.Struct, frozen=True):
    n: int


class Named(msgspec.Struct, frozen=True):
    title: str


TYPES: dict[str, type[Any]] = {"thing.happened": Happened, "thing.named": Named}


async def test_read_all_decoded_pages_like_read_all_with_each_payload_in_its_type(events: EventStore) -> None:
    await events.append("a", 0, [happened(1)])
    await events.append("b", 0, [happened(2), NewEvent("thing.named", {"name": "old"}, schema_version=1)])
    await events.append("a", 1, [NewEvent("thing.named", {"title": "new"}), happened(3)])
    first = await events.read_all_decoded(0, 2, TYPES)
    rest = await events.read_all_decoded(first[-1].position, 10, TYPES)
    recorded = await events.read_all(0, 10)
    assert [e.event for e in first + rest] == [
        Happened(1),
        Happened(2),
        Named("old"),
        Named("new"),
        Happened(3),
    ]
    assert [(e.position, e.event_type, e.recorded_at) for e in first + rest] == [
        (e.position, e.event_type, e.recorded_at) for e in recorded
    ]
    assert recorded[0].recorded_at.utcoffset() is not None
    assert await events.read_all_decoded(rest[-1].position, 10, TYPES) == []


async def test_read_all_decoded_refuses_a_type_it_was_not_given_and_a_payload_that_does_not_fit(
    events: EventStore,
) -> None:
    await events.append("a", 0, [happened(1)])
    with pytest.raises(UnknownEventTypeError, match=r"thing\.happened"):
        await events.read_all_decoded(0, 10, {"thing.named": Named})
    with pytest.raises(msgspec.ValidationError, match="Object missing required field `title`"):
        await events.read_all_decoded(0, 10, {"thing.happened": Named})
    with pytest.raises(ValueError, match="limit must be at least 1"):
        await events.read_all_decoded(0, 0, TYPES)


async def test_stale_expected_version_raises_concurrency_error_and_appends_nothing(
    events: EventStore,
) -> None:
    await events.append("s", 0, [happened(1), happened(2)])
    with pytest.raises(ConcurrencyError) as caught:
        await events.append("s", 1, [happened(3)])
    assert caught.value.current_version == 2
    assert caught.value.expected_version == 1
    assert await events.count() == 2


async def test_expected_version_ahead_of_the_stream_is_refused_without_leaving_a_gap(
    events: EventStore,
) -> None:
    await events.append("s", 0, [happened(1)])
    with pytest.raises(ConcurrencyError) as caught:
        await events.append("s", 5, [happened(2)])
    assert caught.value.current_version == 1
    assert [e.stream_version for e in await events.read_stream("s")] == [1]


async def test_a_new_stream_needs_expected_version_zero(events: EventStore) -> None:
    with pytest.raises(ConcurrencyError):
        await events.append("fresh", 1, [happened(1)])
    assert await events.count() == 0


async def test_four_concurrent_writers_on_one_stream_exactly_one_wins_each_version(
    events: EventStore,
) -> None:
    rounds = 8
    winners: list[int] = []
    for version in range(rounds):
        outcomes = await asyncio.gather(
            *(events.append("contested", version, [happened(writer)]) for writer in range(4)),
            return_exceptions=True,
        )
        won = [o for o in outcomes if not isinstance(o, BaseException)]
        lost = [o for o in outcomes if isinstance(o, BaseException)]
        assert len(won) == 1, outcomes
        assert all(isinstance(o, ConcurrencyError) for o in lost), lost
        winners.append(won[0][0].data["n"])
    stored = await events.read_stream("contested")
    assert [e.stream_version for e in stored] == list(range(1, rounds + 1))
    assert [e.data["n"] for e in stored] == winners
    positions = [e.position for e in await events.read_all(0, limit=100)]
    assert len(positions) == len(set(positions)) == rounds


async def test_concurrent_writers_retrying_lose_no_event_and_duplicate_no_position(
    events: EventStore,
) -> None:
    per_writer = 15
    first_reads = asyncio.Barrier(4)

    async def writer(name: int) -> int:
        conflicts = 0
        written = 0
        while written < per_writer:
            version = await events.stream_version("shared")
            if written == conflicts == 0:
                await first_reads.wait()  # all four read version 0 before any appends: three must retry
            try:
                await events.append(
                    "shared", version, [NewEvent("thing.happened", {"n": name * 1000 + written})]
                )
                written += 1
            except ConcurrencyError:
                conflicts += 1
        return conflicts

    conflicts = await asyncio.gather(*(writer(w) for w in range(4)))
    assert sum(conflicts) >= 3, conflicts
    stored = await events.read_stream("shared")
    assert [e.stream_version for e in stored] == list(range(1, 4 * per_writer + 1))
    assert sorted(e.data["n"] for e in stored) == sorted(
        w * 1000 + i for w in range(4) for i in range(per_writer)
    )
    assert len({e.position for e in stored}) == 4 * per_writer


async def test_readers_tailing_read_all_never_skip_an_event_committed_late(events: EventStore) -> None:
    writers_done = asyncio.Event()

    async def tail() -> list[int]:
        seen: list[int] = []
        after = 0
        while True:
            finished = writers_done.is_set()
            page = await events.read_all(after, limit=50)
            seen.extend(e.position for e in page)
            if page:
                after = page[-1].position
            elif finished:
                return seen
            await asyncio.sleep(0)

    async def write(stream: str) -> None:
        for i in range(20):
            await events.append(stream, 2 * i, [happened(i), happened(i + 100)])

    tailers = [asyncio.create_task(tail()) for _ in range(2)]
    await asyncio.gather(*(write(f"w{n}") for n in range(4)))
    writers_done.set()
    seen_by_each = await asyncio.gather(*tailers)
    every = [e.position for e in await events.read_all(0, limit=10_000)]
    assert len(every) == 160
    for seen in seen_by_each:
        assert seen == every


async def test_hash_chain_verifies_and_names_the_one_row_changed_behind_the_stores_back(
    events: EventStore, engine: AsyncEngine
) -> None:
    for i in range(6):
        await events.append(f"s{i % 2}", i // 2, [happened(i)])
    report = await events.verify()
    assert report.ok
    assert report.events_checked == 6
    assert report.first_bad_position is None
    head = (await events.read_all(0, limit=10))[-1]
    assert report.head_hash == head.hash

    target = (await events.read_all(0, limit=10))[3].position
    await _disable_immutability(engine)
    async with engine.begin() as conn:
        await conn.execute(
            events_table.update().where(events_table.c.position == target).values(data={"n": 999})
        )
    before = (await events.read_all(0, limit=10))[2]
    assert await events.verify() == VerifyReport(
        ok=False,
        events_checked=3,
        head_hash=before.hash,
        first_bad_position=target,
        problem="the stored event does not match its hash (it was changed)",
    )


async def test_verify_reports_a_row_deleted_from_the_middle_of_the_log(
    events: EventStore, engine: AsyncEngine
) -> None:
    for i in range(5):
        await events.append("s", i, [happened(i)])
    logged = await events.read_all(0, limit=10)
    await _disable_immutability(engine)
    async with engine.begin() as conn:
        await conn.execute(events_table.delete().where(events_table.c.position == logged[2].position))
    assert await events.verify() == VerifyReport(
        ok=False,
        events_checked=2,
        head_hash=logged[1].hash,
        first_bad_position=logged[3].position,
        problem="prev_hash does not link to the event before it (an event is missing)",
    )


async def test_the_database_itself_refuses_update_and_delete_on_events(
    events: EventStore, engine: AsyncEngine
) -> None:
    await events.append("s", 0, [happened(1)])
    for statement in (events_table.update().values(data={"n": 2}), events_table.delete()):
        with pytest.raises((IntegrityError, DBAPIError)) as caught:
            async with engine.begin() as conn:
                await conn.execute(statement)
        assert "immutable" in str(caught.value)
    assert [e.data for e in await events.read_stream("s")] == [{"n": 1}]


async def test_an_event_with_an_old_schema_version_is_upcast_when_read(
    events: EventStore, engine: AsyncEngine
) -> None:
    await events.append("named", 0, [NewEvent("thing.named", {"name": "old shape"}, schema_version=1)])
    await events.append("named", 1, [NewEvent("thing.named", {"title": "new shape"})])
    read = await events.read_stream("named")
    assert [(e.schema_version, e.data) for e in read] == [
        (2, {"title": "old shape"}),
        (2, {"title": "new shape"}),
    ]
    async with engine.connect() as conn:
        stored = (await conn.execute(select(events_table.c.schema_version, events_table.c.data))).all()
    assert [tuple(row) for row in stored] == [(1, {"name": "old shape"}), (2, {"title": "new shape"})]
    assert (await events.verify()).ok


async def test_unknown_event_type_is_refused_and_nothing_appended(events: EventStore) -> None:
    with pytest.raises(UnknownEventTypeError, match=r"thing\.unheard_of"):
        await events.append("s", 0, [happened(1), NewEvent("thing.unheard_of", {})])
    assert await events.count() == 0


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        ({"when": object()}, "data.when is a object"),
        ({"ratio": 0.5}, "data.ratio is a float"),
        ({"tags": {"a", "b"}}, "data.tags is a set"),
        ({"raw": b"\x00"}, "data.raw is a bytes"),
        ({1: "non-string key"}, "key 1 that is not a string"),
        ({"a": [1, "x", {"b": 0.5}]}, r"data\.a\[2\]\.b is a float"),
        ({"deep": {"x": [{"y": {2: "k"}}]}}, r"data\.deep\.x\[0\]\.y has a key 2"),
    ],
)
async def test_data_that_is_not_plain_json_is_refused_and_nothing_appended(
    events: EventStore, data: dict[Any, Any], complaint: str
) -> None:
    with pytest.raises(UnserialisableDataError, match=complaint):
        await events.append("s", 0, [happened(1), NewEvent("thing.happened", data)])
    assert await events.count() == 0


class Level(enum.IntEnum):
    HIGH = 3


class Colour(enum.StrEnum):
    RED = "red"


class Code(str):
    """A str subclass: not an enumeration, so the log cannot say how to store it."""


async def test_enumerations_and_tuples_are_stored_as_their_json_values(events: EventStore) -> None:
    data = {"level": Level.HIGH, "colour": [Colour.RED], "pair": (1, "a"), "none": None, "flag": False}
    await events.append("s", 0, [NewEvent("thing.happened", data)])
    (stored,) = await events.read_stream("s")
    assert stored.data == {"level": 3, "colour": ["red"], "pair": [1, "a"], "none": None, "flag": False}


async def test_a_subclass_of_a_json_type_is_refused_with_its_path(events: EventStore) -> None:
    with pytest.raises(UnserialisableDataError, match=r"data\.tags\[1\] is a Code"):
        await events.append("s", 0, [NewEvent("thing.happened", {"tags": ["a", Code("b")]})])
    assert await events.count() == 0


async def test_metadata_that_is_not_plain_json_is_refused(events: EventStore) -> None:
    with pytest.raises(UnserialisableDataError, match=r"metadata\.actor"):
        await events.append("s", 0, [happened(1)], {"actor": object()})
    assert await events.count() == 0


async def test_an_empty_batch_is_refused(events: EventStore) -> None:
    with pytest.raises(EmptyBatchError, match="no events"):
        await events.append("s", 0, [])
    assert await events.count() == 0


async def test_a_schema_version_newer_than_the_registry_knows_is_refused(events: EventStore) -> None:
    with pytest.raises(ValueError, match="no schema version 3"):
        await events.append("s", 0, [NewEvent("thing.named", {"title": "x"}, schema_version=3)])
    assert await events.count() == 0


async def test_a_multi_stream_batch_names_the_stream_whose_expected_version_is_missing(
    events: EventStore,
) -> None:
    await events.append("kept", 0, [happened(1)])
    await events.append("short", 0, [happened(2)])
    writes = [
        StreamWrite("kept", 1, [happened(3)]),
        StreamWrite("short", 4, [happened(4)]),
        StreamWrite("new", 0, [happened(5)]),
    ]
    with pytest.raises(ConcurrencyError) as caught:
        async with events.transaction() as conn:
            await events.append_streams_in(conn, writes)
    assert (caught.value.stream_id, caught.value.expected_version) == ("short", 4)
    assert await events.count() == 2


async def test_a_multi_stream_batch_gets_consecutive_positions_linked_in_order(events: EventStore) -> None:
    await events.append("before", 0, [happened(0)])
    writes = [StreamWrite(f"s{n}", 0, [happened(n), happened(n + 100)]) for n in range(1, 4)]
    async with events.transaction() as conn:
        recorded = await events.append_streams_in(conn, writes, {"actor": "t"})
    assert [(e.stream_id, e.stream_version) for e in recorded] == [
        (f"s{n}", version) for n in range(1, 4) for version in (1, 2)
    ]
    positions = [e.position for e in recorded]
    assert positions == list(range(positions[0], positions[0] + 6))
    assert [e.prev_hash for e in recorded[1:]] == [e.hash for e in recorded[:-1]]
    assert await events.read_all(0, limit=10) == [*await events.read_all(0, limit=1), *recorded]
    assert (await events.verify()).ok


async def test_recorded_at_is_stored_so_that_sql_compares_it_with_the_recorded_value(
    events: EventStore, engine: AsyncEngine
) -> None:
    first = (await events.append("a", 0, [happened(1)]))[0]
    second = (await events.append("b", 0, [happened(2)]))[0]
    query = select(events_table.c.position).where(events_table.c.recorded_at > first.recorded_at)
    async with engine.connect() as conn:
        assert (await conn.execute(query)).scalars().all() == [second.position]
        stored = (await conn.execute(select(events_table.c.recorded_at, events_table.c.data))).all()
    assert [(moment.replace(tzinfo=UTC), data) for moment, data in stored] == [
        (first.recorded_at, {"n": 1}),
        (second.recorded_at, {"n": 2}),
    ]
