"""What each command handler gives back and leaves in the log: the stream, its version, the events with
who asked and why, the state after the command; commands sharing one transaction; the lookups a
correction, a supersedes link and a bulk ingest make before they decide.
"""

from __future__ import annotations

import asyncio
import hashlib

import msgspec
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from archive.commands import Archive, FactInput, IngestError
from archive.commands import facts as fact_commands
from archive.domain.entities import EntityChanges
from archive.domain.errors import (
    EntityExists,
    FactNotFound,
    InvalidCommand,
    InvalidDate,
    StaleVersion,
    UnknownEntity,
)
from archive.domain.events import Citation, FactChanges, Qualifiers
from archive.domain.facts import FactContent
from archive.domain.streams import entity_stream, fact_stream, source_stream
from archive.eventstore import EventStore
from archive.projections import fact_versions
from tests.contract.example_archive import (
    CHAIR,
    CHAIR_QUOTE,
    MEMBERSHIP,
    MEMBERSHIP_QUOTE,
    META,
    META_STORED,
    OFFICER,
    OFFICER_QUOTE,
    REVISED_TEXT,
    correct_valid_from,
    record,
    register_source,
)
from tests.unit.examples import SOURCE_ID, cite


async def test_a_recorded_and_corrected_fact_returns_its_stream_version_events_and_state(
    archive: Archive, store: EventStore, engine: AsyncEngine
) -> None:
    evidence = cite(7, 7, OFFICER_QUOTE)
    recorded = await record(archive, OFFICER, evidence)
    assert (recorded.stream_id, recorded.version) == (fact_stream(recorded.fact_id), 1)
    assert [(e.stream_id, e.stream_version, e.event_type) for e in recorded.events] == [
        (fact_stream(recorded.fact_id), 1, "fact.recorded")
    ]
    assert recorded.state is not None
    assert (recorded.state.version, recorded.state.valid_from, recorded.state.citations) == (
        1,
        "2011",
        (evidence,),
    )

    corrected = await correct_valid_from(archive, recorded, "2011-02")
    assert (corrected.stream_id, corrected.version, corrected.fact_id) == (
        fact_stream(recorded.fact_id),
        2,
        recorded.fact_id,
    )
    assert corrected.state is not None
    assert (corrected.state.version, corrected.state.valid_from) == (2, "2011-02")
    async with engine.connect() as conn:
        assert await fact_versions.current_state(conn, recorded.fact_id) == corrected.state
    for written in (recorded, corrected):
        assert [e.metadata for e in written.events] == [META_STORED]
    assert [e.metadata for e in await store.read_stream(fact_stream(recorded.fact_id))] == [META_STORED] * 2


async def test_a_source_returns_its_stream_version_and_state_through_each_new_version(
    archive: Archive, store: EventStore
) -> None:
    revised = await register_source(archive, REVISED_TEXT, expected_version=1)
    assert (revised.stream_id, revised.version) == (source_stream(SOURCE_ID), 2)
    assert [e.event_type for e in revised.events] == ["source.revised"]
    assert (revised.state.version, revised.state.title, revised.state.lines[1]) == (
        2,
        "Example Report",
        "Revised edition.",
    )

    renamed = await archive.register_source(
        source_id=SOURCE_ID,
        title="Example Report, revised",
        origin="invented for tests",
        source_date="2012",
        content=REVISED_TEXT.encode("utf-8"),
        meta=META,
        expected_version=2,
    )
    assert [e.event_type for e in renamed.events] == ["source.described"]
    assert (renamed.version, renamed.state.version) == (3, 3)
    assert (renamed.state.title, renamed.state.source_date, renamed.state.origin) == (
        "Example Report, revised",
        "2012",
        "invented for tests",
    )
    assert renamed.state.lines[1] == "Revised edition."
    assert [e.metadata for e in await store.read_stream(source_stream(SOURCE_ID))] == [META_STORED] * 3


