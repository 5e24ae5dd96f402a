"""The seed corpus itself: every citation verifies against the stored bytes, every id resolves, and the
seeded database holds exactly what the files say (sentence coverage: tests/integration/test_coverage.py)."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.bootstrap import wire
from archive.domain.errors import DomainError
from archive.domain.facts import fact_id_for
from archive.domain.sources import split_lines, verify_quote
from archive.projections.citations import citations_table
from archive.projections.citations_by_line import citations_by_line_table
from archive.projections.fact_versions import fact_versions_table
from archive.reads import FactFilter
from archive.seeding import FactsFile, load_facts_file

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
SHARED_SEEDS = ROOT.parent / "shared" / "seeds"
FACT_FILES = sorted((SEEDS / "facts").glob("*.yaml"))
SOURCE_IDS = {"chairmanship-preparation", "general-information", "new-challenges-new-solutions"}


@cache
def _facts_files() -> list[tuple[Path, FactsFile]]:
    """Every facts file, parsed once (YAML parsing is slow)."""
    return [(path, load_facts_file(path)) for path in FACT_FILES]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _documents() -> dict[str, Path]:
    """Source id → the document file its facts file names."""
    return {parsed.source.id: SEEDS / parsed.source.file for _, parsed in _facts_files()}


def _expected_citations() -> set[tuple[str, str, int, int, str]]:
    """(fact id, source id, line_start, line_end, quote) for every citation of the seed files."""
    return {
        (fact_id_for(fact.content()), parsed.source.id, c.line_start, c.line_end, c.quote)
        for _, parsed in _facts_files()
        for fact in parsed.facts
        for c in fact.citations
    }


# -- the files ---------------------------------------------------------------------------------------


def test_the_corpus_has_one_facts_file_per_document() -> None:
    documents = _documents()
    assert set(documents) == SOURCE_IDS
    assert sorted(path.name for path in documents.values()) == sorted(
        path.name for path in (SEEDS / "documents").glob("*.txt")
    )


def test_every_seed_citation_verifies_against_the_stored_document_bytes() -> None:
    checked = 0
    refused = []
    for path, parsed in _facts_files():
        lines = split_lines((SEEDS / parsed.source.file).read_bytes().decode("utf-8"))
        for index, fact in enumerate(parsed.facts):
            for c in fact.citations:
                checked += 1
                try:
                    verify_quote(parsed.source.id, lines, c.line_start, c.line_end, c.quote)
                except DomainError as error:
                    refused.append(f"{path.name} facts[{index}]: {error}")
    assert refused == []
    assert checked == sum(len(f.citations) for _, parsed in _facts_files() for f in parsed.facts)
    assert checked > 0


@pytest.mark.skipif(not SHARED_SEEDS.is_dir(), reason=f"{SHARED_SEEDS} is absent")
def test_every_cited_document_is_a_byte_for_byte_copy_of_a_shared_original() -> None:
    originals = {_sha256(path): path.name for path in SHARED_SEEDS.glob("*.txt")}
    cited = {source_id: _sha256(path) for source_id, path in _documents().items()}
    missing = {source_id: sha for source_id, sha in cited.items() if sha not in originals}
    assert missing == {}
    # One original per document, and no original left over.
    assert sorted(cited.values()) == sorted(originals)


def test_every_fact_names_entities_of_the_registry_and_predicates_of_the_vocabulary() -> None:
    registry = yaml.safe_load((SEEDS / "entities.yaml").read_text(encoding="utf-8"))["entities"]
    entity_ids = {entity["id"] for entity in registry}
    vocabulary = yaml.safe_load((ROOT / "archive" / "vocabulary.yaml").read_text(encoding="utf-8"))
    predicates = set(vocabulary["predicates"])
    unknown = []
    named = 0
    for path, parsed in _facts_files():
        for index, fact in enumerate(parsed.facts):
            q = fact.qualifiers
            for field, entity_id in [
                ("subject", fact.subject),
                ("object", fact.object),
                ("qualifiers.role", q.role),
                ("qualifiers.place", q.place),
                ("qualifiers.organization", q.organization),
            ]:
                if entity_id is None:
                    continue
                named += 1
                if entity_id not in entity_ids:
                    unknown.append(f"{path.name} facts[{index}] {field}: {entity_id}")
            if fact.predicate not in predicates:
                unknown.append(f"{path.name} facts[{index}] predicate: {fact.predicate}")
    assert unknown == []
    assert named >= sum(len(parsed.facts) for _, parsed in _facts_files())


def test_every_link_points_to_a_ref_defined_in_the_seed_files() -> None:
    refs = [fact.ref for _, parsed in _facts_files() for fact in parsed.facts if fact.ref]
    assert len(refs) == len(set(refs))
    dangling = [
        f"{path.name} facts[{index}] -> {link.ref}"
        for path, parsed in _facts_files()
        for index, fact in enumerate(parsed.facts)
        for link in fact.links
        if link.ref not in refs
    ]
    assert dangling == []


# -- the seeded database -----------------------------------------------------------------------------


async def test_the_seeded_database_holds_the_three_sources_with_the_sha256_of_each_document(
    seeded_engine: AsyncEngine,
) -> None:
    queries = wire(seeded_engine).reads
    page = await queries.sources(limit=50, offset=0)
    assert page.total == 3
    assert {item.id: item.content_sha256 for item in page.items} == {
        source_id: _sha256(path) for source_id, path in _documents().items()
    }
    assert {item.id: item.version for item in page.items} == dict.fromkeys(SOURCE_IDS, 1)
    for source_id, path in _documents().items():
        _, lines = await queries.source_text(source_id)
        assert lines == list(split_lines(path.read_bytes().decode("utf-8")))


async def test_every_recorded_fact_cites_lines_whose_stored_text_contains_its_quote(
    seeded_engine: AsyncEngine,
) -> None:
    expected = _expected_citations()
    queries = wire(seeded_engine).reads
    page = await queries.search_facts(FactFilter(rank="all"), limit=10_000, offset=0)
    assert page.total == len({fact_id for fact_id, *_ in expected})
    assert len(page.items) == page.total

    stored: dict[str, tuple[str, ...]] = {}
    for source_id in SOURCE_IDS:
        view, lines = await queries.source_text(source_id)
        assert view.content_sha256 == _sha256(_documents()[source_id])
        stored[source_id] = tuple(lines)

    seen = set()
    for fact in page.items:
        assert fact.citations, f"fact {fact.id} has no citation"
        for c in fact.citations:
            seen.add((fact.id, c.source_id, c.line_start, c.line_end, c.quote))
            # Raises CitationMismatch if the stored lines do not hold the quote.
            verify_quote(c.source_id, stored[c.source_id], c.line_start, c.line_end, c.quote)
            assert c.content_sha256 == _sha256(_documents()[c.source_id])
            assert (c.state, c.current_line_start, c.current_line_end) == (
                "verified",
                c.line_start,
                c.line_end,
            )
    assert seen == expected


async def test_the_citation_read_models_index_every_cited_line_of_every_fact(
    seeded_engine: AsyncEngine,
) -> None:
    expected = _expected_citations()
    async with seeded_engine.connect() as conn:
        rows = (
            await conn.execute(
                select(
                    citations_table.c.fact_id,
                    citations_table.c.source_id,
                    citations_table.c.line_start,
                    citations_table.c.line_end,
                    citations_table.c.quote,
                    citations_table.c.state,
                )
            )
        ).all()
        by_line = set(
            (
                await conn.execute(
                    select(
                        citations_by_line_table.c.fact_id,
                        citations_by_line_table.c.source_id,
                        citations_by_line_table.c.line,
                    )
                )
            ).all()
        )
        current_facts = set(
            (
                await conn.execute(
                    select(fact_versions_table.c.fact_id).where(fact_versions_table.c.recorded_to.is_(None))
                )
            ).scalars()
        )
    assert {tuple(row[:5]) for row in rows} == expected
    assert {row.state for row in rows} == {"verified"}
    assert by_line == {
        (fact_id, source_id, line)
        for fact_id, source_id, start, end, _ in expected
        for line in range(start, end + 1)
    }
    assert current_facts == {fact_id for fact_id, *_ in expected}
