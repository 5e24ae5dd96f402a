"""The event store at its edges: a lone append is one transaction; a batch that loses a race says it was a
batch; the longest event type; reads from the start, a page at a time, in the caller's transaction, into
a type decoded for the first time; the head of an empty log; payloads checked all the way through.

Run on every backend, like tests/contract/test_event_store.py.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest
from asyncpg.exceptions import IntegrityConstraintViolationError
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.eventstore import (
    ConcurrencyError,
    EventStore,
    EventTypeRegistry,
    NewEvent,
    StreamWrite,
    UnserialisableDataError,
)
from archive.eventstore.payload import MAX_EVENT_TYPE_LENGTH, check_json

LONGEST_TYPE = "t" * MAX_EVENT_TYPE_LENGTH
REGISTRY = EventTypeRegistry({"thing.happened": 1, LONGEST_TYPE: 1})


@pytest.fixture
def events(engine: AsyncEngine) -> EventStore:
    return EventStore(engine, REGISTRY)


def happened(n: int) -> NewEvent:
    return NewEvent("thing.happened", {"n": n})


def exactly(message: str) -> str:
    """A `match` pattern for this whole message and nothing else."""
    return f"^{re.escape(message)}$"


async def _refuse_events_numbered_two(engine: AsyncEngine) -> None:
    """A trigger that fails the insert of an event whose data has n = 2, as a full disk or a broken
    constraint would fail a write halfway through a batch."""
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(
                text(
                    "CREATE FUNCTION refuse_two() RETURNS trigger AS $$ BEGIN "
                    "IF NEW.data->>'n' = '2' THEN "
                    "RAISE EXCEPTION 'refused by a test trigger' USING ERRCODE = 'check_violation'; "
                    "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            trigger = "CREATE TRIGGER refuse_two BEFORE INSERT ON events FOR EACH ROW"
            await conn.execute(text(f"{trigger} EXECUTE FUNCTION refuse_two()"))
        else:
            await conn.execute(
                text(
                    "CREATE TRIGGER refuse_two BEFORE INSERT ON events "
                    "WHEN json_extract(NEW.data, '$.n') = 2 "
                    "BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END"
                )
            )


async def test_a_lone_append_that_fails_on_its_second_event_appends_none_of_them(
    events: EventStore, engine: AsyncEngine
) -> None:
    await events.append("before", 0, [happened(0)])
    await _refuse_events_numbered_two(engine)
    # Not a version conflict, so not a ConcurrencyError: the database's own error, and nothing written.
    # (PostgreSQL's append is one call of a server function through asyncpg, whose error arrives as is.)
    with pytest.raises(
        (IntegrityError, IntegrityConstraintViolationError), match="refused by a test trigger"
    ):
        await events.append("s", 0, [happened(1), happened(2), happened(3)])
    assert await events.count() == 1
    assert await events.stream_version("s") == 0
    await events.append("s", 0, [happened(1)])
    assert (await events.verify()).ok


async def test_a_batch_that_loses_a_race_names_no_single_stream(events: EventStore) -> None:
    await events.append("taken", 0, [happened(1)])
    # The stream already has version 1, so the batch's insert of its version 1 is refused by the database.
    writes = [StreamWrite("taken", 0, [happened(2)]), StreamWrite("fresh", 0, [happened(3)])]
    with pytest.raises(ConcurrencyError) as caught:
        async with events.transaction() as conn:
            await events.append_streams_in(conn, writes)
    error = caught.value
    assert (error.stream_id, error.expected_version, error.current_version) == ("(one of a batch)", -1, None)
    assert str(error) == "stream '(one of a batch)' is at a newer version, not at the expected version -1"

    with pytest.raises(ConcurrencyError) as alone:
        async with events.transaction() as conn:
            await events.append_streams_in(conn, writes[:1])
    assert (alone.value.stream_id, alone.value.expected_version) == ("taken", 0)
    assert await events.count() == 1


async def test_refusals_of_a_stream_id_and_a_repeated_stream_say_exactly_what_to_do(
    events: EventStore,
) -> None:
    with pytest.raises(ValueError, match=exactly("stream_id must be 1 to 200 characters")):
        await events.append("", 0, [happened(1)])
    twice = "a batch names a stream twice: give each stream's events in one StreamWrite"
    with pytest.raises(ValueError, match=exactly(twice)):
        async with events.transaction() as conn:
            await events.append_streams_in(conn, [StreamWrite("s", 0, [happened(1)])] * 2)
    assert await events.count() == 0


async def test_an_event_type_as_long_as_the_column_holds_is_stored_and_a_longer_one_named(
    events: EventStore,
) -> None:
    [stored] = await events.append("s", 0, [NewEvent(LONGEST_TYPE, {"n": 1})])
    assert [e.event_type for e in await events.read_stream("s")] == [LONGEST_TYPE] == [stored.event_type]

    too_long = "y" * 300
    message = (
        f"event type {too_long[:120]!r} is not storable: an event type is at most "
        f"{MAX_EVENT_TYPE_LENGTH} characters of valid text without NUL"
    )
    with pytest.raises(ValueError, match=exactly(message)):
        await events.append("s", 1, [NewEvent(too_long, {"n": 2})])
    assert await events.count() == 1


async def test_read_all_reads_from_the_first_event_a_thousand_at_a_time_by_default(
    events: EventStore,
) -> None:
    assert await events.head_position() == 0
    recorded = await events.append("s", 0, [happened(n) for n in range(1001)])
    page = await events.read_all()
    assert len(page) == 1000
    assert page[0] == recorded[0]
    assert page[-1] == recorded[999]
    assert await events.head_position() == recorded[-1].position
    [one] = await events.read_all_decoded(0, 1, {"thing.happened": dict})
    assert (one.position, one.event) == (recorded[0].position, {"n": 0})


async def test_reads_given_the_callers_transaction_see_what_it_has_not_committed(events: EventStore) -> None:
    await events.append("s", 0, [happened(0)])
    async with events.transaction(commit=False) as conn:
        [added] = await events.append_in(conn, "s", 1, [happened(1)], {"actor": "t"})
        assert (await events.read_all(0, limit=10, conn=conn))[-1] == added
        assert (await events.read_stream("s", after_version=1, conn=conn)) == [added]
        assert await events.stream_version("s", conn=conn) == 2
        decoded = await events.read_all_decoded(1, 10, {"thing.happened": dict}, conn=conn)
        assert [(r.position, r.event) for r in decoded] == [(added.position, {"n": 1})]
        # Another connection does not see it.
        assert len(await events.read_all(0, limit=10)) == 1
    assert await events.stream_version("s") == 1


async def test_a_payload_type_read_for_the_first_time_is_decoded_into_it(events: EventStore) -> None:
    # Defined here, so that no earlier read has made a decoder for it.
    class FirstSeen(msgspec.Struct, frozen=True):
        n: int

    await events.append("s", 0, [happened(7), happened(8)])
    replayed = await events.read_all_decoded(0, 10, {"thing.happened": FirstSeen})
    assert [r.event for r in replayed] == [FirstSeen(7), FirstSeen(8)]


# -- payloads ------------------------------------------------------------------------------------------


class Count(int):
    """An int subclass: not one of JSON's own types, and not an enumeration."""


