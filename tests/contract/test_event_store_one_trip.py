"""`EventStore.append_and_project` (a fact command's one trip to the database) holds a stream to the
version its write names, as `append` does: a write that continues a stream (expected version 1 or more)
is refused unless the stream is at exactly that version, including a stream that does not exist yet and
one that is behind the version named; a refused write appends nothing. The metadata given is stored
with each event."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.eventstore import ConcurrencyError, EventStore, EventTypeRegistry, NewEvent
from archive.eventstore.store import StreamWrite
from archive.storage import BatchWrites

REGISTRY = EventTypeRegistry({"thing.happened": 1})
NOTHING = BatchWrites([], [], {}, None)


@pytest.fixture
def store(engine: AsyncEngine) -> EventStore:
    return EventStore(engine, REGISTRY)


def thing(n: int) -> NewEvent:
    return NewEvent("thing.happened", {"n": n})


async def one_trip(store: EventStore, stream_id: str, expected_version: int, n: int) -> list[tuple[str, int]]:
    appended = await store.append_and_project(
        StreamWrite(stream_id, expected_version, [thing(n)]), {"actor": "tester"}, [], lambda _: NOTHING
    )
    return [(e.stream_id, e.stream_version) for e in appended]


@pytest.mark.parametrize(("existing", "expected_version"), [(0, 1), (1, 3), (2, 1), (0, 2)])
async def test_a_write_naming_another_version_than_the_streams_is_refused_and_appends_nothing(
    store: EventStore, existing: int, expected_version: int
) -> None:
    for version in range(existing):
        await store.append("s", version, [thing(version)])
    await store.append("other", 0, [thing(9)])
    before = await store.count()
    with pytest.raises(ConcurrencyError) as refused:
        await one_trip(store, "s", expected_version, 5)
    assert (refused.value.stream_id, refused.value.expected_version) == ("s", expected_version)
    assert await store.count() == before
    assert await store.stream_version("s") == existing


async def test_a_write_at_the_streams_version_continues_it_with_its_metadata(store: EventStore) -> None:
    assert await one_trip(store, "s", 0, 1) == [("s", 1)]
    assert await one_trip(store, "s", 1, 2) == [("s", 2)]
    assert await one_trip(store, "t", 0, 3) == [("t", 1)]
    logged = await store.read_all()
    assert [(e.stream_id, e.stream_version, e.data, e.metadata) for e in logged] == [
        ("s", 1, {"n": 1}, {"actor": "tester"}),
        ("s", 2, {"n": 2}, {"actor": "tester"}),
        ("t", 1, {"n": 3}, {"actor": "tester"}),
    ]
    assert (await store.verify()).ok