async def test_an_entity_returns_its_stream_and_version_and_a_repeat_changes_nothing(
    archive: Archive, store: EventStore
) -> None:
    first = await archive.register_entity(entity_id="new-body", kind="body", label="New Body", meta=META)
    assert (first.stream_id, first.version, [e.event_type for e in first.events]) == (
        entity_stream("new-body"),
        1,
        ["entity.registered"],
    )
    again = await archive.register_entity(entity_id="new-body", kind="body", label="New Body", meta=META)
    assert (again.stream_id, again.version, again.events) == (entity_stream("new-body"), 1, [])
    assert [e.metadata for e in await store.read_stream(entity_stream("new-body"))] == [META_STORED]
    with pytest.raises(StaleVersion):
        await archive.register_entity(
            entity_id="new-body", kind="body", label="Renamed", meta=META, expected_version=5
        )
    renamed = await archive.register_entity(
        entity_id="new-body", kind="body", label="Renamed", meta=META, expected_version=1
    )
    assert (renamed.version, [e.event_type for e in renamed.events], renamed.state.label) == (
        2,
        ["entity.revised"],
        "Renamed",
    )


async def test_an_entity_created_revised_and_merged_returns_its_stream_version_and_state(
    archive: Archive, store: EventStore
) -> None:
    created = await archive.create_entity(entity_id="new-body", kind="body", label="New Body", meta=META)
    assert (created.stream_id, created.version, [e.event_type for e in created.events]) == (
        entity_stream("new-body"),
        1,
        ["entity.registered"],
    )
    assert (created.state.kind, created.state.label, created.state.version) == ("body", "New Body", 1)
    same = await archive.create_entity(entity_id="new-body", kind="body", label="New Body", meta=META)
    assert (same.version, same.events) == (1, [])
    with pytest.raises(EntityExists):
        await archive.create_entity(entity_id="new-body", kind="body", label="Other Body", meta=META)

    revised = await archive.revise_entity(
        entity_id="new-body",
        changes=EntityChanges(label="Renamed Body", aliases=("The Body",)),
        reason_code="transcription_error",
        justification="test: its name",
        meta=META,
        expected_version=1,
    )
    assert (revised.stream_id, revised.version, [e.event_type for e in revised.events]) == (
        entity_stream("new-body"),
        2,
        ["entity.revised"],
    )
    assert (revised.state.label, revised.state.aliases, revised.state.version) == (
        "Renamed Body",
        ("The Body",),
        2,
    )

    await archive.create_entity(entity_id="same-body", kind="body", label="Same Body", meta=META)
    merged = await archive.merge_entity(
        entity_id="same-body",
        into="new-body",
        justification="test: one body",
        meta=META,
        expected_version=1,
        into_expected_version=2,
    )
    assert (merged.stream_id, merged.version, merged.state.merged_into) == (
        entity_stream("same-body"),
        2,
        "new-body",
    )
    # The merged entity's stream first; the entity it went into records its side on its own stream.
    assert [(e.stream_id, e.stream_version, e.event_type) for e in merged.events] == [
        (entity_stream("same-body"), 2, "entity.merged_into"),
        (entity_stream("new-body"), 3, "entity.merged_from"),
    ]
    for stream in (entity_stream("new-body"), entity_stream("same-body")):
        assert {tuple(e.metadata.items()) for e in await store.read_stream(stream)} == {
            tuple(META_STORED.items())
        }


