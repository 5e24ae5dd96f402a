"""POST /facts for a fact the archive holds: a conditional create, which adds citations only knowingly.

Recording a fact that exists adds the citations it lacks and needs the fact's `expected_version`: 428
without it, 409 with a stale one, 200 with the right one; the same citations again change nothing. A new
fact may name `expected_version` 0 ("not recorded yet").
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.bootstrap import wire
from archive.eventstore import EventStore
from archive.tokens import create_token

Client = AsyncTestClient[Litestar]
Json = dict[str, Any]
MEMBERSHIP = "dc021ea1-f882-5175-9f95-80fc5527db57"  # the seeded "member of the OSCE from 1992-01"
LINE_4_PART = "Kazakhstan became a member of the Organization"


@pytest.fixture
def store(seeded_engine: AsyncEngine) -> EventStore:
    """The event store of the seeded database the client writes to."""
    return wire(seeded_engine).store


@pytest.fixture
async def archivist(seeded_engine: AsyncEngine) -> dict[str, str]:
    """An archivist's bearer header."""
    token, _ = await create_token(seeded_engine, "archivist", "conditional-creator")
    return {"Authorization": f"Bearer {token}"}


def membership(**extra: Any) -> Json:
    """The seeded membership's content, with a citation it does not have (part of line 4)."""
    citation = {"source_id": "general-information", "line_start": 4, "line_end": 4, "quote": LINE_4_PART}
    return {
        "subject": "kazakhstan",
        "predicate": "member_of",
        "object": "osce",
        "valid_from": "1992-01",
        "citations": [citation],
        "reason": "test: one more citation",
        **extra,
    }


async def test_recording_an_existing_fact_needs_its_version_and_then_adds_only_the_new_citation(
    seeded_client: Client, archivist: dict[str, str], store: EventStore
) -> None:
    before = (await seeded_client.get(f"/facts/{MEMBERSHIP}")).json()
    version, events = before["version"], await store.count()
    assert LINE_4_PART not in [c["quote"] for c in before["citations"]]

    missing = await seeded_client.post("/facts", json=membership(), headers=archivist)
    assert missing.status_code == 428, missing.text
    assert "expected_version" in missing.json()["detail"]
    stale = await seeded_client.post(
        "/facts", json=membership(expected_version=version - 1), headers=archivist
    )
    assert stale.status_code == 409, stale.text
    assert (stale.json()["expected_version"], stale.json()["current_version"]) == (version - 1, version)
    as_new = await seeded_client.post("/facts", json=membership(expected_version=0), headers=archivist)
    assert as_new.status_code == 409, as_new.text
    assert await store.count() == events

    added = await seeded_client.post("/facts", json=membership(expected_version=version), headers=archivist)
    assert added.status_code == 200, added.text
    body = added.json()
    assert (body["id"], body["version"]) == (MEMBERSHIP, version + 1)
    assert [c["quote"] for c in body["citations"]] == [c["quote"] for c in before["citations"]] + [
        LINE_4_PART
    ]
    (event,) = await store.read_all(events, 10)
    assert (event.event_type, event.stream_id, event.metadata["actor"]) == (
        "fact.cited",
        f"fact:{MEMBERSHIP}",
        "conditional-creator",
    )

    again = await seeded_client.post(
        "/facts", json=membership(expected_version=version + 1), headers=archivist
    )
    assert again.status_code == 200, again.text
    assert again.json()["version"] == version + 1
    assert await store.count() == events + 1


async def test_a_new_fact_may_say_it_expects_no_version_yet(
    seeded_client: Client, archivist: dict[str, str], store: EventStore
) -> None:
    events = await store.count()
    new = membership(valid_from="1993-02", expected_version=1)
    ahead = await seeded_client.post("/facts", json=new, headers=archivist)
    assert ahead.status_code == 409, ahead.text
    assert await store.count() == events
    created = await seeded_client.post("/facts", json=new | {"expected_version": 0}, headers=archivist)
    assert created.status_code == 201, created.text
    assert (created.json()["version"], created.json()["valid_from"]["value"]) == (1, "1993-02")
    (event,) = await store.read_all(events, 10)
    assert event.event_type == "fact.recorded"
