"""The rows each fact-derived read model holds after each kind of fact event, read back from its table.

tests/contract/test_projections.py checks that a rebuild writes the rows inline projection wrote; both
go through the same row builders, so a builder that writes a wrong value passes it. Here the rows are
named column by column, for the invented corpus of tests/contract/example_archive.py.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any

import msgspec
import pytest
from sqlalchemy import ColumnElement, Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.commands import Archive, FactInput, FactWritten
from archive.domain.events import Citation, Qualifiers, Rank, citation_id
from archive.domain.facts import FactContent
from archive.domain.sources import CitationRef
from archive.eventstore import RecordedEvent
from archive.projections import citations, citations_by_line, fact_versions, relations, roles, timeline
from archive.projections.versioning import believed_at
from archive.storage import backend_for
from archive.storage.engine import stored_utc
from tests.contract.example_archive import (
    CHAIR,
    CHAIR_QUOTE,
    MEMBERSHIP,
    MEMBERSHIP_QUOTE,
    META,
    OFFICER,
    OFFICER_QUOTE,
    REVISED_TEXT,
    SUMMIT_QUOTE,
    correct_valid_from,
    example_archive,
    record,
    register_source,
    ticking_store,
)
from tests.unit.examples import SOURCE_ID, SOURCE_TEXT, cite

#: The chair held from 2010-01-01 to 2010-12-31.
CHAIR_IN_2010 = msgspec.structs.replace(CHAIR, valid_from="2010-01-01", valid_to="2010")


@pytest.fixture
async def archive(engine: AsyncEngine) -> Archive:
    return await example_archive(ticking_store(engine))


async def rows(engine: AsyncEngine, table: Table, *where: ColumnElement[bool]) -> list[dict[str, Any]]:
    """The table's rows (matching `where`) in primary-key order, as dicts, times as aware UTC."""
    query = select(table).where(*where).order_by(*table.primary_key.columns)
    async with engine.connect() as conn:
        found = [dict(row._mapping) for row in await conn.execute(query)]
    return [{k: stored_utc(v) if isinstance(v, datetime) else v for k, v in row.items()} for row in found]


def interval(event: RecordedEvent, closed_by: RecordedEvent | None = None) -> dict[str, Any]:
    """The record-time columns of a row written for `event` (and ended by `closed_by`)."""
    return {
        "recorded_from": event.recorded_at,
        "recorded_to": closed_by.recorded_at if closed_by else None,
        "position_from": event.position,
        "position_to": closed_by.position if closed_by else None,
    }


async def test_a_recorded_fact_has_one_version_row_with_every_column(
    archive: Archive, engine: AsyncEngine
) -> None:
    written = await record(archive, OFFICER, cite(7, 7, OFFICER_QUOTE))
    [event] = written.events
    assert written.state is not None
    [row] = await rows(engine, fact_versions.fact_versions_table)
    del row["state"]  # the whole state, as JSON: checked below through state_of
    assert row == {
        "fact_id": written.fact_id,
        "version": 1,
        "event_type": "fact.recorded",
        "subject": "jane-example",
        "predicate": "holds_office",
        "object": "example-officer",
        "value": None,
        "valid_from": "2011",
        "valid_to": None,
        "point_in_time": None,
        "valid_earliest": date(2011, 1, 1),
        "valid_latest": None,
        "modality": "asserted",
        "rank": "normal",
        "status": "active",
        **interval(event),
    }
    async with engine.connect() as conn:
        stored = await fact_versions.version_at(conn, written.fact_id, None)
    assert stored is not None
    assert fact_versions.state_of(stored) == written.state


async def test_a_literal_fact_at_a_point_in_time_has_its_value_and_days_in_its_version_row(
    archive: Archive, engine: AsyncEngine
) -> None:
    named = await record(
        archive,
        FactContent(
            subject="jane-example", predicate="known_as", value="J. Example", point_in_time="2011-06"
        ),
        cite(7, 7, "Jane Example"),
    )
    [row] = await rows(engine, fact_versions.fact_versions_table)
    assert (row["fact_id"], row["object"], row["value"]) == (named.fact_id, None, "J. Example")
    assert (row["valid_from"], row["valid_to"], row["point_in_time"]) == (None, None, "2011-06")
    assert (row["valid_earliest"], row["valid_latest"]) == (date(2011, 6, 1), date(2011, 6, 30))


