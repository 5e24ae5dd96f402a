"""The findings follow the log (archive/commands/follow.py): with a delay, as the server runs them, a one-trip
write returns before its findings are computed; a task computes them a delay later, once for every write
made meanwhile; a read of the findings, a dismissal and `archive verify` catch them up first; and a
catch-up that is cancelled or fails is made good by the next. Both databases."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.commands import Archive
from archive.domain.findings import finding_id
from archive.eventstore import EventStore, events_table
from archive.projections import findings as findings_projection
from archive.reads import Reads
from archive.reads.errors import NotFound
from tests.contract.example_archive import META, Ticking, register_source
from tests.contract.test_findings_rows import (
    FINDINGS_VOCABULARY,
    OFFICER_SCOPE,
    assert_as_rebuilt,
    found,
    pair,
    record,
    term,
)
from tests.unit.examples import ENTITIES, SOURCE_TEXT

#: Longer than any test here takes to write what it writes: its task runs only when the test waits for it.
NEVER = 3600.0


async def delayed_archive(store: EventStore, delay: float) -> Archive:
    """The example archive of test_findings_rows, whose one-trip writes' findings catch up `delay` later."""
    archive = Archive(store, FINDINGS_VOCABULARY, Ticking(), findings_delay=delay)
    for entity_id, kind in {**ENTITIES, "john-example": "person"}.items():
        await archive.register_entity(entity_id=entity_id, kind=kind, label=entity_id.title(), meta=META)
    await register_source(archive, SOURCE_TEXT)
    return archive


async def behind(engine: AsyncEngine) -> int:
    """How many positions the findings' checkpoint is behind the log's head."""
    async with engine.connect() as conn:
        head = await conn.scalar(select(func.max(events_table.c.position)))
        return int(head or 0) - await findings_projection.refreshed_through(conn)


async def overlapping_terms(archive: Archive) -> tuple[Any, Any]:
    """Two holders of the example office on one day: an `overlapping_holders` finding."""
    jane = await record(archive, **term("jane-example", valid_from="2010-01-01", valid_to="2010-06-30"))
    john = await record(archive, **term("john-example", valid_from="2010-06-30", valid_to="2010-06-30"))
    return jane, john


