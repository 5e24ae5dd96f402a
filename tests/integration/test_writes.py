"""The write API over HTTP with real bearer tokens, on a fresh copy of the seeded corpus, on every backend.

Every refused write is checked twice: the problem response says what was wrong, and the log holds
exactly as many events afterwards as before.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from archive.bootstrap import wire
from archive.eventstore import EventStore, RecordedEvent
from archive.settings import Settings
from archive.tokens import create_token
from tests.integration.conftest import ARCHIVIST

Client = AsyncTestClient[Litestar]
Json = dict[str, Any]
PROBLEM_JSON = "application/problem+json"


# The seeded corpus: general-information.txt, line 4 and line 19, quoted exactly.
SOURCE = "general-information"
LINE_4 = (
    "January 1992 – Kazakhstan became a member of the Organization for Security and Cooperation in "
    "Europe (OSCE)."
)
LINE_19_PART = "Having become a full member of the pan-European conference"


# -- fixtures and helpers --------------------------------------------------------------------------


@pytest.fixture
def store(seeded_engine: AsyncEngine) -> EventStore:
    """The event store of the seeded database the client writes to."""
    return wire(seeded_engine).store


def citation(line: int, quote: str, source_id: str = SOURCE, line_end: int | None = None) -> Json:
    return {"source_id": source_id, "line_start": line, "line_end": line_end or line, "quote": quote}


def new_fact(**overrides: Any) -> Json:
    """A fact the seed corpus does not hold: membership from February 1993, cited on line 19."""
    body: Json = {
        "subject": "kazakhstan",
        "predicate": "member_of",
        "object": "osce",
        "valid_from": "1993-02",
        "citations": [citation(19, LINE_19_PART)],
        "reason": "test: a membership date to record",
    }
    return body | overrides


async def membership_1992(client: Client) -> Json:
    """The seeded fact: Kazakhstan a member of the OSCE from January 1992."""
    response = await client.get(
        "/facts", params={"subject": "kazakhstan", "predicate": "member_of", "object": "osce", "rank": "all"}
    )
    assert response.status_code == 200, response.text
    found = [f for f in response.json()["items"] if (f["valid_from"] or {}).get("value") == "1992-01"]
    assert len(found) == 1, found
    fact: Json = found[0]
    return fact


def evidence(fact: Json) -> list[Json]:
    """The fact's first citation, as evidence for a command."""
    c = fact["citations"][0]
    return [citation(c["line_start"], c["quote"], c["source_id"], c["line_end"])]


async def appended_since(store: EventStore, head: int) -> list[RecordedEvent]:
    """The events appended after position `head`."""
    return await store.read_all(head, 100_000)


async def newest(store: EventStore) -> RecordedEvent:
    """The newest event of the log."""
    (event,) = await store.read_all(await store.head_position() - 1, 1)
    return event


def assert_problem(response: Any, status: int, code: str | None = None) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: Json = response.json()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    return body


# -- recording facts -------------------------------------------------------------------------------