async def test_a_fact_is_related_from_its_subject_and_its_entity_object(
    archive: Archive, engine: AsyncEngine
) -> None:
    written = await record(archive, OFFICER, cite(7, 7, OFFICER_QUOTE))
    [event] = written.events
    shared = {
        "fact_id": written.fact_id,
        "version": 1,
        "predicate": "holds_office",
        "rank": "normal",
        "status": "active",
        "valid_earliest": date(2011, 1, 1),
        "valid_latest": None,
        **interval(event),
    }
    assert await rows(engine, relations.relations_table) == [
        {**shared, "entity_id": "example-officer", "direction": "object", "other_entity_id": "jane-example"},
        {**shared, "entity_id": "jane-example", "direction": "subject", "other_entity_id": "example-officer"},
    ]


async def test_a_fact_without_an_entity_object_or_about_itself_is_related_from_its_subject_alone(
    archive: Archive, engine: AsyncEngine
) -> None:
    named = await record(
        archive,
        FactContent(subject="jane-example", predicate="known_as", value="J. Example", point_in_time="2011"),
        cite(7, 7, OFFICER_QUOTE),
    )
    itself = await record(
        archive,
        FactContent(subject="example-organisation", predicate="chair_of", object="example-organisation"),
        cite(3, 3, MEMBERSHIP_QUOTE),
    )
    table = relations.relations_table
    found = await rows(engine, table)
    assert [(r["fact_id"], r["entity_id"], r["direction"], r["other_entity_id"]) for r in found] == sorted(
        [
            (named.fact_id, "jane-example", "subject", None),
            (itself.fact_id, "example-organisation", "subject", "example-organisation"),
        ]
    )
    [literal] = await rows(engine, table, table.c.fact_id == named.fact_id)
    assert (literal["valid_earliest"], literal["valid_latest"]) == (date(2011, 1, 1), date(2011, 12, 31))


async def test_a_role_row_takes_office_and_organisation_from_the_slots_the_vocabulary_names(
    archive: Archive, engine: AsyncEngine
) -> None:
    officer = await record(archive, OFFICER, cite(7, 7, OFFICER_QUOTE))
    chair = await record(archive, CHAIR_IN_2010, cite(4, 5, CHAIR_QUOTE))
    served = await record(
        archive,
        FactContent(
            subject="jane-example",
            predicate="serves",
            object="example-organisation",
            qualifiers=Qualifiers(role="example-officer"),
            point_in_time="2011-06-30",
            modality="planned",
        ),
        cite(7, 7, OFFICER_QUOTE),
    )
    hosted = await record(
        archive,
        FactContent(subject="example-organisation", predicate="has_secretariat"),
        cite(3, 3, MEMBERSHIP_QUOTE),
    )
    # A predicate without a role mapping has no role row.
    await record(archive, MEMBERSHIP, cite(3, 3, MEMBERSHIP_QUOTE))
    found = {row.pop("fact_id"): row for row in await rows(engine, roles.roles_table)}
    assert set(found) == {officer.fact_id, chair.fact_id, served.fact_id, hosted.fact_id}
    assert found[officer.fact_id] == {
        "version": 1,
        "holder": "jane-example",
        "office_id": "example-officer",
        "office_label": None,
        "organization_id": "example-organisation",
        "organization_label": None,
        "predicate": "holds_office",
        "valid_from": "2011",
        "valid_to": None,
        "point_in_time": None,
        "valid_earliest": date(2011, 1, 1),
        "valid_latest": None,
        "modality": "asserted",
        "rank": "normal",
        "status": "active",
        **interval(officer.events[0]),
    }
    slots = {
        fact_id: (
            row["holder"],
            row["office_id"],
            row["office_label"],
            row["organization_id"],
            row["organization_label"],
        )
        for fact_id, row in found.items()
    }
    assert slots[chair.fact_id] == ("example-country", None, "Chair", "example-organisation", None)
    assert slots[served.fact_id] == ("jane-example", "example-officer", None, None, "Example Service")
    assert slots[hosted.fact_id] == (
        "example-organisation",
        None,
        "Secretariat",
        "example-organisation",
        None,
    )
    timing = {
        fact_id: (
            row["valid_from"],
            row["valid_to"],
            row["point_in_time"],
            row["valid_earliest"],
            row["valid_latest"],
        )
        for fact_id, row in found.items()
    }
    assert timing[chair.fact_id] == ("2010-01-01", "2010", None, date(2010, 1, 1), date(2010, 12, 31))
    assert timing[served.fact_id] == (None, None, "2011-06-30", date(2011, 6, 30), date(2011, 6, 30))
    assert timing[hosted.fact_id] == (None, None, None, None, None)
    assert found[served.fact_id]["modality"] == "planned"


