"""An office with many overlapping terms: a write computes again only the pairs naming what it touched
(archive/projections/findings.py, `_overlapping_holders` and `_replace`), leaves every other finding's
row as it was, and still ends with exactly the rows a rebuild from the log writes."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.commands import Archive, FactWritten
from archive.domain.findings import overlapping_holders
from archive.projections import findings as findings_projection
from archive.projections.findings import findings_table
from tests.contract import test_findings_rows as rows
from tests.contract.example_archive import META
from tests.contract.test_findings_rows import (
    OFFICER_SCOPE,
    assert_as_rebuilt,
    correct,
    found,
    pair,
    record,
    term,
)

# The findings rows' archive (its vocabulary has a single-holder office), as a fixture here too; the store
# is the contract tier's (conftest.py).
archive = rows.archive

HOLDERS = ["jane-example", "john-example", "ann-example", "bob-example", "eve-example"]
NAMED = ["example-officer", "example-organisation"]


async def register_holders(archive: Archive) -> None:
    for holder in HOLDERS[2:]:
        await archive.register_entity(entity_id=holder, kind="person", label=holder.title(), meta=META)


async def row_markers(engine: AsyncEngine) -> dict[str, str]:
    """Each finding's physical row (SQLite's rowid, PostgreSQL's xmin and ctid): new when it is written."""
    marker = "rowid" if engine.dialect.name == "sqlite" else "xmin::text || ctid::text"
    async with engine.connect() as conn:
        rows = await conn.execute(text(f"SELECT finding_id, {marker} FROM findings"))
        return {str(fid): str(at) for fid, at in rows}


async def pairs(engine: AsyncEngine) -> list[list[str]]:
    return sorted(facts for _, facts, _, _ in await found(engine, "overlapping_holders"))


async def test_a_correction_in_a_busy_office_rewrites_only_the_pairs_of_the_corrected_term(
    archive: Archive, engine: AsyncEngine
) -> None:
    await register_holders(archive)
    jane = await record(archive, **term("jane-example", valid_from="2001", valid_to="2005"))
    john = await record(archive, **term("john-example", valid_from="2003", valid_to="2008"))
    ann = await record(archive, **term("ann-example", valid_from="2004", valid_to="2010"))
    bob = await record(archive, **term("bob-example", valid_from="2012", valid_to="2013"))
    assert await pairs(engine) == sorted([pair(jane, john), pair(jane, ann), pair(john, ann)])
    before = await row_markers(engine)
    async with engine.connect() as conn:
        listed = await conn.execute(select(findings_table.c.finding_id, findings_table.c.fact_ids))
        by_facts = {tuple(facts): fid for fid, facts in listed}
    # Ann's term moves past Jane's: her pair with Jane goes, her pair with John stays (2006-2010 against
    # 2003-2008), and the pair of Jane and John, which names nothing corrected, is not written again.
    ann = await correct(archive, ann, valid_from="2006")
    assert await pairs(engine) == sorted([pair(jane, john), pair(john, ann)])
    after = await row_markers(engine)
    jane_john = by_facts[tuple(pair(jane, john))]
    assert after[jane_john] == before[jane_john]
    # Bob's term moves into John's and Ann's: two new pairs, the others kept as they were.
    bob = await correct(archive, bob, valid_from="2007", valid_to="2007")
    assert await pairs(engine) == sorted([pair(jane, john), pair(john, ann), pair(john, bob), pair(ann, bob)])
    assert (await row_markers(engine))[jane_john] == before[jane_john]
    scopes = {scope for scope, _, _, _ in await found(engine, "overlapping_holders")}
    assert scopes == {OFFICER_SCOPE}
    await assert_as_rebuilt(archive, engine)


