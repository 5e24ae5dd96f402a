"""Defects found by attacking the archive from outside, each pinned on every backend: an overwrite without a
version, undecodable bodies, a held write lock, problems that blame the wrong field, a write's answer that
showed another writer's version, an incomplete `Allow`. Every refusal is checked twice: the problem says
what was wrong, and the log holds exactly as many events afterwards as before."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from archive.bootstrap import wire
from archive.commands import Archive
from archive.domain.sources import MAX_LINE_CHARS, MAX_SOURCE_LINES
from archive.eventstore import EventStore
from archive.settings import Settings
from archive.storage.postgres.append import APPEND_LOCK_KEY
from archive.storage.sqlite.engine import sqlite_path
from tests.conftest import SEEDS
from tests.integration.test_writes import (
    LINE_19_PART,
    SOURCE,
    Client,
    Json,
    assert_problem,
    citation,
    membership_1992,
    new_fact,
)

WRITE_ENDPOINTS = [
    "/sources",
    "/facts",
    "/facts/{fact}/corrections",
    "/facts/{fact}/retractions",
    "/facts/{fact}/rank",
    "/facts/{fact}/links",
]


async def source_body(client: Client, **overrides: Any) -> Json:
    """A registration of the seeded source with a text of its own."""
    current = (await client.get(f"/sources/{SOURCE}")).json()
    body: Json = {
        "source_id": SOURCE,
        "title": current["title"],
        "origin": current["origin"],
        "source_date": current["source_date"]["value"],
        "text": "A text that replaces the whole document\n",
        "reason": "test",
    }
    return body | overrides


@pytest.fixture
def store(seeded_engine: AsyncEngine) -> EventStore:
    """The event store of the seeded database the client writes to."""
    return wire(seeded_engine).store


# -- 1. no silent overwrite ------------------------------------------------------------------------


async def test_a_new_text_for_an_existing_source_without_expected_version_is_428_and_appends_nothing(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    before = await seeded_client.get(f"/sources/{SOURCE}")
    count = await store.count()
    response = await seeded_client.post(
        "/sources", json=await source_body(seeded_client), headers=headers["archivist"]
    )
    problem = assert_problem(response, 428, "version_required")
    assert problem["parameter"] == "expected_version"
    assert problem["current_version"] == before.json()["version"] == 1
    assert "send expected_version 1" in problem["detail"]
    assert await store.count() == count
    assert (await seeded_client.get(f"/sources/{SOURCE}")).json() == before.json()


async def test_the_same_text_again_without_a_version_changes_nothing_and_is_allowed(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    # The seeded document itself: posting it again changes nothing, so it needs no version.
    text = (SEEDS / "documents" / f"{SOURCE}.txt").read_text(encoding="utf-8")
    count = await store.count()
    body = await source_body(seeded_client, text=text)
    response = await seeded_client.post("/sources", json=body, headers=headers["archivist"])
    assert response.status_code == 200, response.text
    assert response.json()["events_appended"] == 0
    assert await store.count() == count


async def test_eight_concurrent_versions_of_one_source_one_wins_the_rest_409_and_none_is_lost(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    count = await store.count()
    bodies = [await source_body(seeded_client, text=f"version {n}\n", expected_version=1) for n in range(8)]
    responses = await asyncio.gather(
        *(seeded_client.post("/sources", json=body, headers=headers["archivist"]) for body in bodies)
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 7, [r.text for r in responses]
    (winner,) = [r for r in responses if r.status_code == 200]
    assert winner.json()["source"]["version"] == 2
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.json()["current_version"] == 2
    assert await store.count() == count + 1
    current = (await seeded_client.get(f"/sources/{SOURCE}")).json()
    assert current["content_sha256"] == winner.json()["source"]["content_sha256"]


async def test_a_citation_added_to_an_existing_fact_needs_its_version(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    fact = (await seeded_client.post("/facts", json=new_fact(), headers=headers["archivist"])).json()
    count = await store.count()
    another = new_fact(citations=[citation(4, "January 1992")])
    response = await seeded_client.post("/facts", json=another, headers=headers["archivist"])
    problem = assert_problem(response, 428, "version_required")
    assert (problem["parameter"], problem["current_version"]) == ("expected_version", 1)
    assert await store.count() == count
    stale = await seeded_client.post(
        "/facts", json=another | {"expected_version": 0}, headers=headers["archivist"]
    )
    assert_problem(stale, 409, "stale_version")
    cited = await seeded_client.post(
        "/facts", json=another | {"expected_version": 1}, headers=headers["archivist"]
    )
    assert cited.status_code == 200, cited.text
    assert (cited.json()["id"], cited.json()["version"]) == (fact["id"], 2)
    assert [c["line_start"] for c in cited.json()["citations"]] == [19, 4]


async def test_a_link_needs_the_version_and_a_supersedes_cycle_is_refused(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    first = await membership_1992(seeded_client)
    second = (await seeded_client.post("/facts", json=new_fact(), headers=headers["archivist"])).json()
    link = {"relation": "supersedes", "target_fact_id": first["id"], "reason": "test"}
    count = await store.count()
    missing = await seeded_client.post(
        f"/facts/{second['id']}/links", json=link, headers=headers["archivist"]
    )
    assert assert_problem(missing, 400)["parameter"] == "expected_version"
    assert await store.count() == count

    linked = await seeded_client.post(
        f"/facts/{second['id']}/links", json=link | {"expected_version": 1}, headers=headers["archivist"]
    )
    assert linked.status_code == 200, linked.text
    assert linked.json()["links"] == [{"relation": "supersedes", "fact_id": first["id"]}]

    back = {"relation": "supersedes", "target_fact_id": second["id"], "expected_version": first["version"]}
    count = await store.count()
    cycle = await seeded_client.post(f"/facts/{first['id']}/links", json=back, headers=headers["archivist"])
    problem = assert_problem(cycle, 422, "invalid_command")
    assert "cycle" in problem["detail"]
    assert problem["parameter"] == "target_fact_id"
    assert await store.count() == count


async def test_a_link_to_a_fact_that_does_not_exist_is_404_naming_the_target(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    fact = await membership_1992(seeded_client)
    count = await store.count()
    link = {"relation": "fulfils", "target_fact_id": "no-such-fact", "expected_version": fact["version"]}
    response = await seeded_client.post(f"/facts/{fact['id']}/links", json=link, headers=headers["archivist"])
    assert assert_problem(response, 404, "fact_not_found")["parameter"] == "target_fact_id"
    assert await store.count() == count


# -- 2. limits of a source -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("line\n" * MAX_SOURCE_LINES, f"at most {MAX_SOURCE_LINES}"),
        (
            "title\n" + "x" * (MAX_LINE_CHARS + 1),
            f"line 2 of source 'a-long-source' has {MAX_LINE_CHARS + 1}",
        ),
    ],
    ids=["lines", "line-length"],
)
async def test_a_source_over_the_limits_is_refused_naming_the_limit(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore, text: str, said: str
) -> None:
    count = await store.count()
    body = {
        "source_id": "a-long-source",
        "title": "Long",
        "origin": "test",
        "source_date": "2020",
        "text": text,
    }
    response = await seeded_client.post("/sources", json=body, headers=headers["archivist"])
    problem = assert_problem(response, 422, "invalid_command")
    assert said in problem["detail"]
    assert problem["parameter"] == "text"
    assert await store.count() == count


# -- 3. undecodable bodies -------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", WRITE_ENDPOINTS)
@pytest.mark.parametrize(
    ("body", "said"),
    [(b'{"source_id": "\xff\xfe"}', "not UTF-8"), (b"[" * 1000 + b"]" * 1000, "nests too deep")],
    ids=["invalid-utf8", "nested-1000-deep"],
)
async def test_an_undecodable_body_is_a_400_naming_the_body_and_appends_nothing(
    seeded_client: Client,
    headers: dict[str, dict[str, str]],
    store: EventStore,
    endpoint: str,
    body: bytes,
    said: str,
) -> None:
    fact = await membership_1992(seeded_client)
    count = await store.count()
    response = await seeded_client.post(
        endpoint.format(fact=fact["id"]),
        content=body,
        headers=headers["archivist"] | {"content-type": "application/json"},
    )
    problem = assert_problem(response, 400)
    assert problem["parameter"] == "body"
    assert said in problem["detail"]
    assert await store.count() == count


# -- 4. a held write lock --------------------------------------------------------------------------


@pytest.fixture
async def impatient_client(seeded_database_url: str) -> AsyncIterator[Client]:
    """A client whose server waits only 300 ms for another connection's write lock."""
    settings = Settings(
        database_url=seeded_database_url, log_format="json", log_level="WARNING", lock_timeout_ms=300
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


async def _hold_write_lock(url: str, release: asyncio.Event, held: asyncio.Event) -> None:
    """Take the archive's write lock from another connection (another process would) until `release`."""
    path = sqlite_path(url)
    if path is not None:
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        held.set()
        await release.wait()
        db.execute("ROLLBACK")
        db.close()
        return
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    await conn.execute("SELECT pg_advisory_lock($1)", APPEND_LOCK_KEY)
    held.set()
    await release.wait()
    await conn.close()


async def test_a_write_that_waits_past_the_lock_timeout_is_503_with_retry_after_and_appends_nothing(
    impatient_client: Client,
    seeded_database_url: str,
    headers: dict[str, dict[str, str]],
    store: EventStore,
) -> None:
    fact = await membership_1992(impatient_client)
    count = await store.count()
    release, held = asyncio.Event(), asyncio.Event()
    holder = asyncio.create_task(_hold_write_lock(seeded_database_url, release, held))
    await held.wait()
    try:
        response = await impatient_client.post(
            f"/facts/{fact['id']}/rank",
            json={"expected_version": fact["version"], "rank": "preferred", "justification": "test"},
            headers=headers["archivist"],
        )
    finally:
        release.set()
        await holder
    problem = assert_problem(response, 503)
    assert response.headers["retry-after"] == "1"
    assert "try again" in problem["detail"]
    assert await store.count() == count
    retried = await impatient_client.post(
        f"/facts/{fact['id']}/rank",
        json={"expected_version": fact["version"], "rank": "preferred", "justification": "test"},
        headers=headers["archivist"],
    )
    assert retried.status_code == 200, retried.text


# -- 5. problems name the field --------------------------------------------------------------------


async def test_domain_problems_name_the_field_and_a_choice_lists_what_it_accepts(
    seeded_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    fact = await membership_1992(seeded_client)
    bad_date = await seeded_client.post(
        f"/facts/{fact['id']}/corrections",
        json={
            "expected_version": fact["version"],
            "changes": {"valid_from": "1992-13"},
            "reason_code": "other",
            "justification": "test",
            "citations": [citation(19, LINE_19_PART)],
        },
        headers=headers["archivist"],
    )
    assert assert_problem(bad_date, 422, "invalid_date")["parameter"] == "changes.valid_from"

    unknown = await seeded_client.post(
        "/facts", json=new_fact(predicate="no_such_predicate"), headers=headers["archivist"]
    )
    problem = assert_problem(unknown, 422, "unknown_predicate")
    assert problem["parameter"] == "predicate"
    assert "member_of" in problem["allowed"]

    entity = await seeded_client.post(
        "/facts", json=new_fact(object="no-such-entity"), headers=headers["archivist"]
    )
    assert assert_problem(entity, 422, "unknown_entity")["parameter"] == "object"

    misquoted = await seeded_client.post(
        "/facts",
        json=new_fact(citations=[citation(4, LINE_19_PART), citation(19, "not in the line")]),
        headers=headers["archivist"],
    )
    assert assert_problem(misquoted, 422, "citation_mismatch")["parameter"] == "citations[0].quote"


async def test_validation_problems_name_the_parameter_as_the_client_spells_it(seeded_client: Client) -> None:
    diff = await seeded_client.get("/diff", params={"from": "garbage", "to": "2026-01-01T00:00:00Z"})
    assert assert_problem(diff, 400)["parameter"] == "from"
    to = await seeded_client.get("/diff", params={"from": "2026-01-01T00:00:00Z", "to": "later"})
    assert assert_problem(to, 400)["parameter"] == "to"
    state = await seeded_client.get("/citations", params={"state": "bogus"})
    problem = assert_problem(state, 400)
    assert problem["parameter"] == "state"
    assert problem["allowed"] == ["verified", "drifted", "orphaned"]


async def test_a_missing_body_field_and_a_bad_choice_in_the_body_are_named(
    seeded_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    fact = await membership_1992(seeded_client)
    missing = await seeded_client.post(
        f"/facts/{fact['id']}/rank",
        json={"rank": "preferred", "justification": "x"},
        headers=headers["archivist"],
    )
    assert assert_problem(missing, 400)["parameter"] == "expected_version"
    nested = await seeded_client.post(
        "/facts",
        json=new_fact(citations=[{"source_id": SOURCE, "line_start": 4, "line_end": 4}]),
        headers=headers["archivist"],
    )
    assert assert_problem(nested, 400)["parameter"] == "citations[0].quote"
    choice = await seeded_client.post(
        f"/facts/{fact['id']}/rank",
        json={"rank": "bogus", "justification": "x", "expected_version": 1},
        headers=headers["archivist"],
    )
    problem = assert_problem(choice, 400)
    assert (problem["parameter"], problem["allowed"]) == ("rank", ["preferred", "normal", "deprecated"])


# -- 6. a write's answer is the state it produced --------------------------------------------------


async def test_a_write_answers_with_the_version_it_wrote_even_when_another_writer_follows(
    seeded_client: Client, headers: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    fact = await membership_1992(seeded_client)
    real = Archive.rerank_fact

    async def rerank_then_another_writer(self: Archive, **kwargs: Any) -> Any:
        written = await real(self, **kwargs)
        # Another writer commits between this write's commit and its answer.
        await real(
            self,
            **{**kwargs, "expected_version": written.version, "rank": "deprecated", "justification": "other"},
        )
        return written

    monkeypatch.setattr(Archive, "rerank_fact", rerank_then_another_writer)
    response = await seeded_client.post(
        f"/facts/{fact['id']}/rank",
        json={"expected_version": fact["version"], "rank": "preferred", "justification": "test"},
        headers=headers["archivist"],
    )
    assert response.status_code == 200, response.text
    assert (response.json()["version"], response.json()["rank"]) == (fact["version"] + 1, "preferred")
    current = (await seeded_client.get(f"/facts/{fact['id']}")).json()
    assert (current["version"], current["rank"]) == (fact["version"] + 2, "deprecated")


async def test_a_source_write_answers_with_the_version_it_wrote(
    seeded_client: Client, headers: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Archive.register_source

    async def register_then_another_writer(self: Archive, **kwargs: Any) -> Any:
        written = await real(self, **kwargs)
        await real(
            self, **{**kwargs, "content": b"another writer's text\n", "expected_version": written.version}
        )
        return written

    monkeypatch.setattr(Archive, "register_source", register_then_another_writer)
    body = await source_body(seeded_client, expected_version=1)
    response = await seeded_client.post("/sources", json=body, headers=headers["archivist"])
    assert response.status_code == 200, response.text
    assert (response.json()["source"]["version"], response.json()["source"]["line_count"]) == (2, 2)
    assert (await seeded_client.get(f"/sources/{SOURCE}")).json()["version"] == 3


# -- 9. OPTIONS --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/sources", "GET, OPTIONS, POST"),
        ("/facts", "GET, OPTIONS, POST"),
        (f"/sources/{SOURCE}", "GET, OPTIONS"),
        ("/facts/some-fact/links", "OPTIONS, POST"),
    ],
)
async def test_options_lists_every_method_of_the_path(seeded_client: Client, path: str, allow: str) -> None:
    response = await seeded_client.options(path)
    assert response.status_code == 204
    assert response.headers["allow"] == allow