async def test_roles_valid_during_a_period_include_those_that_touch_either_end(
    archive: Archive, engine: AsyncEngine
) -> None:
    chair = await record(archive, CHAIR_IN_2010, cite(4, 5, CHAIR_QUOTE))
    table = roles.roles_table

    async def held(earliest: date, latest: date) -> list[str]:
        return [r["fact_id"] for r in await rows(engine, table, *roles.valid_during(earliest, latest))]

    assert await held(date(2009, 6, 1), date(2010, 1, 1)) == [chair.fact_id]
    assert await held(date(2010, 12, 31), date(2011, 6, 1)) == [chair.fact_id]
    assert await held(date(2009, 6, 1), date(2009, 12, 31)) == []
    assert await held(date(2011, 1, 1), date(2011, 6, 1)) == []


async def test_a_dated_fact_is_on_the_timeline_of_each_entity_it_involves(
    archive: Archive, engine: AsyncEngine
) -> None:
    summit = await record(
        archive,
        FactContent(
            subject="example-summit",
            predicate="takes_place",
            qualifiers=Qualifiers(
                place="example-city", organization="example-organisation", role="example-officer"
            ),
            point_in_time="2010-12",
            modality="planned",
        ),
        cite(6, 6, SUMMIT_QUOTE),
    )
    shared = {
        "fact_id": summit.fact_id,
        "version": 1,
        "predicate": "takes_place",
        "sort_start": date(2010, 12, 1),
        "sort_end": date(2010, 12, 31),
        "valid_earliest": date(2010, 12, 1),
        "valid_latest": date(2010, 12, 31),
        "rank": "normal",
        "status": "active",
        **interval(summit.events[0]),
    }
    assert await rows(engine, timeline.timeline_table) == [
        {**shared, "entity_id": "example-city", "involvement": "place"},
        {**shared, "entity_id": "example-officer", "involvement": "role"},
        {**shared, "entity_id": "example-organisation", "involvement": "organization"},
        {**shared, "entity_id": "example-summit", "involvement": "subject"},
    ]


async def test_on_the_timeline_an_entity_in_several_parts_is_the_subject_then_the_object(
    archive: Archive, engine: AsyncEngine
) -> None:
    # The country is subject and place, the organisation object and organisation; an open end sorts last.
    chair = await record(
        archive,
        FactContent(
            subject="example-country",
            predicate="chair_of",
            object="example-organisation",
            qualifiers=Qualifiers(place="example-country", organization="example-organisation"),
            valid_from="2010-01-01",
        ),
        cite(4, 5, CHAIR_QUOTE),
    )
    found = await rows(engine, timeline.timeline_table)
    assert [(r["entity_id"], r["involvement"]) for r in found] == [
        ("example-country", "subject"),
        ("example-organisation", "object"),
    ]
    assert {(r["fact_id"], r["sort_start"], r["sort_end"], r["valid_latest"]) for r in found} == {
        (chair.fact_id, date(2010, 1, 1), date.max, None)
    }


async def test_a_fact_without_a_valid_time_is_on_no_timeline(archive: Archive, engine: AsyncEngine) -> None:
    await record(archive, MEMBERSHIP, cite(3, 3, MEMBERSHIP_QUOTE))
    assert await rows(engine, timeline.timeline_table) == []
    assert len(await rows(engine, relations.relations_table)) == 2


