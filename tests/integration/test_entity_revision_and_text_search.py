"""The inline projection of a revised entity, and the text filter of the facts search, on every backend."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.bootstrap import wire
from archive.commands import Archive, CommandMeta
from archive.projections.entities import entities_table
from archive.projections.shadow import compare_with_rebuild
from archive.reads import FactFilter

Client = AsyncTestClient[Litestar]
META = CommandMeta(actor="tester", reason="test")
MEMBERSHIP = "dc021ea1-f882-5175-9f95-80fc5527db57"  # the seeded "member of the OSCE from 1992-01"


async def test_a_revised_entity_is_projected_inline_as_a_replay_would_project_it(
    seeded_archive: Archive, seeded_engine: AsyncEngine, seeded_client: Client
) -> None:
    version = await seeded_archive.store.stream_version("entity:osce")
    assert version >= 1
    written = await seeded_archive.register_entity(
        entity_id="osce",
        kind="organisation",
        label="Organisation Renamed For The Test",
        aliases=["ORFTT", "Zebra Alias"],
        meta=META,
        expected_version=version,
    )
    (event,) = written.events
    assert event.event_type == "entity.revised"

    async with seeded_engine.connect() as conn:
        row = (await conn.execute(select(entities_table).where(entities_table.c.entity_id == "osce"))).one()
    assert (row.kind, row.label, list(row.aliases), row.position) == (
        "organisation",
        "Organisation Renamed For The Test",
        ["ORFTT", "Zebra Alias"],
        event.position,
    )
    assert "zebra alias" in row.search_text

    found = (await seeded_client.get("/entities", params={"q": "zebra"})).json()["items"]
    assert [e["id"] for e in found] == ["osce"]
    fact = (await seeded_client.get(f"/facts/{MEMBERSHIP}")).json()
    assert fact["object"] == {"id": "osce", "label": "Organisation Renamed For The Test"}
    assert await compare_with_rebuild(seeded_archive.store, seeded_archive.projector) == []


async def test_the_text_filter_finds_quotes_labels_aliases_and_values_case_blind(
    seeded_engine: AsyncEngine,
) -> None:
    queries = wire(seeded_engine).reads

    async def ids(text: str, **more: str) -> set[str]:
        page = await queries.search_facts(FactFilter(text=text, rank="all", **more), 500, 0)  # type: ignore[arg-type]
        assert page.total == len(page.items)
        return {f.id for f in page.items}

    everything = {f.id for f in (await queries.search_facts(FactFilter(rank="all"), 500, 0)).items}
    by_quote = await ids("PAN-european CONFERENCE")
    assert MEMBERSHIP in by_quote
    for fact_id in by_quote:
        fact = await queries.fact(fact_id)
        assert any("pan-european conference" in c.quote.casefold() for c in fact.citations), fact_id

    by_label = await ids("Cooperation in Europe")  # the OSCE's label, and quotes naming it
    assert MEMBERSHIP in by_label
    assert by_label < everything

    # a literal value found through the value alone: words no quote and no entity name contains
    facts = (await queries.search_facts(FactFilter(rank="all"), 500, 0)).items
    quoted = "\n".join(" ".join(c.quote.split()).casefold() for f in facts for c in f.citations)
    literals = [f for f in facts if f.value and f.value.casefold() not in quoted]
    unnamed = [f for f in literals if not (await queries.entities(f.value, None, 1, 0)).total]
    assert unnamed, "the corpus has no literal value that only the value itself contains"
    literal = unnamed[0]
    assert literal.id in await ids(literal.value.upper())  # type: ignore[union-attr]

    # an entity's alias that no quote contains finds the facts naming the entity, and only through it
    registry = (await queries.entities(None, None, 500, 0)).items
    named = {f.subject.id for f in facts} | {f.object.id for f in facts if f.object}
    entity, alias = next(
        (e, a) for e in registry if e.id in named for a in e.aliases if a.casefold() not in quoted
    )
    naming = {f.id for f in facts if entity.id in (f.subject.id, f.object.id if f.object else None)}
    assert naming <= await ids(alias.swapcase())

    assert await ids("%") == await ids("_") == set()  # no word to search for: never a pattern
    assert await ids("no such words anywhere in the corpus") == set()
    assert await ids("pan-European conference", predicate="member_of") <= by_quote
