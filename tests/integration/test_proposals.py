"""Proposals (issue 26 §2): registering a source proposes facts from its text; an archivist accepts one (the
fact recorded through the fact command, with the proposal's citation), edits then accepts, or rejects with
a reason. Each step is an event, a bad request appends nothing, and a second decision is a 409. Every test
runs on both databases and ends, where it wrote, with the read models equal to a rebuild."""

from __future__ import annotations

import asyncio
from typing import Any

from archive.commands import Archive
from archive.eventstore import EventStore
from archive.projections.shadow import compare_with_rebuild
from tests.integration.conftest import ARCHIVIST
from tests.integration.test_writes import Client, assert_problem, citation
from tests.integration.test_writes import store as store

Json = dict[str, Any]
Headers = dict[str, dict[str, str]]
SOURCE = "test-bulletin"
# Each membership sentence is one the membership rule reads: a country "became a member of" an organisation.
# Austria and the OSCE are in the seeded registry (by label and by alias); Ruritania is not.
TEXT = "\n".join(
    [
        "TEST BULLETIN",
        "",
        "Austria became a member of the OSCE in March 1995.",
        "",
        "In 2001 the Kingdom of Ruritania became a member of the OSCE.",
        "",
        "Italy became a member of the OSCE in June 1996.",
        "",
    ]
)
AUSTRIA_LINE = "Austria became a member of the OSCE in March 1995."


async def register(client: Client, headers: Headers, text: str = TEXT, **extra: Any) -> Json:
    body = {
        "source_id": SOURCE,
        "title": "A test bulletin",
        "origin": "tests",
        "source_date": "2024",
        "text": text,
        **extra,
    }
    response = await client.post("/sources", json=body, headers=headers["archivist"])
    assert response.status_code in (200, 201), response.text
    written: Json = response.json()
    return written