def counting_catch_ups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one at each findings catch-up."""
    calls: list[int] = []
    catch_up = findings_projection.catch_up

    async def counted(*args: Any) -> None:
        calls.append(1)
        await catch_up(*args)

    monkeypatch.setattr(findings_projection, "catch_up", counted)
    return calls


async def test_writes_within_the_delay_share_one_catch_up_that_runs_without_a_reader(
    store: EventStore, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = await delayed_archive(store, 1.0)
    calls = counting_catch_ups(monkeypatch)
    jane, john = await overlapping_terms(archive)
    # The writes returned with their findings not computed yet: the rows and the checkpoint are behind.
    assert await found(engine, "overlapping_holders") == []
    assert await behind(engine) == 2
    assert calls == []
    for _ in range(100):  # the task runs a second after the first write; a loaded machine gets 10
        await asyncio.sleep(0.1)
        if await behind(engine) == 0:
            break
    assert await behind(engine) == 0
    assert calls == [1]  # one catch-up for both writes
    holders = ["example-officer", "example-organisation", "jane-example", "john-example"]
    assert await found(engine, "overlapping_holders") == [(OFFICER_SCOPE, pair(jane, john), holders, None)]
    await assert_as_rebuilt(archive, engine)
    await archive.findings.close()


async def test_a_read_of_the_findings_catches_them_up_first_and_a_replicas_read_asks_the_primary(
    store: EventStore, engine: AsyncEngine
) -> None:
    archive = await delayed_archive(store, NEVER)
    jane, john = await overlapping_terms(archive)
    primary = Reads(engine, store, vocabulary=FINDINGS_VOCABULARY, settle_findings=archive.findings.settled)
    unsettled = Reads(engine, store, vocabulary=FINDINGS_VOCABULARY)
    replica = Reads(engine, store, vocabulary=FINDINGS_VOCABULARY, findings_from=primary)
    on = dt.date(2030, 1, 1)

    # Without the catch-up a read would list the findings as they were before the writes.
    assert (await unsettled.findings(on=on, kind="overlapping_holders")).items == []
    assert await behind(engine) == 2
    # The replica's reads of the findings are the primary's, which catches them up first.
    listed = await replica.findings(on=on, kind="overlapping_holders")
    assert [sorted(f.id for f in item.facts) for item in listed.items] == [pair(jane, john)]
    assert await behind(engine) == 0
    # And the count, after a write the waiting task has not taken either.
    count = await primary.finding_count(on)
    await record(archive, **term("jane-example", valid_from="2010-06-15", valid_to="2010-07-15"))
    assert await behind(engine) == 1
    assert await replica.finding_count(on) == count + 1
    assert await behind(engine) == 0
    await assert_as_rebuilt(archive, engine)
    await archive.findings.close()


async def test_a_dismissal_catches_the_findings_up_in_its_own_transaction(
    store: EventStore, engine: AsyncEngine
) -> None:
    archive = await delayed_archive(store, NEVER)
    jane, john = await overlapping_terms(archive)
    named = finding_id("overlapping_holders", [*pair(jane, john), *(f"entity:{e}" for e in [
        "example-officer", "example-organisation", "jane-example", "john-example"
    ])])  # fmt: skip
    # The finding stands, though no task or read has computed it yet.
    written = await archive.dismiss_finding(
        finding_id=named, expected_version=0, reason_code="not_a_problem",
        justification="test: two terms on one day", meta=META,
    )  # fmt: skip
    assert written.version == 1
    # A finding of no write at all is still refused.
    with pytest.raises(NotFound):
        await archive.dismiss_finding(
            finding_id="f-none", expected_version=0, reason_code="not_a_problem",
            justification="test", meta=META,
        )  # fmt: skip
    await assert_as_rebuilt(archive, engine)
    await archive.findings.close()


async def test_a_cancelled_or_failed_catch_up_is_made_good_by_the_next(
    store: EventStore, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = await delayed_archive(store, NEVER)
    await overlapping_terms(archive)
    await archive.findings.close()  # the server stopping: the waiting task is cancelled
    assert await behind(engine) == 2

    archive.findings.delay = 0.0
    catch_up = findings_projection.catch_up

    async def failing(*args: Any) -> None:
        raise RuntimeError("test: the database went away")

    monkeypatch.setattr(findings_projection, "catch_up", failing)
    await record(archive, **term("jane-example", valid_from="2011"))
    for _ in range(100):
        await asyncio.sleep(0.01)
    # The task failed (logged, not raised to a writer that has its answer): nothing moved.
    assert await behind(engine) == 3
    monkeypatch.setattr(findings_projection, "catch_up", catch_up)
    await archive.findings.settled()
    assert await behind(engine) == 0
    await assert_as_rebuilt(archive, engine)
    await archive.findings.close()


async def test_a_write_goes_on_while_a_catch_up_runs_even_with_a_write_transaction_waiting_on_postgresql(
    store: EventStore, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, postgres_backend: str
) -> None:
    # On SQLite a catch-up is one trip holding the one write lock: a write waits for it there.
    archive = await delayed_archive(store, NEVER)
    jane, _ = await overlapping_terms(archive)
    catch_up = findings_projection.catch_up
    holding, release = asyncio.Event(), asyncio.Event()

    async def slow(*args: Any) -> None:
        holding.set()
        await release.wait()  # a long catch-up, holding the follow lock
        await catch_up(*args)

    monkeypatch.setattr(findings_projection, "catch_up", slow)
    reader = asyncio.create_task(archive.findings.settled())
    await holding.wait()
    # A write transaction queues behind the catch-up, holding nothing a one-trip write needs.
    queued = asyncio.create_task(
        archive.register_entity(entity_id="joan-example", kind="person", label="Joan", meta=META)
    )
    await asyncio.sleep(0.2)
    assert not queued.done()
    # The write's one trip takes the append lock alone: it does not wait for the catch-up.
    john = await asyncio.wait_for(
        record(archive, **term("john-example", valid_from="2010-03-01", valid_to="2010-03-31")), 10
    )
    release.set()
    await asyncio.gather(reader, queued)
    monkeypatch.setattr(findings_projection, "catch_up", catch_up)
    await archive.findings.settled()
    assert await behind(engine) == 0
    holders = ["example-officer", "example-organisation", "jane-example", "john-example"]
    assert (OFFICER_SCOPE, pair(jane, john), holders, None) in await found(engine, "overlapping_holders")
    await assert_as_rebuilt(archive, engine)
    await archive.findings.close()


async def test_a_write_committed_while_a_catch_up_computes_its_page_is_taken_by_the_next_on_postgresql(
    store: EventStore, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, postgres_backend: str
) -> None:
    archive = await delayed_archive(store, NEVER)
    jane, john = await overlapping_terms(archive)
    refresh = findings_projection.refresh
    written: list[Any] = []

    async def write_first(*args: Any) -> None:
        # The page is read; a one-trip write commits before its scopes are computed (which may read it).
        if not written:
            fact = term("john-example", valid_from="2010-02-01", valid_to="2010-02-28")
            written.append(await record(archive, **fact))
        await refresh(*args)

    monkeypatch.setattr(findings_projection, "refresh", write_first)
    await archive.findings.catch_up()
    # The catch-up ended at its short page: the write after it is left to the next.
    assert await behind(engine) == 1
    monkeypatch.setattr(findings_projection, "refresh", refresh)
    await archive.findings.settled()
    assert await behind(engine) == 0
    listed = await found(engine, "overlapping_holders")
    assert sorted(row[1] for row in listed) == sorted([pair(jane, john), pair(jane, written[0])])
    await assert_as_rebuilt(archive, engine)
    await archive.findings.close()


async def test_a_catch_up_goes_on_through_full_pages_and_ends_at_a_short_one(
    store: EventStore, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = await delayed_archive(store, NEVER)
    await overlapping_terms(archive)
    await record(archive, **term("jane-example", valid_from="2011"))
    monkeypatch.setattr(findings_projection, "CATCH_UP_PAGE", 2)
    assert await behind(engine) == 3
    await archive.findings.catch_up()  # pages of 2 and 1
    assert await behind(engine) == 0
    await assert_as_rebuilt(archive, engine)
    await archive.findings.close()


async def test_findings_caught_up_while_concurrent_writers_write_equal_a_rebuild(
    store: EventStore, engine: AsyncEngine
) -> None:
    # Catch-ups start at once after each write, so on PostgreSQL they run between and during the writes.
    archive = await delayed_archive(store, 0.0)
    holders = ["jane-example", "john-example"]

    async def writer(n: int) -> None:
        for k in range(6):
            year = 2000 + (n * 6 + k) % 9
            fact = term(holders[(n + k) % 2], valid_from=f"{year}-01-01", valid_to=f"{year}-12-31")
            await record(archive, **fact)

    await asyncio.gather(*(writer(n) for n in range(4)))
    await archive.findings.settled()
    assert await behind(engine) == 0
    assert await found(engine, "overlapping_holders") != []
    await assert_as_rebuilt(archive, engine)
    await archive.findings.close()
