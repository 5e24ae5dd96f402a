"""The event store's refusals of bad input, its registry's own checks, and `verify` past its first page.

Run on every backend: a refusal must come before the database is touched, so it reads the same on both.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.eventstore import (
    EventStore,
    EventTypeRegistry,
    NewEvent,
    StreamWrite,
    UnknownEventTypeError,
    UnserialisableDataError,
    events_table,
)

REGISTRY = EventTypeRegistry({"thing.happened": 1})


@pytest.fixture
def events(engine: AsyncEngine) -> EventStore:
    """A store with one test event type."""
    return EventStore(engine, REGISTRY)


def happened(n: int) -> NewEvent:
    return NewEvent("thing.happened", {"n": n})


# -- input errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("stream_id", ["", "x" * 201])
async def test_a_stream_id_empty_or_over_200_characters_is_refused(
    events: EventStore, stream_id: str
) -> None:
    with pytest.raises(ValueError, match="stream_id must be 1 to 200 characters"):
        await events.append(stream_id, 0, [happened(1)])
    assert await events.count() == 0


async def test_a_stream_id_of_exactly_200_characters_is_accepted(events: EventStore) -> None:
    await events.append("x" * 200, 0, [happened(1)])
    assert [e.stream_id for e in await events.read_all(0, limit=5)] == ["x" * 200]


async def test_a_negative_expected_version_is_refused(events: EventStore) -> None:
    with pytest.raises(ValueError, match="expected_version must be 0 or more, not -1"):
        await events.append("s", -1, [happened(1)])
    assert await events.count() == 0


async def test_a_batch_naming_a_stream_twice_is_refused_whole(events: EventStore) -> None:
    writes = [
        StreamWrite("s", 0, [happened(1)]),
        StreamWrite("t", 0, [happened(2)]),
        StreamWrite("s", 1, [happened(3)]),
    ]
    with pytest.raises(ValueError, match="a batch names a stream twice"):
        async with events.transaction() as conn:
            await events.append_streams_in(conn, writes)
    assert await events.count() == 0


@pytest.mark.parametrize("data", [["n", 1], "n", 1, None])
async def test_data_that_is_not_a_json_object_is_refused(events: EventStore, data: Any) -> None:
    with pytest.raises(UnserialisableDataError, match=r"data of thing\.happened must be a JSON object"):
        await events.append("s", 0, [happened(1), NewEvent("thing.happened", data)])
    assert await events.count() == 0


@pytest.mark.parametrize("limit", [0, -1])
async def test_read_all_refuses_a_limit_below_one(events: EventStore, limit: int) -> None:
    await events.append("s", 0, [happened(1)])
    with pytest.raises(ValueError, match=f"limit must be at least 1, not {limit}"):
        await events.read_all(0, limit=limit)
    assert len(await events.read_all(0, limit=1)) == 1


async def test_a_schema_version_below_one_is_refused(events: EventStore) -> None:
    with pytest.raises(ValueError, match=r"thing\.happened has no schema version 0 \(current 1\)"):
        await events.append("s", 0, [NewEvent("thing.happened", {"n": 1}, schema_version=0)])
    assert await events.count() == 0


# -- the registry's own checks -------------------------------------------------------------------------


def _add_one(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "steps": [*data.get("steps", []), len(data.get("steps", [])) + 1]}


def test_an_upcaster_for_a_type_the_registry_does_not_know_is_refused() -> None:
    with pytest.raises(UnknownEventTypeError, match=r"thing\.other"):
        EventTypeRegistry(
            {"thing.happened": 2}, {("thing.happened", 1): _add_one, ("thing.other", 1): _add_one}
        )


@pytest.mark.parametrize("from_version", [2, 3])
def test_an_upcaster_from_the_current_version_or_later_is_refused(from_version: int) -> None:
    upcasters = {("thing.happened", 1): _add_one, ("thing.happened", from_version): _add_one}
    with pytest.raises(
        ValueError, match=rf"upcaster for thing\.happened v{from_version} is not below current v2"
    ):
        EventTypeRegistry({"thing.happened": 2}, upcasters)


def test_a_type_missing_an_upcaster_from_some_older_version_is_refused() -> None:
    with pytest.raises(ValueError, match=r"thing\.happened is at v3 but has no upcaster from v2"):
        EventTypeRegistry({"thing.happened": 3}, {("thing.happened", 1): _add_one})
    with pytest.raises(ValueError, match=r"thing\.happened is at v2 but has no upcaster from v1"):
        EventTypeRegistry({"thing.happened": 2})


def test_upcasting_runs_every_step_from_the_stored_version_to_the_current_one_in_order() -> None:
    registry = EventTypeRegistry(
        {"thing.happened": 3, "thing.kept": 1},
        {("thing.happened", 1): _add_one, ("thing.happened", 2): _add_one},
    )
    assert registry.current_version("thing.happened") == 3
    assert registry.upcast("thing.happened", 1, {"n": 0}) == (3, {"n": 0, "steps": [1, 2]})
    assert registry.upcast("thing.happened", 2, {"n": 0}) == (3, {"n": 0, "steps": [1]})
    assert registry.upcast("thing.happened", 3, {"n": 0}) == (3, {"n": 0})
    assert registry.upcast("thing.kept", 1, {"n": 0}) == (1, {"n": 0})
    with pytest.raises(UnknownEventTypeError, match=r"thing\.unknown"):
        registry.current_version("thing.unknown")
    with pytest.raises(UnknownEventTypeError, match=r"thing\.unknown"):
        registry.upcast("thing.unknown", 1, {})


# -- verify past its first page ---------------------------------------------------------------------


async def _tamper(engine: AsyncEngine, position: int) -> None:
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("ALTER TABLE events DISABLE TRIGGER events_immutable"))
        else:
            await conn.execute(text("DROP TRIGGER events_no_update"))
        await conn.execute(
            events_table.update().where(events_table.c.position == position).values(data={"n": -1})
        )


async def _append_many(events: EventStore, count: int, per_batch: int = 2000) -> list[int]:
    positions: list[int] = []
    for start in range(0, count, per_batch):
        batch = [happened(n) for n in range(start, min(count, start + per_batch))]
        positions += [e.position for e in await events.append("long", start, batch)]
    return positions


@pytest.mark.parametrize("batch_size", [1, 3, 7])
async def test_verify_with_small_pages_checks_every_event_and_finds_tampering_after_the_first_page(
    events: EventStore, engine: AsyncEngine, batch_size: int
) -> None:
    positions = await _append_many(events, 20)
    head = (await events.read_all(positions[-1] - 1, limit=1))[0].hash
    report = await events.verify(batch_size=batch_size)
    assert (report.ok, report.events_checked, report.head_hash) == (True, 20, head)

    await _tamper(engine, positions[16])
    report = await events.verify(batch_size=batch_size)
    assert (report.ok, report.first_bad_position, report.events_checked) == (False, positions[16], 16)


async def test_verify_reports_progress_after_each_page(events: EventStore) -> None:
    await _append_many(events, 10)
    seen: list[int] = []
    await events.verify(batch_size=4, on_progress=seen.append)
    assert seen == [4, 8, 10]


async def test_verify_at_its_default_page_size_reads_a_log_longer_than_one_page(
    events: EventStore, engine: AsyncEngine
) -> None:
    positions = await _append_many(events, 5_003)
    report = await events.verify()
    assert (report.ok, report.events_checked) == (True, 5_003)

    await _tamper(engine, positions[5_001])
    report = await events.verify()
    assert (report.ok, report.first_bad_position, report.events_checked) == (False, positions[5_001], 5_001)
