"""Everything hashed is readable: an auditor recomputes the whole hash chain from `GET /events` alone,
with nothing but `hashlib` and `json` (no code of the archive), and a changed field no longer matches.
Every backend."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tests.integration.test_writes import Client, evidence, membership_1992

GENESIS = "0" * 64


def recomputed(item: dict[str, Any]) -> str:
    """sha256(prev_hash ‖ canonical JSON) of one event of the log, from what the page gives."""
    hashed = item["hashed"]
    body = {
        "stream_id": item["stream_id"],
        "stream_version": item["version"],
        "event_type": item["event_type"],
        "schema_version": hashed["schema_version"],
        "data": hashed.get("data", item["data"]),
        "metadata": hashed["metadata"],
        "recorded_at": hashed["recorded_at"],
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(item["prev_hash"].encode("ascii") + canonical).hexdigest()


async def whole_log(client: Client, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = 0
    while True:
        page = (await client.get("/events", params={"after": after, "limit": 200}, headers=headers)).json()
        items += page["items"]
        if page["next_after"] is None:
            return items
        after = page["next_after"]


async def test_the_chain_is_recomputed_from_the_events_pages_alone(
    seeded_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    fact = await membership_1992(seeded_client)
    corrected = await seeded_client.post(
        f"/facts/{fact['id']}/corrections",
        json={
            "expected_version": fact["version"],
            "changes": {"valid_from": "1992"},
            "reason_code": "precision_refinement",
            "justification": "the year alone, as the other line gives it",
            "citations": evidence(fact),
        },
        headers=headers["archivist"],
    )
    assert corrected.status_code == 200, corrected.text
    log = await whole_log(seeded_client, headers["auditor"])
    assert len(log) > 390
    previous = GENESIS
    for item in log:
        assert item["prev_hash"] == previous, item["position"]
        assert recomputed(item) == item["hash"], item["position"]
        previous = item["hash"]
    # The correction was made with a token: the hash covers its id, and the page shows it.
    assert log[-1]["hashed"]["metadata"]["token_id"]
    assert log[-1]["hashed"]["metadata"]["actor"] == log[-1]["actor"]

    # A verifier that trusted a changed field would notice.
    changed = dict(log[-1], data=dict(log[-1]["data"], justification="something else"))
    assert recomputed(changed) != changed["hash"]
    later = dict(log[-1], hashed=dict(log[-1]["hashed"], recorded_at="2000-01-01T00:00:00.000000Z"))
    assert recomputed(later) != later["hash"]
