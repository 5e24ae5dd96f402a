"""Seeding: the corpus goes in once, a broken file appends nothing and is named, a changed document is a
new version whose citations are re-checked. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import copy
import hashlib
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.bootstrap import load_vocabulary, wire
from archive.commands import Archive, CommandMeta
from archive.domain.events import Citation, citation_id
from archive.domain.facts import fact_id_for
from archive.domain.proposal_reviews import proposals_made
from archive.domain.proposals import KnownName, propose
from archive.domain.streams import source_stream
from archive.eventstore import EventStore, RecordedEvent
from archive.projections import sources as source_rows
from archive.projections.citations import citations_table
from archive.projections.citations_by_line import citations_by_line_table
from archive.projections.fact_versions import fact_versions_table
from archive.projections.sources import sources_table
from archive.seeding import FactsFile, SeedCitation, Seeder, SeedError, SeedReport, load_facts_file
from tests.integration.test_seed_facts_end_to_end import key_of, seed_entries

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"

Json = dict[str, Any]


def _archive(engine: AsyncEngine) -> Archive:
    return Archive(wire(engine).store, load_vocabulary())


async def _seed(engine: AsyncEngine, root: Path) -> SeedReport:
    return await Seeder(_archive(engine), root).run()


@cache
def _corpus() -> list[FactsFile]:
    """The real facts files, in the order the seeder reads them."""
    return [load_facts_file(path) for path in sorted((SEEDS / "facts").glob("*.yaml"))]


@cache
def _entity_count() -> int:
    return len(yaml.safe_load((SEEDS / "entities.yaml").read_text(encoding="utf-8"))["entities"])


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _seeds_copy(tmp_path: Path, facts: tuple[str, ...] = ()) -> Path:
    """A seeds folder under tmp_path with the real documents and entities, and the named real facts files."""
    root = tmp_path / "seeds"
    shutil.copytree(SEEDS / "documents", root / "documents")
    shutil.copyfile(SEEDS / "entities.yaml", root / "entities.yaml")
    (root / "facts").mkdir()
    for name in facts:
        shutil.copyfile(SEEDS / "facts" / name, root / "facts" / name)
    return root


def _write_yaml(path: Path, data: Json) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


async def _source_ids(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set((await conn.execute(select(sources_table.c.source_id))).scalars())


def _as_citation(source_id: str, c: SeedCitation) -> Citation:
    """A seed citation as the domain sees it (the content hash plays no part in its id)."""
    return Citation(source_id, "", c.line_start, c.line_end, c.quote)


# -- the real corpus ---------------------------------------------------------------------------------


def _expected_event_types() -> Counter[str]:
    """What seeding the corpus into an empty archive must append, worked out from the files alone.

    The files are read as plain YAML and a fact is known by its natural key (`key_of`), not through the
    seeder's parser or the domain's fact ids, which are what this checks.
    """
    recorded: dict[tuple[object, ...], set[tuple[object, ...]]] = {}
    cited = 0
    links: set[tuple[object, ...]] = set()
    entries = list(seed_entries())
    refs = {entry["ref"]: key_of(entry) for _, entry in entries if entry.get("ref")}
    for source, entry in entries:
        key = key_of(entry)
        ids = {(source["id"], c["line_start"], c["line_end"], c["quote"]) for c in entry["citations"]}
        if key in recorded:
            cited += len(ids - recorded[key])
            recorded[key] |= ids
        else:
            recorded[key] = ids
        links |= {(key, link["relation"], refs[link["ref"]]) for link in entry.get("links") or []}
    return Counter(
        {
            "entity.registered": _entity_count(),
            "source.registered": len(list((SEEDS / "facts").glob("*.yaml"))),
            "fact.recorded": len(recorded),
            "fact.cited": cited,
            "fact.linked": len(links),
            "proposal.made": sum(
                _proposal_count((SEEDS / parsed.source.file).read_bytes()) for parsed in _corpus()
            ),
        }
    )


def _proposal_count(document: bytes, version: int = 1) -> int:
    """How many facts the archive proposes from a document's text, over the seed's entity names."""
    entities = yaml.safe_load((SEEDS / "entities.yaml").read_text(encoding="utf-8"))["entities"]
    names = [
        KnownName(entity["id"], name)
        for entity in entities
        for name in (entity["label"], *(entity.get("aliases") or []))
    ]
    proposed = propose(document.decode("utf-8"), names)
    return len(proposals_made("source", version, _sha256(document), proposed, datetime.now(UTC)))


async def test_seeding_the_corpus_appends_its_events_once_and_nothing_the_second_time(
    engine: AsyncEngine, store: EventStore
) -> None:
    first = await _seed(engine, SEEDS)
    appended = await store.count()
    events = await store.read_all(0, limit=10_000)

    assert first.events_appended == appended
    assert Counter(e.event_type for e in events) == _expected_event_types()
    assert (first.entities, first.sources) == (_entity_count(), 3)
    assert first.facts == len(list(seed_entries()))
    assert first.citations == sum(len(entry["citations"]) for _, entry in seed_entries())
    assert first.no_fact_here == sum(len(parsed.no_fact_here) for parsed in _corpus())
    assert {e.metadata["actor"] for e in events} == {"seed"}

    second = await _seed(engine, SEEDS)
    assert second.events_appended == 0
    assert await store.count() == appended
    assert (second.entities, second.sources, second.facts) == (first.entities, first.sources, first.facts)

    report = await store.verify()
    assert (report.ok, report.events_checked, report.first_bad_position) == (True, appended, None)


async def test_the_seeded_read_models_hold_three_sources_and_one_row_per_distinct_seed_fact(
    seeded_engine: AsyncEngine,
) -> None:
    distinct_keys = {key_of(entry) for _, entry in seed_entries()}
    async with seeded_engine.connect() as conn:
        sources = (
            await conn.execute(select(sources_table.c.source_id, sources_table.c.content_sha256))
        ).all()
        distinct_facts = (
            await conn.execute(select(func.count(func.distinct(fact_versions_table.c.fact_id))))
        ).scalar_one()
        fact_ids = set((await conn.execute(select(fact_versions_table.c.fact_id))).scalars())
    assert dict(sources) == {
        parsed.source.id: _sha256((SEEDS / parsed.source.file).read_bytes()) for parsed in _corpus()
    }
    assert distinct_facts == len(fact_ids) == len(distinct_keys)
    assert (await wire(seeded_engine).store.verify()).ok is True


# -- broken files ------------------------------------------------------------------------------------

GOOD_FILE: Json = {
    "source": {
        "id": "new-challenges-new-solutions",
        "file": "documents/new-challenges-new-solutions.txt",
        "title": "New Challenges Call for New Solutions",
        "origin": "test copy",
        "date": "circa 2010",
    },
    "facts": [
        {
            "subject": "nursultan-nazarbayev",
            "predicate": "held_position",
            "object": "president-of-kazakhstan",
            "qualifiers": {"organization": "kazakhstan"},
            "citations": [
                {"line_start": 5, "line_end": 5, "quote": "its first President Nursultan Nazarbayev"}
            ],
        }
    ],
}

BROKEN_SOURCE: Json = {
    "id": "general-information",
    "file": "documents/general-information.txt",
    "title": "General information",
    "origin": "test copy",
    "date": "circa 2021",
}
VALID_FIRST_FACT: Json = {
    "subject": "kazakhstan",
    "predicate": "member_of",
    "object": "osce",
    "valid_from": "1992-01",
    "citations": [
        {
            "line_start": 4,
            "line_end": 4,
            "quote": "Kazakhstan became a member of the Organization for Security and Cooperation in Europe",
        }
    ],
}
VALID_SECOND_FACT: Json = {
    "subject": "budapest-summit-1994",
    "predicate": "took_place_in",
    "object": "budapest",
    "point_in_time": "1994-12-05",
    "citations": [{"line_start": 5, "line_end": 5, "quote": "Summit of the organization in Budapest"}],
}


def _unknown_entity(facts: list[Json]) -> None:
    facts[1]["subject"] = "atlantis"


def _unknown_predicate(facts: list[Json]) -> None:
    facts[1]["predicate"] = "was_founded_by"


def _quote_not_in_its_lines(facts: list[Json]) -> None:
    facts[1]["citations"][0]["quote"] = "Summit of the organization in Vienna"


def _month_thirteen(facts: list[Json]) -> None:
    facts[1]["point_in_time"] = "2010-13"


def _ref_used_twice(facts: list[Json]) -> None:
    facts[0]["ref"] = "gi-twice"
    facts[1]["ref"] = "gi-twice"


def _link_to_unknown_ref(facts: list[Json]) -> None:
    facts[1]["links"] = [{"relation": "fulfils", "ref": "no-such-plan"}]


def _missing_subject(facts: list[Json]) -> None:
    del facts[1]["subject"]


BROKEN = [
    pytest.param(_unknown_entity, "atlantis", id="unknown-entity"),
    pytest.param(_unknown_predicate, "'was_founded_by'", id="unknown-predicate"),
    pytest.param(_quote_not_in_its_lines, "line 5", id="quote-not-found"),
    pytest.param(_month_thirteen, "2010-13", id="bad-date"),
    pytest.param(
        _ref_used_twice, "facts[1] (ref gi-twice): ref 'gi-twice' is used twice", id="duplicate-ref"
    ),
    pytest.param(_link_to_unknown_ref, "links to unknown ref 'no-such-plan'", id="link-to-unknown-ref"),
    pytest.param(_missing_subject, "missing required field `subject`", id="fact-without-subject"),
]


def _broken_file(root: Path, breaker: Callable[[list[Json]], None]) -> Path:
    """facts/b-broken.yaml: a valid facts[0], then facts[1] broken by `breaker`."""
    facts = [copy.deepcopy(VALID_FIRST_FACT), copy.deepcopy(VALID_SECOND_FACT)]
    breaker(facts)
    return _write_yaml(root / "facts" / "b-broken.yaml", {"source": BROKEN_SOURCE, "facts": facts})


@pytest.mark.parametrize(("breaker", "detail"), BROKEN)
async def test_a_broken_facts_file_is_refused_by_name_and_entry_and_appends_nothing(
    engine: AsyncEngine,
    store: EventStore,
    tmp_path: Path,
    breaker: Callable[[list[Json]], None],
    detail: str,
) -> None:
    root = _seeds_copy(tmp_path)
    _write_yaml(root / "facts" / "a-good.yaml", GOOD_FILE)
    good = await _seed(engine, root)
    after_good = await store.count()
    # The source, its one fact, and the facts proposed from its text.
    proposed = _proposal_count((SEEDS / "documents" / "new-challenges-new-solutions.txt").read_bytes())
    assert good.events_appended == after_good == _entity_count() + 2 + proposed

    broken = _broken_file(root, breaker)
    with pytest.raises(SeedError) as caught:
        await _seed(engine, root)

    message = str(caught.value)
    assert caught.value.file == str(broken)
    assert message.startswith(f"{broken}: ")
    assert "facts[1]" in message
    assert detail in message
    # Not even the valid facts[0], nor the file's source, was kept.
    assert await store.count() == after_good
    assert await store.stream_version(source_stream("general-information")) == 0
    assert await _source_ids(engine) == {"new-challenges-new-solutions"}


def test_the_seed_command_exits_1_naming_the_broken_file_and_entry(database_url: str, tmp_path: Path) -> None:
    root = _seeds_copy(tmp_path)
    broken = _broken_file(root, _unknown_entity)
    env = {**os.environ, "DATABASE_URL": database_url, "ARCHIVE_LOG_FORMAT": "json"}
    result = subprocess.run(
        [sys.executable, "-m", "archive.cli", "seed", str(root)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"seed stopped: {broken}: facts[1]" in result.stderr
    assert "'atlantis'" in result.stderr
    assert "nothing was appended from that file" in result.stderr
    assert "seeded 3 sources" not in result.stdout


async def test_after_the_seed_command_fails_only_the_files_before_the_broken_one_are_in_the_log(
    engine: AsyncEngine, store: EventStore, tmp_path: Path
) -> None:
    """The same run in process: the entity registry (its own transaction) is kept, the broken file is not."""
    root = _seeds_copy(tmp_path)
    _broken_file(root, _unknown_entity)
    with pytest.raises(SeedError, match=r"b-broken\.yaml: facts\[1\]"):
        await _seed(engine, root)
    events = await store.read_all(0, limit=10_000)
    assert Counter(e.event_type for e in events) == Counter({"entity.registered": _entity_count()})
    assert await _source_ids(engine) == set()


# -- a document that changed -------------------------------------------------------------------------


async def _events_of(engine: AsyncEngine, source_id: str) -> list[RecordedEvent]:
    return await wire(engine).store.read_stream(source_stream(source_id))


async def _citation_rows(engine: AsyncEngine, source_id: str) -> dict[tuple[str, str], tuple[Any, ...]]:
    """(fact id, citation id) → (state, current_line_start, current_line_end) for citations into a source."""
    async with engine.connect() as conn:
        rows = await conn.execute(select(citations_table).where(citations_table.c.source_id == source_id))
        return {(r.fact_id, r.citation_id): (r.state, r.current_line_start, r.current_line_end) for r in rows}


async def _lines_citing(engine: AsyncEngine, source_id: str, fact_id: str) -> set[int]:
    table = citations_by_line_table
    async with engine.connect() as conn:
        query = select(table.c.line).where(table.c.source_id == source_id, table.c.fact_id == fact_id)
        return set((await conn.execute(query)).scalars())


def _citations_into(source_id: str) -> dict[tuple[str, str], tuple[int, int, str]]:
    """(fact id, citation id) → (line_start, line_end, quote) for every seed citation into a source."""
    found = {}
    for parsed in _corpus():
        if parsed.source.id != source_id:
            continue
        for fact in parsed.facts:
            for c in fact.citations:
                key = (fact_id_for(fact.content()), citation_id(_as_citation(source_id, c)))
                found[key] = (c.line_start, c.line_end, c.quote)
    return found


async def test_reseeding_a_changed_document_records_a_source_revision_and_rechecks_its_citations(
    seeded_engine: AsyncEngine, tmp_path: Path
) -> None:
    root = _seeds_copy(tmp_path, facts=tuple(path.name for path in sorted((SEEDS / "facts").glob("*.yaml"))))
    document = root / "documents" / "new-challenges-new-solutions.txt"
    revised = document.read_bytes() + b"A paragraph added in a later version of the article.\n"
    document.write_bytes(revised)

    report = await _seed(seeded_engine, root)

    # The new version, and the facts proposed from its text.
    assert report.events_appended == 1 + _proposal_count(revised, version=2)
    events = await _events_of(seeded_engine, "new-challenges-new-solutions")
    assert [(e.event_type, e.stream_version) for e in events] == [
        ("source.registered", 1),
        ("source.revised", 2),
    ]
    revision = events[1].data
    assert revision["version"] == 2
    assert revision["content_sha256"] == _sha256(revised)
    assert revision["line_count"] == len(revised.decode("utf-8").split("\n"))
    expected = _citations_into("new-challenges-new-solutions")
    assert len(expected) > 0
    assert {
        (r["fact_id"], r["citation_id"]): (r["state"], r["line_start"], r["line_end"])
        for r in revision["rechecks"]
    } == {key: ("verified", start, end) for key, (start, end, _) in expected.items()}
    assert await _citation_rows(seeded_engine, "new-challenges-new-solutions") == {
        key: ("verified", start, end) for key, (start, end, _) in expected.items()
    }
    async with seeded_engine.connect() as conn:
        row = (
            await conn.execute(
                select(sources_table).where(sources_table.c.source_id == "new-challenges-new-solutions")
            )
        ).one()
    assert (row.version, row.content_sha256, row.text) == (2, _sha256(revised), revised.decode("utf-8"))

    again = await _seed(seeded_engine, root)
    assert again.events_appended == 0


GI = "general-information"
REVISION_META = CommandMeta(actor="archivist", reason="a new version of the page")


async def _revise_general_information(
    archive: Archive, lines: list[str]
) -> tuple[bytes, list[RecordedEvent]]:
    content = "\n".join(lines).encode("utf-8")
    async with archive.store.engine.connect() as conn:
        record = await source_rows.get(conn, GI)
    assert record is not None
    written = await archive.register_source(  # a new text under the same record
        source_id=GI,
        title=record.title,
        origin=record.origin,
        source_date=record.source_date,
        content=content,
        meta=REVISION_META,
        expected_version=await archive.store.stream_version(f"source:{GI}"),
    )
    return content, written.events


def _gi_lines() -> list[str]:
    return (SEEDS / "documents" / f"{GI}.txt").read_bytes().decode("utf-8").split("\n")


def _gi_fact(index: int) -> str:
    parsed = next(p for p in _corpus() if p.source.id == GI)
    return fact_id_for(parsed.facts[index].content())


def _key(fact_id: str, line: int, quote_prefix: str) -> tuple[str, str]:
    matches = [
        key
        for key, (start, _, quote) in _citations_into(GI).items()
        if key[0] == fact_id and start == line and quote.startswith(quote_prefix)
    ]
    assert len(matches) == 1, matches
    return matches[0]


async def test_a_line_inserted_above_a_cited_line_makes_the_citation_drift_to_its_new_line(
    seeded_engine: AsyncEngine, seeded_archive: Archive
) -> None:
    lines = _gi_lines()
    lines.insert(4, "1993 – A line inserted in a later version of the page.")  # the new line 5
    content, events = await _revise_general_information(seeded_archive, lines)

    assert [(e.event_type, e.stream_version, e.data["version"]) for e in events] == [("source.revised", 2, 2)]
    assert events[0].metadata == {"actor": "archivist", "reason": "a new version of the page"}
    assert len(events[0].data["rechecks"]) == len(_citations_into(GI))

    membership, summit = _gi_fact(0), _gi_fact(1)
    above = _key(membership, 4, "January 1992")  # above the inserted line: unmoved
    below = _key(membership, 19, "Having become")  # further down: moved by one
    at = _key(summit, 5, "1994 –")  # the line the new one was inserted above
    rows = await _citation_rows(seeded_engine, GI)
    assert rows[above] == ("verified", 4, 4)
    assert rows[below] == ("drifted", 20, 20)
    assert rows[at] == ("drifted", 6, 6)
    rechecks = {(r["fact_id"], r["citation_id"]): r for r in events[0].data["rechecks"]}
    assert (rechecks[at]["state"], rechecks[at]["line_start"], rechecks[at]["line_end"]) == ("drifted", 6, 6)

    assert await _lines_citing(seeded_engine, GI, summit) == {6}
    assert await _lines_citing(seeded_engine, GI, membership) == {4, 20}
    async with seeded_engine.connect() as conn:
        on_new_line = (
            await conn.execute(
                select(citations_by_line_table.c.fact_id).where(
                    citations_by_line_table.c.source_id == GI, citations_by_line_table.c.line == 5
                )
            )
        ).all()
        source = (await conn.execute(select(sources_table).where(sources_table.c.source_id == GI))).one()
    assert on_new_line == []
    assert (source.version, source.content_sha256, source.line_count) == (2, _sha256(content), len(lines))


async def test_a_quote_removed_from_a_new_version_orphans_its_citation(
    seeded_engine: AsyncEngine, seeded_archive: Archive
) -> None:
    lines = _gi_lines()
    lines[3] = "This line was rewritten in a later version of the page."  # line 4
    _, events = await _revise_general_information(seeded_archive, lines)

    membership = _gi_fact(0)
    gone = _key(membership, 4, "January 1992")
    kept = _key(membership, 19, "Having become")
    rows = await _citation_rows(seeded_engine, GI)
    assert rows[gone] == ("orphaned", None, None)
    assert rows[kept] == ("verified", 19, 19)
    # Only the citations of line 4 lost their quote; every other one is verified where it was.
    assert {key: row for key, row in rows.items() if row[0] != "verified"} == {gone: ("orphaned", None, None)}
    rechecks = {(r["fact_id"], r["citation_id"]): r for r in events[0].data["rechecks"]}
    assert (rechecks[gone]["state"], rechecks[gone]["line_start"], rechecks[gone]["line_end"]) == (
        "orphaned",
        None,
        None,
    )
    assert await _lines_citing(seeded_engine, GI, membership) == {19}


async def test_after_a_line_is_inserted_every_citation_below_it_drifts_by_exactly_one_line(
    seeded_engine: AsyncEngine, seeded_archive: Archive
) -> None:
    lines = _gi_lines()
    lines.insert(4, "1993 – A line inserted in a later version of the page.")
    await _revise_general_information(seeded_archive, lines)
    rows = await _citation_rows(seeded_engine, GI)
    expected = {
        key: ("verified", start, end) if end < 5 else ("drifted", start + 1, end + 1)
        for key, (start, end, _) in _citations_into(GI).items()
    }
    assert {key: row for key, row in rows.items() if row != expected[key]} == {}


async def test_a_source_id_declared_by_two_facts_files_is_refused_before_anything_is_appended(
    engine: AsyncEngine, store: EventStore, tmp_path: Path
) -> None:
    """Otherwise each run would register one document as a new version of the other, for ever."""
    root = _seeds_copy(tmp_path)
    _write_yaml(root / "facts" / "a-good.yaml", GOOD_FILE)
    other = copy.deepcopy(GOOD_FILE)
    other["source"]["file"] = "documents/general-information.txt"
    other["facts"] = [copy.deepcopy(VALID_FIRST_FACT)]
    second = _write_yaml(root / "facts" / "b-same-source.yaml", other)

    with pytest.raises(SeedError) as caught:
        await _seed(engine, root)
    assert str(caught.value).startswith(
        f"{second}: source (new-challenges-new-solutions): source id 'new-challenges-new-solutions' "
        "is already used by a-good.yaml"
    )
    assert await store.count() == 0


async def test_an_entity_id_listed_twice_is_refused_before_anything_is_appended(
    engine: AsyncEngine, store: EventStore, tmp_path: Path
) -> None:
    """Otherwise each run would revise the entity to one entry's label and back to the other's."""
    root = _seeds_copy(tmp_path)
    registry = yaml.safe_load((root / "entities.yaml").read_text(encoding="utf-8"))
    registry["entities"].append({"id": "kazakhstan", "kind": "country", "label": "Republic of Kazakhstan"})
    _write_yaml(root / "entities.yaml", registry)

    with pytest.raises(SeedError) as caught:
        await _seed(engine, root)
    duplicate = _entity_count()
    assert str(caught.value).startswith(
        f"{root / 'entities.yaml'}: entities[{duplicate}] (kazakhstan): "
        "entity id 'kazakhstan' is already used by entities[0]"
    )
    assert await store.count() == 0
