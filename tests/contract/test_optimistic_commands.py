"""Fact commands decide before they take the append lock (docs/decisions/0012-optimistic-commands.md):
the append checks every stream the decision read, so a write that lands between a command's reads and
its append is never overlooked. Each test lets another writer in at exactly that moment.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from archive.commands import Archive
from archive.domain.errors import SourceHashMismatch, StaleVersion
from archive.domain.streams import fact_stream, source_stream
from archive.eventstore import ConcurrencyError, EventStore, NewEvent, RecordedEvent
from archive.eventstore.store import StreamWrite
from archive.storage import BatchWrites
from tests.contract.example_archive import (
    META,
    OFFICER,
    OFFICER_QUOTE,
    REVISED_TEXT,
    VOCABULARY,
    Ticking,
    correct_valid_from,
    record,
    register_source,
)
from tests.unit.examples import SOURCE_ID, SOURCE_TEXT, cite


def writer_before_each_append(
    store: EventStore, monkeypatch: pytest.MonkeyPatch, other_writer: Callable[[], Awaitable[object]]
) -> list[int]:
    """Run `other_writer` just before the next command's append (after its reads and its decision),
    once; returns the list of the command appends made, one number each."""
    appends: list[int] = []
    original = store.append_and_project

    async def interleaved(*args: Any, **kwargs: Any) -> list[RecordedEvent]:
        appends.append(len(appends) + 1)
        if len(appends) == 1:
            await other_writer()
        return await original(*args, **kwargs)

    monkeypatch.setattr(store, "append_and_project", interleaved)
    return appends


async def test_a_source_revised_between_the_reads_and_the_append_is_not_overlooked(
    archive: Archive, store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Decided on the first version's text, the fact would cite a version that the revision (which
    re-checks every citation it can see) never saw cited. The append refuses; decided again on the
    second version, the citation of the first is refused as an old version."""
    attempts = writer_before_each_append(
        store, monkeypatch, lambda: register_source(archive, REVISED_TEXT, expected_version=1)
    )
    with pytest.raises(SourceHashMismatch):
        await record(archive, OFFICER, cite(7, 7, OFFICER_QUOTE))
    assert attempts == [1]  # decided again, refused before it appends
    # The revision (with the facts proposed from its text) is the last thing written: no fact after it.
    written = [e.event_type for e in await store.read_all() if e.event_type != "proposal.made"]
    assert written[-1] == "source.revised"
    assert await store.stream_version(source_stream(SOURCE_ID)) == 2


