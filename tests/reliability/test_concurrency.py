"""Concurrent correctors over HTTP: optimistic concurrency loses no write and invents none.

Eight correctors share one app and four facts of the seeded corpus. Each attempt reads the fact, then
posts a correction decided on the version it read (toggling the qualifiers' note, with the fact's own
citation as evidence), with a justification unique to the attempt. A correction succeeds only when no
other one committed in between; otherwise it must be a 409, never a 5xx and never a silent overwrite.

The requests go through httpx's ASGI transport on the test's event loop, so the eight correctors really
are in flight at once. (Litestar's AsyncTestClient hands each request to a blocking portal and waits
for it, so under it the server would only ever see one request at a time.)
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from archive.bootstrap import wire
from archive.settings import Settings
from archive.tokens import create_token

CORRECTORS = 8
ATTEMPTS_EACH = 200
FACTS = 4
NOTES = ("concurrency test: note A", "concurrency test: note B")

Json = dict[str, Any]


def qualifiers_with_note(fact: Json, note: str) -> Json:
    """The fact's qualifiers (as entity ids) with another note: only the note changes."""
    q = fact["qualifiers"]
    return {
        "role": q["role"] and q["role"]["id"],
        "place": q["place"] and q["place"]["id"],
        "organization": q["organization"] and q["organization"]["id"],
        "note": note,
    }


async def test_concurrent_corrections_each_commit_once_or_get_409_and_streams_stay_gap_free(
    seeded_database_url: str, seeded_engine: AsyncEngine, assert_read_models_equal_rebuild: Any
) -> None:
    token, _ = await create_token(seeded_engine, "archivist", "concurrent-corrector")
    headers = {"Authorization": f"Bearer {token}"}
    store = wire(seeded_engine).store
    app = create_app(Settings(database_url=seeded_database_url, log_format="json", log_level="WARNING"))
    head_before = await store.head_position()
    outcomes: list[tuple[str, str, int, Json]] = []

    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://archive"
        ) as client:
            listed = await client.get("/facts", params={"subject": "kazakhstan", "rank": "best", "limit": 20})
            assert listed.status_code == 200, listed.text
            facts = [f for f in listed.json()["items"] if f["status"] == "active"][:FACTS]
            assert len(facts) == FACTS
            versions_before = {f["id"]: f["version"] for f in facts}

            async def corrector(number: int) -> None:
                for attempt in range(ATTEMPTS_EACH):
                    fact_id = facts[(number + attempt) % FACTS]["id"]
                    read = await client.get(f"/facts/{fact_id}")
                    assert read.status_code == 200, read.text
                    current = read.json()
                    note = NOTES[1] if current["qualifiers"]["note"] == NOTES[0] else NOTES[0]
                    justification = f"corrector {number} attempt {attempt}"
                    c = current["citations"][0]
                    response = await client.post(
                        f"/facts/{fact_id}/corrections",
                        json={
                            "expected_version": current["version"],
                            "changes": {"qualifiers": qualifiers_with_note(current, note)},
                            "reason_code": "transcription_error",
                            "justification": justification,
                            "citations": [
                                {k: c[k] for k in ("source_id", "line_start", "line_end", "quote")}
                            ],
                        },
                        headers=headers,
                    )
                    body = response.json()
                    outcomes.append((justification, fact_id, response.status_code, body))

            started = time.perf_counter()
            await asyncio.gather(*(corrector(n) for n in range(CORRECTORS)))
            elapsed = time.perf_counter() - started
    finally:
        await app.state.engine.dispose()

    statuses = Counter(status for _, _, status, _ in outcomes)
    succeeded = {j: fact_id for j, fact_id, status, _ in outcomes if 200 <= status < 300}
    print(
        f"\nconcurrency on {store.engine.dialect.name}: {len(outcomes)} corrections attempted by "
        f"{CORRECTORS} correctors on {FACTS} facts in {elapsed:.1f}s: {len(succeeded)} succeeded, "
        f"{statuses[409]} conflicted (409), {sum(n for s, n in statuses.items() if s >= 500)} server errors; "
        f"statuses {dict(statuses)}"
    )
    assert len(outcomes) == CORRECTORS * ATTEMPTS_EACH
    assert set(statuses) <= {200, 409}, statuses
    assert statuses[200] == len(succeeded) > 0
    refusals = [body for _, _, status, body in outcomes if status == 409]
    assert {(b["code"], b["expected_version"] < b["current_version"]) for b in refusals} <= {
        ("stale_version", True)
    }

    appended = await store.read_all(head_before, 100_000)
    assert Counter(e.event_type for e in appended) == {"fact.corrected": len(succeeded)}
    logged = Counter(e.data["justification"] for e in appended)
    assert set(logged) == set(succeeded)
    assert set(logged.values()) == {1}
    assert {e.data["justification"]: e.stream_id for e in appended} == {
        j: f"fact:{fact_id}" for j, fact_id in succeeded.items()
    }
    assert {e.metadata["actor"] for e in appended} == {"concurrent-corrector"}

    for fact_id, version_before in versions_before.items():
        stream = await store.read_stream(f"fact:{fact_id}")
        won = sum(1 for f in succeeded.values() if f == fact_id)
        assert [e.stream_version for e in stream] == list(range(1, version_before + won + 1))
        notes = [e.data["changes"]["qualifiers"]["note"] for e in stream if e.event_type == "fact.corrected"]
        # Each success toggled the note it read, so consecutive corrections always alternate.
        assert all(a != b for a, b in itertools.pairwise(notes))

    compared = await assert_read_models_equal_rebuild(seeded_engine)
    assert compared > 0