async def test_a_holder_merged_away_takes_only_its_own_pairs_with_it(
    archive: Archive, engine: AsyncEngine
) -> None:
    await register_holders(archive)
    jane = await record(archive, **term("jane-example", valid_from="2001"))
    john = await record(archive, **term("john-example", valid_from="2002"))
    ann = await record(archive, **term("ann-example", valid_from="2003"))
    assert await pairs(engine) == sorted([pair(jane, john), pair(jane, ann), pair(john, ann)])
    await archive.merge_entity(
        entity_id="ann-example",
        into="john-example",
        justification="test: the same person",
        expected_version=1,
        into_expected_version=1,
        meta=META,
    )
    # Ann is John now: their pair is one holder, the pairs with Jane stay.
    assert await pairs(engine) == sorted([pair(jane, john), pair(jane, ann)])
    await assert_as_rebuilt(archive, engine)


async def test_random_corrections_in_one_office_end_as_a_rebuild_writes_them(
    archive: Archive, engine: AsyncEngine
) -> None:
    await register_holders(archive)
    chance = random.Random(20261205)
    terms: list[FactWritten] = []
    for holder in HOLDERS * 2:
        start = 2000 + chance.randrange(12)
        dates: dict[str, Any] = {"valid_from": str(start)}
        if chance.random() < 0.7:
            dates["valid_to"] = str(start + chance.randrange(4))
        terms.append(await record(archive, **term(holder, **dates)))
    for step in range(12):
        k = chance.randrange(len(terms))
        start = 2000 + chance.randrange(12)
        # The step's number in the end year keeps every correction a change.
        terms[k] = await correct(archive, terms[k], valid_from=str(start), valid_to=str(start + 20 + step))
        if step % 4 == 3:
            await assert_as_rebuilt(archive, engine)
    assert await pairs(engine) != []
    await assert_as_rebuilt(archive, engine)


async def test_a_write_in_a_busy_office_reads_only_the_terms_near_its_own_in_time(
    archive: Archive, engine: AsyncEngine, monkeypatch: Any
) -> None:
    await register_holders(archive)
    # Thirty terms in turn, none overlapping another, and one open since 1950, which overlaps each of
    # them but its own holder's.
    turns = [
        await record(
            archive, **term(HOLDERS[n % 4], valid_from=str(2000 + 3 * n), valid_to=str(2001 + 3 * n))
        )
        for n in range(30)
    ]
    since = await record(archive, **term("eve-example", valid_from="1950"))
    computed: list[int] = []

    def counting(terms: Any, focus: Any = None) -> Any:
        computed.append(len(terms))
        return overlapping_holders(terms, focus)

    monkeypatch.setattr(findings_projection, "overlapping_holders", counting)
    new = await record(archive, **term("bob-example", valid_from="2030", valid_to="2031"))
    # The new term, the one in turn then (2030-2031) and the open one: not the thirty-two of the office.
    assert computed == [3]
    assert pair(new, turns[10]) in await pairs(engine)
    assert pair(new, since) in await pairs(engine)
    await assert_as_rebuilt(archive, engine)


async def test_terms_that_meet_a_writes_terms_on_the_edge_of_their_days_are_still_read(
    archive: Archive, engine: AsyncEngine
) -> None:
    # The span a write reads is the widest days of its own terms: a term sharing only its first or last
    # day with them is inside it, whichever bound is open or a point.
    await register_holders(archive)
    before = await record(archive, **term("jane-example", valid_from="2029", valid_to="2030-01-01"))
    after = await record(archive, **term("john-example", valid_from="2040-01-01"))
    on_the_day = await record(archive, **term("ann-example", valid_from="2019", valid_to="2020-06-30"))
    starting = await record(archive, **term("bob-example", valid_from="2030-01-01", valid_to="2031"))
    assert pair(before, starting) in await pairs(engine)
    ending = await record(archive, **term("eve-example", valid_from="2039", valid_to="2040-01-01"))
    assert pair(after, ending) in await pairs(engine)
    point = await record(archive, **term("bob-example", point_in_time="2020-06-30"))
    assert pair(on_the_day, point) in await pairs(engine)
    await assert_as_rebuilt(archive, engine)
