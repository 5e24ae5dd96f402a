"""The findings read model (archive/projections/findings.py) and the dismissal handler
(archive/commands/findings.py) against a real store: which rows each kind of finding writes (kind, scope,
facts, entities, a plan's due day, the refs a filter finds it by), which it deletes as the facts and
entities change, and what a dismissal appends, keeps and refuses. Each test ends with the rows equal to
a rebuild from the log.

The expected rows are written out: scopes, entity ids, days. Fact ids are those the command returned;
a finding's id is `finding_id` of its kind and what it names, which tests/unit/test_findings_edges.py
pins to a literal."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from typing import Any
from unittest.mock import patch

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from archive.commands import Archive, FactWritten
from archive.domain.entities import EntityChanges
from archive.domain.errors import InvalidCommand, StaleVersion
from archive.domain.events import Citation, FactChanges, Qualifiers
from archive.domain.facts import FactContent
from archive.domain.findings import finding_id
from archive.domain.vocabulary import Vocabulary, parse_vocabulary
from archive.eventstore import EventStore, events_table
from archive.projections import findings as findings_projection
from archive.projections.fact_versions import fact_versions_table
from archive.projections.findings import finding_dismissals_table, finding_refs_table, findings_table
from archive.projections.rebuild import rebuild
from archive.projections.shadow import compare_with_rebuild
from archive.reads.errors import NotFound
from tests.contract.example_archive import (
    MEMBERSHIP_QUOTE,
    META,
    REVISED_TEXT,
    SUMMIT_QUOTE,
    VOCABULARY,
    Ticking,
    register_source,
)
from tests.unit.examples import ENTITIES, SOURCE_ID, SOURCE_TEXT, cite

#: The examples' vocabulary with an office of one holder at a time (named by the object, and one named
#: by a fixed label), and facts that date an entity's beginning (by their subject, and by their object).
FINDINGS_VOCABULARY = Vocabulary(
    predicates={
        **VOCABULARY.predicates,
        **parse_vocabulary(
            {
                "predicates": {
                    "sole_office": {
                        "label": "sole office",
                        "description": "the subject holds the office, which has one holder at a time",
                        "object": "entity",
                        "role": {"office": "object", "organization": "qualifier:organization"},
                        "single_holder": True,
                    },
                    "presides": {
                        "label": "presides",
                        "description": "the subject presides over the object, one at a time",
                        "object": "entity",
                        "role": {"office": "label:Presidency|Board", "organization": "object"},
                        "single_holder": True,
                    },
                    "sole_role": {
                        "label": "sole role",
                        "description": "the subject holds the role it names, one holder at a time",
                        "object": "none",
                        "role": {"office": "qualifier:role", "organization": "qualifier:organization"},
                        "single_holder": True,
                    },
                    "moderates": {
                        "label": "moderates",
                        "description": "the subject moderates the object, one at a time",
                        "object": "entity",
                        "role": {"office": "label:Moderator", "organization": "qualifier:organization"},
                        "single_holder": True,
                    },
                    "founded": {
                        "label": "founded",
                        "description": "the subject was founded",
                        "object": "none",
                        "begins": "subject",
                    },
                    "establishes": {
                        "label": "establishes",
                        "description": "the subject establishes the object",
                        "object": "entity",
                        "begins": "object",
                    },
                }
            }
        ).predicates,
    }
)

EVIDENCE = cite(3, 3, MEMBERSHIP_QUOTE)
OFFICER_SCOPE = "office:example-officer|example-organisation"


@pytest.fixture
async def archive(store: EventStore) -> Archive:
    return await archive_of(store, FINDINGS_VOCABULARY)


async def archive_of(store: EventStore, vocabulary: Vocabulary) -> Archive:
    """An archive of `vocabulary` with the example entities (and a second person) and the source."""
    archive = Archive(store, vocabulary, Ticking())
    for entity_id, kind in {**ENTITIES, "john-example": "person"}.items():
        await archive.register_entity(entity_id=entity_id, kind=kind, label=entity_id.title(), meta=META)
    await register_source(archive, SOURCE_TEXT)
    return archive


async def record(archive: Archive, evidence: Citation = EVIDENCE, **content: Any) -> FactWritten:
    return await archive.record_fact(
        content=FactContent(**content), rank="normal", citations=[evidence], meta=META
    )


def term(holder: str, **dates: str) -> dict[str, Any]:
    """A term of the example officer in the example organisation."""
    organisation = Qualifiers(organization="example-organisation")
    return {
        "subject": holder,
        "predicate": "sole_office",
        "object": "example-officer",
        "qualifiers": organisation,
        **dates,
    }


async def found(engine: AsyncEngine, kind: str) -> list[tuple[Any, ...]]:
    """(scope, fact ids, entity ids, due day) of every finding of `kind`, by scope and facts."""
    t = findings_table
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(t.c.finding_id, t.c.scope, t.c.fact_ids, t.c.entity_ids, t.c.due_on).where(
                t.c.kind == kind
            )
        )
        listed = []
        for fid, scope, facts, entities, due in rows:
            # The row's id is the one its kind and what it names give.
            assert fid == finding_id(kind, [*facts, *(f"entity:{e}" for e in entities)])
            listed.append((scope, list(facts), list(entities), due))
    return sorted(listed, key=repr)


async def refs_of(engine: AsyncEngine, kind: str) -> list[list[str]]:
    """The refs of each finding of `kind`, sorted."""
    t, r = findings_table, finding_refs_table
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(r.c.finding_id, r.c.ref).join(t, t.c.finding_id == r.c.finding_id).where(t.c.kind == kind)
        )
        by_finding: dict[str, list[str]] = {}
        for fid, ref in rows:
            by_finding.setdefault(fid, []).append(ref)
    return sorted(sorted(refs) for refs in by_finding.values())


async def orphan_refs(engine: AsyncEngine) -> list[str]:
    """Refs whose finding is gone: a deleted finding must take its refs with it."""
    t, r = findings_table, finding_refs_table
    async with engine.connect() as conn:
        query = select(r.c.ref).where(r.c.finding_id.not_in(select(t.c.finding_id)))
        return sorted(await conn.scalars(query))


async def assert_as_rebuilt(archive: Archive, engine: AsyncEngine) -> None:
    assert await orphan_refs(engine) == []
    # The rebuild fills the findings two facts, entities and offices at a time, and reads by id in lists of
    # two: a scope spans chunks, and each chunk's keyset follows the last.
    with patch.object(findings_projection, "FILL_CHUNK", 2), patch.object(findings_projection, "CHUNK", 2):
        assert await compare_with_rebuild(archive.store, archive.projector) == []
    async with engine.connect() as conn:
        last = await conn.scalar(select(events_table.c.position).order_by(events_table.c.position.desc()))
        assert await findings_projection.refreshed_through(conn) == last


def pair(a: FactWritten, b: FactWritten) -> list[str]:
    return sorted([a.fact_id, b.fact_id])


async def correct(archive: Archive, fact: FactWritten, **changes: Any) -> FactWritten:
    return await archive.correct_fact(
        fact_id=fact.fact_id,
        expected_version=fact.version,
        changes=FactChanges(**changes),
        reason_code="valid_time_shift",
        justification="test: other dates",
        citations=[EVIDENCE],
        meta=META,
    )


async def link(archive: Archive, fact: FactWritten, relation: str, target: FactWritten) -> FactWritten:
    return await archive.link_fact(
        fact_id=fact.fact_id,
        relation=relation,  # type: ignore[arg-type]
        target_fact_id=target.fact_id,
        expected_version=fact.version,
        meta=META,
    )


async def merge(archive: Archive, entity_id: str, into: str, expected_version: int) -> None:
    """Merge `entity_id` (at `expected_version`) into `into` (at version 1)."""
    await archive.merge_entity(
        entity_id=entity_id,
        into=into,
        justification="test: the same",
        expected_version=expected_version,
        into_expected_version=1,
        meta=META,
    )


async def retract(archive: Archive, fact: FactWritten) -> None:
    await archive.retract_fact(
        fact_id=fact.fact_id,
        expected_version=fact.version,
        reason_code="other",
        justification="test: never joined",
        citations=[EVIDENCE],
        meta=META,
    )


async def test_two_holders_of_one_office_whose_terms_meet_on_a_day_are_a_finding_until_they_no_longer_do(
    archive: Archive, engine: AsyncEngine
) -> None:
    jane = await record(archive, **term("jane-example", valid_from="2010-01-01", valid_to="2010-06-30"))
    later = await record(archive, **term("jane-example", valid_from="2010-07"))  # the same holder: no finding
    assert await found(engine, "overlapping_holders") == []
    john = await record(archive, **term("john-example", valid_from="2010-06-30", valid_to="2010-06-30"))
    holders = ["example-officer", "example-organisation", "jane-example", "john-example"]
    assert await found(engine, "overlapping_holders") == [(OFFICER_SCOPE, pair(jane, john), holders, None)]
    assert await refs_of(engine, "overlapping_holders") == [
        sorted(
            [f"fact:{jane.fact_id}", f"fact:{john.fact_id}", f"source:{SOURCE_ID}"]
            + [f"entity:{e}" for e in holders]
        )
    ]
    # A day apart, and before the first holder's later term can have begun: a handover. The finding and
    # its refs go.
    john = await correct(archive, john, valid_from="2010-07-01", valid_to="2010-07-01")
    assert await found(engine, "overlapping_holders") == []
    # Within the first holder's later term: found again, with that term.
    john = await correct(archive, john, valid_from="2010-08-01", valid_to="2010-08-31")
    assert await found(engine, "overlapping_holders") == [(OFFICER_SCOPE, pair(later, john), holders, None)]
    # An archivist relates the two terms: no longer a finding.
    await link(archive, john, "contradicts", later)
    assert await found(engine, "overlapping_holders") == []
    await assert_as_rebuilt(archive, engine)


async def test_a_term_moved_to_another_office_leaves_the_first_office_and_is_found_in_the_second(
    archive: Archive, engine: AsyncEngine
) -> None:
    """One batch reaches two offices: the first (through the finding that named the moved term) has no
    touched term left, and must not stop the second from being computed."""
    first = await record(archive, **term("jane-example", valid_from="2001"))
    elsewhere = Qualifiers(organization="other-organisation")
    there = await record(archive, **{**term("jane-example", valid_from="2001"), "qualifiers": elsewhere})
    moved = await record(archive, **term("john-example", valid_from="2002"))
    holders = ["example-officer", "example-organisation", "jane-example", "john-example"]
    assert await found(engine, "overlapping_holders") == [(OFFICER_SCOPE, pair(first, moved), holders, None)]
    await correct(archive, moved, qualifiers=elsewhere)
    other_holders = ["example-officer", "jane-example", "john-example", "other-organisation"]
    assert await found(engine, "overlapping_holders") == [
        ("office:example-officer|other-organisation", pair(there, moved), other_holders, None)
    ]
    await assert_as_rebuilt(archive, engine)


async def test_an_office_held_in_no_organisation_is_scoped_by_the_office_alone(
    archive: Archive, engine: AsyncEngine
) -> None:
    alone: dict[str, Any] = {
        "subject": "jane-example",
        "predicate": "sole_office",
        "object": "example-officer",
    }
    jane = await record(archive, **alone, valid_from="2001")
    john = await record(archive, **{**alone, "subject": "john-example"}, valid_from="2002")
    assert await found(engine, "overlapping_holders") == [
        (
            "office:example-officer|",
            pair(jane, john),
            ["example-officer", "jane-example", "john-example"],
            None,
        )
    ]
    await assert_as_rebuilt(archive, engine)


async def test_a_holder_merged_into_the_other_is_the_same_holder(
    archive: Archive, engine: AsyncEngine
) -> None:
    jane = await record(archive, **term("jane-example", valid_from="2001"))
    john = await record(archive, **term("john-example", valid_from="2003"))
    holders = ["example-officer", "example-organisation", "jane-example", "john-example"]
    assert await found(engine, "overlapping_holders") == [(OFFICER_SCOPE, pair(jane, john), holders, None)]
    await merge(archive, "john-example", "jane-example", 1)
    assert await found(engine, "overlapping_holders") == []
    await assert_as_rebuilt(archive, engine)


async def test_an_office_named_by_a_label_has_one_holder_in_each_organisation(
    archive: Archive, engine: AsyncEngine
) -> None:
    def presides(holder: str, organisation: str, since: str) -> dict[str, Any]:
        return {"subject": holder, "predicate": "presides", "object": organisation, "valid_from": since}

    jane = await record(archive, **presides("jane-example", "example-organisation", "2001"))
    await record(archive, **presides("john-example", "other-organisation", "2002"))
    # Not an office of one holder of the label: the officer's terms are another office's.
    await record(archive, **term("john-example", valid_from="2001"))
    assert await found(engine, "overlapping_holders") == []
    city = await record(archive, **presides("example-city", "example-organisation", "1990-01-01"))
    assert await found(engine, "overlapping_holders") == [
        (
            "office:label:Presidency|Board|example-organisation",
            pair(jane, city),
            ["example-city", "example-organisation", "jane-example"],
            None,
        )
    ]
    # Ended before the other began: the standing finding's scope is computed again, and it goes.
    await correct(archive, city, valid_to="2000")
    assert await found(engine, "overlapping_holders") == []
    await assert_as_rebuilt(archive, engine)


async def test_an_office_named_by_a_label_and_held_in_no_organisation_is_scoped_by_the_label_alone(
    archive: Archive, engine: AsyncEngine
) -> None:
    def moderates(holder: str, since: str, **qualifiers: str) -> dict[str, Any]:
        content = {"subject": holder, "predicate": "moderates", "object": "example-summit"}
        return {**content, "valid_from": since, "qualifiers": Qualifiers(**qualifiers)}

    jane = await record(archive, **moderates("jane-example", "2001"))
    # The label's office in an organisation is another office.
    await record(archive, **moderates("example-city", "2001", organization="example-organisation"))
    assert await found(engine, "overlapping_holders") == []
    john = await record(archive, **moderates("john-example", "2002"))
    expected = [("office:label:Moderator|", pair(jane, john), ["jane-example", "john-example"], None)]
    assert await found(engine, "overlapping_holders") == expected
    # Ended before the other began: the scope is computed again from the terms it holds, and the finding goes.
    await correct(archive, john, valid_from="2000", valid_to="2000")
    assert await found(engine, "overlapping_holders") == []
    await correct(archive, jane, valid_from="1999")
    jane_again = await found(engine, "overlapping_holders")
    assert [scope for scope, *_ in jane_again] == ["office:label:Moderator|"]
    await assert_as_rebuilt(archive, engine)


async def test_a_term_that_names_no_office_is_in_no_office(archive: Archive, engine: AsyncEngine) -> None:
    """A predicate whose office is a qualifier the fact does not give: its terms share no office, in an
    organisation or in none, and overlap nothing."""
    for qualifiers in (Qualifiers(), Qualifiers(organization="example-organisation")):
        for holder in ("jane-example", "john-example"):
            await record(
                archive, subject=holder, predicate="sole_role", valid_from="2001", qualifiers=qualifiers
            )
    assert await found(engine, "overlapping_holders") == []
    # With the office given, the same two holders overlap in it.
    role = Qualifiers(role="example-officer")
    jane = await record(
        archive, subject="jane-example", predicate="sole_role", valid_from="2001", qualifiers=role
    )
    john = await record(
        archive, subject="john-example", predicate="sole_role", valid_from="2002", qualifiers=role
    )
    expected = [
        (
            "office:example-officer|",
            pair(jane, john),
            ["example-officer", "jane-example", "john-example"],
            None,
        )
    ]
    assert await found(engine, "overlapping_holders") == expected
    await assert_as_rebuilt(archive, engine)


async def test_a_finding_an_earlier_version_made_of_terms_in_no_office_goes_when_they_are_touched(
    archive: Archive, engine: AsyncEngine
) -> None:
    """Before 2026-12-06 terms with no office were scoped `office:label:None|...` and paired: such a
    finding, left in the rows, goes at the next write that touches one of its terms."""
    jane = await record(archive, subject="jane-example", predicate="sole_role", valid_from="2001")
    john = await record(archive, subject="john-example", predicate="sole_role", valid_from="2002")
    facts, holders = pair(jane, john), ["jane-example", "john-example"]
    fid = finding_id("overlapping_holders", [*facts, *(f"entity:{e}" for e in holders)])
    row = {"kind": "overlapping_holders", "scope": "office:label:None|", "due_on": None}
    refs = [f"fact:{f}" for f in facts] + [f"entity:{e}" for e in holders]
    async with engine.begin() as conn:
        await conn.execute(
            findings_table.insert(), [{**row, "finding_id": fid, "fact_ids": facts, "entity_ids": holders}]
        )
        await conn.execute(finding_refs_table.insert(), [{"ref": ref, "finding_id": fid} for ref in refs])
    assert [scope for scope, *_ in await found(engine, "overlapping_holders")] == ["office:label:None|"]
    await correct(archive, john, valid_from="2003")
    assert await found(engine, "overlapping_holders") == []
    await assert_as_rebuilt(archive, engine)


def summit(**content: Any) -> dict[str, Any]:
    return {
        "subject": "example-summit",
        "predicate": "takes_place",
        "evidence": cite(6, 6, SUMMIT_QUOTE),
        **content,
    }


async def test_a_dated_plan_is_stored_with_its_due_day_until_a_fact_fulfils_it_or_it_is_deprecated(
    archive: Archive, engine: AsyncEngine
) -> None:
    plan = await record(archive, **summit(point_in_time="2010-12", modality="planned"))
    await record(archive, **summit(modality="planned"))  # undated: never due
    await record(archive, **summit(point_in_time="2009"))  # asserted: no plan
    ended = await record(
        archive, subject="example-city", predicate="takes_place", valid_to="2011-03", modality="planned"
    )
    assert await found(engine, "plan_passed") == [
        (f"fact:{ended.fact_id}", [ended.fact_id], ["example-city"], dt.date(2011, 3, 31)),
        (f"fact:{plan.fact_id}", [plan.fact_id], ["example-summit"], dt.date(2010, 12, 31)),
    ]
    assert await refs_of(engine, "plan_passed") == sorted(
        [
            ["entity:example-city", f"fact:{ended.fact_id}", f"source:{SOURCE_ID}"],
            ["entity:example-summit", f"fact:{plan.fact_id}", f"source:{SOURCE_ID}"],
        ]
    )
    held = await record(archive, **summit(point_in_time="2010-12-05"))
    await link(archive, held, "fulfils", plan)
    # Only a fact that fulfils a plan ends it: one contradicting it leaves it standing.
    later = await record(archive, **summit(point_in_time="2013", modality="planned"))
    await link(archive, await record(archive, **summit(point_in_time="2013-01")), "contradicts", later)
    await archive.rerank_fact(
        fact_id=ended.fact_id,
        expected_version=ended.version,
        rank="deprecated",
        reason_code="other",
        justification="test: not what happened",
        meta=META,
    )
    assert await found(engine, "plan_passed") == [
        (f"fact:{later.fact_id}", [later.fact_id], ["example-summit"], dt.date(2013, 12, 31))
    ]
    await assert_as_rebuilt(archive, engine)


async def test_a_fact_every_citation_of_which_no_longer_stands_is_a_finding_until_one_does(
    archive: Archive, engine: AsyncEngine
) -> None:
    held = await record(archive, **summit(point_in_time="2010-12-05"))
    member = await record(
        archive, subject="example-country", predicate="member_of", object="example-organisation"
    )
    # A plan citing another source: the revision of the first leaves it as it is (and a rebuild, which
    # refreshes the plan's recording and the revision together, must keep its finding).
    other_text = "The Example Summit is planned for 2015.\n"
    await archive.register_source(
        source_id="second-report",
        title="Second Report",
        origin="invented for tests",
        source_date="2012",
        content=other_text.encode("utf-8"),
        meta=META,
    )
    other_citation = Citation(
        source_id="second-report",
        content_sha256=hashlib.sha256(other_text.encode("utf-8")).hexdigest(),
        line_start=1,
        line_end=1,
        quote="The Example Summit is planned for 2015.",
    )
    plan = await record(
        archive, **{**summit(point_in_time="2015", modality="planned"), "evidence": other_citation}
    )
    assert await found(engine, "citations_unverified") == []
    # The revised text has no summit line: the summit's one citation is orphaned; the membership's line
    # moved, which drifts its citation.
    await register_source(archive, REVISED_TEXT, expected_version=1)
    membership = (
        f"fact:{member.fact_id}",
        [member.fact_id],
        ["example-country", "example-organisation"],
        None,
    )
    summit_held = (f"fact:{held.fact_id}", [held.fact_id], ["example-summit"], None)
    assert await found(engine, "citations_unverified") == sorted([membership, summit_held], key=repr)
    revised = Citation(
        source_id=SOURCE_ID,
        content_sha256=hashlib.sha256(REVISED_TEXT.encode("utf-8")).hexdigest(),
        line_start=4,
        line_end=4,
        quote=MEMBERSHIP_QUOTE,
    )
    await archive.record_fact(
        content=FactContent(subject="example-summit", predicate="takes_place", point_in_time="2010-12-05"),
        rank="normal",
        citations=[revised],
        expected_version=held.version,
        meta=META,
    )
    assert await found(engine, "citations_unverified") == [membership]
    assert await found(engine, "plan_passed") == [
        (f"fact:{plan.fact_id}", [plan.fact_id], ["example-summit"], dt.date(2015, 12, 31))
    ]
    await assert_as_rebuilt(archive, engine)


def member(**dates: str) -> dict[str, Any]:
    return {"subject": "example-country", "predicate": "member_of", "object": "example-organisation", **dates}


async def test_facts_of_one_content_that_differ_only_in_precision_are_a_finding_until_related(
    archive: Archive, engine: AsyncEngine
) -> None:
    year = await record(archive, **member(valid_from="1992"))
    month = await record(archive, **member(valid_from="1992-02"))
    other = {**member(valid_from="1992"), "object": "other-organisation"}
    elsewhere = await record(archive, **other)  # another content: not a variant of either
    await record(archive, **member(valid_from="1993"))  # another start: not a variant either
    (row,) = await found(engine, "precision_variants")
    scope, facts, entities, due = row
    # uuid5 of 'content:["example-country","member_of","example-organisation",null,null,null,null,
    # "asserted"]' in the archive's namespace, computed by hand: the scope rows are stored under, which a
    # later refresh must compute again to replace them.
    assert scope == "content:500c6ffc-e3e6-5f29-87c8-7331a619d181"
    assert (facts, entities, due) == (pair(year, month), ["example-country", "example-organisation"], None)
    # Corrected to another year, the month no longer states the same start.
    month = await correct(archive, month, valid_from="1994-02")
    assert await found(engine, "precision_variants") == []
    day = await record(archive, **member(valid_from="1992-12-31"))
    assert await found(engine, "precision_variants") == [
        (scope, pair(year, day), ["example-country", "example-organisation"], None)
    ]
    await link(archive, day, "supersedes", year)
    assert await found(engine, "precision_variants") == []
    june = await record(archive, **member(valid_from="1992-06"))
    assert await found(engine, "precision_variants") == [
        (scope, pair(year, june), ["example-country", "example-organisation"], None)
    ]
    # Corrected to another content: the finding's old scope is reached through what it names alone, and
    # it goes; in the new content, the fact is a variant of the one there.
    await correct(archive, june, object="other-organisation")
    assert await found(engine, "precision_variants") == [
        (
            "content:7e7c5de6-cabe-5d97-9c2a-8bf926b5e016",
            pair(elsewhere, june),
            ["example-country", "other-organisation"],
            None,
        )
    ]
    await assert_as_rebuilt(archive, engine)


async def test_a_rebuild_finds_precision_variants_in_the_tables_it_writes(
    archive: Archive, engine: AsyncEngine
) -> None:
    # On PostgreSQL a rebuild writes into a schema of its own, through `schema_translate_map`, and swaps it
    # in: the content lookup, run as text, must name that schema, or it reads the live tables. Emptied
    # here, they would hold no variants to find.
    year = await record(archive, **member(valid_from="1992"))
    month = await record(archive, **member(valid_from="1992-02"))
    async with engine.begin() as conn:
        await conn.execute(fact_versions_table.delete())
    await rebuild(archive.store, archive.projector)
    assert [facts for _, facts, _, _ in await found(engine, "precision_variants")] == [pair(year, month)]


async def test_a_deprecated_or_retracted_fact_is_no_precision_variant(
    archive: Archive, engine: AsyncEngine
) -> None:
    year = await record(archive, **member(valid_from="1992"))
    month = await record(archive, **member(valid_from="1992-02"))
    assert [facts for _, facts, _, _ in await found(engine, "precision_variants")] == [pair(year, month)]
    await rerank_deprecated(archive, month)
    assert await found(engine, "precision_variants") == []
    day = await record(archive, **member(valid_from="1992-12-31"))
    assert [facts for _, facts, _, _ in await found(engine, "precision_variants")] == [pair(year, day)]
    await retract(archive, day)
    assert await found(engine, "precision_variants") == []
    await assert_as_rebuilt(archive, engine)


async def test_an_entity_no_active_fact_involves_is_a_finding(archive: Archive, engine: AsyncEngine) -> None:
    everyone = sorted([*ENTITIES, "john-example"])
    assert await found(engine, "entity_without_facts") == [(f"entity:{e}", [], [e], None) for e in everyone]
    membership = await record(archive, **member(valid_from="1992"))
    alone = [e for e in everyone if e not in ("example-country", "example-organisation")]
    assert await found(engine, "entity_without_facts") == [(f"entity:{e}", [], [e], None) for e in alone]
    await retract(archive, membership)
    assert await found(engine, "entity_without_facts") == [(f"entity:{e}", [], [e], None) for e in everyone]
    # A merged entity is its survivor: not a finding of its own.
    await merge(archive, "john-example", "jane-example", 1)
    merged_away = [e for e in everyone if e != "john-example"]
    assert await found(engine, "entity_without_facts") == [
        (f"entity:{e}", [], [e], None) for e in merged_away
    ]
    await assert_as_rebuilt(archive, engine)


async def test_a_name_two_entities_share_is_a_finding_until_one_gives_it_up(
    archive: Archive, engine: AsyncEngine
) -> None:
    assert await found(engine, "name_collision") == []
    twin = await archive.register_entity(
        entity_id="twin-country", kind="country", label="Twin", aliases=["  EXAMPLE-COUNTRY "], meta=META
    )
    assert await found(engine, "name_collision") == [
        ("name:example-country", [], ["example-country", "twin-country"], None)
    ]
    assert await refs_of(engine, "name_collision") == [["entity:example-country", "entity:twin-country"]]
    twin = await archive.revise_entity(
        entity_id="twin-country",
        changes=EntityChanges(aliases=("Twin Country",)),
        reason_code="other",
        justification="test: its own name",
        expected_version=twin.version,
        meta=META,
    )
    assert await found(engine, "name_collision") == []
    await archive.revise_entity(
        entity_id="twin-country",
        changes=EntityChanges(label=" JANE-example"),
        reason_code="other",
        justification="test: a shared label",
        expected_version=twin.version,
        meta=META,
    )
    assert await found(engine, "name_collision") == [
        ("name:jane-example", [], ["jane-example", "twin-country"], None)
    ]
    await merge(archive, "twin-country", "example-country", 3)
    assert await found(engine, "name_collision") == []
    await assert_as_rebuilt(archive, engine)


async def test_a_fact_that_ended_before_its_entity_began_is_a_finding(
    archive: Archive, engine: AsyncEngine
) -> None:
    founded = await record(archive, subject="example-organisation", predicate="founded", point_in_time="2000")
    early = await record(archive, **member(valid_from="1990", valid_to="1999-12"))
    await record(archive, **member(valid_from="1980", valid_to="2000"))  # may reach 2000
    assert await found(engine, "ends_before_beginning") == [
        ("entity:example-organisation", [early.fact_id, founded.fact_id], ["example-organisation"], None)
    ]
    # Ending in January 2000, it may end after a beginning on any day of 2000.
    await correct(archive, early, valid_to="2000-01")
    assert await found(engine, "ends_before_beginning") == []
    # An entity begun by a fact naming it as its object; the earliest beginning counts.
    await established_after_it_was_left(archive, engine, established="2005-06", left="2005-05")
    await record(archive, subject="other-organisation", predicate="founded", point_in_time="2004")
    assert await found(engine, "ends_before_beginning") == []
    await assert_as_rebuilt(archive, engine)


async def test_a_beginning_dated_only_by_its_object_is_found_without_a_predicate_dating_a_subject(
    store: EventStore, engine: AsyncEngine
) -> None:
    """A vocabulary whose only dating predicate dates its object: the subject slot has none to read."""
    predicates = {n: p for n, p in FINDINGS_VOCABULARY.predicates.items() if p.begins != "subject"}
    assert any(p.begins == "object" for p in predicates.values())
    archive = await archive_of(store, Vocabulary(predicates=predicates))
    await established_after_it_was_left(archive, engine, established="2005", left="2004")


async def established_after_it_was_left(
    archive: Archive, engine: AsyncEngine, established: str, left: str
) -> None:
    """The other organisation, established by its object's dating fact on `established`, and left by the
    example country by `left`, before it: that membership is found to have ended before it began."""
    set_up = await record(
        archive,
        subject="example-country",
        predicate="establishes",
        object="other-organisation",
        point_in_time=established,
    )
    joined = await record(
        archive, subject="example-country", predicate="member_of", object="other-organisation", valid_to=left
    )
    assert await found(engine, "ends_before_beginning") == [
        ("entity:other-organisation", [joined.fact_id, set_up.fact_id], ["other-organisation"], None)
    ]


async def test_a_dismissal_is_an_event_on_the_findings_stream_and_a_row_kept_by_its_id(
    archive: Archive, store: EventStore, engine: AsyncEngine
) -> None:
    plan = await record(archive, **summit(point_in_time="2010-12", modality="planned"))
    fid = finding_id("plan_passed", [plan.fact_id, "entity:example-summit"])
    written = await archive.dismiss_finding(
        finding_id=fid,
        expected_version=0,
        reason_code="did_not_happen",
        justification="test: the summit was cancelled",
        meta=META,
    )
    assert (written.stream_id, written.version) == (f"finding:{fid}", 1)
    (event,) = written.events
    assert (event.stream_id, event.stream_version, event.event_type) == (
        f"finding:{fid}",
        1,
        "finding.dismissed",
    )
    assert (event.data["finding_id"], event.data["kind"], event.data["reason_code"]) == (
        fid,
        "plan_passed",
        "did_not_happen",
    )
    (logged,) = await store.read_stream(f"finding:{fid}")
    assert logged.position == event.position
    async with engine.connect() as conn:
        kept = (await conn.execute(select(finding_dismissals_table))).all()
    assert [(r.finding_id, r.kind, r.reason_code, r.justification, r.position) for r in kept] == [
        (fid, "plan_passed", "did_not_happen", "test: the summit was cancelled", event.position)
    ]
    assert kept[0].recorded_at.replace(tzinfo=dt.UTC) == logged.recorded_at.astimezone(dt.UTC)

    # Twice: refused as already dismissed; on the version before: stale.
    with pytest.raises(InvalidCommand) as twice:
        await archive.dismiss_finding(
            finding_id=fid, expected_version=1, reason_code="other", justification="again", meta=META
        )
    assert (twice.value.message, twice.value.field) == (f"finding {fid} is already dismissed", "finding_id")
    with pytest.raises(StaleVersion) as stale:
        await archive.dismiss_finding(
            finding_id=fid, expected_version=0, reason_code="other", justification="again", meta=META
        )
    assert stale.value.message.startswith(f"finding {fid} is at version 1, not 0:")
    with pytest.raises(NotFound) as unknown:
        await archive.dismiss_finding(
            finding_id="no-such-finding",
            expected_version=0,
            reason_code="other",
            justification="x",
            meta=META,
        )
    assert (
        str(unknown.value)
        == "no finding no-such-finding stands now: it was never found, or what made it changed"
    )
    assert await store.stream_version(f"finding:{fid}") == 1
    await assert_as_rebuilt(archive, engine)


async def test_a_dismissal_in_a_callers_transaction_reads_and_rolls_back_with_it(
    archive: Archive, store: EventStore, engine: AsyncEngine
) -> None:
    fid = finding_id("entity_without_facts", ["entity:example-city"])
    assert fid in {row[0] for row in await _ids(engine)}

    async def dismiss_twice_in_one_transaction() -> None:
        async with archive.transaction() as tx:
            first = await archive.dismiss_finding(
                finding_id=fid,
                expected_version=0,
                reason_code="not_a_problem",
                justification="a",
                meta=META,
                conn=tx,
            )
            assert first.version == 1
            # The second sees the first, uncommitted, in the same transaction.
            await archive.dismiss_finding(
                finding_id=fid, expected_version=1, reason_code="other", justification="b", meta=META, conn=tx
            )

    # Bounded: a handler that opened a transaction of its own would wait for the caller's forever.
    with pytest.raises(InvalidCommand, match="already dismissed"):
        await asyncio.wait_for(dismiss_twice_in_one_transaction(), timeout=20)
    # The refusal rolled the first back with it.
    assert await store.stream_version(f"finding:{fid}") == 0
    async with engine.connect() as conn:
        assert (await conn.execute(select(finding_dismissals_table))).all() == []


async def _ids(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        return [tuple(r) for r in await conn.execute(select(findings_table.c.finding_id))]


async def findings_rows(engine: AsyncEngine) -> list[list[tuple[Any, ...]]]:
    async with engine.connect() as conn:
        return [
            [tuple(row) for row in await conn.execute(select(table).order_by(*table.primary_key.columns))]
            for table in (findings_table, finding_refs_table)
        ]


async def test_a_fill_computes_every_finding_from_the_read_models_alone(
    archive: Archive, engine: AsyncEngine
) -> None:
    """As migration 0012 does on a synchronous connection, and as `fill` does on an async one."""
    await record(archive, **term("jane-example", valid_from="2001"))
    await record(archive, **term("john-example", valid_from="2002"))
    await record(archive, **summit(point_in_time="2010-12", modality="planned"))
    await record(archive, **member(valid_from="1992"))
    await record(archive, **member(valid_from="1992-02"))
    await archive.register_entity(entity_id="twin", kind="country", label="Example-City", meta=META)
    kept = await findings_rows(engine)
    assert sorted({row[1] for row in kept[0]}) == [
        "entity_without_facts",
        "name_collision",
        "overlapping_holders",
        "plan_passed",
        "precision_variants",
    ]
    for fill in (
        lambda conn: conn.run_sync(findings_projection.fill_synchronously, FINDINGS_VOCABULARY),
        lambda conn: findings_projection.fill(conn, FINDINGS_VOCABULARY),
    ):
        async with archive.transaction() as conn:
            await fill(conn)
        assert await findings_rows(engine) == kept


async def test_a_fill_in_chunks_of_one_computes_every_office(
    archive: Archive, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`fill` goes through the offices (then the facts, then the entities) `FILL_CHUNK` at a time: in
    chunks of one, every office's pairs are still computed, the last office's as the first's. The
    offices differ by organisation, by entity in one organisation, and by label in one organisation."""
    elsewhere = Qualifiers(organization="other-organisation")
    here = Qualifiers(organization="example-organisation")
    offices = [
        {},
        {"qualifiers": elsewhere},
        {"object": "example-summit"},
        {"predicate": "moderates", "object": "example-summit"},
        {"predicate": "presides", "object": "example-organisation", "qualifiers": Qualifiers()},
    ]
    for office in offices:
        for holder, since in (("jane-example", "2001"), ("john-example", "2002")):
            await record(archive, **{**term(holder, valid_from=since), "qualifiers": here, **office})
    kept = await findings_rows(engine)
    scopes = {row[2] for row in kept[0] if row[1] == "overlapping_holders"}
    assert len(scopes) == len(offices)
    monkeypatch.setattr(findings_projection, "FILL_CHUNK", 1)
    async with archive.transaction() as conn:
        await findings_projection.fill(conn, FINDINGS_VOCABULARY)
    assert await findings_rows(engine) == kept


