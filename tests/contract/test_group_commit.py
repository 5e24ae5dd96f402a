"""Concurrent bare appends share commits (docs/decisions/0014-group-commit.md), yet each caller gets what
it would have got alone: its own positions, its own conflict, nothing lost, nothing appended after it
was cancelled while waiting. Both databases.

A commit is seen three ways: the backend's inserts (one call, one transaction), the clock (the store
reads it once a commit, and this one ticks at each reading) and, on PostgreSQL, the rows' transaction
id (`xmin`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.eventstore import (
    ConcurrencyError,
    EventStore,
    EventTypeRegistry,
    LockTimeoutError,
    NewEvent,
    RecordedEvent,
)
from archive.storage.engine import create_engine, is_lock_timeout
from tests.contract.example_archive import Ticking

REGISTRY = EventTypeRegistry({"thing.happened": 1})
META = {"actor": "tester"}
#: Seconds after which a caller still waiting is taken as never to be answered.
NEVER = 30


@pytest.fixture
def events(engine: AsyncEngine) -> EventStore:
    return EventStore(engine, REGISTRY, Ticking())


def happened(n: int) -> NewEvent:
    return NewEvent("thing.happened", {"n": n})


async def concurrently(*calls: Awaitable[Any], return_exceptions: bool = False) -> list[Any]:
    """The calls' outcomes, run at once; a caller left waiting fails the test rather than hanging it."""
    return await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=return_exceptions), NEVER)


def count_inserts(
    events: EventStore,
    monkeypatch: pytest.MonkeyPatch,
    before: Callable[[list[dict[str, Any]]], Awaitable[None]] | None = None,
) -> list[list[str]]:
    """Record the streams of each of the backend's inserts (one a transaction), in order; `before` runs
    at the start of each."""
    inserts: list[list[str]] = []
    original = events.backend.insert_events

    async def counted(conn: Any, rows: list[dict[str, Any]], *args: Any, **kwargs: Any) -> Any:
        inserts.append(list(dict.fromkeys(row["stream_id"] for row in rows)))
        if before is not None:
            await before(rows)
        return await original(conn, rows, *args, **kwargs)

    monkeypatch.setattr(events.backend, "insert_events", counted)
    return inserts


async def transaction_ids(engine: AsyncEngine) -> set[str]:
    """The ids of the transactions that wrote the log's rows (PostgreSQL); empty on SQLite."""
    if engine.dialect.name != "postgresql":
        return set()
    async with engine.connect() as conn:
        return {row[0] for row in await conn.execute(text("SELECT xmin::text FROM events"))}


async def assert_log_is_whole(events: EventStore, answers: list[list[RecordedEvent]]) -> None:
    """Every caller's events are in the log exactly as it was told, nothing else is, and the chain
    verifies (each event linked to the one before it). Positions only rise: on PostgreSQL a refused
    append has used up numbers of the positions' sequence."""
    stored = await events.read_all(0, limit=10_000)
    told = sorted((e for answer in answers for e in answer), key=lambda e: e.position)
    assert told == stored
    report = await events.verify()
    assert report.ok, report