async def test_a_source_that_moved_without_changing_its_text_costs_one_retry_and_nothing_else(
    archive: Archive, store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def describe() -> None:
        await archive.register_source(
            source_id=SOURCE_ID,
            title="Example Report, retitled",
            origin="invented for tests",
            source_date="2011",
            content=SOURCE_TEXT.encode("utf-8"),
            meta=META,
            expected_version=1,
        )

    attempts = writer_before_each_append(store, monkeypatch, describe)
    written = await record(archive, OFFICER, cite(7, 7, OFFICER_QUOTE))
    assert attempts == [1, 2]
    assert (written.version, [e.event_type for e in written.events]) == (1, ["fact.recorded"])
    assert await store.stream_version(fact_stream(written.fact_id)) == 1
    assert await store.stream_version(source_stream(SOURCE_ID)) == 2


async def test_a_correction_that_lands_between_the_reads_and_the_append_makes_the_other_stale(
    archive: Archive, store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both corrections name version 1; the one that lands first wins, the other appends nothing and is
    refused as stale, naming the version that is there now."""
    fact = await record(archive, OFFICER, cite(7, 7, OFFICER_QUOTE))
    attempts = writer_before_each_append(
        store, monkeypatch, lambda: correct_valid_from(archive, fact, "2011-03")
    )
    with pytest.raises(StaleVersion) as refused:
        await correct_valid_from(archive, fact, "2011-02")
    assert (refused.value.field, refused.value.expected_version, refused.value.current_version) == (
        "expected_version",
        1,
        2,
    )
    assert attempts == [1, 2]  # ours, then the interloper's; ours decided again is refused before a third
    stream = await store.read_stream(fact_stream(fact.fact_id))
    assert [(e.stream_version, e.data.get("changes", {}).get("valid_from")) for e in stream] == [
        (1, None),
        (2, "2011-03"),
    ]


async def test_an_append_refuses_when_a_stream_it_read_has_moved_and_appends_nothing(
    store: EventStore,
) -> None:
    await store.append("read-me", 0, [_noted()])
    await store.append("read-me", 1, [_noted()])
    before = await store.count()
    nothing = BatchWrites([], [], {}, None)
    with pytest.raises(ConcurrencyError) as refused:
        await store.append_and_project(
            StreamWrite("written", 0, [_noted()]), {}, [("read-me", 1)], lambda _: nothing
        )
    assert (refused.value.stream_id, refused.value.expected_version) == ("read-me", 1)
    assert await store.count() == before
    async with store.transaction() as conn:
        with pytest.raises(ConcurrencyError):
            await store.append_in(conn, "written", 0, [_noted()], read=[("read-me", 1)])
    assert await store.count() == before
    appended = await store.append_and_project(
        StreamWrite("written", 0, [_noted()]), {}, [("read-me", 2)], lambda _: nothing
    )
    assert [(e.stream_id, e.stream_version) for e in appended] == [("written", 1)]
    assert (await store.verify()).ok


def _noted() -> NewEvent:
    """Any registered event type will do: the store checks versions, not payloads."""
    return NewEvent("entity.revised", {"entity_id": "x", "version": 2, "changes": {}})


async def test_a_state_remembered_from_an_earlier_write_does_not_refuse_a_client_who_saw_a_newer_one(
    archive: Archive, store: EventStore
) -> None:
    """Another process (another `Archive` on the same database) moved the fact on; a client who read the
    new version from it names that version here, where the state remembered is the older one."""
    fact = await record(archive, OFFICER, cite(7, 7, OFFICER_QUOTE))  # remembered here at version 1
    elsewhere = Archive(store, VOCABULARY, Ticking())
    moved = await correct_valid_from(elsewhere, fact, "2011-03")
    corrected = await correct_valid_from(archive, moved, "2011-02")
    assert (corrected.version, corrected.state and corrected.state.valid_from) == (3, "2011-02")
    assert await store.stream_version(fact_stream(fact.fact_id)) == 3


async def test_a_state_remembered_here_and_moved_on_elsewhere_refuses_a_stale_client_and_appends_nothing(
    archive: Archive, store: EventStore
) -> None:
    fact = await record(archive, OFFICER, cite(7, 7, OFFICER_QUOTE))
    elsewhere = Archive(store, VOCABULARY, Ticking())
    await correct_valid_from(elsewhere, fact, "2011-03")
    with pytest.raises(StaleVersion) as refused:
        await correct_valid_from(archive, fact, "2011-02")  # names version 1, as remembered here
    assert (refused.value.expected_version, refused.value.current_version) == (1, 2)
    assert await store.stream_version(fact_stream(fact.fact_id)) == 2


async def test_a_source_head_remembered_here_and_retitled_elsewhere_costs_one_decision_more(
    archive: Archive, store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await record(archive, OFFICER, cite(7, 7, OFFICER_QUOTE))  # the source's head remembered
    elsewhere = Archive(store, VOCABULARY, Ticking())
    await elsewhere.register_source(
        source_id=SOURCE_ID,
        title="Example Report, retitled",
        origin="invented for tests",
        source_date="2011",
        content=SOURCE_TEXT.encode("utf-8"),
        meta=META,
        expected_version=1,
    )
    appends = writer_before_each_append(store, monkeypatch, lambda: asyncio.sleep(0))  # counts, no more
    corrected = await correct_valid_from(archive, first, "2011-02")
    assert appends == [1, 2]  # the first, on the remembered version 1, refused at the append
    assert corrected.version == 2
    assert await store.stream_version(source_stream(SOURCE_ID)) == 2


async def test_a_writer_landing_before_the_second_decision_appends_is_named_by_a_third_decision(
    archive: Archive, store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first decision, on the version remembered here, is refused; the second, on what is there,
    meets another write before its append; the third refuses the client as stale, naming the version
    it found, as a write under the lock would have."""
    fact = await record(archive, OFFICER, cite(7, 7, OFFICER_QUOTE))  # remembered here at version 1
    elsewhere = Archive(store, VOCABULARY, Ticking())
    moved = await correct_valid_from(elsewhere, fact, "2011-03")  # version 2, which the client saw
    appends = writer_before_each_append(
        store, monkeypatch, lambda: correct_valid_from(elsewhere, moved, "2011-04")
    )
    with pytest.raises(StaleVersion) as refused:
        await correct_valid_from(archive, moved, "2011-02")
    assert (refused.value.expected_version, refused.value.current_version) == (2, 3)
    assert appends == [1, 2]  # the second decision's, refused; the other writer's
    assert await store.stream_version(fact_stream(fact.fact_id)) == 3
