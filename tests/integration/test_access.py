"""Access control over HTTP: who may write, who may read the log, and what a refusal leaves behind.

Each write path is tried with a valid body, so the only thing wrong is the caller: without a token,
with a wrong one, a revoked one, a non-bearer scheme, and a token of the wrong role. The same request
with an archivist's (and an admin's) token then succeeds, which shows the refusals were about access.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from archive.bootstrap import wire
from archive.eventstore import EventStore
from archive.logging import configure_logging
from archive.settings import Settings
from archive.tokens import create_token, revoke_token

Client = AsyncTestClient[Litestar]
Json = dict[str, Any]
PROBLEM_JSON = "application/problem+json"
SOURCE = "general-information"
LINE_19_PART = "Having become a full member of the pan-European conference"
WRONG_TOKEN = "arc_" + "x" * 43


@pytest.fixture
def store(seeded_engine: AsyncEngine) -> EventStore:
    """The event store of the seeded database the client talks to."""
    return wire(seeded_engine).store


@pytest.fixture
async def tokens(seeded_engine: AsyncEngine) -> dict[str, str]:
    """One live token per role, and one revoked archivist token."""
    made = {
        role: (await create_token(seeded_engine, role, f"{role}-tester"))[0]
        for role in ("archivist", "auditor", "admin")
    }
    made["revoked"], _ = await create_token(seeded_engine, "archivist", "revoked-archivist")
    await revoke_token(seeded_engine, "revoked-archivist")
    return made


@contextmanager
def stdout_captured() -> Iterator[io.StringIO]:
    """What the process prints to stdout meanwhile (an app created inside logs its JSON lines there).

    Pytest resets `sys.stdout` between a test's setup and its call, so this is used inside the test.
    Afterwards logging is configured again on the restored stdout.
    """
    buffer, saved = io.StringIO(), sys.stdout
    sys.stdout = buffer
    try:
        yield buffer
    finally:
        sys.stdout = saved
        configure_logging(Settings(log_format="json", log_level="WARNING"))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def seeded_fact(client: Client, valid_from: str) -> Json:
    """The seeded fact: Kazakhstan a member of the OSCE, with this valid_from."""
    response = await client.get(
        "/facts", params={"subject": "kazakhstan", "predicate": "member_of", "object": "osce", "rank": "all"}
    )
    found = [f for f in response.json()["items"] if (f["valid_from"] or {}).get("value") == valid_from]
    assert len(found) == 1, found
    fact: Json = found[0]
    return fact


def evidence(fact: Json) -> list[Json]:
    c = fact["citations"][0]
    keys = ("source_id", "line_start", "line_end", "quote")
    return [{k: c[k] for k in keys}]


async def write_request(client: Client, path: str) -> tuple[str, Json]:
    """A valid request for one write path of the API: its URL and body."""
    if path == "/sources":
        body = {
            "source_id": "access-memo",
            "title": "Access memo",
            "origin": "written for this test",
            "source_date": "2024",
            "text": "One line of text.\n",
        }
        return "/sources", body
    if path == "/facts":
        citation = {"source_id": SOURCE, "line_start": 19, "line_end": 19, "quote": LINE_19_PART}
        body = {
            "subject": "kazakhstan",
            "predicate": "member_of",
            "object": "osce",
            "valid_from": "1993-02",
            "citations": [citation],
        }
        return "/facts", body
    fact = await seeded_fact(client, "1992-01")
    url = f"/facts/{fact['id']}/{path.rsplit('/', 1)[1]}"
    version = fact["version"]
    if path.endswith("/corrections"):
        return url, {
            "expected_version": version,
            "changes": {"valid_to": "2030"},
            "reason_code": "valid_time_shift",
            "justification": "access test",
            "citations": evidence(fact),
        }
    if path.endswith("/retractions"):
        return url, {
            "expected_version": version,
            "reason_code": "other",
            "justification": "access test",
            "citations": evidence(fact),
        }
    if path.endswith("/rank"):
        return url, {"expected_version": version, "rank": "preferred", "justification": "access test"}
    others = await client.get(
        "/facts", params={"subject": "kazakhstan", "predicate": "chaired", "rank": "all"}
    )
    target = others.json()["items"][0]["id"]
    return url, {
        "expected_version": version,
        "relation": "contradicts",
        "target_fact_id": target,
        "reason": "access test",
    }


WRITE_PATHS = [
    "/facts",
    "/facts/{id}/corrections",
    "/facts/{id}/retractions",
    "/facts/{id}/rank",
    "/facts/{id}/links",
    "/sources",
]


#: The status of an allowed write on each path, and the event it appends.
WRITTEN = {
    "/facts": (201, "fact.recorded"),
    "/facts/{id}/corrections": (200, "fact.corrected"),
    "/facts/{id}/retractions": (200, "fact.retracted"),
    "/facts/{id}/rank": (200, "fact.reranked"),
    "/facts/{id}/links": (200, "fact.linked"),
    "/sources": (201, "source.registered"),
}


def assert_body_shows(body: Json, stream_id: str, version: int) -> None:
    """The response shows the written fact or source at the version the appended event gave it."""
    if stream_id.startswith("source:"):
        assert (f"source:{body['source']['id']}", body["source"]["version"]) == (stream_id, version)
        assert body["events_appended"] == 1
    else:
        assert (f"fact:{body['id']}", body["version"]) == (stream_id, version)


def assert_refused(response: Any, status: int) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: Json = response.json()
    assert (body["status"], body["title"]) == (status, "Unauthorized" if status == 401 else "Forbidden")
    if status == 401:
        assert response.headers["www-authenticate"] == 'Bearer realm="archive"'
    else:
        assert "www-authenticate" not in response.headers
    return body


@pytest.mark.parametrize("path", WRITE_PATHS)
async def test_write_path_refuses_missing_wrong_revoked_and_non_archivist_tokens_and_appends_nothing(
    seeded_client: Client, tokens: dict[str, str], store: EventStore, path: str
) -> None:
    url, body = await write_request(seeded_client, path)
    attempts = [
        ({}, 401, "a bearer token is required"),
        (bearer(WRONG_TOKEN), 401, "unknown or revoked"),
        (bearer("not-even-our-format"), 401, "unknown or revoked"),
        (bearer(tokens["revoked"]), 401, "unknown or revoked"),
        ({"Authorization": f"Basic {tokens['archivist']}"}, 401, "not a bearer token"),
        (bearer(tokens["auditor"]), 403, "needs the archivist role; the token has auditor"),
    ]
    for headers, status, detail in attempts:
        before = await store.count()
        response = await seeded_client.post(url, json=body, headers=headers)
        assert detail in assert_refused(response, status)["detail"], (headers, response.text)
        assert await store.count() == before, headers

    before = await store.count()
    allowed = await seeded_client.post(url, json=body, headers=bearer(tokens["archivist"]))
    assert allowed.status_code == WRITTEN[path][0], allowed.text
    assert await store.count() == before + 1
    (event,) = await store.read_all(before, 1)
    assert (event.event_type, event.metadata["actor"]) == (WRITTEN[path][1], "archivist-tester")
    assert_body_shows(allowed.json(), event.stream_id, event.stream_version)


@pytest.mark.parametrize("path", ["/facts/{id}/rank", "/sources"])
async def test_admin_may_write_too(
    seeded_client: Client, tokens: dict[str, str], store: EventStore, path: str
) -> None:
    url, body = await write_request(seeded_client, path)
    before = await store.count()
    response = await seeded_client.post(url, json=body, headers=bearer(tokens["admin"]))
    assert response.status_code == WRITTEN[path][0], response.text
    assert await store.count() == before + 1
    (event,) = await store.read_all(await store.head_position() - 1, 1)
    assert (event.event_type, event.metadata["actor"]) == (WRITTEN[path][1], "admin-tester")
    assert_body_shows(response.json(), event.stream_id, event.stream_version)


@pytest.mark.parametrize("url", ["/events", "/audit/verify"])
async def test_log_and_audit_need_the_auditor_or_admin_role(
    seeded_client: Client, tokens: dict[str, str], store: EventStore, url: str
) -> None:
    before = await store.count()
    assert_refused(await seeded_client.get(url), 401)
    assert_refused(await seeded_client.get(url, headers=bearer(tokens["revoked"])), 401)
    refused = assert_refused(await seeded_client.get(url, headers=bearer(tokens["archivist"])), 403)
    assert "needs the auditor role; the token has archivist" in refused["detail"]
    for role in ("auditor", "admin"):
        response = await seeded_client.get(url, headers=bearer(tokens[role]))
        assert response.status_code == 200, (role, response.text)
        if url == "/audit/verify":
            assert response.json()["ok"] is True
            assert response.json()["events_checked"] == before
        else:
            assert response.json()["items"][0]["position"] >= 1
    assert await store.count() == before


READS = [
    "/facts",
    "/sources",
    f"/sources/{SOURCE}",
    f"/sources/{SOURCE}/lines/4",
    "/entities",
    "/roles",
    "/timeline",
]


def assert_read_body(url: str, body: Json) -> None:
    """What each read returns on the seeded corpus, beyond its status: the thing asked for."""
    if url == f"/sources/{SOURCE}":
        assert (body["id"], body["line_count"] > 0) == (SOURCE, True)
    elif url == f"/sources/{SOURCE}/lines/4":
        assert (body["source_id"], body["line"]) == (SOURCE, 4)
        assert body["text"].startswith("January 1992")
        assert body["facts"], body
    else:
        assert body["total"] >= len(body["items"]) > 0, (url, body)


async def test_reads_are_public_by_default(seeded_client: Client) -> None:
    for url in READS:
        response = await seeded_client.get(url)
        assert response.status_code == 200, (url, response.text)
        assert_read_body(url, response.json())


async def test_reads_need_a_live_token_when_the_settings_say_so(
    seeded_database_url: str, tokens: dict[str, str]
) -> None:
    settings = Settings(
        database_url=seeded_database_url, log_format="json", log_level="WARNING", require_token_for_reads=True
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        for url in READS:
            assert_refused(await client.get(url), 401)
            assert_refused(await client.get(url, headers=bearer(tokens["revoked"])), 401)
            bodies = []
            for role in ("archivist", "auditor", "admin"):
                response = await client.get(url, headers=bearer(tokens[role]))
                assert response.status_code == 200, (url, role, response.text)
                bodies.append(response.json())
            assert_read_body(url, bodies[0])
            assert bodies[1:] == bodies[:1] * 2, url
        health = await client.get("/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"


async def test_refusals_are_logged_with_method_path_and_status_but_never_the_token(
    seeded_database_url: str, tokens: dict[str, str], store: EventStore
) -> None:
    settings = Settings(database_url=seeded_database_url, log_format="json", log_level="INFO")
    before = await store.count()
    with stdout_captured() as captured:
        async with AsyncTestClient(app=create_app(settings)) as client:
            url, body = await write_request(client, "/facts/{id}/rank")
            refused = [
                (await client.post(url, json=body, headers=bearer(WRONG_TOKEN))).status_code,
                (await client.post(url, json=body, headers=bearer(tokens["revoked"]))).status_code,
                (await client.post(url, json=body, headers=bearer(tokens["auditor"]))).status_code,
                (await client.get("/events", headers=bearer(tokens["archivist"]))).status_code,
            ]
    assert refused == [401, 401, 403, 403]
    assert await store.count() == before

    output = captured.getvalue()
    for secret in (WRONG_TOKEN, tokens["revoked"], tokens["auditor"], tokens["archivist"]):
        assert secret not in output
        assert secret[4:20] not in output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    refusals = [line for line in lines if line.get("event") == "access refused"]
    assert [(r["status"], r["method"], r["path"], r["level"]) for r in refusals] == [
        (401, "POST", url, "warning"),
        (401, "POST", url, "warning"),
        (403, "POST", url, "warning"),
        (403, "GET", "/events", "warning"),
    ]
    assert all("authorization" not in {k.lower() for k in r} for r in refusals)
    requests = [line for line in lines if line.get("event") == "request"]
    assert [r["status"] for r in requests if r["path"] in (url, "/events")] == [401, 401, 403, 403]