async def proposals(client: Client, **params: Any) -> Json:
    response = await client.get("/proposals", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    page: Json = response.json()
    return page


async def proposal_of(client: Client, subject: str) -> Json:
    """The one proposal of the test source whose content's subject is `subject`."""
    (found,) = [
        p for p in (await proposals(client, source=SOURCE))["items"] if p["content"]["subject"] == subject
    ]
    return found


async def assert_rebuild_equal(archive: Archive) -> None:
    assert await compare_with_rebuild(archive.store, archive.projector) == []


async def test_a_registered_source_is_proposed_from_and_accepting_records_the_fact_with_its_citation(
    seeded_client: Client, headers: Headers, store: EventStore, seeded_archive: Archive
) -> None:
    h = headers["archivist"]
    head = await store.head_position()
    written = await register(seeded_client, headers)
    assert written["proposals"] >= 3
    assert written["events_appended"] == 1 + written["proposals"]

    austria = await proposal_of(seeded_client, "austria")
    assert austria["content"] | {"qualifiers": None} == {
        "subject": "austria",
        "predicate": "member_of",
        "object": "osce",
        "value": None,
        "qualifiers": None,
        "valid_from": "1995-03",
        "valid_to": None,
        "point_in_time": None,
        "modality": "asserted",
    }
    assert (austria["line_start"], austria["line_end"], austria["quote"]) == (3, 3, AUSTRIA_LINE)
    assert {(m["words"], m["entity_id"]) for m in austria["matched"]} == {
        ("Austria", "austria"),
        ("OSCE", "osce"),
    }
    assert (austria["unmatched"], austria["status"], austria["version"]) == ([], "pending", 1)
    assert (austria["source_id"], austria["source_version"]) == (SOURCE, 1)
    assert austria["content_sha256"] == written["source"]["content_sha256"]
    assert austria["rule"]
    # Listed by source, by status and by rule; counted by status.
    assert austria["id"] in {p["id"] for p in (await proposals(seeded_client, status="pending"))["items"]}
    assert austria["id"] in {p["id"] for p in (await proposals(seeded_client, rule=austria["rule"]))["items"]}
    assert austria["id"] not in {
        p["id"] for p in (await proposals(seeded_client, status="accepted"))["items"]
    }
    assert (await proposals(seeded_client, source=SOURCE))["counts"]["pending"] == written["proposals"]

    response = await seeded_client.post(
        f"/proposals/{austria['id']}/acceptance", json={"expected_version": 1}, headers=h
    )
    assert response.status_code == 201, response.text
    accepted = response.json()
    fact = accepted["fact"]
    assert (fact["subject"]["id"], fact["predicate"], fact["object"]["id"]) == (
        "austria",
        "member_of",
        "osce",
    )
    assert fact["valid_from"]["value"] == "1995-03"
    (cited,) = fact["citations"]
    assert (cited["source_id"], cited["line_start"], cited["line_end"], cited["quote"]) == (
        SOURCE,
        3,
        3,
        AUSTRIA_LINE,
    )
    assert accepted["proposal"]["status"] == "accepted"
    assert accepted["proposal"]["accepted_fact_id"] == fact["id"] == austria["fact_id"]
    assert (accepted["proposal"]["decided_by"], accepted["proposal"]["edited"]) == (ARCHIVIST, None)
    assert (await seeded_client.get(f"/facts/{fact['id']}")).status_code == 200

    # The audit trail: the proposal made by the source's registration, then accepted by the archivist, and
    # the fact recorded in the same transaction as the acceptance.
    one = (await seeded_client.get(f"/proposals/{austria['id']}")).json()
    assert [(s["event_type"], s["version"], s["actor"]) for s in one["steps"]] == [
        ("proposal.made", 1, ARCHIVIST),
        ("proposal.accepted", 2, ARCHIVIST),
    ]
    log = await seeded_client.get("/events", params={"after": head, "limit": 500}, headers=headers["auditor"])
    events = [(e["event_type"], e["stream_id"]) for e in log.json()["items"]]
    stream = f"proposal:{austria['id']}"
    assert events[0] == ("source.registered", f"source:{SOURCE}")
    assert events.index(("proposal.made", stream)) < events.index(("proposal.accepted", stream))
    assert events[-2:] == [("fact.recorded", f"fact:{fact['id']}"), ("proposal.accepted", stream)]

    # Deciding twice is a 409, whatever version is named, and appends nothing.
    count = await store.count()
    for version in (1, 2):
        again = await seeded_client.post(
            f"/proposals/{austria['id']}/acceptance", json={"expected_version": version}, headers=h
        )
        assert_problem(again, 409)
        rejected = await seeded_client.post(
            f"/proposals/{austria['id']}/rejection",
            json={"expected_version": version, "reason": "x"},
            headers=h,
        )
        assert_problem(rejected, 409)
    assert await store.count() == count
    await assert_rebuild_equal(seeded_archive)


async def test_a_name_no_entity_matched_must_be_edited_away_and_the_edited_content_is_recorded(
    seeded_client: Client, headers: Headers, store: EventStore, seeded_archive: Archive
) -> None:
    h = headers["archivist"]
    await register(seeded_client, headers)
    ruritania = await proposal_of(seeded_client, "Kingdom of Ruritania")
    assert ruritania["unmatched"] == ["Kingdom of Ruritania"]
    assert ruritania["content"]["object"] == "osce"
    path = f"/proposals/{ruritania['id']}/acceptance"
    count = await store.count()

    problem = assert_problem(await seeded_client.post(path, json={"expected_version": 1}, headers=h), 422)
    assert problem["parameter"] == "content.subject"
    assert "'Kingdom of Ruritania' is a name no entity's label or alias matched" in problem["detail"]
    # Edited, but the unmatched words left where the subject goes: still refused, naming them.
    kept = {**ruritania["content"], "valid_from": "2001-05"}
    problem = assert_problem(
        await seeded_client.post(path, json={"expected_version": 1, "content": kept}, headers=h), 422
    )
    assert (problem["parameter"], "'Kingdom of Ruritania'" in problem["detail"]) == ("content.subject", True)
    assert await store.count() == count

    edited = {**ruritania["content"], "subject": "austria", "valid_from": "2001-05"}
    response = await seeded_client.post(
        path, json={"expected_version": 1, "content": edited, "reason": "test: the text's name"}, headers=h
    )
    assert response.status_code == 201, response.text
    accepted = response.json()
    assert (accepted["fact"]["subject"]["id"], accepted["fact"]["valid_from"]["value"]) == (
        "austria",
        "2001-05",
    )
    assert (
        accepted["fact"]["citations"][0]["quote"]
        == "In 2001 the Kingdom of Ruritania became a member of the OSCE."
    )
    assert accepted["proposal"]["edited"]["subject"] == "austria"
    assert accepted["proposal"]["edited"]["valid_from"] == "2001-05"
    assert accepted["proposal"]["accepted_fact_id"] == accepted["fact"]["id"] != ruritania["fact_id"]
    await assert_rebuild_equal(seeded_archive)


async def test_a_rejection_needs_a_reason_and_is_an_event_with_who_and_why(
    seeded_client: Client, headers: Headers, store: EventStore, seeded_archive: Archive
) -> None:
    h = headers["archivist"]
    await register(seeded_client, headers)
    italy = await proposal_of(seeded_client, "italy")
    path = f"/proposals/{italy['id']}/rejection"
    count = await store.count()
    problem = assert_problem(
        await seeded_client.post(path, json={"expected_version": 1, "reason": "   "}, headers=h), 422
    )
    assert problem["parameter"] == "reason"
    problem = assert_problem(
        await seeded_client.post(path, json={"expected_version": 1, "reason": ""}, headers=h), 400
    )
    assert "reason" in problem["detail"]
    assert await store.count() == count

    response = await seeded_client.post(
        path, json={"expected_version": 1, "reason": "test: the bulletin is a draft"}, headers=h
    )
    assert response.status_code == 200, response.text
    rejected = response.json()
    assert (rejected["status"], rejected["reason"], rejected["decided_by"], rejected["version"]) == (
        "rejected",
        "test: the bulletin is a draft",
        ARCHIVIST,
        2,
    )
    assert [s["event_type"] for s in rejected["steps"]] == ["proposal.made", "proposal.rejected"]
    assert italy["id"] in {p["id"] for p in (await proposals(seeded_client, status="rejected"))["items"]}
    # No fact was recorded from it, and it cannot be accepted now.
    assert (await seeded_client.get(f"/facts/{italy['fact_id']}")).status_code == 404
    assert_problem(
        await seeded_client.post(
            f"/proposals/{italy['id']}/acceptance", json={"expected_version": 2}, headers=h
        ),
        409,
    )
    await assert_rebuild_equal(seeded_archive)


async def test_every_bad_decision_is_a_4xx_naming_the_field_and_appends_nothing(
    seeded_client: Client, headers: Headers, store: EventStore
) -> None:
    h = headers["archivist"]
    await register(seeded_client, headers)
    austria = await proposal_of(seeded_client, "austria")
    accept = f"/proposals/{austria['id']}/acceptance"
    reject = f"/proposals/{austria['id']}/rejection"
    content = austria["content"]
    count = await store.count()
    for path, body, status, field in (
        (accept, {}, 400, "expected_version"),
        (accept, {"expected_version": -1}, 400, "expected_version"),
        (accept, {"expected_version": 0}, 409, "expected_version"),
        (accept, {"expected_version": 1, "colour": "red"}, 400, "colour"),
        (accept, {"expected_version": 1, "rank": "best"}, 400, "rank"),
        (
            accept,
            {"expected_version": 1, "content": {**content, "predicate": "likes"}},
            422,
            "content.predicate",
        ),
        (
            accept,
            {"expected_version": 1, "content": {**content, "valid_from": "1995-13"}},
            422,
            "content.valid_from",
        ),
        (
            accept,
            {"expected_version": 1, "content": {**content, "object": "atlantis"}},
            422,
            "content.object",
        ),
        (accept, {"expected_version": 1, "content": {"predicate": "member_of"}}, 400, "subject"),
        (reject, {"reason": "why not"}, 400, "expected_version"),
        (reject, {"expected_version": 5, "reason": "why not"}, 409, "expected_version"),
    ):
        problem = assert_problem(await seeded_client.post(path, json=body, headers=h), status)
        named = problem.get("parameter") or problem["detail"]
        assert field in named, (body, problem)
    assert_problem(
        await seeded_client.post("/proposals/no-such-id/acceptance", json={"expected_version": 1}, headers=h),
        404,
    )
    assert_problem(
        await seeded_client.post(accept, json={"expected_version": 1}, headers=headers["auditor"]), 403
    )
    assert_problem(await seeded_client.post(accept, json={"expected_version": 1}), 401)
    assert_problem(await seeded_client.get("/proposals", params={"status": "maybe"}), 400)
    assert_problem(await seeded_client.get("/proposals/no-such-id"), 404)
    # An offset past what the databases' integers hold is a page past the end, not a server error.
    beyond = await seeded_client.get("/proposals", params={"offset": 2**70})
    assert (beyond.status_code, beyond.json()["items"]) == (200, [])
    assert await store.count() == count
    assert (await seeded_client.get(f"/proposals/{austria['id']}")).json()["status"] == "pending"


async def test_a_proposal_of_an_old_version_is_checked_against_the_current_text_like_any_citation(
    seeded_client: Client, headers: Headers, store: EventStore, seeded_archive: Archive
) -> None:
    first = await register(seeded_client, headers)
    austria = await proposal_of(seeded_client, "austria")
    # A new version moves the sentence down a line: its own proposals are made, the old ones stay listed.
    revised = await register(seeded_client, headers, text="A new first line.\n" + TEXT, expected_version=1)
    assert revised["source"]["version"] == 2
    assert revised["proposals"] == first["proposals"]
    by_version = {p["source_version"] for p in (await proposals(seeded_client, source=SOURCE))["items"]}
    assert by_version == {1, 2}
    count = await store.count()
    problem = assert_problem(
        await seeded_client.post(
            f"/proposals/{austria['id']}/acceptance",
            json={"expected_version": 1},
            headers=headers["archivist"],
        ),
        422,
    )
    assert problem["parameter"].startswith("citation"), problem
    assert await store.count() == count
    # The same text again records no version and proposes nothing.
    again = await register(seeded_client, headers, text="A new first line.\n" + TEXT, expected_version=2)
    assert (again["events_appended"], again["proposals"]) == (0, 0)
    await assert_rebuild_equal(seeded_archive)


async def test_a_text_the_rules_read_nothing_in_registers_with_no_proposal(
    seeded_client: Client, headers: Headers
) -> None:
    written = await register(seeded_client, headers, text="Nothing here.\nNor here.\n")
    assert (written["events_appended"], written["proposals"]) == (1, 0)
    assert (await proposals(seeded_client, source=SOURCE))["total"] == 0


async def test_a_pending_proposal_whose_fact_is_recorded_reads_as_already_recorded(
    seeded_client: Client, headers: Headers, seeded_archive: Archive
) -> None:
    await register(seeded_client, headers)
    austria = await proposal_of(seeded_client, "austria")
    fact = {
        **{k: v for k, v in austria["content"].items() if k != "qualifiers"},
        "citations": [citation(3, AUSTRIA_LINE, source_id=SOURCE)],
    }
    response = await seeded_client.post("/facts", json=fact, headers=headers["archivist"])
    assert response.status_code == 201, response.text
    listed = await proposal_of(seeded_client, "austria")
    assert listed["status"] == "already_recorded"
    assert austria["id"] not in {p["id"] for p in (await proposals(seeded_client, status="pending"))["items"]}
    assert austria["id"] in {
        p["id"] for p in (await proposals(seeded_client, status="already_recorded"))["items"]
    }
    # The seeded corpus: its curated facts are not shown as work to do.
    seeded = (await proposals(seeded_client, status="already_recorded"))["items"]
    assert any(p["source_id"] != SOURCE for p in seeded)
    for p in seeded:
        assert (await seeded_client.get(f"/facts/{p['fact_id']}")).status_code == 200
    for p in (await proposals(seeded_client, status="pending"))["items"]:
        assert p["fact_id"] is None or (await seeded_client.get(f"/facts/{p['fact_id']}")).status_code == 404
    await assert_rebuild_equal(seeded_archive)


async def test_two_concurrent_acceptances_of_one_proposal_one_is_201_and_the_other_409(
    seeded_client: Client, headers: Headers, store: EventStore, seeded_archive: Archive
) -> None:
    await register(seeded_client, headers)
    austria = await proposal_of(seeded_client, "austria")
    count = await store.count()
    responses = await asyncio.gather(
        *(
            seeded_client.post(
                f"/proposals/{austria['id']}/acceptance",
                json={"expected_version": 1},
                headers=headers["archivist"],
            )
            for _ in range(2)
        )
    )
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    # One fact and one acceptance: nothing of the refused one.
    assert await store.count() == count + 2
    one = (await seeded_client.get(f"/proposals/{austria['id']}")).json()
    assert [s["event_type"] for s in one["steps"]] == ["proposal.made", "proposal.accepted"]
    await assert_rebuild_equal(seeded_archive)