@pytest.mark.parametrize("before", [1, "text", True, None], ids=["int", "str", "bool", "null"])
def test_a_float_is_found_whatever_plain_value_is_walked_before_it(before: Any) -> None:
    # The walk takes a dict's last value first: the float is looked at after `before`.
    with pytest.raises(UnserialisableDataError) as refused:
        check_json({"bad": 1.5, "ok": before})
    assert str(refused.value) == (
        "data.bad is a float, which the log cannot store: "
        "use strings, integers, booleans, null, lists and objects"
    )


def test_a_list_is_walked_to_the_value_that_cannot_be_stored() -> None:
    with pytest.raises(UnserialisableDataError, match=r"^tags\[1\] is a float, which"):
        check_json(["fine", 2.5], "tags")


def test_a_subclass_of_int_that_is_no_enumeration_is_refused_with_its_path() -> None:
    with pytest.raises(UnserialisableDataError, match=r"^metadata\.tags\[0\] is a Count, which"):
        check_json({"tags": [Count(3)]}, "metadata")


async def test_keys_and_text_outside_ascii_are_stored(events: EventStore) -> None:
    data = {"größe": "groß", "名前": ["名"]}
    check_json(data)
    await events.append("s", 0, [NewEvent("thing.happened", data)], {"zuständig": "Jürgen"})
    [stored] = await events.read_stream("s")
    assert (stored.data, stored.metadata) == (data, {"zuständig": "Jürgen"})


async def test_read_all_upcasts_unless_asked_for_what_was_stored_in_its_own_or_the_callers_connection(
    engine: AsyncEngine,
) -> None:
    # v1 of `thing.named` called the field `name`; v2 calls it `title`.
    registry = EventTypeRegistry({"thing.named": 2}, {("thing.named", 1): lambda d: {"title": d["name"]}})
    named = EventStore(engine, registry)
    await named.append("n", 0, [NewEvent("thing.named", {"name": "old"}, schema_version=1)])
    upcast = (2, {"title": "old"})
    stored = (1, {"name": "old"})
    async with named.transaction(commit=False) as conn:
        reads = {
            "default": [await named.read_all(0, 10), await named.read_all(0, 10, conn=conn)],
            "upcast": [
                await named.read_all(0, 10, upcast=True),
                await named.read_all(0, 10, conn=conn, upcast=True),
            ],
            "stored": [
                await named.read_all(0, 10, upcast=False),
                await named.read_all(0, 10, conn=conn, upcast=False),
            ],
        }
    for how, expected in (("default", upcast), ("upcast", upcast), ("stored", stored)):
        for read in reads[how]:
            assert [(e.schema_version, e.data) for e in read] == [expected], how