async def write_everything_then_fail(archive: Archive, conn: AsyncConnection) -> None:
    """Every kind of command in the caller's transaction `conn`, then an error that abandons it."""
    await archive.register_source(
        source_id="second-report",
        title="Second Report",
        origin="invented for tests",
        source_date="2012",
        content=b"A first line.\n",
        meta=META,
        conn=conn,
    )
    # The second command sees the first one's event, not yet committed.
    revised = await archive.register_source(
        source_id="second-report",
        title="Second Report",
        origin="invented for tests",
        source_date="2012",
        content=b"A first line.\nA second line.\n",
        meta=META,
        expected_version=1,
        conn=conn,
    )
    assert revised.version == 2
    recorded = await archive.record_fact(
        content=OFFICER,
        rank="normal",
        citations=[cite(7, 7, OFFICER_QUOTE)],
        meta=META,
        conn=conn,
    )
    corrected = await archive.correct_fact(
        fact_id=recorded.fact_id,
        expected_version=1,
        changes=FactChanges(valid_to="2012"),
        reason_code="precision_refinement",
        justification="test: an end",
        citations=[cite(7, 7, OFFICER_QUOTE)],
        meta=META,
        conn=conn,
    )
    reranked = await archive.rerank_fact(
        fact_id=recorded.fact_id,
        expected_version=2,
        rank="preferred",
        reason_code="better_source",
        justification="test",
        meta=META,
        conn=conn,
    )
    retracted = await archive.retract_fact(
        fact_id=recorded.fact_id,
        expected_version=3,
        reason_code="other",
        justification="test",
        citations=[cite(7, 7, OFFICER_QUOTE)],
        meta=META,
        conn=conn,
    )
    assert (corrected.version, reranked.version, retracted.version) == (2, 3, 4)
    for entity_id in ("body-one", "body-two"):
        await archive.create_entity(entity_id=entity_id, kind="body", label=entity_id, meta=META, conn=conn)
    # Again, in the same transaction: each command reads what the one before wrote, so nothing changes.
    again = [
        await archive.create_entity(
            entity_id="body-one", kind="body", label="body-one", meta=META, conn=conn
        ),
        await archive.register_entity(
            entity_id="body-two", kind="body", label="body-two", meta=META, conn=conn
        ),
    ]
    assert [(written.version, written.events) for written in again] == [(1, []), (1, [])]
    relabelled = await archive.revise_entity(
        entity_id="body-one",
        changes=EntityChanges(label="Body One"),
        reason_code="transcription_error",
        justification="test",
        meta=META,
        expected_version=1,
        conn=conn,
    )
    merged = await archive.merge_entity(
        entity_id="body-two",
        into="body-one",
        justification="test",
        meta=META,
        expected_version=1,
        into_expected_version=2,
        conn=conn,
    )
    assert (relabelled.version, merged.version) == (2, 2)
    raise RuntimeError("abandon the transaction")


async def test_commands_given_one_transaction_see_each_other_and_commit_together_or_not_at_all(
    archive: Archive, store: EventStore
) -> None:
    before = await store.count()
    # A handler that opened its own transaction instead would wait for this one's lock: fail fast.
    async with asyncio.timeout(10):
        with pytest.raises(RuntimeError, match="abandon"):
            async with archive.transaction() as conn:
                await write_everything_then_fail(archive, conn)
    assert await store.count() == before

    async with asyncio.timeout(10), archive.transaction() as conn:
        recorded = await archive.record_fact(
            content=OFFICER, rank="normal", citations=[cite(7, 7, OFFICER_QUOTE)], meta=META, conn=conn
        )
        ingested = await archive.ingest_facts(
            [FactInput(MEMBERSHIP, "normal", (cite(3, 3, MEMBERSHIP_QUOTE),))], META, conn=conn
        )
        await archive.link_fact(
            fact_id=recorded.fact_id,
            relation="fulfils",
            target_fact_id=ingested.fact_ids[0],
            meta=META,
            expected_version=1,
            conn=conn,
        )
    assert await store.count() == before + 3


