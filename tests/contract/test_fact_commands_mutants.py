"""What archive/commands/facts.py's surviving mutants changed, checked where a caller can see it, on every
backend: the bounded memory of states (oldest out first, a key written again made newest), a command
decided three times and no more when what it read keeps moving (the error naming the version found), a
link checking the target it read at its append, a command in the caller's transaction reading and
returning what it wrote, a command with nothing to write that appends nothing (refused when a source it
cites moved on elsewhere, as a process remembering nothing refuses it), an ingest reading the sources'
heads rather than remembering them, and the clock given by keyword. Fast, for `make mutation`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.commands import Archive, FactInput, FactWritten, IngestError
from archive.commands import facts as fact_commands
from archive.domain.errors import SourceHashMismatch
from archive.domain.events import Rank
from archive.domain.streams import fact_stream
from archive.eventstore import ConcurrencyError, EventStore, RecordedEvent
from archive.projections import fact_versions
from tests.contract.example_archive import (
    CHAIR,
    CHAIR_QUOTE,
    MEMBERSHIP,
    MEMBERSHIP_QUOTE,
    META,
    REVISED_TEXT,
    VOCABULARY,
    Ticking,
    record,
    register_source,
    ticking_store,
)
from tests.unit.examples import cite


def test_remember_keeps_the_newest_entries_up_to_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fact_commands, "STATE_CACHE_SIZE", 2)
    cache: dict[str, int] = {}
    fact_commands._remember(cache, {"a": 1, "b": 2})
    assert cache == {"a": 1, "b": 2}  # at the bound: nothing dropped
    fact_commands._remember(cache, {"a": 10})
    assert list(cache.items()) == [("b", 2), ("a", 10)]  # written again: the newest
    fact_commands._remember(cache, {"c": 3})
    assert list(cache.items()) == [("a", 10), ("c", 3)]  # the oldest, b, dropped
    fact_commands._remember(cache, {"d": 4, "e": 5, "f": 6})
    assert list(cache.items()) == [("e", 5), ("f", 6)]


async def rerank_elsewhere(other: Archive, fact_id: str, rank: Rank) -> None:
    """Another process (`other`, on the same database) reranks the fact at whatever version it is."""
    await other.rerank_fact(
        fact_id=fact_id,
        expected_version=await other.store.stream_version(fact_stream(fact_id)),
        rank=rank,
        reason_code="other",
        justification="moved meanwhile",
        meta=META,
    )


async def test_a_link_whose_target_moves_before_every_append_is_decided_three_times_then_refused(
    archive: Archive, store: EventStore, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The target is read, so its version is checked at the append; another process reranks it before
    each of the link's appends. The third conflict is given to the caller, naming the version the target
    is at then; nothing of the link is written."""
    source = await record(archive, MEMBERSHIP, cite(3, 3, MEMBERSHIP_QUOTE))
    target = await record(archive, CHAIR, cite(4, 5, CHAIR_QUOTE))
    # Another process on the same database: its appends are not the link's.
    other = Archive(ticking_store(engine), VOCABULARY, Ticking())
    ranks: Iterator[Rank] = iter(["deprecated", "normal", "deprecated", "normal", "deprecated"])
    appends: list[int] = []
    original = store.append_and_project

    async def moved_first(*args: Any, **kwargs: Any) -> list[RecordedEvent]:
        appends.append(len(appends) + 1)
        await rerank_elsewhere(other, target.fact_id, next(ranks))
        return await original(*args, **kwargs)

    monkeypatch.setattr(store, "append_and_project", moved_first)
    with pytest.raises(ConcurrencyError) as caught:
        await archive.link_fact(
            fact_id=source.fact_id,
            relation="fulfils",
            target_fact_id=target.fact_id,
            expected_version=1,
            meta=META,
        )
    assert appends == [1, 2, 3]
    assert caught.value.stream_id == fact_stream(target.fact_id)
    assert caught.value.current_version == 1 + 3  # recorded, then reranked before each of three appends
    assert [e.event_type for e in await store.read_stream(fact_stream(source.fact_id))] == ["fact.recorded"]


async def test_a_link_to_a_fact_that_stays_put_is_written(archive: Archive, store: EventStore) -> None:
    source = await record(archive, MEMBERSHIP, cite(3, 3, MEMBERSHIP_QUOTE))
    target = await record(archive, CHAIR, cite(4, 5, CHAIR_QUOTE))
    linked = await archive.link_fact(
        fact_id=source.fact_id,
        relation="supersedes",
        target_fact_id=target.fact_id,
        expected_version=1,
        meta=META,
    )
    assert (linked.stream_id, linked.version) == (fact_stream(source.fact_id), 2)
    assert [e.event_type for e in linked.events] == ["fact.linked"]


