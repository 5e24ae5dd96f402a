"""Edits show what they change, and the past is shown as it was: the fact history and /diff give old and
new values, /diff nets the edits of a window per fact, source and entity, a fact read as of an earlier
time shows its citations' states of that time, and provenance reads the version a citation cites.
On every backend."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.bootstrap import wire
from archive.commands import CommandMeta
from archive.eventstore import EventStore
from tests.integration.test_writes import (
    LINE_19_PART,
    MEMO_V1,
    MEMO_V2,
    Client,
    citation,
    evidence,
    membership_1992,
    memo,
    new_fact,
    newest,
)

Json = dict[str, Any]
ALPHA = "The alpha line states one thing."
BETA = "The beta line states another."


@pytest.fixture
def store(seeded_engine: AsyncEngine) -> EventStore:
    return wire(seeded_engine).store


def changes_of(entry: Json) -> dict[str, tuple[str | None, str | None]]:
    return {
        c["field"]: (c["old"], c["new"]) for c in entry["changes"] if c["field"] not in ("citation", "link")
    }


async def correct_and_rerank(client: Client, h: dict[str, str], fact: Json) -> None:
    corrected = await client.post(
        f"/facts/{fact['id']}/corrections",
        json={
            "expected_version": fact["version"],
            "changes": {"valid_from": "1992"},
            "reason_code": "precision_refinement",
            "justification": "diff: correct",
            "citations": evidence(fact),
        },
        headers=h,
    )
    reranked = await client.post(
        f"/facts/{fact['id']}/rank",
        json={"expected_version": fact["version"] + 1, "rank": "preferred", "justification": "diff: rerank"},
        headers=h,
    )
    assert (corrected.status_code, reranked.status_code) == (200, 200), (corrected.text, reranked.text)


async def test_the_fact_history_gives_each_event_s_old_and_new_values(
    seeded_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    fact = await membership_1992(seeded_client)
    await correct_and_rerank(seeded_client, headers["archivist"], fact)

    events = (await seeded_client.get(f"/facts/{fact['id']}/history")).json()["events"]
    first, corrected, reranked = events[0], events[-2], events[-1]
    assert first["event_type"] == "fact.recorded"
    assert changes_of(first)["valid_from"] == (None, "1992-01")
    assert changes_of(first)["predicate"] == (None, "member_of")
    assert corrected["event_type"] == "fact.corrected"
    assert changes_of(corrected) == {"valid_from": ("1992-01", "1992")}
    assert reranked["event_type"] == "fact.reranked"
    assert changes_of(reranked) == {"rank": ("normal", "preferred")}
    # Provenance carries the same history.
    provenance = (await seeded_client.get(f"/facts/{fact['id']}/provenance")).json()
    assert [changes_of(e) for e in provenance["events"][-2:]] == [
        {"valid_from": ("1992-01", "1992")},
        {"rank": ("normal", "preferred")},
    ]


async def test_diff_nets_the_edits_of_a_window_one_entry_per_fact_with_old_and_new_values(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    h = headers["archivist"]
    fact = await membership_1992(seeded_client)
    start = (await newest(store)).recorded_at
    added = await seeded_client.post("/facts", json=new_fact(reason="diff: add"), headers=h)
    await correct_and_rerank(seeded_client, h, fact)
    retracted = await seeded_client.post(
        f"/facts/{added.json()['id']}/retractions",
        json={
            "expected_version": 1,
            "reason_code": "other",
            "justification": "diff: retract",
            "citations": [citation(19, LINE_19_PART)],
        },
        headers=h,
    )
    assert (added.status_code, retracted.status_code) == (201, 200)
    end = (await newest(store)).recorded_at

    response = await seeded_client.get("/diff", params={"from": start.isoformat(), "to": end.isoformat()})
    assert response.status_code == 200, response.text
    diff = response.json()
    assert [(f["fact_id"], f["change"]) for f in diff["facts"]] == [
        (added.json()["id"], "added_retracted"),
        (fact["id"], "changed"),
    ]
    assert diff["counts"] == {"added_retracted": 1, "changed": 1}
    assert diff["total"] == 2
    added_entry, changed_entry = diff["facts"]
    assert (added_entry["version_before"], added_entry["version_after"]) == (None, 2)
    assert [(e["event_type"], e["justification"]) for e in added_entry["events"]] == [
        ("fact.recorded", "diff: add"),
        ("fact.retracted", "diff: retract"),
    ]
    assert changes_of(added_entry)["status"] == (None, "retracted")
    assert (changed_entry["version_before"], changed_entry["version_after"]) == (
        fact["version"],
        fact["version"] + 2,
    )
    assert changes_of(changed_entry) == {"valid_from": ("1992-01", "1992"), "rank": ("normal", "preferred")}
    assert [e["reason_code"] for e in changed_entry["events"]] == ["precision_refinement", "other"]
    assert (diff["sources"], diff["entities"]) == ([], [])

    # Paged: the second entry alone, with the counts of the whole window.
    second = (
        await seeded_client.get(
            "/diff", params={"from": start.isoformat(), "to": end.isoformat(), "limit": 1, "offset": 1}
        )
    ).json()
    assert ([f["fact_id"] for f in second["facts"]], second["total"]) == ([fact["id"]], 2)

    later = (end + timedelta(seconds=1)).isoformat()
    empty = (await seeded_client.get("/diff", params={"from": end.isoformat(), "to": later})).json()
    assert (empty["facts"], empty["total"], empty["counts"]) == ([], 0, {})
    before_writes = (
        await seeded_client.get("/diff", params={"from": "2000-01-01T00:00:00Z", "to": start.isoformat()})
    ).json()
    assert set(before_writes["counts"]) == {"added"}
    assert all(e["actor"] == "seed" for f in before_writes["facts"] for e in f["events"])
    assert before_writes["total"] >= 148
    assert len(before_writes["sources"]) == 3


async def test_diff_shows_a_new_source_text_with_the_citations_it_drifted_or_orphaned_and_entity_changes(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore, seeded_engine: AsyncEngine
) -> None:
    h = headers["archivist"]
    assert (await seeded_client.post("/sources", json=memo(MEMO_V1), headers=h)).status_code == 201
    alpha = (
        await seeded_client.post(
            "/facts", json=new_fact(citations=[citation(2, ALPHA, "test-memo")]), headers=h
        )
    ).json()
    beta = (
        await seeded_client.post(
            "/facts", json=new_fact(valid_from="1994", citations=[citation(3, BETA, "test-memo")]), headers=h
        )
    ).json()
    # Before the window, a second text drifts alpha to line 3 and orphans beta.
    second = await seeded_client.post("/sources", json=memo(MEMO_V2) | {"expected_version": 1}, headers=h)
    assert second.status_code == 200, second.text
    start = (await newest(store)).recorded_at
    # In the window: a fact cites the second text, then a third text moves alpha and gamma down a line,
    # leaves beta orphaned, and the title changes.
    gamma = (
        await seeded_client.post(
            "/facts",
            json=new_fact(valid_from="1995", citations=[citation(2, "A line inserted above.", "test-memo")]),
            headers=h,
        )
    ).json()
    # Beta, existing before the window, gets a second citation in it: that one had no state before either.
    recited = await seeded_client.post(
        "/facts",
        json=new_fact(
            valid_from="1994",
            citations=[citation(2, "A line inserted above.", "test-memo")],
            expected_version=1,
        ),
        headers=h,
    )
    assert (recited.status_code, recited.json()["id"]) == (200, beta["id"])
    third = MEMO_V2.replace("A line inserted above.", "A new first line.\nA line inserted above.")
    revised = await seeded_client.post(
        "/sources", json=memo(third) | {"expected_version": 2, "title": "Memo, revised"}, headers=h
    )
    assert revised.status_code == 200, revised.text
    archive = wire(seeded_engine).commands
    entity = await seeded_client.get("/entities/kazakhstan")
    await archive.register_entity(
        entity_id="kazakhstan",
        kind="country",
        label="Republic of Kazakhstan",
        aliases=["Kazakhstan"],
        meta=CommandMeta(actor="tester", reason="diff: entity label"),
        expected_version=1,
    )
    assert entity.status_code == 200
    end = (await newest(store)).recorded_at

    diff = (
        await seeded_client.get("/diff", params={"from": start.isoformat(), "to": end.isoformat()})
    ).json()
    assert [(f["fact_id"], f["change"]) for f in diff["facts"]] == [
        (gamma["id"], "added"),
        (beta["id"], "changed"),
    ]
    assert [c["field"] for c in diff["facts"][1]["changes"]] == ["citation"]
    (source,) = diff["sources"]
    assert (source["source_id"], source["version_before"], source["version_after"]) == ("test-memo", 2, 4)
    assert changes_of(source)["title"] == ("Memo of the test desk", "Memo, revised")
    assert set(changes_of(source)) == {"title", "content_sha256", "line_count"}
    # Beta stayed orphaned: not a change. Gamma was cited in the window: it had no state before.
    states = {
        (c["fact_id"], c["line_start"]): (c["old_state"], c["new_state"], c["current_line_start"])
        for c in source["citations"]
    }
    assert states == {
        (alpha["id"], 2): ("drifted", "drifted", 4),
        (gamma["id"], 2): (None, "drifted", 3),
        (beta["id"], 2): (None, "drifted", 3),
    }
    (changed_entity,) = diff["entities"]
    assert changed_entity["entity_id"] == "kazakhstan"
    assert changes_of(changed_entity) == {
        "label": ("Kazakhstan", "Republic of Kazakhstan"),
        "aliases": ("Republic of Kazakhstan", "Kazakhstan"),
    }
    assert [e["actor"] for e in changed_entity["events"]] == ["tester"]


async def test_a_fact_as_of_before_a_new_source_text_shows_its_citations_as_they_stood_then(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    h = headers["archivist"]
    assert (await seeded_client.post("/sources", json=memo(MEMO_V1), headers=h)).status_code == 201
    alpha = (
        await seeded_client.post(
            "/facts", json=new_fact(citations=[citation(2, ALPHA, "test-memo")]), headers=h
        )
    ).json()
    before_revision = (await newest(store)).recorded_at.isoformat()
    revised = await seeded_client.post("/sources", json=memo(MEMO_V2) | {"expected_version": 1}, headers=h)
    assert revised.status_code == 200

    def state_of(fact: Json) -> tuple[str, int | None]:
        (c,) = fact["citations"]
        return c["state"], c["current_line_start"]

    now = (await seeded_client.get(f"/facts/{alpha['id']}")).json()
    then = (await seeded_client.get(f"/facts/{alpha['id']}", params={"as_of": before_revision})).json()
    assert (state_of(now), state_of(then)) == (("drifted", 3), ("verified", 2))
    searched = (
        await seeded_client.get(
            "/facts", params={"source": "test-memo", "as_of": before_revision, "rank": "all"}
        )
    ).json()["items"]
    assert [state_of(f) for f in searched] == [("verified", 2)]
    searched_now = (await seeded_client.get("/facts", params={"source": "test-memo", "rank": "all"})).json()
    assert [state_of(f) for f in searched_now["items"]] == [("drifted", 3)]


async def test_provenance_reads_the_lines_of_the_version_a_citation_cites(
    seeded_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    h = headers["archivist"]
    assert (await seeded_client.post("/sources", json=memo(MEMO_V1), headers=h)).status_code == 201
    alpha = (
        await seeded_client.post(
            "/facts", json=new_fact(citations=[citation(2, ALPHA, "test-memo")]), headers=h
        )
    ).json()
    fresh = (await seeded_client.get(f"/facts/{alpha['id']}/provenance")).json()["citations"][0]
    assert (fresh["cited_version"], fresh["lines"], fresh["current_lines"]) == (
        1,
        [{"line": 2, "text": ALPHA}],
        [],
    )
    assert (
        await seeded_client.post("/sources", json=memo(MEMO_V2) | {"expected_version": 1}, headers=h)
    ).status_code == 200

    (traced,) = (await seeded_client.get(f"/facts/{alpha['id']}/provenance")).json()["citations"]
    assert (traced["cited_version"], traced["source_version"]) == (1, 2)
    # Line 2 of the cited version holds the quote; line 2 of the new text does not.
    assert traced["lines"] == [{"line": 2, "text": ALPHA}]
    assert traced["current_lines"] == [{"line": 3, "text": ALPHA}]
    assert traced["state"] == "drifted"
