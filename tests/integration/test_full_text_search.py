"""Full-text search (`q` on /facts and /entities) on every backend, over HTTP on a copy of the seeded corpus.

A small corpus of made-up words is written through the API first, each word in one field of one fact,
so that every answer is known exactly: which facts a word finds, in which field, in which order; that a
search reads the version a question reads; that names follow an entity's revision; that input with
FTS5 or tsquery syntax is only words; and that the index stays right through a rebuild and through a
migration that loses its triggers.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.commands import Archive, CommandMeta
from archive.storage.migrate import upgrade
from archive.storage.search import index_schema, reindex
from tests.integration.test_cli import archive

Client = AsyncTestClient[Litestar]
Json = dict[str, Any]
META = CommandMeta(actor="tester", reason="test: full-text search")

SOURCE = "search-desk-memo"
LINES = (
    "Memo of the search desk",
    "The quillwort accord was signed at the harbour.",
    "A second line, about nothing in particular.",
)
QUOTE = "The quillwort accord was signed"
OTHER_QUOTE = "A second line"


def fact(subject: str, predicate: str, line: int, **fields: Any) -> Json:
    quote = QUOTE if line == 2 else OTHER_QUOTE
    citation = {"source_id": SOURCE, "line_start": line, "line_end": line, "quote": quote}
    return {"subject": subject, "predicate": predicate, "citations": [citation], "reason": "test"} | fields


#: The facts of the made-up corpus, by name: each made-up word stands in one field of one of them.
FACTS = {
    # "plumbago" (value), "xylophonic" (note), "quillwort" (quote), "Vexillia" and "Quarnish" (subject)
    "value": fact(
        "vexillia",
        "described_as",
        2,
        value="plumbago",
        valid_from="2005",
        qualifiers={"note": "a xylophonic remark"},
    ),
    "object": fact("vexillia", "member_of", 3, object="zorbulan-union"),  # "Zorbulan" (object)
    "named": fact("gossamer-holdings", "described_as", 3, value="a holding"),  # "gossamer" in a name
    "noted": fact("vexillia", "described_as", 3, value="another", qualifiers={"note": "a gossamer thread"}),
    "tie_late": fact("vexillia", "described_as", 3, value="tiebreak alpha", valid_from="2001"),
    "tie_early": fact("vexillia", "described_as", 3, value="tiebreak bravo", valid_from="2000"),
}


@pytest.fixture
async def corpus(seeded_client: Client, seeded_archive: Archive, headers: dict[str, dict[str, str]]) -> Json:
    """The made-up corpus written through the API: its facts as answered, by name."""
    for entity_id, kind, label, aliases in (
        ("vexillia", "country", "Vexillia", ["Republic of Quarnish"]),
        ("zorbulan-union", "organisation", "Zorbulan Union", []),
        ("gossamer-holdings", "organisation", "Gossamer Holdings", []),
    ):
        await seeded_archive.register_entity(
            entity_id=entity_id, kind=kind, label=label, aliases=aliases, meta=META
        )
    source = {
        "source_id": SOURCE,
        "title": "Memo of the search desk",
        "origin": "written for this test",
        "source_date": "2024-05",
        "text": "\n".join(LINES) + "\n",
        "reason": "test: a memo",
    }
    response = await seeded_client.post("/sources", json=source, headers=headers["archivist"])
    assert response.status_code == 201, response.text
    written = {}
    for name, body in FACTS.items():
        response = await seeded_client.post("/facts", json=body, headers=headers["archivist"])
        assert response.status_code == 201, response.text
        written[name] = response.json()
    return written


async def search(client: Client, path: str = "/facts", **params: str) -> Json:
    response = await client.get(
        path, params={"rank": "all", "limit": "500"} | params if path == "/facts" else params
    )
    assert response.status_code == 200, response.text
    page: Json = response.json()
    return page


async def found(client: Client, q: str, **params: str) -> dict[str, list[str]]:
    """The facts `q` finds, each with the fields it matched in."""
    page = await search(client, q=q, **params)
    assert page["total"] == len(page["items"]) == len(page["matches"])
    return {item["id"]: page["matches"][item["id"]]["fields"] for item in page["items"]}


async def test_each_field_of_a_fact_is_searched_and_named_as_where_it_matched(
    seeded_client: Client, corpus: Json
) -> None:
    value, member = corpus["value"]["id"], corpus["object"]["id"]
    assert await found(seeded_client, "plumbago") == {value: ["value"]}
    assert await found(seeded_client, "XYLOPHONIC") == {value: ["qualifiers.note"]}
    assert await found(seeded_client, "quillwort") == {value: ["citations.quote"]}
    assert await found(seeded_client, "zorbulan") == {member: ["object"]}
    vexillia = {corpus[name]["id"] for name in ("value", "object", "noted", "tie_late", "tie_early")}
    assert set(await found(seeded_client, "Vexillia")) == vexillia
    assert set(await found(seeded_client, "Quarnish")) == vexillia  # an alias of the subject
    assert (await found(seeded_client, "Quarnish"))[member] == ["subject"]
    # every word must match, each in a field of its own
    assert await found(seeded_client, "Vexillia plumbago quillwort") == {
        value: ["subject", "value", "citations.quote"]
    }
    assert await found(seeded_client, "plumbago zorbulan") == {}


async def test_a_bare_word_finds_the_words_it_starts_and_a_quoted_phrase_only_itself(
    seeded_client: Client, corpus: Json
) -> None:
    value = corpus["value"]["id"]
    assert set(await found(seeded_client, "quill")) == {value}
    assert set(await found(seeded_client, '"quill"')) == set()
    assert set(await found(seeded_client, '"quillwort accord"')) == {value}
    assert set(await found(seeded_client, '"accord quillwort"')) == set()
    # punctuation only separates words: FTS5 and tsquery syntax is read as words, never as a query
    for hostile in (
        "plumbago*",
        "-plumbago",
        '"plumbago',
        "^plumbago",
        "(plumbago)",
        "plumbago:*",
        "{plumbago}",
    ):
        assert set(await found(seeded_client, hostile)) == {value}, hostile
    assert await found(seeded_client, "plumbago OR zorbulan") == {}  # "or" is a word to find, not an operator


async def test_query_syntax_and_odd_text_never_fail_the_search(seeded_client: Client, corpus: Json) -> None:
    odd = [
        "NEAR(plumbago quillwort)",
        "plumbago OR zorbulan",
        "plumbago AND NOT zorbulan",
        "value:plumbago",
        "{value} : plumbago",
        "a & b | !c <-> d",
        "plumbago \\' \\\" ''",
        "plumbago\u0000",
        "日本語 の テキスト",
        "x" * 200,
    ]
    for path in ("/facts", "/entities"):
        for q in odd:
            response = await seeded_client.get(path, params={"q": q})
            assert response.status_code == 200, (path, q, response.text)


@pytest.mark.parametrize("q", ["", "   ", "%", '"', "* - ( )"])
async def test_a_q_without_a_word_is_400_naming_q(seeded_client: Client, q: str) -> None:
    for path in ("/facts", "/entities"):
        response = await seeded_client.get(path, params={"q": q})
        assert response.status_code == 400, (path, response.text)
        body = response.json()
        assert body["parameter"] == "q"
        assert body["detail"].startswith("q: ")


async def test_results_are_ranked_best_first_with_ties_in_valid_time_order(
    seeded_client: Client, corpus: Json
) -> None:
    # "gossamer" in an entity's name outweighs it in a note
    ranked = [item["id"] for item in (await search(seeded_client, q="gossamer"))["items"]]
    assert ranked == [corpus["named"]["id"], corpus["noted"]["id"]]

    page = await search(seeded_client, q="tiebreak")
    scores = [page["matches"][item["id"]]["score"] for item in page["items"]]
    assert len(scores) == 2
    assert scores[0] == pytest.approx(scores[1])
    assert [item["id"] for item in page["items"]] == [corpus["tie_early"]["id"], corpus["tie_late"]["id"]]

    everything = await search(seeded_client, q="Vexillia")
    scores = [everything["matches"][item["id"]]["score"] for item in everything["items"]]
    assert scores == sorted(scores, reverse=True)
    second = await search(seeded_client, q="Vexillia", limit="2", offset="1")
    assert [item["id"] for item in second["items"]] == [item["id"] for item in everything["items"][1:3]]


async def test_a_search_reads_the_version_the_question_reads(
    seeded_client: Client, corpus: Json, headers: dict[str, dict[str, str]]
) -> None:
    original = corpus["value"]
    response = await seeded_client.post(
        f"/facts/{original['id']}/corrections",
        json={
            "expected_version": original["version"],
            "changes": {"value": "zinnia"},
            "reason_code": "transcription_error",
            "justification": "test: the word was misread",
            "citations": [{"source_id": SOURCE, "line_start": 2, "line_end": 2, "quote": QUOTE}],
        },
        headers=headers["archivist"],
    )
    assert response.status_code == 200, response.text
    before = original["recorded_at"]

    assert await found(seeded_client, "plumbago") == {}
    assert await found(seeded_client, "zinnia") == {original["id"]: ["value"]}
    assert await found(seeded_client, "plumbago", as_of=before) == {original["id"]: ["value"]}
    assert await found(seeded_client, "zinnia", as_of=before) == {}
    as_it_was = await search(seeded_client, q="plumbago", as_of=before)
    assert as_it_was["items"][0]["version"] == original["version"]

    assert set(await found(seeded_client, "xylophonic", valid_at="2010")) == {original["id"]}
    # only what definitely held: the fact's rows are read again by key, and still say why they matched
    assert await found(seeded_client, "xylophonic", valid_at="2005", certainty="definite") == {
        original["id"]: ["qualifiers.note"]
    }
    assert await found(seeded_client, "xylophonic", valid_at="2010", certainty="definite") == {}
    assert await found(seeded_client, "xylophonic", valid_at="1990") == {}
    assert set(await found(seeded_client, "xylophonic", predicate="described_as")) == {original["id"]}
    assert await found(seeded_client, "xylophonic", predicate="member_of") == {}


async def test_a_revised_entity_is_found_by_its_new_names_alone(
    seeded_client: Client, seeded_archive: Archive, corpus: Json
) -> None:
    version = await seeded_archive.store.stream_version("entity:vexillia")
    await seeded_archive.register_entity(
        entity_id="vexillia",
        kind="country",
        label="Nimbaria",
        aliases=["Commonwealth of Ostrova"],
        meta=META,
        expected_version=version,
    )
    naming = {corpus[name]["id"] for name in ("value", "object", "noted", "tie_late", "tie_early")}
    assert set(await found(seeded_client, "nimbaria")) == naming
    assert set(await found(seeded_client, "ostrova")) == naming
    assert await found(seeded_client, "Vexillia") == {}
    assert await found(seeded_client, "Quarnish") == {}

    entities = await search(seeded_client, "/entities", q="nimbaria")
    assert [e["id"] for e in entities["items"]] == ["vexillia"]
    assert entities["matches"]["vexillia"]["fields"] == ["label"]
    assert (await search(seeded_client, "/entities", q="vexillia"))["items"] == []


async def test_the_registry_is_searched_by_label_and_aliases_ranked(
    seeded_client: Client, corpus: Json
) -> None:
    page = await search(seeded_client, "/entities", q="quarn")
    assert [e["id"] for e in page["items"]] == ["vexillia"]
    assert page["matches"] == {
        "vexillia": {"score": page["matches"]["vexillia"]["score"], "fields": ["aliases"]}
    }
    page = await search(seeded_client, "/entities", q="union", kind="organisation")
    assert "zorbulan-union" in [e["id"] for e in page["items"]]
    assert page["matches"]["zorbulan-union"]["fields"] == ["label"]
    assert (await search(seeded_client, "/entities", q="zorbulan", kind="country"))["items"] == []
    scores = [page["matches"][e["id"]]["score"] for e in page["items"]]
    assert scores == sorted(scores, reverse=True)
    assert "matches" not in (await search(seeded_client, "/entities"))  # no q: no ranking to explain


async def record_value(client: Client, headers: dict[str, dict[str, str]], value: str) -> str:
    """The id of a new fact whose value is `value`."""
    response = await client.post(
        "/facts", json=fact("vexillia", "described_as", 3, value=value), headers=headers["archivist"]
    )
    assert response.status_code == 201, response.text
    fact_id: str = response.json()["id"]
    return fact_id


async def index_is_fresh(engine: AsyncEngine) -> bool:
    """Whether the search documents are what a reindex from the read models would make now."""

    async def documents(conn: Any) -> tuple[list[Any], list[Any]]:
        facts = await conn.execute(
            text(
                "SELECT fact_id, version, subject, object, subject_names, object_names, value, note, quotes "
                "FROM search_fact_documents ORDER BY fact_id, version"
            )
        )
        entities = await conn.execute(
            text("SELECT entity_id, label, aliases FROM search_entity_documents ORDER BY entity_id")
        )
        return [tuple(r) for r in facts], [tuple(r) for r in entities]

    async with engine.connect() as conn, conn.begin() as transaction:
        kept = await documents(conn)
        await reindex(conn)
        fresh = await documents(conn)
        await transaction.rollback()
    return kept == fresh and len(kept[0]) > 0


async def test_a_rebuild_makes_the_index_again_and_keeps_it_current(
    seeded_client: Client,
    seeded_database_url: str,
    seeded_engine: AsyncEngine,
    corpus: Json,
    headers: dict[str, dict[str, str]],
) -> None:
    assert await index_is_fresh(seeded_engine)
    value = corpus["value"]["id"]
    async with seeded_engine.begin() as conn:
        await conn.execute(
            text("UPDATE search_fact_documents SET value = 'forgedword' WHERE fact_id = :id"), {"id": value}
        )
    assert set(await found(seeded_client, "forgedword")) == {value}
    assert not await index_is_fresh(seeded_engine)

    result = archive("rebuild-projections", database_url=seeded_database_url)
    assert result.returncode == 0, result.stderr

    assert await found(seeded_client, "forgedword") == {}
    assert await found(seeded_client, "plumbago") == {value: ["value"]}
    assert await index_is_fresh(seeded_engine)
    # the triggers are back: a write after the rebuild is found (PostgreSQL swapped in new tables)
    marzipan = await record_value(seeded_client, headers, "marzipan")
    assert set(await found(seeded_client, "marzipan")) == {marzipan}
    assert await index_is_fresh(seeded_engine)


async def test_a_migration_run_puts_back_triggers_a_table_rebuild_lost(
    seeded_client: Client,
    seeded_database_url: str,
    seeded_engine: AsyncEngine,
    corpus: Json,
    headers: dict[str, dict[str, str]],
) -> None:
    # What SQLite's batch mode does to a table it copies, drops and renames: its triggers are gone.
    async with seeded_engine.begin() as conn:
        schema = index_schema(conn.dialect.name)
        for statement in schema.drop_triggers:
            if "search_fact_versions_insert" in statement:
                await conn.exec_driver_sql(statement)
    marzipan = await record_value(seeded_client, headers, "marzipan")
    assert await found(seeded_client, "marzipan") == {}

    await asyncio.to_thread(upgrade, seeded_database_url)  # at head already: only env.py's repair runs

    assert set(await found(seeded_client, "marzipan")) == {marzipan}
    assert await index_is_fresh(seeded_engine)


async def test_a_word_typed_with_a_slip_is_still_found_on_postgresql(
    postgres_backend: str, seeded_client: Client, corpus: Json
) -> None:
    # pg_trgm's word similarity: SQLite's FTS5 has no such fallback (docs/decisions/0007).
    page = await search(seeded_client, q="quilwort")
    assert [item["id"] for item in page["items"]] == [corpus["value"]["id"]]
    assert page["matches"][corpus["value"]["id"]] == {
        "score": pytest.approx(page["matches"][corpus["value"]["id"]]["score"]),
        "fields": ["citations.quote"],
    }
    assert page["matches"][corpus["value"]["id"]]["score"] < 1  # below every full-text match
    exact = await search(seeded_client, q="quillwort")
    assert exact["matches"][corpus["value"]["id"]]["score"] > 1
