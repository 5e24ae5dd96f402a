"""Text every backend can store, and only that: a log written on one backend must move to the other.

SQLite stored a NUL character and an over-long event type that PostgreSQL refuses with a raw driver
error, and a lone surrogate raised a raw `UnicodeEncodeError` on both. The store now refuses each with its
own error before touching the database, the same way on both backends.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.eventstore import (
    EventStore,
    EventTypeRegistry,
    InvalidAppendError,
    NewEvent,
    UnserialisableDataError,
)
from archive.eventstore.payload import MAX_EVENT_TYPE_LENGTH

LONG_TYPE = "t" * (MAX_EVENT_TYPE_LENGTH + 1)
REGISTRY = EventTypeRegistry({"thing.happened": 1, LONG_TYPE: 1, "nul\x00type": 1})
LONE_SURROGATE = "before \ud800 after"


@pytest.fixture
def events(engine: AsyncEngine) -> EventStore:
    """A store that knows a normal, an over-long and a NUL-bearing event type."""
    return EventStore(engine, REGISTRY)


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"text": "a\x00b"}, r"thing\.happened\.data\.text holds a NUL character"),
        ({"a\x00b": 1}, "has a key 'a\\\\x00b' that holds a NUL character"),
        ({"items": ["ok", {"deep": "x\x00"}]}, r"data\.items\[1\]\.deep holds a NUL character"),
        ({"text": LONE_SURROGATE}, r"data\.text holds a lone surrogate at character 7"),
        ({LONE_SURROGATE: 1}, "that holds a lone surrogate"),
    ],
    ids=["nul-value", "nul-key", "nul-nested", "surrogate-value", "surrogate-key"],
)
async def test_data_no_backend_can_store_is_refused_naming_where_it_is(
    events: EventStore, data: dict[str, Any], said: str
) -> None:
    with pytest.raises(UnserialisableDataError, match=said):
        await events.append("s", 0, [NewEvent("thing.happened", data)])
    assert await events.count() == 0


@pytest.mark.parametrize(
    ("metadata", "said"),
    [({"actor": "a\x00"}, r"metadata\.actor holds a NUL"), ({"reason": LONE_SURROGATE}, "lone surrogate")],
    ids=["nul", "surrogate"],
)
async def test_metadata_no_backend_can_store_is_refused(
    events: EventStore, metadata: dict[str, Any], said: str
) -> None:
    with pytest.raises(UnserialisableDataError, match=said):
        await events.append("s", 0, [NewEvent("thing.happened", {"n": 1})], metadata)
    assert await events.count() == 0


@pytest.mark.parametrize(
    ("stream_id", "said"), [("s\x00", "holds a NUL character"), (LONE_SURROGATE, "lone surrogate")]
)
async def test_a_stream_id_no_backend_can_store_is_refused(
    events: EventStore, stream_id: str, said: str
) -> None:
    with pytest.raises(InvalidAppendError, match=said):
        await events.append(stream_id, 0, [NewEvent("thing.happened", {"n": 1})])
    assert await events.count() == 0


@pytest.mark.parametrize("event_type", [LONG_TYPE, "nul\x00type"], ids=["too-long", "nul"])
async def test_an_event_type_the_column_cannot_hold_is_refused(events: EventStore, event_type: str) -> None:
    with pytest.raises(InvalidAppendError, match=f"at most {MAX_EVENT_TYPE_LENGTH} characters"):
        await events.append("s", 0, [NewEvent(event_type, {"n": 1})])
    assert await events.count() == 0


async def test_text_every_backend_stores_goes_through_unchanged(events: EventStore) -> None:
    data = {"text": "Ünïcödé — \u2013 \U0001f600 \\u0000 as six characters", "tab\tkey": "line\nbreak"}
    [recorded] = await events.append("s", 0, [NewEvent("thing.happened", data)], {"actor": "ä"})
    [read] = await events.read_stream("s")
    assert read.data == data == recorded.data
    assert read.metadata["actor"] == "ä"
    assert (await events.verify()).ok