async def test_a_correction_looks_up_the_entities_it_introduces(archive: Archive) -> None:
    evidence = cite(4, 5, CHAIR_QUOTE)
    recorded = await record(archive, CHAIR, evidence)
    # The new object and the new qualifiers are different entities, each looked up for its own part.
    changes = FactChanges(
        object="example-city",
        qualifiers=Qualifiers(
            place="example-country", organization="other-organisation", role="example-officer"
        ),
    )
    corrected = await archive.correct_fact(
        fact_id=recorded.fact_id,
        expected_version=1,
        changes=changes,
        reason_code="misattribution",
        justification="test: other entities",
        citations=[evidence],
        meta=META,
    )
    assert corrected.state is not None
    assert (corrected.state.object, corrected.state.qualifiers) == (changes.object, changes.qualifiers)

    for field, unknown in (
        ("changes.object", FactChanges(object="nobody")),
        ("changes.qualifiers.role", FactChanges(qualifiers=Qualifiers(role="nobody"))),
        ("changes.qualifiers.place", FactChanges(qualifiers=Qualifiers(place="nobody"))),
        ("changes.qualifiers.organization", FactChanges(qualifiers=Qualifiers(organization="nobody"))),
    ):
        with pytest.raises(UnknownEntity) as refused:
            await archive.correct_fact(
                fact_id=recorded.fact_id,
                expected_version=2,
                changes=unknown,
                reason_code="misattribution",
                justification="test: an unknown entity",
                citations=[evidence],
                meta=META,
            )
        assert refused.value.field == field


async def test_a_supersedes_link_may_not_close_a_cycle_down_a_chain(archive: Archive) -> None:
    facts = []
    for year in ("2011", "2012", "2013", "2014"):
        written = await record(
            archive, msgspec.structs.replace(MEMBERSHIP, valid_from=year), cite(3, 3, MEMBERSHIP_QUOTE)
        )
        facts.append(written.fact_id)
    oldest, middle, newest, aside = facts
    await archive.link_fact(
        fact_id=newest, relation="supersedes", target_fact_id=middle, meta=META, expected_version=1
    )
    # A link of another relation from the chain leads out of it: it is not followed.
    await archive.link_fact(
        fact_id=middle, relation="fulfils", target_fact_id=aside, meta=META, expected_version=1
    )
    linked = await archive.link_fact(
        fact_id=middle, relation="supersedes", target_fact_id=oldest, meta=META, expected_version=2
    )
    assert [e.event_type for e in linked.events] == ["fact.linked"]
    assert linked.state is not None
    assert [(link.relation, link.target_fact_id) for link in linked.state.links] == [
        ("fulfils", aside),
        ("supersedes", oldest),
    ]

    for fact_id, target, version in ((oldest, newest, 1), (middle, newest, 3)):
        with pytest.raises(InvalidCommand, match="cycle") as refused:
            await archive.link_fact(
                fact_id=fact_id,
                relation="supersedes",
                target_fact_id=target,
                meta=META,
                expected_version=version,
            )
        assert refused.value.field == "target_fact_id"
    beside = await archive.link_fact(
        fact_id=aside, relation="supersedes", target_fact_id=newest, meta=META, expected_version=1
    )
    assert beside.version == 2
    # The same link as another relation is no cycle.
    contradicts = await archive.link_fact(
        fact_id=oldest, relation="contradicts", target_fact_id=newest, meta=META, expected_version=1
    )
    assert contradicts.version == 2
    with pytest.raises(FactNotFound) as unknown:
        await archive.link_fact(
            fact_id=oldest, relation="fulfils", target_fact_id="no-such-fact", meta=META, expected_version=2
        )
    assert unknown.value.field == "target_fact_id"


async def test_an_ingest_names_the_item_it_refuses_and_appends_nothing(
    archive: Archive, store: EventStore
) -> None:
    before = await store.count()
    good = FactInput(MEMBERSHIP, "normal", (cite(3, 3, MEMBERSHIP_QUOTE),))
    undated = FactInput(
        FactContent(
            subject="example-country", predicate="member_of", object="example-organisation", valid_from="soon"
        ),
        "normal",
        (cite(3, 3, MEMBERSHIP_QUOTE),),
    )
    with pytest.raises(IngestError) as unreadable:
        await archive.ingest_facts([good, undated], META)
    assert unreadable.value.index == 1
    assert isinstance(unreadable.value.error, InvalidDate)
    assert str(unreadable.value) == f"item 1: {unreadable.value.error}"

    unknown = FactInput(
        FactContent(subject="nobody", predicate="member_of", object="example-organisation"),
        "normal",
        (cite(3, 3, MEMBERSHIP_QUOTE),),
    )
    with pytest.raises(IngestError) as refused:
        await archive.ingest_facts([good, good, unknown], META)
    assert refused.value.index == 2
    assert isinstance(refused.value.error, UnknownEntity)
    assert refused.value.error.field == "subject"
    assert str(refused.value) == f"item 2: {refused.value.error}"
    assert await store.count() == before


