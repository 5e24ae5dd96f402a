"""The event store with a redacted event, on every backend: `read_position` and `redact_in`, `verify`
taking a marker's stored hash when a redaction event records it (over one page or many) and naming the
first marker nobody recorded, and reads that give a marker as it is, never upcast or decoded as the type.
Fast enough for `make mutation` (archive/eventstore/store.py)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.eventstore import EventStore, EventTypeRegistry, NewEvent, VerifyReport
from archive.eventstore.redaction import (
    REDACTION_EVENT_TYPE,
    RedactedPayload,
    content_sha256,
    redaction_marker,
)

#: thing.happened is at v2; v1 payloads gain "upcast": true.
REGISTRY = EventTypeRegistry(
    {"thing.happened": 2, REDACTION_EVENT_TYPE: 1},
    {("thing.happened", 1): lambda data: {**data, "upcast": True}},
)
UNRECORDED = "the payload was replaced by a redaction marker that no redaction event records (it was changed)"


class Happened(msgspec.Struct):
    n: int
    upcast: bool = False


@pytest.fixture
async def events(engine: AsyncEngine) -> EventStore:
    """Positions 1-4: a:1 (stored at v1), a:2, b:1, a:3."""
    store = EventStore(engine, REGISTRY)
    await store.append("a", 0, [NewEvent("thing.happened", {"n": 1}, schema_version=1)])
    await store.append("a", 1, [NewEvent("thing.happened", {"n": 2})])
    await store.append("b", 0, [NewEvent("thing.happened", {"n": 3})])
    await store.append("a", 2, [NewEvent("thing.happened", {"n": 4})])
    return store


async def redact(store: EventStore, position: int, recorded: Any = "its digest") -> str:
    """Redact `position` and append the redaction event naming it with `recorded` (its own digest unless
    told otherwise; None appends no redaction event)."""
    async with store.transaction() as conn:
        digest = await store.redact_in(conn, position)
        if recorded is not None:
            named = digest if recorded == "its digest" else recorded
            version = await store.stream_version("log", conn)
            await store.append_in(
                conn,
                "log",
                version,
                [NewEvent(REDACTION_EVENT_TYPE, {"position": position, "content_sha256": named})],
            )
    return digest


async def test_read_position_gives_the_event_as_stored_in_the_transaction(events: EventStore) -> None:
    async with events.transaction() as conn:
        first = await events.read_position(conn, 1)
        assert await events.read_position(conn, 5) is None
        assert await events.read_position(conn, 0) is None
    assert first is not None
    assert (first.position, first.stream_id, first.stream_version) == (1, "a", 1)
    # Not upcast: what the hash covers.
    assert (first.schema_version, first.data) == (1, {"n": 1})
    assert first == (await events.read_all(0, 1, upcast=False))[0]


async def test_redact_in_replaces_the_payload_with_its_marker_and_returns_the_digest(
    events: EventStore,
) -> None:
    before = (await events.read_all(0, 4, upcast=False))[1]
    digest = await redact(events, 2)
    assert digest == content_sha256({"n": 2})
    after = (await events.read_all(0, 4, upcast=False))[1]
    assert after.data == redaction_marker({"n": 2}) == {"redacted_sha256": digest}
    assert after == msgspec.structs.replace(before, data=after.data)


async def test_redact_in_refuses_a_position_the_log_does_not_hold(events: EventStore) -> None:
    with pytest.raises(ValueError, match=r"^the log has no event at position 99$"):
        async with events.transaction() as conn:
            await events.redact_in(conn, 99)


@pytest.mark.parametrize("batch_size", [1, 2, 5000])
async def test_verify_takes_a_recorded_markers_stored_hash(events: EventStore, batch_size: int) -> None:
    head = (await events.verify()).head_hash
    await redact(events, 3)
    redaction = (await events.read_all(4, 1, upcast=False))[0]
    assert redaction.prev_hash == head
    progress: list[int] = []
    report = await events.verify(batch_size=batch_size, on_progress=progress.append)
    assert report == VerifyReport(ok=True, events_checked=5, head_hash=redaction.hash)
    assert progress[-1] == 5
    assert len(progress) == 5 // batch_size + 1


@pytest.mark.parametrize("batch_size", [1, 5000])
async def test_verify_names_the_first_marker_no_redaction_event_records(
    events: EventStore, batch_size: int
) -> None:
    head = (await events.verify()).head_hash
    await redact(events, 3, recorded=None)
    await redact(events, 2, recorded=None)
    report = await events.verify(batch_size=batch_size)
    assert report == VerifyReport(
        ok=False, events_checked=4, head_hash=head, first_bad_position=2, problem=UNRECORDED
    )


@pytest.mark.parametrize(
    "recorded", ["0" * 64, None, 12], ids=["another digest", "no redaction event", "a digest not text"]
)
async def test_a_marker_recorded_with_another_digest_is_unrecorded(events: EventStore, recorded: Any) -> None:
    await redact(events, 4, recorded=recorded)
    report = await events.verify()
    assert (report.ok, report.first_bad_position, report.problem) == (False, 4, UNRECORDED)


async def test_a_redaction_naming_its_position_as_text_records_nothing(events: EventStore) -> None:
    async with events.transaction() as conn:
        digest = await events.redact_in(conn, 2)
        await events.append_in(
            conn, "log", 0, [NewEvent(REDACTION_EVENT_TYPE, {"position": "2", "content_sha256": digest})]
        )
    report = await events.verify()
    assert (report.ok, report.first_bad_position, report.events_checked) == (False, 2, 5)


async def test_one_recorded_marker_does_not_cover_another(events: EventStore) -> None:
    await redact(events, 1)
    await redact(events, 3, recorded=None)
    report = await events.verify()
    assert (report.ok, report.first_bad_position) == (False, 3)


async def test_reads_give_a_marker_as_it_is(events: EventStore) -> None:
    digest = await redact(events, 1)
    stream = await events.read_stream("a")
    # The v1 event redacted: no upcaster runs on its marker, and its schema version stays as stored.
    assert (stream[0].schema_version, stream[0].data) == (1, {"redacted_sha256": digest})
    assert (stream[1].schema_version, stream[1].data) == (2, {"n": 2})
    replayed = await events.read_all_decoded(0, 4, {"thing.happened": Happened})
    assert [r.event for r in replayed] == [RedactedPayload(digest), Happened(2), Happened(3), Happened(4)]


async def test_a_payload_that_only_looks_like_a_marker_is_decoded_as_its_type(engine: AsyncEngine) -> None:
    class Looks(msgspec.Struct):
        redacted_sha256: str

    store = EventStore(engine, EventTypeRegistry({"looks": 1}))
    await store.append("l", 0, [NewEvent("looks", {"redacted_sha256": "short"})])
    replayed = await store.read_all_decoded(0, 10, {"looks": Looks})
    assert replayed[0].event == Looks("short")
    assert (await store.verify()).ok