async def test_concurrent_appends_share_commits_and_each_caller_gets_its_own_events(
    events: EventStore, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    inserts = count_inserts(events, monkeypatch)
    answers = await concurrently(
        *(events.append(f"s{n}", 0, [happened(n), happened(n + 100)], META) for n in range(8))
    )
    # The first finds no commit in flight and commits alone; the seven that came meanwhile share one.
    assert inserts == [["s0"], [f"s{n}" for n in range(1, 8)]]
    assert len({e.recorded_at for answer in answers for e in answer}) == 2
    if engine.dialect.name == "postgresql":
        assert len(await transaction_ids(engine)) == 2
    for n, answer in enumerate(answers):
        assert [(e.stream_id, e.stream_version, e.data["n"]) for e in answer] == [
            (f"s{n}", 1, n),
            (f"s{n}", 2, n + 100),
        ]
        assert await events.read_stream(f"s{n}") == answer
    # In commit order: the group's appends in the order they came, each one's events together.
    assert [e.position for answer in answers for e in answer] == list(range(1, 17))
    await assert_log_is_whole(events, answers)


async def test_callers_appending_in_a_loop_keep_sharing_commits(
    events: EventStore, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two callers each appending again as soon as they are answered: after the first commit, every
    commit takes both (the committer lets the callers it answered come back before taking the next)."""
    inserts = count_inserts(events, monkeypatch)
    rounds = 20

    async def caller(name: str) -> list[RecordedEvent]:
        mine: list[RecordedEvent] = []
        for version in range(rounds):
            mine.extend(await events.append(name, version, [happened(version)], META))
        return mine

    answers = await concurrently(caller("a"), caller("b"))
    assert len(inserts) <= rounds + 2, inserts
    assert sum(len(streams) == 2 for streams in inserts) >= rounds - 2, inserts
    if engine.dialect.name == "postgresql":
        assert len(await transaction_ids(engine)) == len(inserts)
    for name, answer in zip("ab", answers, strict=True):
        assert [e.stream_version for e in answer] == list(range(1, rounds + 1))
        assert await events.read_stream(name) == answer
    await assert_log_is_whole(events, answers)


async def test_a_conflicting_append_fails_alone_and_the_others_of_its_commit_are_appended(
    events: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await events.append("taken", 0, [happened(0)], META)
    inserts = count_inserts(events, monkeypatch)
    outcomes = await concurrently(
        events.append("first", 0, [happened(1)], META),  # commits alone: the others wait for it
        events.append("a", 0, [happened(2)], META),
        events.append("taken", 0, [happened(3)], META),  # version 1 exists: the unique version refuses
        events.append("b", 0, [happened(4)], META),
        events.append("gap", 3, [happened(5)], META),  # no version 3 to continue: the check refuses
        events.append("c", 0, [happened(6)], META),
        return_exceptions=True,
    )
    # The shared commit failed, so each of its appends was committed alone, in the order they came.
    assert inserts == [["first"], ["a", "taken", "b", "gap", "c"], ["a"], ["taken"], ["b"], ["gap"], ["c"]]
    taken, gap = outcomes[2], outcomes[4]
    assert isinstance(taken, ConcurrencyError)
    assert (taken.stream_id, taken.expected_version, taken.current_version) == ("taken", 0, 1)
    assert isinstance(gap, ConcurrencyError)
    assert (gap.stream_id, gap.expected_version, gap.current_version) == ("gap", 3, 0)
    appended = [outcomes[i] for i in (0, 1, 3, 5)]
    assert all(isinstance(o, list) for o in appended), outcomes
    assert [[e.data["n"] for e in o] for o in appended] == [[1], [2], [4], [6]]
    assert [e.data["n"] for e in await events.read_stream("taken")] == [0]
    assert await events.read_stream("gap") == []
    await assert_log_is_whole(events, [await events.read_stream("taken"), *appended])


async def test_two_writes_of_one_stream_commit_one_after_the_other(
    events: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second write of a stream waits for the next commit, and is checked against the first's."""
    inserts = count_inserts(events, monkeypatch)
    first, once, twice, other, stale = await concurrently(
        events.append("first", 0, [happened(0)], META),
        events.append("s", 0, [happened(1)], META),
        events.append("s", 1, [happened(2)], META),
        events.append("t", 0, [happened(3)], META),
        events.append("s", 1, [happened(4)], META),  # the same version as the one before: it loses
        return_exceptions=True,
    )
    assert inserts == [["first"], ["s", "t"], ["s"], ["s"]]
    assert isinstance(stale, ConcurrencyError)
    assert stale.current_version == 2
    assert [e.data["n"] for e in await events.read_stream("s")] == [1, 2]
    answers = [first, once, twice, other]
    assert all(isinstance(a, list) for a in answers), answers
    await assert_log_is_whole(events, answers)


async def test_appends_with_other_metadata_commit_apart_each_with_its_own(
    events: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    inserts = count_inserts(events, monkeypatch)
    other = {"actor": "someone else"}
    answers = await concurrently(
        events.append("first", 0, [happened(0)], META),
        events.append("a", 0, [happened(1)], META),
        events.append("b", 0, [happened(2)], other),
        events.append("c", 0, [happened(3)], META),
    )
    assert inserts == [["first"], ["a", "c"], ["b"]]
    assert [(e.stream_id, e.metadata) for e in await events.read_all(0)] == [
        ("first", META),
        ("a", META),
        ("c", META),
        ("b", other),
    ]
    await assert_log_is_whole(events, answers)


async def test_an_append_cancelled_while_it_waits_is_never_appended(
    events: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    inserts = count_inserts(events, monkeypatch)
    first = asyncio.create_task(events.append("first", 0, [happened(0)], META))
    cancelled = asyncio.create_task(events.append("cancelled", 0, [happened(1)], META))
    kept = asyncio.create_task(events.append("kept", 0, [happened(2)], META))
    await asyncio.sleep(0)  # each has started: the first is committing, the two others wait
    cancelled.cancel()
    answers = await concurrently(first, kept)
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(cancelled, NEVER)
    assert inserts == [["first"], ["kept"]]
    assert await events.read_stream("cancelled") == []
    await assert_log_is_whole(events, answers)
    # The store goes on: the next append commits at once.
    assert [e.position for e in await events.append("cancelled", 0, [happened(3)], META)] == [3]


async def test_an_append_cancelled_while_its_commit_runs_is_told_once_the_commit_has_ended(
    events: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its cancellation does not stop the commit the others share, and reaches it only when the commit
    is over, so its events never land after it was told it was cancelled."""
    group_arrived = asyncio.Event()
    gate = asyncio.Event()

    async def hold_the_group(rows: list[dict[str, Any]]) -> None:
        if len(rows) > 1:
            group_arrived.set()
            await gate.wait()

    inserts = count_inserts(events, monkeypatch, hold_the_group)
    first = asyncio.create_task(events.append("first", 0, [happened(0)], META))
    cancelled = asyncio.create_task(events.append("cancelled", 0, [happened(1)], META))
    kept = asyncio.create_task(events.append("kept", 0, [happened(2)], META))
    await asyncio.wait_for(group_arrived.wait(), NEVER)
    cancelled.cancel()
    done, _ = await asyncio.wait([cancelled], timeout=0.2)
    assert not done, "told it was cancelled while its commit could still land"
    gate.set()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(cancelled, NEVER)
    assert [e.data["n"] for e in await events.read_stream("cancelled")] == [1]  # it had landed, whole
    answers = [*await concurrently(first, kept), await events.read_stream("cancelled")]
    assert inserts == [["first"], ["cancelled", "kept"]]
    await assert_log_is_whole(events, answers)


async def test_a_group_that_times_out_on_the_lock_is_not_tried_again_member_by_member(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing was written for anyone, and alone each would wait as long again: each caller gets its
    own `LockTimeoutError` at once."""
    holder_engine, engine = create_engine(database_url), create_engine(database_url, lock_timeout_ms=200)
    try:
        holder, events = EventStore(holder_engine, REGISTRY), EventStore(engine, REGISTRY, Ticking())
        inserts = count_inserts(events, monkeypatch)
        async with holder.transaction():  # another process's writer, holding the append lock throughout
            outcomes = await concurrently(
                *(events.append(f"s{n}", 0, [happened(n)], META) for n in range(3)), return_exceptions=True
            )
        assert inserts == [["s0"], ["s1", "s2"]]
        assert all(isinstance(o, LockTimeoutError) for o in outcomes), outcomes
        assert outcomes[1] is not outcomes[2]
        # Each still says why: the database's own lock timeout, as a lone append's does.
        assert all(is_lock_timeout(o.__cause__) for o in outcomes), [repr(o.__cause__) for o in outcomes]
        assert await events.read_all(0) == []
    finally:
        await engine.dispose()
        await holder_engine.dispose()


async def test_a_shared_commit_refused_at_a_later_append_keeps_nothing_of_the_earlier_ones(
    events: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shared commit is one transaction: refused at its second append's row (a version taken, which
    no check before the insert sees), it leaves nothing of the first, which is then appended alone, as
    if the commit had never been tried."""
    await events.append("taken", 0, [happened(0)], META)
    inserts = count_inserts(events, monkeypatch)
    first, early, taken, late = await concurrently(
        events.append("first", 0, [happened(1)], META),
        events.append("early", 0, [happened(2), happened(3)], META),
        events.append("taken", 0, [happened(4)], META),
        events.append("late", 0, [happened(5)], META),
        return_exceptions=True,
    )
    assert inserts == [["first"], ["early", "taken", "late"], ["early"], ["taken"], ["late"]]
    assert isinstance(taken, ConcurrencyError), taken
    assert (taken.expected_version, taken.current_version) == (0, 1)
    assert [[e.data["n"] for e in o] for o in (first, early, late)] == [[1], [2, 3], [5]]
    await assert_log_is_whole(events, [await events.read_stream("taken"), first, early, late])


async def test_a_lone_append_waits_for_another_processs_write_and_chains_after_it(
    database_url: str, events: EventStore
) -> None:
    """The append lock is the database's, not only this process's: an append made while another
    process's write transaction is open reads the head of the chain only once that one has committed."""
    other_engine = create_engine(database_url)
    try:
        other = EventStore(other_engine, REGISTRY)
        async with other.transaction() as conn:
            theirs = await other.append_in(conn, "theirs", 0, [happened(0)], META)
            mine = asyncio.create_task(events.append("mine", 0, [happened(1)], META))
            done, _ = await asyncio.wait([mine], timeout=0.5)
            assert not done, "appended while another writer held the lock"
        appended = await asyncio.wait_for(mine, NEVER)
        assert [(e.position, e.prev_hash) for e in appended] == [(2, theirs[0].hash)]
        await assert_log_is_whole(events, [theirs, appended])
    finally:
        await other_engine.dispose()


async def test_the_committer_takes_the_next_group_at_once(events: EventStore) -> None:
    """Callers appending in a loop are answered at the pace of the database, not of a timer: once the
    callers it answered are waiting again, the next group is committed without pause."""
    rounds = 10

    async def caller(name: str) -> None:
        for version in range(rounds):
            await events.append(name, version, [happened(version)], META)

    loop = asyncio.get_running_loop()
    started = loop.time()
    await concurrently(caller("a"), caller("b"))
    # About 2 * rounds commits of a few milliseconds each; a pause of even a second between commits
    # would take ten times as long as allowed.
    assert loop.time() - started < 3, loop.time() - started
    assert [await events.stream_version(name) for name in "ab"] == [rounds, rounds]


async def test_an_append_cancelled_again_while_its_commit_runs_still_waits_for_the_commit_to_end(
    events: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second cancellation (a caller's timeout, then its shutdown) does not cut the wait short either:
    the caller hears of it only once its events have landed or not."""
    group_arrived = asyncio.Event()
    gate = asyncio.Event()

    async def hold_the_group(rows: list[dict[str, Any]]) -> None:
        if len(rows) > 1:
            group_arrived.set()
            await gate.wait()

    count_inserts(events, monkeypatch, hold_the_group)
    first = asyncio.create_task(events.append("first", 0, [happened(0)], META))
    cancelled = asyncio.create_task(events.append("cancelled", 0, [happened(1)], META))
    kept = asyncio.create_task(events.append("kept", 0, [happened(2)], META))
    await asyncio.wait_for(group_arrived.wait(), NEVER)
    for _ in range(2):
        cancelled.cancel()
        done, _ = await asyncio.wait([cancelled], timeout=0.2)
        assert not done, "told it was cancelled while its commit could still land"
    gate.set()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(cancelled, NEVER)
    answers = [*await concurrently(first, kept), await events.read_stream("cancelled")]
    assert [e.data["n"] for e in answers[2]] == [1]
    await assert_log_is_whole(events, answers)
