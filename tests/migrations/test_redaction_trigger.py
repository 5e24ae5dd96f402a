"""Migration 0010: the `events` trigger lets exactly one UPDATE through, the redaction of a payload to the
marker of its own canonical bytes, on both databases; everything else stays refused (DELETE, any other
column, another marker, a marker of a marker). The digest is the database's own: the canonical JSON
PostgreSQL writes from jsonb, and the function SQLite connections register, equal msgspec's sorted bytes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.eventstore import EventStore, NewEvent, RecordedEvent, events_table
from archive.eventstore.redaction import content_sha256, original_matches, redaction_marker

#: A payload whose canonical bytes are easy to get wrong: keys out of order and of every kind (non-ASCII,
#: astral, control characters, an empty key), nested objects and arrays, escapes, big integers.
AWKWARD = {
    "zeta": [3, {"b": None, "a": True, "": []}, "x"],
    "alpha": 'line\nbreak\ttab "quoted" back\\slash /slash \u0001\u001f\u007f\u2028',
    "ünïcode": "😀 𝄞 é",
    "😀": {"nested": {"z": 1, "Z": 2, "a\u0001": 3}},
    "big": -(10**18),
    "empty": {},
}


@pytest.fixture
async def recorded(store: EventStore) -> list[RecordedEvent]:
    """Two fact events in the log: the awkward payload, and one after it."""
    first = await store.append("fact:one", 0, [NewEvent("fact.recorded", AWKWARD)], {"actor": "a"})
    second = await store.append("fact:two", 0, [NewEvent("fact.recorded", {"k": "v"})], {"actor": "a"})
    return [*first, *second]


def at(position: int) -> Any:
    return update(events_table).where(events_table.c.position == position)


async def refused(engine: AsyncEngine, statement: Any) -> None:
    with pytest.raises(DBAPIError, match="events are immutable"):
        async with engine.begin() as conn:
            await conn.execute(statement)


async def stored_data(engine: AsyncEngine, position: int) -> Any:
    async with engine.connect() as conn:
        query = select(events_table.c.data).where(events_table.c.position == position)
        return (await conn.execute(query)).scalar_one()


async def test_the_marker_of_the_payloads_own_canonical_bytes_is_accepted(
    engine: AsyncEngine, store: EventStore, recorded: list[RecordedEvent]
) -> None:
    event = recorded[0]
    async with engine.begin() as conn:
        await conn.execute(at(event.position).values(data=redaction_marker(AWKWARD)))
    assert await stored_data(engine, event.position) == {"redacted_sha256": content_sha256(AWKWARD)}
    # The other fields and the hash are kept: the original payload still proves itself against them.
    async with engine.connect() as conn:
        kept = await store.read_position(conn, event.position)
    assert kept is not None
    assert (kept.hash, kept.prev_hash, kept.metadata) == (event.hash, event.prev_hash, event.metadata)
    assert original_matches(kept, AWKWARD)
    assert not original_matches(kept, {**AWKWARD, "big": 1})


async def test_any_other_update_or_a_delete_is_refused(
    engine: AsyncEngine, recorded: list[RecordedEvent]
) -> None:
    event, other = recorded
    marker = redaction_marker(AWKWARD)
    for statement in (
        at(event.position).values(stream_id="fact:forged"),
        at(event.position).values(hash="0" * 64),
        at(event.position).values(data={"k": "forged"}),
        # The marker of another payload, and a well-formed marker of nothing at all.
        at(event.position).values(data=redaction_marker({"k": "v"})),
        at(event.position).values(data={"redacted_sha256": "a" * 64}),
        # The right marker, but another column changed with it.
        at(event.position).values(data=marker, event_metadata={"actor": "someone else"}),
        at(event.position).values(data=marker, recorded_at=other.recorded_at),
        at(event.position).values(data=marker, prev_hash=other.prev_hash),
        # The right marker with a key more.
        at(event.position).values(data={**marker, "note": "x"}),
        delete(events_table).where(events_table.c.position == event.position),
    ):
        await refused(engine, statement)
    assert await stored_data(engine, event.position) == AWKWARD


async def test_a_redacted_payload_cannot_be_redacted_again(
    engine: AsyncEngine, recorded: list[RecordedEvent]
) -> None:
    event = recorded[0]
    marker = redaction_marker(AWKWARD)
    async with engine.begin() as conn:
        await conn.execute(at(event.position).values(data=marker))
    # Not to the marker of the marker, and not back to the original either.
    await refused(engine, at(event.position).values(data=redaction_marker(marker)))
    await refused(engine, at(event.position).values(data=AWKWARD))
    assert await stored_data(engine, event.position) == marker