async def test_post_fact_is_201_with_the_fact_and_the_same_again_is_200_with_no_new_event(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    before, head = await store.count(), await store.head_position()
    created = await seeded_client.post("/facts", json=new_fact(), headers=headers["archivist"])
    assert created.status_code == 201, created.text
    fact = created.json()
    assert fact["subject"] == {"id": "kazakhstan", "label": "Kazakhstan"}
    assert fact["predicate"] == "member_of"
    assert fact["object"]["id"] == "osce"
    assert fact["valid_from"] == {"value": "1993-02", "precision": "month", "circa": False, "derived": False}
    assert (fact["valid_to"], fact["point_in_time"]) == (None, None)
    assert (fact["rank"], fact["status"], fact["modality"], fact["version"]) == (
        "normal",
        "active",
        "asserted",
        1,
    )
    sha = (await seeded_client.get(f"/sources/{SOURCE}")).json()["content_sha256"]
    assert [(c["line_start"], c["quote"], c["content_sha256"], c["state"]) for c in fact["citations"]] == [
        (19, LINE_19_PART, sha, "verified")
    ]
    (recorded,) = await appended_since(store, head)
    assert (recorded.event_type, recorded.stream_id, recorded.stream_version) == (
        "fact.recorded",
        f"fact:{fact['id']}",
        1,
    )

    again = await seeded_client.post("/facts", json=new_fact(), headers=headers["archivist"])
    assert again.status_code == 200, again.text
    assert again.json()["id"] == fact["id"]
    assert again.json()["version"] == 1
    assert await store.count() == before + 1

    cited = await seeded_client.post(
        "/facts",
        json=new_fact(citations=[citation(4, LINE_4)], expected_version=1),
        headers=headers["archivist"],
    )
    assert cited.status_code == 200, cited.text
    assert cited.json()["version"] == 2
    assert sorted(c["line_start"] for c in cited.json()["citations"]) == [4, 19]
    (added,) = await appended_since(store, recorded.position)
    assert (added.event_type, added.stream_id, added.stream_version) == (
        "fact.cited",
        f"fact:{fact['id']}",
        2,
    )
    assert added.data["citation"]["line_start"] == 4
    assert added.data["citation"]["quote"] == LINE_4


async def test_a_quote_not_in_its_lines_is_422_naming_the_line_and_the_expected_quote(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    before = await store.count()
    wrong = "Kazakhstan left the organisation in 1993"
    response = await seeded_client.post(
        "/facts", json=new_fact(citations=[citation(4, wrong)]), headers=headers["archivist"]
    )
    body = assert_problem(response, 422, "citation_mismatch")
    assert "line 4" in body["detail"]
    assert repr(wrong) in body["detail"]
    assert repr(SOURCE) in body["detail"]
    assert LINE_4 in body["detail"]
    assert await store.count() == before


async def test_a_quote_found_on_another_line_than_cited_is_refused(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    before = await store.count()
    response = await seeded_client.post(
        "/facts", json=new_fact(citations=[citation(5, LINE_4)]), headers=headers["archivist"]
    )
    body = assert_problem(response, 422, "citation_mismatch")
    assert "line 5" in body["detail"]
    assert await store.count() == before


@pytest.mark.parametrize(
    ("overrides", "code", "mentions"),
    [
        pytest.param(
            {"subject": "no-such-entity"}, "unknown_entity", "'no-such-entity'", id="unknown-subject"
        ),
        pytest.param({"object": "no-such-body"}, "unknown_entity", "'no-such-body'", id="unknown-object"),
        pytest.param(
            {"qualifiers": {"place": "nowhere-town"}}, "unknown_entity", "'nowhere-town'", id="unknown-place"
        ),
        pytest.param({"predicate": "admired"}, "unknown_predicate", "'admired'", id="unknown-predicate"),
        pytest.param({"valid_from": "1993-13"}, "invalid_date", "month 13", id="month-13"),
        pytest.param({"valid_from": "1993-02-30"}, "invalid_date", "1993-02-30", id="february-30"),
        pytest.param({"valid_from": "sometime"}, "invalid_date", "sometime", id="not-a-date"),
        pytest.param(
            {"citations": [citation(1, "x", source_id="no-such-doc")]}, "unknown_source", "no-such-doc"
        ),
    ],
)
async def test_unknown_entity_predicate_or_source_and_invalid_dates_are_422_and_append_nothing(
    seeded_client: Client,
    headers: dict[str, dict[str, str]],
    store: EventStore,
    overrides: Json,
    code: str,
    mentions: str,
) -> None:
    before = await store.count()
    response = await seeded_client.post("/facts", json=new_fact(**overrides), headers=headers["archivist"])
    body = assert_problem(response, 422, code)
    assert mentions in body["detail"]
    assert await store.count() == before


async def test_malformed_json_and_wrongly_typed_bodies_are_400_and_append_nothing(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    before = await store.count()
    json_headers = headers["archivist"] | {"Content-Type": "application/json"}
    malformed = await seeded_client.post("/facts", content=b'{"subject": "kazakhstan",', headers=json_headers)
    assert_problem(malformed, 400)
    assert await store.count() == before

    fact = await membership_1992(seeded_client)
    typed = await seeded_client.post(
        f"/facts/{fact['id']}/corrections",
        json={"expected_version": "two", "changes": {}, "reason_code": "other", "justification": "j"},
        headers=headers["archivist"],
    )
    body = assert_problem(typed, 400)
    assert "expected_version" in body["detail"]
    assert await store.count() == before

    unknown_field = await seeded_client.post(
        "/facts", json=new_fact(colour="blue"), headers=headers["archivist"]
    )
    assert "colour" in assert_problem(unknown_field, 400)["detail"]
    assert await store.count() == before


async def test_text_with_a_nul_character_is_400_naming_the_field_and_appends_nothing(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    # PostgreSQL cannot store U+0000 in text or JSONB: these were 500s there (and accepted on SQLite).
    fact = await membership_1992(seeded_client)
    rank = {"expected_version": fact["version"], "rank": "preferred", "justification": "a\u0000b"}
    attempts = [
        ("/facts", new_fact(reason="nul \u0000 reason"), "reason"),
        ("/facts", new_fact(qualifiers={"note": "nul \u0000 note"}), "qualifiers.note"),
        (f"/facts/{fact['id']}/rank", rank, "justification"),
        ("/facts/a%00b/rank", rank | {"justification": "fine"}, "fact_id"),
        ("/sources", memo("line one\u0000\n"), "text"),
        ("/sources", memo(MEMO_V1) | {"title": "t\u0000"}, "title"),
    ]
    before = await store.count()
    for url, body, field in attempts:
        response = await seeded_client.post(url, json=body, headers=headers["archivist"])
        assert assert_problem(response, 400)["detail"].startswith(f"{field}:"), (url, response.text)
        assert await store.count() == before, url


async def test_a_body_over_the_size_limit_is_413_and_appends_nothing(
    seeded_database_url: str, seeded_engine: AsyncEngine, store: EventStore
) -> None:
    token, _ = await create_token(seeded_engine, "archivist", ARCHIVIST)
    settings = Settings(
        database_url=seeded_database_url, log_format="json", log_level="WARNING", max_body_bytes=2048
    )
    before = await store.count()
    async with AsyncTestClient(app=create_app(settings)) as client:
        small = await client.post("/facts", json=new_fact(), headers={"Authorization": f"Bearer {token}"})
        assert small.status_code == 201, small.text
        big = new_fact(valid_from="1993-03", reason="r" * 1900, citations=[citation(19, LINE_19_PART)] * 3)
        response = await client.post("/facts", json=big, headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 413)
    assert await store.count() == before + 1


# -- corrections, rank, retraction ------------------------------------------------------------------


async def test_correction_is_200_with_a_new_version_and_the_changed_value(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    fact = await membership_1992(seeded_client)
    head = await store.head_position()
    response = await seeded_client.post(
        f"/facts/{fact['id']}/corrections",
        json={
            "expected_version": fact["version"],
            "changes": {"valid_from": "1992"},
            "reason_code": "precision_refinement",
            "justification": "test: only the year is certain",
            "citations": evidence(fact),
        },
        headers=headers["archivist"],
    )
    assert response.status_code == 200, response.text
    corrected = response.json()
    assert corrected["version"] == fact["version"] + 1
    assert corrected["valid_from"] == {"value": "1992", "precision": "year", "circa": False, "derived": False}
    assert corrected["object"] == fact["object"]
    fetched = (await seeded_client.get(f"/facts/{fact['id']}")).json()
    assert (fetched["version"], fetched["valid_from"]["value"]) == (fact["version"] + 1, "1992")

    (event,) = await appended_since(store, head)
    assert (event.event_type, event.stream_version) == ("fact.corrected", fact["version"] + 1)
    assert event.data["changes"]["valid_from"] == "1992"
    assert event.data["reason_code"] == "precision_refinement"
    assert event.data["justification"] == "test: only the year is certain"
    assert event.metadata["actor"] == ARCHIVIST
    assert event.metadata["reason"] == "test: only the year is certain"


async def test_correction_of_a_value_without_evidence_is_422_and_appends_nothing(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    fact = await membership_1992(seeded_client)
    before = await store.count()
    response = await seeded_client.post(
        f"/facts/{fact['id']}/corrections",
        json={
            "expected_version": fact["version"],
            "changes": {"valid_from": "1992"},
            "reason_code": "precision_refinement",
            "justification": "test: no evidence given",
        },
        headers=headers["archivist"],
    )
    body = assert_problem(response, 422, "evidence_required")
    assert "citation" in body["detail"]
    assert await store.count() == before
    assert (await seeded_client.get(f"/facts/{fact['id']}")).json()["valid_from"]["value"] == "1992-01"


async def test_correction_against_a_stale_version_is_409_with_the_current_version(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    fact = await membership_1992(seeded_client)
    first = await seeded_client.post(
        f"/facts/{fact['id']}/corrections",
        json={
            "expected_version": fact["version"],
            "changes": {"valid_to": "2030"},
            "reason_code": "valid_time_shift",
            "justification": "test: first writer",
            "citations": evidence(fact),
        },
        headers=headers["archivist"],
    )
    assert first.status_code == 200, first.text
    before = await store.count()
    stale = await seeded_client.post(
        f"/facts/{fact['id']}/corrections",
        json={
            "expected_version": fact["version"],
            "changes": {"valid_to": "2031"},
            "reason_code": "valid_time_shift",
            "justification": "test: second writer, decided on the old version",
            "citations": evidence(fact),
        },
        headers=headers["archivist"],
    )
    body = assert_problem(stale, 409, "stale_version")
    assert body["expected_version"] == fact["version"]
    assert body["current_version"] == fact["version"] + 1
    assert await store.count() == before
    assert (await seeded_client.get(f"/facts/{fact['id']}")).json()["valid_to"]["value"] == "2030"


async def test_rank_change_needs_no_citation_and_a_stale_one_is_409(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    fact = await membership_1992(seeded_client)
    before, head = await store.count(), await store.head_position()
    response = await seeded_client.post(
        f"/facts/{fact['id']}/rank",
        json={
            "expected_version": fact["version"],
            "rank": "preferred",
            "justification": "test: the best source",
        },
        headers=headers["archivist"],
    )
    assert response.status_code == 200, response.text
    assert (response.json()["rank"], response.json()["version"]) == ("preferred", fact["version"] + 1)
    (event,) = await appended_since(store, head)
    assert (event.event_type, event.data["rank"], event.data["reason_code"]) == (
        "fact.reranked",
        "preferred",
        "other",
    )
    assert event.metadata["actor"] == ARCHIVIST

    stale = await seeded_client.post(
        f"/facts/{fact['id']}/rank",
        json={"expected_version": fact["version"], "rank": "deprecated", "justification": "test: stale"},
        headers=headers["archivist"],
    )
    assert assert_problem(stale, 409, "stale_version")["current_version"] == fact["version"] + 1
    assert await store.count() == before + 1


async def test_retraction_hides_the_fact_from_best_and_a_second_retraction_is_409(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    fact = await membership_1992(seeded_client)
    before, head = await store.count(), await store.head_position()
    response = await seeded_client.post(
        f"/facts/{fact['id']}/retractions",
        json={
            "expected_version": fact["version"],
            "reason_code": "misattribution",
            "justification": "test: the line speaks of another body",
            "citations": evidence(fact),
        },
        headers=headers["archivist"],
    )
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["version"]) == ("retracted", fact["version"] + 1)
    (event,) = await appended_since(store, head)
    assert (event.event_type, event.data["reason_code"]) == ("fact.retracted", "misattribution")
    best = await seeded_client.get("/facts", params={"subject": "kazakhstan", "predicate": "member_of"})
    assert fact["id"] not in {f["id"] for f in best.json()["items"]}

    again = await seeded_client.post(
        f"/facts/{fact['id']}/retractions",
        json={
            "expected_version": fact["version"] + 1,
            "reason_code": "other",
            "justification": "test: again",
        },
        headers=headers["archivist"],
    )
    assert_problem(again, 409, "already_retracted")
    assert await store.count() == before + 1


async def test_commands_on_an_unknown_fact_are_404_and_append_nothing(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    before = await store.count()
    missing = "00000000-0000-5000-8000-000000000000"
    response = await seeded_client.post(
        f"/facts/{missing}/rank",
        json={"expected_version": 1, "rank": "preferred", "justification": "test: nothing there"},
        headers=headers["archivist"],
    )
    assert missing in assert_problem(response, 404)["detail"]
    assert await store.count() == before


# -- sources ----------------------------------------------------------------------------------------


MEMO_V1 = "Memo of the test desk\nThe alpha line states one thing.\nThe beta line states another.\n"
MEMO_V2 = "Memo of the test desk\nA line inserted above.\nThe alpha line states one thing.\n"


def memo(text: str) -> Json:
    return {
        "source_id": "test-memo",
        "title": "Memo of the test desk",
        "origin": "written for this test",
        "source_date": "2024-05",
        "text": text,
        "reason": "test: a memo",
    }


async def test_post_sources_registers_then_revises_and_lists_drifted_and_orphaned_citations(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    h = headers["archivist"]
    registered = await seeded_client.post("/sources", json=memo(MEMO_V1), headers=h)
    assert registered.status_code == 201, registered.text
    body = registered.json()
    assert body["source"]["content_sha256"] == hashlib.sha256(MEMO_V1.encode()).hexdigest()
    assert (body["source"]["version"], body["source"]["line_count"], body["events_appended"]) == (1, 4, 1)
    assert body["rechecks"] == []

    alpha = await seeded_client.post(
        "/facts",
        json=new_fact(citations=[citation(2, "The alpha line states one thing.", "test-memo")]),
        headers=h,
    )
    beta = await seeded_client.post(
        "/facts",
        json=new_fact(
            valid_from="1994", citations=[citation(3, "The beta line states another.", "test-memo")]
        ),
        headers=h,
    )
    assert (alpha.status_code, beta.status_code) == (201, 201)
    alpha_id, beta_id = alpha.json()["id"], beta.json()["id"]

    before, head = await store.count(), await store.head_position()
    revised = await seeded_client.post("/sources", json=memo(MEMO_V2) | {"expected_version": 1}, headers=h)
    assert revised.status_code == 200, revised.text
    body = revised.json()
    assert body["source"]["version"] == 2
    assert body["source"]["content_sha256"] == hashlib.sha256(MEMO_V2.encode()).hexdigest()
    assert body["events_appended"] == 1
    rechecks = {r["fact_id"]: (r["state"], r["line_start"], r["line_end"]) for r in body["rechecks"]}
    assert rechecks == {alpha_id: ("drifted", 3, 3), beta_id: ("orphaned", None, None)}
    (event,) = await appended_since(store, head)
    assert (event.event_type, event.stream_id, event.stream_version) == (
        "source.revised",
        "source:test-memo",
        2,
    )

    drifted = (await seeded_client.get("/citations", params={"state": "drifted"})).json()
    assert [(c["fact_id"], c["line_start"], c["current_line_start"]) for c in drifted["items"]] == [
        (alpha_id, 2, 3)
    ]
    orphaned = (await seeded_client.get("/citations", params={"state": "orphaned"})).json()
    assert [(c["fact_id"], c["line_start"], c["current_line_start"]) for c in orphaned["items"]] == [
        (beta_id, 3, None)
    ]
    assert (drifted["total"], orphaned["total"]) == (1, 1)

    same = await seeded_client.post("/sources", json=memo(MEMO_V2), headers=h)
    assert same.status_code == 200, same.text
    assert (same.json()["events_appended"], same.json()["rechecks"]) == (0, [])
    assert await store.count() == before + 1


async def test_a_source_with_a_bad_id_or_date_is_422_and_appends_nothing(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    before = await store.count()
    bad_id = await seeded_client.post(
        "/sources", json=memo(MEMO_V1) | {"source_id": "Not A Slug"}, headers=headers["archivist"]
    )
    assert "Not A Slug" in assert_problem(bad_id, 422, "invalid_command")["detail"]
    bad_date = await seeded_client.post(
        "/sources", json=memo(MEMO_V1) | {"source_date": "2024-00"}, headers=headers["archivist"]
    )
    assert_problem(bad_date, 422, "invalid_date")
    assert await store.count() == before


# -- metadata and the diff ---------------------------------------------------------------------------


async def test_every_write_records_the_token_name_as_actor_with_the_reason_and_request_id(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    h = headers["archivist"]
    start = await store.head_position()
    fact = await membership_1992(seeded_client)
    other = await seeded_client.post("/facts", json=new_fact(reason="reason: record"), headers=h)
    writes = [
        other,
        await seeded_client.post(
            f"/facts/{fact['id']}/corrections",
            json={
                "expected_version": fact["version"],
                "changes": {"valid_to": "2030"},
                "reason_code": "valid_time_shift",
                "justification": "reason: correct",
                "citations": evidence(fact),
            },
            headers=h,
        ),
        await seeded_client.post(
            f"/facts/{fact['id']}/rank",
            json={
                "expected_version": fact["version"] + 1,
                "rank": "preferred",
                "justification": "reason: rank",
            },
            headers=h,
        ),
        await seeded_client.post(
            f"/facts/{fact['id']}/links",
            json={
                "relation": "contradicts",
                "target_fact_id": other.json()["id"],
                "expected_version": fact["version"] + 2,
                "reason": "reason: link",
            },
            headers=h,
        ),
        await seeded_client.post(
            f"/facts/{other.json()['id']}/retractions",
            json={
                "expected_version": 1,
                "reason_code": "other",
                "justification": "reason: retract",
                "citations": [citation(19, LINE_19_PART)],
            },
            headers=h,
        ),
        await seeded_client.post("/sources", json=memo(MEMO_V1) | {"reason": "reason: source"}, headers=h),
    ]
    assert [w.status_code for w in writes] == [201, 200, 200, 200, 200, 201]

    page = await seeded_client.get(
        "/events", params={"after": start, "limit": 50}, headers=headers["auditor"]
    )
    assert page.status_code == 200, page.text
    events = page.json()["items"]
    assert [(e["event_type"], e["actor"], e["reason"]) for e in events] == [
        ("fact.recorded", ARCHIVIST, "reason: record"),
        ("fact.corrected", ARCHIVIST, "reason: correct"),
        ("fact.reranked", ARCHIVIST, "reason: rank"),
        ("fact.linked", ARCHIVIST, "reason: link"),
        ("fact.retracted", ARCHIVIST, "reason: retract"),
        ("source.registered", ARCHIVIST, "reason: source"),
    ]
    assert [e["request_id"] for e in events] == [w.headers["x-request-id"] for w in writes]
    stored = (await store.read_all(start, 50))[0]
    assert stored.metadata["token_id"]
    assert stored.metadata["actor"] == ARCHIVIST