async def test_each_citation_is_a_verified_row_and_a_row_per_line_it_covers(
    archive: Archive, engine: AsyncEngine
) -> None:
    chair_citation = cite(4, 5, CHAIR_QUOTE)
    chair = await record(
        archive,
        CHAIR,
        chair_citation,
    )
    own = citation_id(chair_citation)
    expected = {
        "fact_id": chair.fact_id,
        "citation_id": own,
        "source_id": SOURCE_ID,
        "content_sha256": hashlib.sha256(SOURCE_TEXT.encode("utf-8")).hexdigest(),
        "line_start": 4,
        "line_end": 5,
        "quote": CHAIR_QUOTE,
        "state": "verified",
        "current_line_start": 4,
        "current_line_end": 5,
    }
    assert await rows(engine, citations.citations_table) == [expected]
    assert await rows(engine, citations_by_line.citations_by_line_table) == [
        {"source_id": SOURCE_ID, "line": line, "fact_id": chair.fact_id, "citation_id": own}
        for line in (4, 5)
    ]

    # The same fact again with one more citation: only the new citation gets rows.
    wider = cite(3, 5, "joined the Example Organisation.\nOn 1 January 2010")
    again = await archive.record_fact(
        content=CHAIR,
        rank="normal",
        citations=[chair_citation, wider],
        meta=META,
        expected_version=1,
    )
    assert [e.event_type for e in again.events] == ["fact.cited"]
    by_line = await rows(engine, citations_by_line.citations_by_line_table)
    assert sorted((r["line"], r["citation_id"]) for r in by_line) == sorted(
        [(4, own), (5, own), (3, citation_id(wider)), (4, citation_id(wider)), (5, citation_id(wider))]
    )
    assert [r["citation_id"] for r in await rows(engine, citations.citations_table)] == sorted(
        [own, citation_id(wider)]
    )


async def test_a_new_version_closes_the_rows_of_the_one_before_in_every_versioned_model(
    archive: Archive, engine: AsyncEngine
) -> None:
    evidence = cite(7, 7, OFFICER_QUOTE)
    first = await record(archive, OFFICER, evidence)
    corrected = await correct_valid_from(archive, first, "2011-02")
    reranked = await archive.rerank_fact(
        fact_id=first.fact_id,
        expected_version=2,
        rank="preferred",
        reason_code="better_source",
        justification="test: prefer it",
        meta=META,
    )
    retracted = await archive.retract_fact(
        fact_id=first.fact_id,
        expected_version=3,
        reason_code="other",
        justification="test: withdraw it",
        citations=[evidence],
        meta=META,
    )
    [recorded], [correction], [rerank], [retraction] = (
        first.events,
        corrected.events,
        reranked.events,
        retracted.events,
    )
    versions = await rows(engine, fact_versions.fact_versions_table)
    assert [
        (r["version"], r["event_type"], r["valid_from"], r["valid_earliest"], r["rank"], r["status"])
        for r in versions
    ] == [
        (1, "fact.recorded", "2011", date(2011, 1, 1), "normal", "active"),
        (2, "fact.corrected", "2011-02", date(2011, 2, 1), "normal", "active"),
        (3, "fact.reranked", "2011-02", date(2011, 2, 1), "preferred", "active"),
        (4, "fact.retracted", "2011-02", date(2011, 2, 1), "preferred", "retracted"),
    ]
    intervals = [
        interval(recorded, correction),
        interval(correction, rerank),
        interval(rerank, retraction),
        interval(retraction),
    ]
    for table in (
        fact_versions.fact_versions_table,
        relations.relations_table,
        roles.roles_table,
        timeline.timeline_table,
    ):
        found = await rows(engine, table)
        assert sorted({r["version"] for r in found}) == [1, 2, 3, 4], table.name
        for row in found:
            assert {k: row[k] for k in intervals[0]} == intervals[row["version"] - 1], table.name
        assert {(r["version"], r["rank"], r["status"]) for r in found} >= {(4, "preferred", "retracted")}


async def test_a_fact_written_twice_in_one_ingest_has_its_first_rows_closed_by_the_second(
    archive: Archive, engine: AsyncEngine
) -> None:
    first, second = cite(7, 7, OFFICER_QUOTE), cite(7, 7, "Jane Example was  appointed")
    ingested = await archive.ingest_facts(
        [FactInput(OFFICER, "normal", (first,)), FactInput(OFFICER, "normal", (second,))], META
    )
    recorded, cited = ingested.events
    assert (recorded.event_type, cited.event_type) == ("fact.recorded", "fact.cited")
    for table in (fact_versions.fact_versions_table, relations.relations_table, timeline.timeline_table):
        found = await rows(engine, table)
        assert {r["version"]: {k: r[k] for k in interval(recorded)} for r in found} == {
            1: interval(recorded, cited),
            2: interval(cited),
        }, table.name
    assert len(await rows(engine, citations.citations_table)) == 2


