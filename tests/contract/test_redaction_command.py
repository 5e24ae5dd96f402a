"""The redaction command on a real store, on every backend: what it appends and where (the redaction
event on the redacted event's own fact stream, at the next version, with who asked and why), the payload
replaced by its marker, the fact withdrawn from the read models, and each refusal with its exact text and
nothing appended or replaced. Fast, for `make mutation` (archive/commands/redaction.py)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.commands import Archive, FactWritten
from archive.commands.unit import Written
from archive.domain.errors import DomainError, InvalidCommand
from archive.domain.redaction import AlreadyRedacted, EventNotInLog
from archive.domain.streams import fact_stream
from archive.eventstore import ConcurrencyError, EventStore
from archive.eventstore.redaction import content_sha256, is_redacted, redaction_marker
from archive.projections import fact_versions
from tests.contract.example_archive import (
    MEMBERSHIP,
    MEMBERSHIP_QUOTE,
    META,
    META_STORED,
    correct_valid_from,
    record,
)
from tests.unit.examples import cite


@pytest.fixture
async def fact(archive: Archive) -> FactWritten:
    """A fact recorded and corrected: two events on its stream."""
    recorded = await record(archive, MEMBERSHIP, cite(3, 3, MEMBERSHIP_QUOTE))
    return await correct_valid_from(archive, recorded, "1992-01")


async def positions(store: EventStore, fact: FactWritten) -> list[int]:
    return [e.position for e in await store.read_stream(fact_stream(fact.fact_id))]


async def redact(archive: Archive, position: int, justification: str = " request 17 ") -> Written:
    return await archive.redact_event(
        position=position, reason_code="legal_order", justification=justification, meta=META
    )


async def test_a_redaction_is_appended_to_the_fact_stream_and_replaces_the_payload(
    archive: Archive, store: EventStore, engine: AsyncEngine, fact: FactWritten
) -> None:
    first, second = await positions(store, fact)
    original = (await store.read_all(first - 1, 1, upcast=False))[0]
    assert original.position == first
    head = (await store.read_all(0, 100_000))[-1].position

    written = await redact(archive, first)

    stream = fact_stream(fact.fact_id)
    assert (written.stream_id, written.version) == (stream, 3)
    [event] = written.events
    assert (event.position, event.stream_id, event.stream_version, event.event_type) == (
        head + 1,
        stream,
        3,
        "log.redacted",
    )
    assert event.metadata == META_STORED
    digest = content_sha256(original.data)
    assert {k: v for k, v in event.data.items() if k != "recorded_at"} == {
        "position": first,
        "stream_id": stream,
        "redacted_event_type": "fact.recorded",
        "content_sha256": digest,
        "reason_code": "legal_order",
        "justification": "request 17",
    }
    assert [e.event_type for e in await store.read_stream(stream)] == [
        "fact.recorded",
        "fact.corrected",
        "log.redacted",
    ]
    async with store.transaction() as conn:
        stored = await store.read_position(conn, first)
        kept = await store.read_position(conn, second)
    assert stored is not None
    assert kept is not None
    assert stored.data == redaction_marker(original.data)
    assert kept.event_type == "fact.corrected"
    assert not is_redacted(kept.data)
    async with engine.connect() as conn:
        assert not await fact_versions.exists(conn, fact.fact_id)
    assert (await store.verify()).ok


async def test_the_second_event_of_a_fact_is_redacted_by_its_own_type_and_digest(
    archive: Archive, store: EventStore, fact: FactWritten
) -> None:
    _, second = await positions(store, fact)
    original = (await store.read_all(second - 1, 1, upcast=False))[0]
    written = await redact(archive, second)
    data = written.events[0].data
    assert (data["position"], data["redacted_event_type"], data["content_sha256"]) == (
        second,
        "fact.corrected",
        content_sha256(original.data),
    )


async def refused(
    archive: Archive, store: EventStore, position: int, justification: str = "asked"
) -> DomainError:
    before = await store.read_all(0, 100_000, upcast=False)
    with pytest.raises(DomainError) as caught:
        await redact(archive, position, justification)
    assert await store.read_all(0, 100_000, upcast=False) == before
    return caught.value


async def test_a_position_past_the_log_is_refused_and_nothing_appended(
    archive: Archive, store: EventStore, fact: FactWritten
) -> None:
    head = (await store.read_all(0, 100_000))[-1].position
    error = await refused(archive, store, head + 1)
    assert type(error) is EventNotInLog
    assert (error.field, error.message) == ("position", f"the log has no event at position {head + 1}")
    error = await refused(archive, store, 0)
    assert error.message == "the log has no event at position 0"


async def test_an_event_already_redacted_is_refused_and_nothing_appended(
    archive: Archive, store: EventStore, fact: FactWritten
) -> None:
    first, _ = await positions(store, fact)
    await redact(archive, first)
    error = await refused(archive, store, first)
    assert type(error) is AlreadyRedacted
    assert (error.field, error.message) == (
        "position",
        f"the payload of the event at position {first} is already redacted",
    )


async def test_a_redaction_event_itself_is_refused(
    archive: Archive, store: EventStore, fact: FactWritten
) -> None:
    first, _ = await positions(store, fact)
    written = await redact(archive, first)
    position = written.events[0].position
    error = await refused(archive, store, position)
    assert type(error) is InvalidCommand
    assert error.message == (
        f"the event at position {position} is a redaction: a redaction is never redacted, it is what "
        "makes a redacted payload in the log legitimate"
    )


async def test_a_blank_justification_is_refused_and_nothing_appended(
    archive: Archive, store: EventStore, fact: FactWritten
) -> None:
    first, _ = await positions(store, fact)
    error = await refused(archive, store, first, "  \n ")
    assert type(error) is InvalidCommand
    assert (error.field, error.message) == (
        "justification",
        "justification is empty: say why this payload must go (the order, the request)",
    )
    async with store.transaction() as conn:
        assert await fact_versions.exists(conn, fact.fact_id)


async def test_an_event_of_a_source_is_refused_and_nothing_appended(
    archive: Archive, store: EventStore, fact: FactWritten
) -> None:
    source_event = next(e for e in await store.read_all(0, 100_000) if e.stream_id.startswith("source:"))
    error = await refused(archive, store, source_event.position)
    assert type(error) is InvalidCommand
    assert error.field == "position"
    assert error.message == (
        f"the event at position {source_event.position} ({source_event.event_type} of "
        f"{source_event.stream_id}) is not a fact's: only a fact's events can be redacted"
    )


async def test_a_redaction_in_the_callers_transaction_is_undone_with_it(
    archive: Archive, store: EventStore, fact: FactWritten
) -> None:
    first, _ = await positions(store, fact)
    before = await store.read_all(0, 100_000, upcast=False)

    async def redact_then_give_up() -> None:
        async with store.transaction() as conn:
            await archive.redact_event(
                position=first, reason_code="privacy", justification="asked", meta=META, conn=conn
            )
            raise RuntimeError("the caller gives up")

    with pytest.raises(RuntimeError, match="the caller gives up"):
        await redact_then_give_up()
    assert await store.read_all(0, 100_000, upcast=False) == before


async def test_two_redactions_of_one_fact_in_one_transaction_append_at_the_versions_it_holds(
    archive: Archive, store: EventStore, fact: FactWritten
) -> None:
    """The second reads the fact's stream version in the caller's transaction, where the first's
    redaction event is already appended (not yet committed)."""
    first, second = await positions(store, fact)
    async with store.transaction() as conn:
        one = await archive.redact_event(
            position=first, reason_code="privacy", justification="asked", meta=META, conn=conn
        )
        two = await archive.redact_event(
            position=second, reason_code="privacy", justification="asked", meta=META, conn=conn
        )
    assert (one.version, two.version) == (3, 4)
    assert [e.stream_version for e in two.events] == [4]


async def test_recording_a_redacted_fact_again_is_refused_by_the_process_that_remembered_it(
    archive: Archive, store: EventStore
) -> None:
    # This process remembers the fact as recorded; the same content again would append nothing, so no
    # append would check that memory. The redaction moved the fact on: the answer is the 409 a process
    # that never saw the fact gives, not "already recorded" for a fact the archive withdrew.
    recorded = await record(archive, MEMBERSHIP, cite(3, 3, MEMBERSHIP_QUOTE))
    await redact(archive, recorded.events[0].position)
    head = (await store.read_all(0, 100_000))[-1].position
    with pytest.raises(ConcurrencyError) as refused:
        await record(archive, MEMBERSHIP, cite(3, 3, MEMBERSHIP_QUOTE))
    assert (refused.value.stream_id, refused.value.current_version) == (fact_stream(recorded.fact_id), 2)
    assert (await store.read_all(0, 100_000))[-1].position == head