async def test_commands_in_the_callers_transaction_return_the_stream_and_the_state_they_wrote(
    archive: Archive, store: EventStore
) -> None:
    """In a caller's transaction the commands read (no remembered state, no remembered source) and give
    back what they wrote, as the read models hold it."""
    async with store.transaction() as conn:
        recorded = await archive.record_fact(
            content=MEMBERSHIP, rank="normal", citations=[cite(3, 3, MEMBERSHIP_QUOTE)], meta=META, conn=conn
        )
        assert (recorded.stream_id, recorded.version) == (fact_stream(recorded.fact_id), 1)
        assert recorded.state is not None
        assert recorded.state == await fact_versions.current_state(conn, recorded.fact_id)
    fresh = Archive(store, VOCABULARY, Ticking())  # nothing remembered: every source is read
    async with store.transaction() as conn:
        retracted: FactWritten = await fresh.retract_fact(
            fact_id=recorded.fact_id,
            expected_version=1,
            reason_code="other",
            justification="withdrawn by its source",
            citations=[cite(3, 3, MEMBERSHIP_QUOTE)],
            meta=META,
            conn=conn,
        )
        assert (retracted.stream_id, retracted.version) == (fact_stream(recorded.fact_id), 2)
        assert retracted.state is not None
        assert retracted.state == await fact_versions.current_state(conn, recorded.fact_id)
    assert [e.event_type for e in retracted.events] == ["fact.retracted"]


async def test_a_command_with_nothing_to_write_makes_no_append(
    archive: Archive, store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = await record(archive, MEMBERSHIP, cite(3, 3, MEMBERSHIP_QUOTE))
    appends: list[object] = []
    original = store.append_and_project

    async def counted(*args: Any, **kwargs: Any) -> list[RecordedEvent]:
        appends.append(args)
        return await original(*args, **kwargs)

    monkeypatch.setattr(store, "append_and_project", counted)
    again = await archive.record_fact(
        content=MEMBERSHIP,
        rank="normal",
        citations=[cite(3, 3, MEMBERSHIP_QUOTE)],
        meta=META,
        expected_version=1,
    )
    assert (again.version, again.events, appends) == (1, [], [])
    assert again.state == recorded.state


async def test_an_ingest_checks_its_citations_against_the_source_as_it_is_now_not_as_remembered(
    archive: Archive, store: EventStore, engine: AsyncEngine
) -> None:
    """An ingest decides in its own transaction and its append checks no source version, so it must read
    the cited sources' heads, not the ones a fact command of this process remembered: another process
    gave the source a new version in between, and a citation into the old text is refused."""
    await record(archive, MEMBERSHIP, cite(3, 3, MEMBERSHIP_QUOTE))  # remembers the source's head, v1
    other = Archive(ticking_store(engine), VOCABULARY, Ticking())
    await register_source(other, REVISED_TEXT, expected_version=1)
    before = await store.count()
    with pytest.raises(IngestError) as refused:
        await archive.ingest_facts([FactInput(CHAIR, "normal", (cite(4, 5, CHAIR_QUOTE),))], META)
    assert refused.value.index == 0
    assert await store.count() == before


async def test_a_command_with_nothing_to_write_is_refused_when_a_source_it_cites_moved_on_elsewhere(
    archive: Archive, store: EventStore, engine: AsyncEngine
) -> None:
    """The same fact recorded again appends nothing, so no append checks the source head this process
    remembered; another process gave the source a new version, which leaves the fact's stream where it
    was. The answer is the one a process remembering nothing gives: the citation is into an old version."""
    recorded = await record(archive, MEMBERSHIP, cite(3, 3, MEMBERSHIP_QUOTE))
    other = Archive(ticking_store(engine), VOCABULARY, Ticking())
    await register_source(other, REVISED_TEXT, expected_version=1)
    assert await store.stream_version(fact_stream(recorded.fact_id)) == 1
    for recording in (Archive(store, VOCABULARY, Ticking()), archive):  # remembering nothing, then it
        with pytest.raises(SourceHashMismatch):
            await recording.record_fact(
                content=MEMBERSHIP, rank="normal", citations=[cite(3, 3, MEMBERSHIP_QUOTE)], meta=META
            )


async def test_a_command_with_nothing_to_write_decided_on_fresh_reads_stands_though_the_fact_moves_after(
    archive: Archive, store: EventStore, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process reranks the fact whenever this one asks for its stream's version. The remembered
    state is checked (it has moved: decided again); the decision on fresh reads appends nothing and is not
    checked again, as a command that came before the next rerank: it returns the version it read."""
    recorded = await record(archive, MEMBERSHIP, cite(3, 3, MEMBERSHIP_QUOTE))
    other = Archive(ticking_store(engine), VOCABULARY, Ticking())
    ranks: Iterator[Rank] = iter(["deprecated", "normal", "deprecated", "normal"])
    original = store.stream_version

    async def moved_first(stream_id: str, conn: Any = None) -> int:
        await rerank_elsewhere(other, recorded.fact_id, next(ranks))
        return await original(stream_id, conn)

    monkeypatch.setattr(store, "stream_version", moved_first)
    again = await archive.record_fact(
        content=MEMBERSHIP, rank="normal", citations=[cite(3, 3, MEMBERSHIP_QUOTE)], meta=META
    )
    assert (again.version, again.events) == (2, [])  # read after the one rerank its check caused


async def test_the_fact_commands_take_their_clock_by_keyword(archive: Archive, store: EventStore) -> None:
    """`Archive(store, vocabulary, clock=...)`: the fact commands pass every argument on to the base."""
    clock = Ticking()
    written = await Archive(store, VOCABULARY, clock=clock).record_fact(
        content=MEMBERSHIP, rank="normal", citations=[cite(3, 3, MEMBERSHIP_QUOTE)], meta=META
    )
    assert written.events[0].data["recorded_at"] == "2024-03-01T12:01:00Z"  # the clock's first minute