async def test_a_source_revision_moves_drifted_citations_and_empties_orphaned_ones(
    archive: Archive, engine: AsyncEngine
) -> None:
    membership = cite(3, 3, MEMBERSHIP_QUOTE)
    chair = cite(4, 5, CHAIR_QUOTE)
    summit = cite(6, 6, SUMMIT_QUOTE)
    officer = cite(7, 7, OFFICER_QUOTE)
    # One fact with two citations that fare differently: each keeps its own outcome.
    joined = cite(3, 3, "Example Country joined")
    facts = {
        membership: await record(archive, MEMBERSHIP, membership),
        chair: await record(archive, CHAIR, chair),
        summit: await record(archive, FactContent(subject="example-summit", predicate="takes_place"), summit),
    }
    facts[officer] = facts[joined] = await record(archive, OFFICER, officer, joined)
    revised = await register_source(archive, REVISED_TEXT, expected_version=1)
    assert [e.event_type for e in revised.events] == ["source.revised"]

    def key(citation: Citation) -> tuple[str, str]:
        return facts[citation].fact_id, citation_id(citation)

    found = {(r["fact_id"], r["citation_id"]): r for r in await rows(engine, citations.citations_table)}
    now = {
        ids: (r["state"], r["line_start"], r["line_end"], r["current_line_start"], r["current_line_end"])
        for ids, r in found.items()
    }
    assert now == {
        key(membership): ("drifted", 3, 3, 4, 4),
        key(chair): ("drifted", 4, 5, 5, 6),
        key(summit): ("orphaned", 6, 6, None, None),
        key(officer): ("verified", 7, 7, 7, 7),
        key(joined): ("drifted", 3, 3, 4, 4),
    }
    by_line = await rows(engine, citations_by_line.citations_by_line_table)
    assert sorted((r["fact_id"], r["citation_id"], r["line"]) for r in by_line) == sorted(
        [
            (*key(membership), 4),
            (*key(chair), 5),
            (*key(chair), 6),
            (*key(officer), 7),
            (*key(joined), 4),
        ]
    )
    assert {r["source_id"] for r in by_line} == {SOURCE_ID}


async def test_a_thousand_facts_re_ingested_and_their_source_revised_all_follow(
    archive: Archive, engine: AsyncEngine
) -> None:
    # More facts than one lookup of states reads at a time (1000), more citations than one statement
    # of a revision moves (500).
    first, second = cite(3, 3, "Example Country joined"), cite(7, 7, "appointed")
    items = [
        FactInput(
            FactContent(subject="jane-example", predicate="known_as", value=f"name {n}"), "normal", (first,)
        )
        for n in range(1001)
    ]
    recorded = await archive.ingest_facts(items, META)
    again = await archive.ingest_facts([FactInput(i.content, "normal", (first, second)) for i in items], META)
    assert again.fact_ids == recorded.fact_ids
    assert {(e.stream_version, e.event_type) for e in again.events} == {(2, "fact.cited")}
    assert len(again.events) == 1001

    await register_source(archive, REVISED_TEXT, expected_version=1)
    by_line = await rows(engine, citations_by_line.citations_by_line_table)
    assert sorted((r["fact_id"], r["line"]) for r in by_line) == sorted(
        (fact_id, line) for fact_id in set(recorded.fact_ids) for line in (4, 7)
    )
    states = [(r["state"], r["current_line_start"]) for r in await rows(engine, citations.citations_table)]
    assert sorted(set(states)) == [("drifted", 4), ("verified", 7)]
    assert len(states) == 2002


# -- the lookups the command side and the reads make on these tables ------------------------------------