async def test_a_fill_finds_the_same_precision_variants_wherever_its_chunks_split_a_subject(
    archive: Archive, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`fill` compares a subject's contents among its chunk's states when the chunk holds every current
    fact of the subject, and looks them up when a chunk boundary may split it: at every boundary, the
    same findings. A chunk holding every fact looks nothing up. The deprecated and the retracted
    variants are left out."""
    await record(archive, **member(valid_from="1992"))
    await record(archive, **member(valid_from="1992-02"))
    await rerank_deprecated(archive, await record(archive, **member(valid_from="1992-12-31")))
    await retract(archive, await record(archive, **member(valid_from="1992-03")))
    elsewhere = {**member(), "object": "other-organisation"}
    await record(archive, **{**elsewhere, "valid_from": "1992"})
    await record(archive, **{**elsewhere, "valid_from": "1992-05"})
    await record(archive, **term("jane-example", valid_from="2001"))
    await record(archive, **term("jane-example", valid_from="2001-03"))
    await record(archive, **term("john-example", valid_from="2002"))
    kept = await findings_rows(engine)
    variants = [row for row in kept[0] if row[1] == "precision_variants"]
    assert len({row[2] for row in variants}) == 3
    looked_up: set[tuple[str, str, str | None]] = set()
    sharing_content = findings_projection._sharing_content

    async def lookup(conn: AsyncConnection, wanted: set[tuple[str, str, str | None]]) -> set[str]:
        looked_up.update(wanted)
        return await sharing_content(conn, wanted)

    monkeypatch.setattr(findings_projection, "_sharing_content", lookup)
    async with engine.connect() as conn:
        facts = await conn.scalar(select(func.count()).where(fact_versions_table.c.recorded_to.is_(None)))
    for size in range(1, facts + 2):
        monkeypatch.setattr(findings_projection, "FILL_CHUNK", size)
        looked_up.clear()
        async with archive.transaction() as conn:
            await findings_projection.fill(conn, FINDINGS_VOCABULARY)
        assert (size, await findings_rows(engine)) == (size, kept)
        assert (size, bool(looked_up)) == (size, size <= facts)


async def test_a_fill_leaves_no_finding_from_before(archive: Archive, engine: AsyncEngine) -> None:
    """A finding standing from before whose fact is no longer current is in no scope of a fill's passes
    (here one naming a fact that has no rows, and an entity): the fill empties the tables first."""
    await record(archive, **member(valid_from="1992"))
    await record(archive, **member(valid_from="1992-02"))
    kept = await findings_rows(engine)
    stale = {"finding_id": "stale", "kind": "plan_passed", "scope": "fact:gone", "due_on": None}
    async with archive.transaction() as conn:
        await conn.execute(
            findings_table.insert().values(**stale, fact_ids=["gone"], entity_ids=["example-summit"])
        )
        await conn.execute(
            finding_refs_table.insert(),
            [{"ref": ref, "finding_id": "stale"} for ref in ("fact:gone", "entity:example-summit")],
        )
    assert await findings_rows(engine) != kept
    async with archive.transaction() as conn:
        await findings_projection.fill(conn, FINDINGS_VOCABULARY)
    assert await findings_rows(engine) == kept


async def test_only_asserted_terms_of_the_single_holder_predicate_count_and_each_pair_is_one_finding(
    archive: Archive, engine: AsyncEngine
) -> None:
    # Another predicate naming the same office in the same organisation, and a planned term: neither is
    # a holder's term.
    officer: dict[str, Any] = {
        "object": "example-officer",
        "qualifiers": Qualifiers(organization="example-organisation"),
    }
    await record(archive, subject="john-example", predicate="holds_office", valid_from="2001", **officer)
    await record(archive, **term("john-example", valid_from="2001", modality="planned"))
    # Terms given as one day each, the same day.
    jane = await record(archive, **term("jane-example", point_in_time="2005-05-05"))
    assert await found(engine, "overlapping_holders") == []
    john = await record(archive, **term("john-example", point_in_time="2005-05-05"))
    city = await record(archive, **term("example-city", point_in_time="2005-05-05"))
    by_id = {f.fact_id: f for f in (jane, john, city)}
    first, second, third = sorted(by_id)
    holders = {
        jane.fact_id: "jane-example",
        john.fact_id: "john-example",
        city.fact_id: "example-city",
    }

    def finding(a: str, b: str) -> tuple[Any, ...]:
        entities = sorted(["example-officer", "example-organisation", holders[a], holders[b]])
        return (OFFICER_SCOPE, [a, b], entities, None)

    assert await found(engine, "overlapping_holders") == sorted(
        [finding(first, second), finding(first, third), finding(second, third)], key=repr
    )
    # The first pair related by an archivist: the two others still stand.
    await link(archive, by_id[first], "contradicts", by_id[second])
    assert await found(engine, "overlapping_holders") == sorted(
        [finding(first, third), finding(second, third)], key=repr
    )
    await assert_as_rebuilt(archive, engine)


async def test_facts_without_an_object_differ_only_in_precision_too(
    archive: Archive, engine: AsyncEngine
) -> None:
    year = await record(archive, **summit(point_in_time="2010"))
    month = await record(archive, **summit(point_in_time="2010-12"))
    (row,) = await found(engine, "precision_variants")
    assert row[1:] == (pair(year, month), ["example-summit"], None)
    await assert_as_rebuilt(archive, engine)


async def test_a_finding_found_again_under_another_scope_is_moved_there_not_repeated(
    archive: Archive, engine: AsyncEngine
) -> None:
    """Two entities sharing two names are one finding (its id is its kind and the entities), kept under
    one of the names. A refresh of the other name alone finds it again there: it is moved."""
    for twin in ("twin-a", "twin-b"):
        await archive.register_entity(
            entity_id=twin, kind="country", label="Alpha", aliases=["Beta"], meta=META
        )
    assert await found(engine, "name_collision") == [("name:beta", [], ["twin-a", "twin-b"], None)]
    await archive.register_entity(entity_id="twin-c", kind="country", label="alpha", meta=META)
    assert await found(engine, "name_collision") == [
        ("name:alpha", [], ["twin-a", "twin-b", "twin-c"], None),
        ("name:beta", [], ["twin-a", "twin-b"], None),
    ]
    # Merged away, the third leaves the name "alpha" to the two, whose finding is the one under "beta".
    await merge(archive, "twin-c", "example-country", 1)
    assert await found(engine, "name_collision") == [("name:alpha", [], ["twin-a", "twin-b"], None)]
    assert await orphan_refs(engine) == []


async def test_an_entity_that_loses_its_last_fact_to_a_correction_is_a_finding_again(
    archive: Archive, engine: AsyncEngine
) -> None:
    joined = await record(archive, **member(valid_from="1992"))
    assert ("entity:example-organisation", [], ["example-organisation"], None) not in await found(
        engine, "entity_without_facts"
    )
    await correct(archive, joined, object="other-organisation")
    alone = await found(engine, "entity_without_facts")
    assert ("entity:example-organisation", [], ["example-organisation"], None) in alone
    assert ("entity:other-organisation", [], ["other-organisation"], None) not in alone
    await assert_as_rebuilt(archive, engine)


async def test_findings_computed_in_chunks_of_two_ids_are_the_same(
    archive: Archive, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every IN list is cut into chunks (`CHUNK` ids): with chunks of two, what is gathered over several
    chunks (facts fulfilled, citations, states) must add up, in the inline refreshes and in a rebuild."""
    monkeypatch.setattr(findings_projection, "CHUNK", 2)
    plans = [await record(archive, **summit(point_in_time=f"201{n}", modality="planned")) for n in range(5)]
    for n, plan in enumerate(plans[:4]):
        await link(archive, await record(archive, **summit(point_in_time=f"201{n}-06")), "fulfils", plan)
    jane = await record(archive, **term("jane-example", valid_from="2001"))
    john = await record(archive, **term("john-example", valid_from="2002"))
    assert await found(engine, "plan_passed") == [
        (f"fact:{plans[4].fact_id}", [plans[4].fact_id], ["example-summit"], dt.date(2014, 12, 31))
    ]
    holders = ["example-officer", "example-organisation", "jane-example", "john-example"]
    assert await found(engine, "overlapping_holders") == [(OFFICER_SCOPE, pair(jane, john), holders, None)]
    involved = {"example-summit", "example-officer", "example-organisation", "jane-example", "john-example"}
    alone = sorted({*ENTITIES, "john-example"} - involved)
    assert await found(engine, "entity_without_facts") == [(f"entity:{e}", [], [e], None) for e in alone]
    await assert_as_rebuilt(archive, engine)
    kept = await findings_rows(engine)
    async with archive.transaction() as conn:
        await findings_projection.fill(conn, FINDINGS_VOCABULARY)
    assert await findings_rows(engine) == kept


async def test_the_findings_checkpoint_is_0_before_any_refresh(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        assert await findings_projection.refreshed_through(conn) == 0


async def test_a_lost_catch_up_holds_the_checkpoint_back_until_the_next_makes_it_good(
    archive: Archive, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fact's findings catch up after its one trip; when that catch-up is lost (a crash in between),
    an inline write after it must not move the checkpoint past the fact, so the next catch-up computes
    the fact's findings."""

    async def lost(*args: Any) -> None:
        return None

    async def checkpoint() -> int:
        async with engine.connect() as conn:
            return await findings_projection.refreshed_through(conn)

    before = await checkpoint()
    with monkeypatch.context() as patched:
        patched.setattr(findings_projection, "catch_up", lost)
        plan = await record(archive, **summit(point_in_time="2010-12", modality="planned"))
    assert await found(engine, "plan_passed") == []
    await archive.register_entity(entity_id="late-comer", kind="person", label="Late Comer", meta=META)
    assert await checkpoint() == before
    assert ("entity:late-comer", [], ["late-comer"], None) in await found(engine, "entity_without_facts")
    await record(archive, **member(valid_from="1992"))
    assert await found(engine, "plan_passed") == [
        (f"fact:{plan.fact_id}", [plan.fact_id], ["example-summit"], dt.date(2010, 12, 31))
    ]
    await assert_as_rebuilt(archive, engine)


async def rerank_deprecated(archive: Archive, fact: FactWritten) -> None:
    await archive.rerank_fact(
        fact_id=fact.fact_id,
        expected_version=fact.version,
        rank="deprecated",
        reason_code="other",
        justification="test: not what happened",
        meta=META,
    )


async def test_only_asserted_dated_beginnings_count_and_only_standing_facts_end_before_them(
    archive: Archive, engine: AsyncEngine
) -> None:
    def founded(**dates: str) -> dict[str, Any]:
        return {"subject": "example-organisation", "predicate": "founded", **dates}

    began = await record(archive, **founded(valid_from="2000"))  # a beginning given as a start
    # Neither a planned beginning, nor a deprecated one, nor an undated one moves it earlier. (The plan,
    # dated before the beginning, is itself a dated fact that ended before it.)
    planned = await record(archive, **founded(point_in_time="1996", modality="planned"))
    await rerank_deprecated(archive, await record(archive, **founded(point_in_time="1970")))
    await record(archive, **founded())
    # A term given as one day, before it: a finding.
    day = await record(
        archive,
        subject="jane-example",
        predicate="presides",
        object="example-organisation",
        point_in_time="1995",
    )
    # A retracted and a deprecated fact that ended before it: none.
    gone = await record(archive, **member(valid_from="1990", valid_to="1991"))
    await retract(archive, gone)
    await rerank_deprecated(archive, await record(archive, **member(valid_from="1992", valid_to="1993")))
    assert await found(engine, "ends_before_beginning") == sorted(
        [
            ("entity:example-organisation", [day.fact_id, began.fact_id], ["example-organisation"], None),
            ("entity:example-organisation", [planned.fact_id, began.fact_id], ["example-organisation"], None),
        ],
        key=repr,
    )
    await assert_as_rebuilt(archive, engine)


async def test_a_plan_dated_by_its_start_is_due_by_the_start(archive: Archive, engine: AsyncEngine) -> None:
    plan = await record(archive, **summit(valid_from="2012-02", modality="planned"))
    assert await found(engine, "plan_passed") == [
        (f"fact:{plan.fact_id}", [plan.fact_id], ["example-summit"], dt.date(2012, 2, 29))
    ]


async def test_valid_times_differing_in_their_end_or_another_day_are_no_variants(
    archive: Archive, engine: AsyncEngine
) -> None:
    await record(archive, **summit(point_in_time="2010"))
    await record(archive, **summit(point_in_time="2012"))
    await record(archive, **member(valid_from="2010", valid_to="2011"))
    await record(archive, **member(valid_from="2010", valid_to="2012"))
    assert await found(engine, "precision_variants") == []


async def test_an_entity_an_undated_fact_involves_is_not_without_facts(
    archive: Archive, engine: AsyncEngine
) -> None:
    await record(archive, **member())
    alone = sorted({*ENTITIES, "john-example"} - {"example-country", "example-organisation"})
    assert await found(engine, "entity_without_facts") == [(f"entity:{e}", [], [e], None) for e in alone]
    # Revised alone, the entity is looked at again: its undated fact still involves it.
    await archive.revise_entity(
        entity_id="example-country",
        changes=EntityChanges(label="Example Country"),
        reason_code="other",
        justification="test: a better label",
        expected_version=1,
        meta=META,
    )
    assert await found(engine, "entity_without_facts") == [(f"entity:{e}", [], [e], None) for e in alone]


async def test_a_shared_name_is_looked_for_up_to_290_characters(
    archive: Archive, engine: AsyncEngine
) -> None:
    longest, longer = "n" * 290, "m" * 291
    for number, label in enumerate([longest, longest, longer, longer]):
        await archive.register_entity(entity_id=f"named-{number}", kind="country", label=label, meta=META)
    assert await found(engine, "name_collision") == [(f"name:{longest}", [], ["named-0", "named-1"], None)]


async def test_a_beginning_dated_through_another_subject_is_found_when_only_the_entity_is_shared(
    archive: Archive, engine: AsyncEngine
) -> None:
    # The fact dating the organisation's beginning names it as its object; the early fact has another
    # subject, so the second write touches the organisation but not the first fact's subject.
    await archive.register_entity(entity_id="other-country", kind="country", label="Other", meta=META)
    set_up = await record(
        archive,
        subject="example-country",
        predicate="establishes",
        object="other-organisation",
        point_in_time="2005-06",
    )
    joined = await record(
        archive,
        subject="other-country",
        predicate="member_of",
        object="other-organisation",
        valid_to="2005-05",
    )
    assert await found(engine, "ends_before_beginning") == [
        ("entity:other-organisation", [joined.fact_id, set_up.fact_id], ["other-organisation"], None)
    ]
    await assert_as_rebuilt(archive, engine)