async def test_an_ingest_adds_to_facts_already_recorded_and_appends_nothing_when_nothing_is_new(
    archive: Archive, store: EventStore
) -> None:
    first = await archive.ingest_facts(
        [FactInput(MEMBERSHIP, "normal", (cite(3, 3, MEMBERSHIP_QUOTE),))], META
    )
    [fact_id] = first.fact_ids
    assert [(e.stream_id, e.stream_version, e.event_type, e.metadata) for e in first.events] == [
        (fact_stream(fact_id), 1, "fact.recorded", META_STORED)
    ]
    wider = cite(3, 3, "Example Country joined")
    again = await archive.ingest_facts(
        [FactInput(MEMBERSHIP, "normal", (cite(3, 3, MEMBERSHIP_QUOTE), wider))], META
    )
    assert again.fact_ids == [fact_id]
    assert [(e.stream_version, e.event_type) for e in again.events] == [(2, "fact.cited")]
    before = await store.count()
    nothing = await archive.ingest_facts([FactInput(MEMBERSHIP, "normal", (wider,))], META)
    assert (nothing.fact_ids, nothing.events) == ([fact_id], [])
    assert await store.count() == before


async def test_a_fact_naming_a_merged_entity_is_refused_naming_the_entity_it_went_into(
    archive: Archive,
) -> None:
    await archive.create_entity(entity_id="old-name", kind="organisation", label="Old Name", meta=META)
    await archive.merge_entity(
        entity_id="old-name",
        into="other-organisation",
        justification="test: one organisation",
        meta=META,
        expected_version=1,
        into_expected_version=1,
    )
    with pytest.raises(UnknownEntity) as refused:
        await record(archive, msgspec.structs.replace(CHAIR, object="old-name"), cite(4, 5, CHAIR_QUOTE))
    assert refused.value.field == "object"
    assert "'old-name' was merged into 'other-organisation'" in refused.value.message


async def test_the_source_cache_keeps_the_newest_texts_within_its_budgets_and_the_newest_however_long(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fact_commands, "SNAPSHOT_CACHE_LINES", 20)
    monkeypatch.setattr(fact_commands, "SNAPSHOT_CACHE_SIZE", 3)
    archive._snapshots.clear()

    async def cite_a_new_source(name: str, lines: int) -> list[str]:
        """Register a source of `lines` lines, record a fact citing it; the sources then cached."""
        text = "\n".join(f"{name}, line {n}." for n in range(1, lines + 1))
        await archive.register_source(
            source_id=name,
            title=name,
            origin="test",
            source_date="2011",
            content=text.encode("utf-8"),
            meta=META,
        )
        content = FactContent(subject="jane-example", predicate="known_as", value=name)
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        await record(archive, content, Citation(name, sha, 1, 1, f"{name}, line 1."))
        return [snapshot.source_id for snapshot in archive._snapshots.values()]

    assert await cite_a_new_source("s0", 10) == ["s0"]
    assert await cite_a_new_source("s1", 10) == ["s0", "s1"]  # 20 lines: the budget, not over it
    assert await cite_a_new_source("big", 15) == ["big"]  # 35 lines: the oldest go until it fits
    assert await cite_a_new_source("huge", 30) == ["huge"]  # over the budget alone, but the newest
    assert await cite_a_new_source("t0", 5) == ["t0"]
    assert await cite_a_new_source("t1", 5) == ["t0", "t1"]
    assert await cite_a_new_source("t2", 5) == ["t0", "t1", "t2"]  # three: the count, not over it
    assert await cite_a_new_source("t3", 5) == ["t1", "t2", "t3"]  # four: the oldest goes