async def test_the_version_believed_at_a_time_starts_at_its_recording_and_ends_at_the_next(
    archive: Archive, engine: AsyncEngine
) -> None:
    other = await record(archive, MEMBERSHIP, cite(3, 3, MEMBERSHIP_QUOTE))
    first = await record(archive, OFFICER, cite(7, 7, OFFICER_QUOTE))
    second = await correct_valid_from(archive, first, "2011-02")
    recorded_at, corrected_at = first.events[0].recorded_at, second.events[0].recorded_at
    moment = timedelta(microseconds=1)

    async def version(as_of: datetime | None) -> int | None:
        async with engine.connect() as conn:
            row = await fact_versions.version_at(conn, first.fact_id, as_of)
        return None if row is None else int(row.version)

    assert await version(recorded_at - moment) is None
    assert await version(recorded_at) == 1
    assert await version(corrected_at - moment) == 1
    assert await version(corrected_at) == 2
    assert await version(None) == 2

    table = relations.relations_table
    mine = table.c.fact_id == first.fact_id
    believed = await rows(engine, table, mine, believed_at(table, corrected_at - moment))
    assert {r["version"] for r in believed} == {1}
    assert {r["version"] for r in await rows(engine, table, mine, believed_at(table, None))} == {2}
    assert {r["fact_id"] for r in await rows(engine, table, believed_at(table, recorded_at))} == {
        other.fact_id,
        first.fact_id,
    }

    async with engine.connect() as conn:
        assert await fact_versions.exists(conn, first.fact_id)
        assert not await fact_versions.exists(conn, "no-such-fact")
        assert await fact_versions.current_states(conn, {first.fact_id, "no-such-fact"}) == {
            first.fact_id: second.state
        }


async def test_citations_are_looked_up_by_source_by_fact_by_state_and_by_line(
    archive: Archive, engine: AsyncEngine
) -> None:
    # Recorded out of line order, and one fact's two citations (on line 7) out of id order, so that
    # an order the lookups do not ask for would show.
    chair = await record(archive, CHAIR, cite(4, 5, CHAIR_QUOTE))
    membership = await record(archive, MEMBERSHIP, cite(3, 3, MEMBERSHIP_QUOTE))
    on_seven = sorted(
        [cite(7, 7, OFFICER_QUOTE), cite(7, 7, "Jane Example was")], key=citation_id, reverse=True
    )
    officer = await record(archive, OFFICER, *on_seven)
    named = await record(
        archive,
        FactContent(subject="jane-example", predicate="known_as", value="Jane Example"),
        cite(7, 7, "Jane Example"),
    )
    # Another source, whose name sorts first, cited at a later line than any of the example's.
    annex = "\n" * 8 + "Annex line nine.\n"
    await archive.register_source(
        source_id="annex-report",
        title="Annex",
        origin="invented for tests",
        source_date="2011",
        content=annex.encode("utf-8"),
        meta=META,
    )
    annexed = Citation(
        "annex-report", hashlib.sha256(annex.encode("utf-8")).hexdigest(), 9, 9, "Annex line nine"
    )
    in_annex = await record(archive, msgspec.structs.replace(MEMBERSHIP, valid_from="1993"), annexed)

    async with engine.connect() as conn:
        assert await citations_by_line.facts_citing(conn, SOURCE_ID, 7) == sorted(
            [officer.fact_id, named.fact_id]
        )
        assert await citations_by_line.facts_citing(conn, SOURCE_ID, 5) == [chair.fact_id]
        assert await citations_by_line.facts_citing(conn, SOURCE_ID, 6) == []
        assert await citations_by_line.facts_citing(conn, "annex-report", 7) == []
        refs = await citations.refs_into(conn, SOURCE_ID)
        assert await citations.refs_into(conn, "annex-report") == (CitationRef(in_annex.fact_id, annexed),)
        assert await citations.refs_into(conn, "no-such-source") == ()
        states = await citations.states_of(conn, [membership.fact_id, named.fact_id])
        assert await citations.states_of(conn, []) == {}
        verified, verified_total = await citations.by_state(conn, "verified", 10, 0)
        page, page_total = await citations.by_state(conn, "verified", 2, 1)

    assert refs == tuple(
        sorted(
            (
                CitationRef(fact_id=written.fact_id, citation=c)
                for written in (membership, chair, officer, named)
                for c in (written.state.citations if written.state else ())
            ),
            key=lambda ref: (ref.fact_id, citation_id(ref.citation)),
        )
    )
    assert len(refs) == 5
    assert {key: row.state for key, row in states.items()} == {
        (membership.fact_id, citation_id(cite(3, 3, MEMBERSHIP_QUOTE))): "verified",
        (named.fact_id, citation_id(cite(7, 7, "Jane Example"))): "verified",
    }
    listed = [(r.source_id, r.line_start) for r in verified]
    assert listed == [("annex-report", 9), (SOURCE_ID, 3), (SOURCE_ID, 4), *[(SOURCE_ID, 7)] * 3]
    assert verified_total == 6
    assert ([(r.source_id, r.line_start) for r in page], page_total) == (listed[1:3], 6)

    await register_source(archive, REVISED_TEXT, expected_version=1)
    async with engine.connect() as conn:
        drifted, total = await citations.by_state(conn, "drifted", 10, 0)
        verified, verified_total = await citations.by_state(conn, "verified", 10, 0)
    assert [(r.fact_id, r.line_start, r.current_line_start) for r in drifted] == [
        (membership.fact_id, 3, 4),
        (chair.fact_id, 4, 5),
    ]
    assert (total, verified_total) == (2, 4)
    assert {r.state for r in verified} == {"verified"}


