"""HTTP conventions on every backend: a versioned resource's `ETag`, `If-Match` as a write's expected
version (412 when stale, 400 when malformed or at odds with the body), `If-None-Match` on a source, and an
OpenAPI document that says what the server enforces (roles, closed bodies, vocabularies, If-Match).

Every refused write is checked to have appended nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from archive.bootstrap import load_vocabulary, wire
from archive.eventstore import EventStore
from archive.settings import Settings

Client = AsyncTestClient[Litestar]
Json = dict[str, Any]


@pytest.fixture
def store(seeded_engine: AsyncEngine) -> EventStore:
    """The event store of the seeded database the client writes to."""
    return wire(seeded_engine).store


async def a_fact(client: Client) -> Json:
    """Some active fact of the seeded corpus, whichever comes first."""
    page = await client.get("/facts", params={"limit": 1})
    assert page.status_code == 200, page.text
    fact: Json = page.json()["items"][0]
    return fact


async def rerank(
    client: Client, token: dict[str, str], fact: Json, why: str, if_match: str | None = None, **body: Any
) -> Any:
    """POST a rank change to `deprecated`: a write whose only content is the version it names."""
    conditional = {} if if_match is None else {"If-Match": if_match}
    return await client.post(
        f"/facts/{fact['id']}/rank",
        json={"rank": "deprecated", "justification": why, **body},
        headers={**token, **conditional},
    )


async def test_a_fact_carries_its_version_as_etag_and_a_write_answers_with_the_new_one(
    seeded_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    fact = await a_fact(seeded_client)
    read = await seeded_client.get(f"/facts/{fact['id']}")
    assert read.headers["etag"] == f'"{fact["version"]}"'

    written = await rerank(
        seeded_client, headers["archivist"], fact, "test: named by If-Match", if_match=read.headers["etag"]
    )
    assert written.status_code == 200, written.text
    assert written.json()["version"] == fact["version"] + 1
    assert written.headers["etag"] == f'"{fact["version"] + 1}"'
    assert (await seeded_client.get(f"/facts/{fact['id']}")).headers["etag"] == written.headers["etag"]


async def test_a_stale_if_match_is_412_with_the_current_version_and_appends_nothing(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    fact = await a_fact(seeded_client)
    first = await rerank(
        seeded_client, headers["archivist"], fact, "test: the first writer", if_match=f'"{fact["version"]}"'
    )
    assert first.status_code == 200, first.text
    head = await store.head_position()

    second = await rerank(
        seeded_client,
        headers["archivist"],
        fact,
        "test: the second writer read the same version",
        if_match=f'"{fact["version"]}"',
    )
    assert second.status_code == 412, second.text
    problem = second.json()
    assert (problem["title"], problem["parameter"]) == ("Precondition Failed", "If-Match")
    assert (problem["expected_version"], problem["current_version"]) == (fact["version"], fact["version"] + 1)
    assert second.headers["etag"] == f'"{fact["version"] + 1}"'
    assert await store.head_position() == head


async def test_a_stale_body_expected_version_stays_409(
    seeded_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    fact = await a_fact(seeded_client)
    stale = await rerank(
        seeded_client,
        headers["archivist"],
        fact,
        "test: stale in the body",
        expected_version=fact["version"] + 5,
    )
    assert stale.status_code == 409, stale.text
    assert stale.json()["current_version"] == fact["version"]


async def test_if_match_and_a_body_version_that_disagree_are_400_naming_both(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    fact = await a_fact(seeded_client)
    head = await store.head_position()
    response = await rerank(
        seeded_client,
        headers["archivist"],
        fact,
        "test: two versions",
        if_match=f'"{fact["version"] + 1}"',
        expected_version=fact["version"],
    )
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["parameter"] == "If-Match"
    named = [(error["key"], error["source"]) for error in problem["errors"]]
    assert named == [("If-Match", "header"), ("expected_version", "body")]
    assert "If-Match" in problem["detail"]
    assert "expected_version" in problem["detail"]
    assert await store.head_position() == head


async def test_if_match_and_a_body_version_that_agree_are_one_write(
    seeded_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    fact = await a_fact(seeded_client)
    response = await rerank(
        seeded_client,
        headers["archivist"],
        fact,
        "test: the same version twice",
        if_match=f'"{fact["version"]}"',
        expected_version=fact["version"],
    )
    assert response.status_code == 200, response.text
    assert response.json()["version"] == fact["version"] + 1


@pytest.mark.parametrize(
    ("if_match", "said"),
    [
        ("*", "does not say which version"),
        ('W/"1"', "weak tag never matches"),
        ('"1", "2"', "more than one version"),
        ("1", "is not an ETag"),
        ('"-1"', "is not an ETag"),
        ('"01"', "is not an ETag"),
    ],
)
async def test_a_malformed_if_match_is_400_naming_the_header_and_appends_nothing(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore, if_match: str, said: str
) -> None:
    fact = await a_fact(seeded_client)
    head = await store.head_position()
    response = await rerank(
        seeded_client, headers["archivist"], fact, "test: a bad If-Match", if_match=if_match
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["parameter"] == "If-Match"
    assert said in response.json()["detail"]
    assert await store.head_position() == head


async def test_if_match_on_a_write_that_names_no_version_is_400_not_ignored(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    head = await store.head_position()
    response = await seeded_client.post(
        "/entities",
        json={"entity_id": "if-match-on-a-create", "kind": "person", "label": "Nobody"},
        headers={**headers["archivist"], "If-Match": '"1"'},
    )
    assert response.status_code == 400, response.text
    assert response.json()["parameter"] == "If-Match"
    assert await store.head_position() == head


async def test_without_if_match_or_expected_version_a_change_is_still_refused(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    fact = await a_fact(seeded_client)
    head = await store.head_position()
    response = await rerank(seeded_client, headers["archivist"], fact, "test: no version at all")
    assert response.status_code in (400, 428), response.text
    assert response.json()["parameter"] == "expected_version"
    assert await store.head_position() == head


async def test_a_source_revision_takes_if_match_and_a_stale_one_is_412(
    seeded_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    body = {
        "source_id": "if-match-memo",
        "title": "A memo",
        "origin": "test",
        "source_date": "2001",
        "text": "The first line.\n",
    }
    created = await seeded_client.post("/sources", json=body, headers=headers["archivist"])
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == '"1"'

    revised = await seeded_client.post(
        "/sources",
        json=body | {"text": "The first line.\nA second line.\n"},
        headers={**headers["archivist"], "If-Match": created.headers["etag"]},
    )
    assert revised.status_code == 200, revised.text
    assert revised.json()["source"]["version"] == 2
    assert revised.headers["etag"] == '"2"'

    stale = await seeded_client.post(
        "/sources",
        json=body | {"text": "Another text.\n"},
        headers={**headers["archivist"], "If-Match": created.headers["etag"]},
    )
    assert stale.status_code == 412, stale.text
    assert stale.json()["current_version"] == 2


async def test_if_none_match_on_a_source_is_304_until_its_version_changes(
    seeded_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    source = (await seeded_client.get("/sources", params={"limit": 1})).json()["items"][0]
    read = await seeded_client.get(f"/sources/{source['id']}")
    tag = read.headers["etag"]
    assert tag == f'"{source["version"]}"'

    unchanged = await seeded_client.get(f"/sources/{source['id']}", headers={"If-None-Match": tag})
    assert (unchanged.status_code, unchanged.content, unchanged.headers["etag"]) == (304, b"", tag)
    listed = await seeded_client.get(f"/sources/{source['id']}", headers={"If-None-Match": f'"999", W/{tag}'})
    assert listed.status_code == 304
    other = await seeded_client.get(f"/sources/{source['id']}", headers={"If-None-Match": '"999"'})
    assert (other.status_code, other.json()["id"]) == (200, source["id"])
    with_text = await seeded_client.get(f"/sources/{source['id']}", params={"text": "true"})
    assert with_text.headers["etag"] == tag


async def test_if_none_match_on_an_entity_is_304_until_a_revision(
    seeded_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    entity = (await seeded_client.get("/entities", params={"limit": 1})).json()["items"][0]
    read = await seeded_client.get(f"/entities/{entity['id']}")
    tag = read.headers["etag"]
    assert tag == f'"{entity["version"]}"'
    unchanged = await seeded_client.get(f"/entities/{entity['id']}", headers={"If-None-Match": tag})
    assert (unchanged.status_code, unchanged.headers["etag"]) == (304, tag)

    revised = await seeded_client.post(
        f"/entities/{entity['id']}/revisions",
        json={
            "changes": {"aliases": ["If-None-Match test"]},
            "reason_code": "other",
            "justification": "test",
        },
        headers={**headers["archivist"], "If-Match": tag},
    )
    assert revised.status_code == 200, revised.text
    assert revised.headers["etag"] == f'"{entity["version"] + 1}"'
    changed = await seeded_client.get(f"/entities/{entity['id']}", headers={"If-None-Match": tag})
    assert (changed.status_code, changed.json()["aliases"]) == (200, ["If-None-Match test"])


async def test_a_fact_read_ignores_if_none_match_because_its_answer_is_more_than_its_version(
    seeded_client: Client,
) -> None:
    fact = await a_fact(seeded_client)
    read = await seeded_client.get(f"/facts/{fact['id']}", headers={"If-None-Match": f'"{fact["version"]}"'})
    assert read.status_code == 200
    assert read.json()["id"] == fact["id"]


# -- the OpenAPI document ----------------------------------------------------------------------------


async def openapi(client: Client) -> Json:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200, response.text
    document: Json = response.json()
    return document


def operations(document: Json) -> dict[str, Json]:
    """Every operation of the document, by its operationId."""
    return {
        operation["operationId"]: operation
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }


async def test_the_document_names_the_role_each_guarded_operation_needs(client: Client) -> None:
    document = await openapi(client)
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    ops = operations(document)
    archivist = [{"bearer": ["archivist"]}, {"bearer": ["admin"]}]
    for write in ("recordFact", "correctFact", "retractFact", "rerankFact", "linkFact", "registerSource"):
        assert ops[write]["security"] == archivist, write
        assert "archivist role" in ops[write]["description"], write
    for audit in ("listEvents", "verifyLog"):
        assert ops[audit]["security"] == [{"bearer": ["auditor"]}, {"bearer": ["admin"]}], audit
    for read in ("searchFacts", "getFact", "listSources", "health"):
        assert "security" not in ops[read], read


async def test_the_document_says_reads_need_a_token_when_the_settings_say_so(database_url: str) -> None:
    settings = Settings(database_url=database_url, log_format="json", require_token_for_reads=True)
    async with AsyncTestClient(app=create_app(settings)) as client:
        ops = operations(await openapi(client))
        assert ops["searchFacts"]["security"] == [{"bearer": []}]
        assert ops["getFact"]["security"] == [{"bearer": []}]
        assert "security" not in ops["health"]
        unauthenticated = await client.get("/facts")
        assert unauthenticated.status_code == 401


async def test_request_bodies_are_closed_and_list_the_vocabularys_names(client: Client) -> None:
    schemas = (await openapi(client))["components"]["schemas"]
    for body in ("RecordFactRequest", "CorrectionRequest", "ChangesIn", "CitationIn", "SourceRequest"):
        assert schemas[body]["additionalProperties"] is False, body
    assert "additionalProperties" not in schemas["FactView"]
    predicates = sorted(load_vocabulary().predicates)
    assert schemas["RecordFactRequest"]["properties"]["predicate"]["enum"] == predicates
    assert schemas["CorrectionRequest"]["properties"]["reason_code"]["enum"]
    valid_from = schemas["ChangesIn"]["properties"]["valid_from"]
    assert valid_from["pattern"].startswith("^\\s*(derived )?(circa )?[0-9]{4}")
    assert schemas["CitationIn"]["properties"]["quote"]["pattern"] == "^[^\\x00]*$"


async def test_the_closed_bodies_are_what_the_server_refuses(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    fact = await a_fact(seeded_client)
    head = await store.head_position()
    response = await rerank(
        seeded_client,
        headers["archivist"],
        fact,
        "test: an extra field",
        expected_version=fact["version"],
        colour="blue",
    )
    assert response.status_code == 400, response.text
    assert "colour" in response.json()["detail"]
    assert await store.head_position() == head


async def test_query_choices_and_conditional_headers_are_documented(client: Client) -> None:
    ops = operations(await openapi(client))
    predicate = next(p for p in ops["searchFacts"]["parameters"] if p["name"] == "predicate")
    assert predicate["schema"]["enum"] == sorted(load_vocabulary().predicates)
    kind = next(p for p in ops["listEntities"]["parameters"] if p["name"] == "kind")
    assert kind["schema"]["enum"]
    search = {p["name"]: p["schema"] for p in ops["searchFacts"]["parameters"]}
    assert search["as_of"]["format"] == "date-time"
    assert search["valid_at"]["pattern"].startswith("^\\s*(derived )?(circa )?")
    if_match = next(p for p in ops["correctFact"]["parameters"] if p["name"] == "If-Match")
    assert (if_match["in"], if_match["required"]) == ("header", False)
    assert "412" in ops["correctFact"]["responses"]
    assert "ETag" in ops["correctFact"]["responses"]["200"]["headers"]
    assert "ETag" in ops["getFact"]["responses"]["200"]["headers"]
    assert "ETag" not in (ops["searchFacts"]["responses"]["200"].get("headers") or {})
    get_source = ops["getSource"]
    assert any(p["name"] == "If-None-Match" for p in get_source["parameters"])
    assert "304" in get_source["responses"]