async def test_a_preferred_fact_outranks_the_normal_ones_with_its_subject_and_predicate_while_believed(
    archive: Archive, engine: AsyncEngine
) -> None:
    async def ranked(content: FactContent, rank: Rank, citation: Citation) -> FactWritten:
        return await archive.record_fact(content=content, rank=rank, citations=[citation], meta=META)

    membership, chair = cite(3, 3, MEMBERSHIP_QUOTE), cite(4, 5, CHAIR_QUOTE)
    normal = await ranked(msgspec.structs.replace(MEMBERSHIP, valid_from="1993"), "normal", membership)
    preferred = await ranked(msgspec.structs.replace(MEMBERSHIP, valid_from="1992"), "preferred", membership)
    await ranked(msgspec.structs.replace(MEMBERSHIP, valid_from="1994"), "deprecated", membership)
    other_predicate = await ranked(CHAIR, "normal", chair)
    by_other = await ranked(
        msgspec.structs.replace(CHAIR, subject="example-organisation"), "preferred", chair
    )
    same_as_other = await ranked(
        FactContent(subject="example-organisation", predicate="chair_of", object="other-organisation"),
        "normal",
        chair,
    )
    withdrawn = await archive.retract_fact(
        fact_id=by_other.fact_id,
        expected_version=1,
        reason_code="other",
        justification="test: no longer preferred",
        citations=[chair],
        meta=META,
    )
    # Recorded after the retraction: not yet believed before it.
    later = await ranked(msgspec.structs.replace(MEMBERSHIP, valid_from="1995"), "normal", membership)
    backend = backend_for(engine)

    async def outranked_at(moment: datetime | None) -> set[str]:
        found = []
        async with engine.connect() as conn:
            for use_index in (None, backend.use_index):
                found.append(set((await conn.execute(fact_versions.outranked(moment, use_index))).scalars()))
        assert found[0] == found[1]  # told its indexes, the query finds the same facts
        return found[0]

    assert await outranked_at(normal.events[0].recorded_at) == set()  # nothing preferred yet
    # Before the retraction: each normal fact with a preferred one's subject and predicate.
    assert await outranked_at(withdrawn.events[0].recorded_at - timedelta(microseconds=1)) == {
        normal.fact_id,
        same_as_other.fact_id,
    }
    # A retracted preferred fact outranks nothing; a normal fact whose subject or predicate differs never was.
    assert await outranked_at(None) == {normal.fact_id, later.fact_id}
    assert {other_predicate.fact_id, preferred.fact_id}.isdisjoint(await outranked_at(None))


async def test_told_its_indexes_the_outranked_lookup_reads_the_preferred_pairs_first(
    engine: AsyncEngine, sqlite_backend: str
) -> None:
    # SQLite, without statistics, read every current row instead (docs/decisions/0008); PostgreSQL's
    # backend is not told (its planner has statistics), so this is SQLite's check alone. The preferred
    # pairs are a list read from their partial index, and each finds its normal versions by subject.
    query = fact_versions.outranked(None, backend_for(engine).use_index)
    statement = str(query.compile(engine.sync_engine, compile_kwargs={"literal_binds": True}))
    async with engine.connect() as conn:
        plan = [str(row[-1]) for row in await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement)]
    assert plan[0].startswith(
        "SEARCH outranked USING INDEX ix_fact_versions_subject_recorded_to (subject=?"
    ), plan
    assert "SCAN preferred USING INDEX ix_fact_versions_preferred" in plan, plan
    assert not any(step.startswith("SCAN outranked") for step in plan), plan
