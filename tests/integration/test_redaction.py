"""Redaction that keeps the proofs (issue 25), on every backend: an admin replaces a fact event's payload
by its hash; the chain, the Merkle tree and every proof still verify, `archive verify` passes (chain and
read models), the original payload still proves itself against the stored hash, the reads show the fact
as redacted, and every refusal appends nothing."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from api.web.rendering import TOKEN_COOKIE
from archive.bootstrap import wire
from archive.cli import main
from archive.commands import Archive, CommandMeta
from archive.domain.errors import FactNotFound
from archive.eventstore import events_table
from archive.eventstore.hashing import canonical_bytes, chain_hash
from archive.eventstore.merkle import verify_consistency, verify_inclusion
from archive.eventstore.redaction import content_sha256, original_matches
from archive.projections.rebuild import rebuild
from archive.projections.shadow import compare_with_rebuild
from archive.tokens import create_token
from tests.contract.test_optimistic_commands import writer_before_each_append
from tests.integration.test_findings import HCNM, findings, high_commissioner
from tests.integration.test_log_is_readable import whole_log
from tests.integration.test_writes import citation, evidence, membership_1992
from tests.reliability.test_tampering import as_a_dba

Client = AsyncTestClient[Litestar]
Json = dict[str, Any]
ADMIN = "admin-ann"
REASON = {"reason_code": "privacy", "justification": "the person named asked to be forgotten (request 17)"}


@pytest.fixture
async def admin(seeded_engine: AsyncEngine) -> dict[str, str]:
    token, _ = await create_token(seeded_engine, "admin", ADMIN)
    return {"Authorization": f"Bearer {token}"}


async def corrected_fact(client: Client, archivist: dict[str, str]) -> tuple[Json, list[Json]]:
    """The seeded fact after one correction (its last event), and its events as the log holds them."""
    fact = await membership_1992(client)
    response = await client.post(
        f"/facts/{fact['id']}/corrections",
        json={
            "expected_version": fact["version"],
            "changes": {"valid_from": "1992"},
            "reason_code": "precision_refinement",
            "justification": "the month is not in the source",
            "citations": evidence(fact),
        },
        headers=archivist,
    )
    assert response.status_code == 200, response.text
    history = (await client.get(f"/facts/{fact['id']}/history")).json()["events"]
    return fact, history


async def log_size(client: Client, auditor: dict[str, str]) -> int:
    return len(await whole_log(client, auditor))


async def inclusion(client: Client, position: int, tree_size: int | None = None) -> Json:
    params = {"position": position} | ({} if tree_size is None else {"tree_size": tree_size})
    response = await client.get("/log/proofs/inclusion", params=params)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


def proves(proof: Json) -> bool:
    """Whether the proof leads from its event's leaf to its root (the leaf is SHA-256(0x00 || hash))."""
    assert proof["leaf_hash"] == hashlib.sha256(b"\x00" + bytes.fromhex(proof["event_hash"])).hexdigest()
    return verify_inclusion(
        proof["leaf_index"],
        proof["tree_size"],
        bytes.fromhex(proof["leaf_hash"]),
        [bytes.fromhex(p) for p in proof["proof"]],
        bytes.fromhex(proof["root_hash"]),
    )


async def redact(client: Client, position: int, headers: dict[str, str], body: Json = REASON) -> Any:
    return await client.post(f"/events/{position}/redaction", json=body, headers=headers)


async def cli(database_url: str, *arguments: str) -> Any:
    """`archive ARGUMENTS` on the database, in a thread of its own (the command runs its own event loop)."""
    env = {"DATABASE_URL": database_url, "ARCHIVE_LOG_FORMAT": "json"}
    return await asyncio.to_thread(CliRunner().invoke, main, list(arguments), env=env)


async def test_after_a_redaction_the_chain_the_tree_every_proof_and_archive_verify_pass(
    seeded_client: Client,
    seeded_engine: AsyncEngine,
    seeded_database_url: str,
    headers: dict[str, dict[str, str]],
    admin: dict[str, str],
) -> None:
    fact, history = await corrected_fact(seeded_client, headers["archivist"])
    recorded_at = history[0]["position"]
    before = await whole_log(seeded_client, headers["auditor"])
    size = len(before)
    original = next(e for e in before if e["position"] == recorded_at)["data"]
    kept = {e["position"]: await inclusion(seeded_client, e["position"], size) for e in history}
    kept_root = kept[recorded_at]["root_hash"]

    response = await redact(seeded_client, recorded_at, admin)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["position"] == recorded_at
    assert body["stream_id"] == f"fact:{fact['id']}"
    assert body["event_type"] == "fact.recorded"
    assert body["content_sha256"] == content_sha256(original)
    assert (body["reason_code"], body["justification"], body["actor"]) == (
        "privacy",
        REASON["justification"],
        ADMIN,
    )
    assert body["redaction_position"] == size + 1
    after = await whole_log(seeded_client, headers["auditor"])
    assert len(after) == size + 1
    # Every hash is the one it was: the same tree of `size` leaves, the same proofs.
    assert [e["hash"] for e in after[:size]] == [e["hash"] for e in before]
    for position, proof in kept.items():
        again = await inclusion(seeded_client, position, size)
        assert again == proof
        assert proves(again)
        assert proves(await inclusion(seeded_client, position))
    assert proves(await inclusion(seeded_client, size + 1))
    consistency = (await seeded_client.get("/log/proofs/consistency", params={"from": size})).json()
    assert consistency["from_root"] == kept_root
    assert verify_consistency(
        size,
        size + 1,
        bytes.fromhex(kept_root),
        bytes.fromhex(consistency["to_root"]),
        [bytes.fromhex(p) for p in consistency["proof"]],
    )
    # The chain, recomputed from the pages: the redacted event's stored hash is taken, its links checked.
    prev = "0" * 64
    for item in after:
        assert item["prev_hash"] == prev
        if item["position"] != recorded_at:
            hashed = item["hashed"]
            data = hashed.get("data") or item["data"]
            assert chain_hash(prev, _canonical(item, data)) == item["hash"]
        prev = item["hash"]
    # Whoever holds the original payload can still check it against the stored hash.
    store = wire(seeded_engine).store
    async with seeded_engine.connect() as conn:
        stored = await store.read_position(conn, recorded_at)
    assert stored is not None
    assert stored.data == {"redacted_sha256": content_sha256(original)}
    assert original_matches(stored, original)
    assert not original_matches(stored, {**original, "value": "something else"})
    report = await store.verify()
    assert (report.ok, report.events_checked) == (True, size + 1), report
    verified = await cli(seeded_database_url, "verify")
    assert verified.exit_code == 0, verified.output
    assert "every read model equals a rebuild" in verified.output


def _canonical(item: Json, data: Json) -> bytes:
    hashed = item["hashed"]
    return canonical_bytes(
        stream_id=item["stream_id"],
        stream_version=item["version"],
        event_type=item["event_type"],
        schema_version=hashed["schema_version"],
        data=data,
        metadata=hashed["metadata"],
        recorded_at=_parse(hashed["recorded_at"]),
    )


def _parse(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_the_reads_show_the_fact_as_redacted_and_a_rebuild_agrees(
    seeded_client: Client,
    seeded_engine: AsyncEngine,
    headers: dict[str, dict[str, str]],
    admin: dict[str, str],
) -> None:
    fact, history = await corrected_fact(seeded_client, headers["archivist"])
    corrected_at = history[-1]["position"]
    assert history[-1]["event_type"] == "fact.corrected"
    searched = {"subject": "kazakhstan", "predicate": "member_of", "rank": "all"}
    others = [f["id"] for f in (await seeded_client.get("/facts", params=searched)).json()["items"]]
    assert fact["id"] in others
    start = (await seeded_client.get("/facts/" + fact["id"])).json()["recorded_at"]

    # The correction is redacted, not the recording: the fact's current values are no longer known.
    response = await redact(seeded_client, corrected_at, admin, {**REASON, "reason_code": "legal_order"})
    assert response.status_code == 201, response.text
    redaction_at = response.json()["redaction_position"]

    gone = await seeded_client.get(f"/facts/{fact['id']}")
    assert gone.status_code == 410, gone.text
    detail = gone.json()["detail"]
    assert f"position {corrected_at}" in detail
    assert "legal_order" in detail
    assert (await seeded_client.get(f"/facts/{fact['id']}", params={"as_of": start})).status_code == 410
    listed = [f["id"] for f in (await seeded_client.get("/facts", params=searched)).json()["items"]]
    assert listed == [f for f in others if f != fact["id"]]

    events = (await seeded_client.get(f"/facts/{fact['id']}/history")).json()["events"]
    assert [(e["event_type"], e["position"]) for e in events] == [
        *((e["event_type"], e["position"]) for e in history),
        ("log.redacted", redaction_at),
    ]
    # What the events before the redacted one changed is still folded; the redacted one shows its marker.
    assert [e["changes"] for e in events[:-2]] == [e["changes"] for e in history[:-1]]
    assert all(e["redacted_by"] is None for e in events[:-2])
    redacted, redaction = events[-2:]
    assert redacted["data"] == {"redacted_sha256": response.json()["content_sha256"]}
    assert (redacted["changes"], redacted["redacted_by"]) == ([], redaction_at)
    assert redaction["data"]["position"] == corrected_at
    assert redaction["actor"] == ADMIN

    log = await whole_log(seeded_client, headers["auditor"])
    assert log[-1]["event_type"] == "log.redacted"
    assert log[-1]["stream_id"] == f"fact:{fact['id']}"
    assert next(e for e in log if e["position"] == corrected_at)["data"] == redacted["data"]

    seeded_client.cookies.set(TOKEN_COOKIE, headers["auditor"]["Authorization"].removeprefix("Bearer "))
    page = await seeded_client.get(
        "/ui/audit/", params={"after": corrected_at - 1, "from": start, "to": log[-1]["recorded_at"]}
    )
    assert page.status_code == 200, page.text
    assert "The chain is intact" in page.text
    assert "log.redacted" in page.text
    assert "redacted_sha256" in page.text

    wired = wire(seeded_engine)
    assert await compare_with_rebuild(wired.store, wired.commands.projector) == []
    await rebuild(wired.store, wired.commands.projector)
    assert (await seeded_client.get(f"/facts/{fact['id']}")).status_code == 410
    rebuilt = [f["id"] for f in (await seeded_client.get("/facts", params=searched)).json()["items"]]
    assert rebuilt == listed


async def test_refusals_are_named_and_append_nothing(
    seeded_client: Client,
    seeded_engine: AsyncEngine,
    headers: dict[str, dict[str, str]],
    admin: dict[str, str],
) -> None:
    fact = await membership_1992(seeded_client)
    history = (await seeded_client.get(f"/facts/{fact['id']}/history")).json()["events"]
    position = history[0]["position"]
    log = await whole_log(seeded_client, headers["auditor"])
    source_event = next(e for e in log if e["event_type"] == "source.registered")["position"]
    size = len(log)

    cases: list[tuple[int, dict[str, str], Json, int, str | None]] = [
        (position, headers["archivist"], REASON, 403, None),
        (position, headers["auditor"], REASON, 403, None),
        (position, {}, REASON, 401, None),
        (position, admin, {"justification": "x"}, 400, "reason_code"),
        (position, admin, {"reason_code": "privacy"}, 400, "justification"),
        (position, admin, {**REASON, "reason_code": "transcription_error"}, 400, "reason_code"),
        (position, admin, {**REASON, "justification": "   "}, 422, "justification"),
        (position, admin, {**REASON, "extra": 1}, 400, "extra"),
        (size + 1000, admin, REASON, 404, "position"),
        (2**64, admin, REASON, 400, "position"),
        (source_event, admin, REASON, 422, "position"),
    ]
    for at, who, body, status, field in cases:
        response = await redact(seeded_client, at, who, body)
        assert response.status_code == status, (at, body, response.text)
        if field is not None:
            assert response.json().get("parameter") == field, response.text
        assert await log_size(seeded_client, headers["auditor"]) == size
    assert (await seeded_client.get(f"/facts/{fact['id']}")).status_code == 200

    done = await redact(seeded_client, position, admin)
    assert done.status_code == 201, done.text
    again = await redact(seeded_client, position, admin)
    assert again.status_code == 409, again.text
    assert again.json()["parameter"] == "position"
    assert "already redacted" in again.json()["detail"]
    # The redaction itself is never redacted: it is what makes the marker legitimate.
    itself = await redact(seeded_client, done.json()["redaction_position"], admin)
    assert itself.status_code == 422, itself.text
    assert await log_size(seeded_client, headers["auditor"]) == size + 1
    assert (await wire(seeded_engine).store.verify()).ok


async def test_two_admins_redacting_one_event_at_once_one_wins_one_gets_409(
    seeded_client: Client, headers: dict[str, dict[str, str]], admin: dict[str, str]
) -> None:
    fact = await membership_1992(seeded_client)
    position = (await seeded_client.get(f"/facts/{fact['id']}/history")).json()["events"][0]["position"]
    size = await log_size(seeded_client, headers["auditor"])
    responses = await asyncio.gather(*(redact(seeded_client, position, admin) for _ in range(2)))
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    log = await whole_log(seeded_client, headers["auditor"])
    assert len(log) == size + 1
    assert [e["event_type"] for e in log[size:]] == ["log.redacted"]


async def test_verify_refuses_a_marker_that_no_redaction_event_records(
    seeded_client: Client, seeded_engine: AsyncEngine
) -> None:
    store = wire(seeded_engine).store
    fact = await membership_1992(seeded_client)
    position = (await seeded_client.get(f"/facts/{fact['id']}/history")).json()["events"][0]["position"]
    # A marker the trigger accepts, set without the redaction event (as a DBA could): verify names it.
    async with store.transaction() as conn:
        await store.redact_in(conn, position)
    report = await store.verify()
    assert (report.ok, report.first_bad_position) == (False, position), report
    assert "no redaction event records" in (report.problem or "")


async def test_a_redacted_event_still_links_to_its_neighbours(
    seeded_client: Client, seeded_engine: AsyncEngine, admin: dict[str, str]
) -> None:
    store = wire(seeded_engine).store
    fact = await membership_1992(seeded_client)
    position = (await seeded_client.get(f"/facts/{fact['id']}/history")).json()["events"][0]["position"]
    assert (await redact(seeded_client, position, admin)).status_code == 201
    assert (await store.verify()).ok
    # Its stored hash is taken as it is, but the next event's link must still match it ...
    await as_a_dba(
        seeded_engine, update(events_table).where(events_table.c.position == position).values(hash="f" * 64)
    )
    report = await store.verify()
    assert (report.ok, report.first_bad_position) == (False, position + 1), report
    # ... and its own link to the event before it.
    await as_a_dba(
        seeded_engine,
        update(events_table).where(events_table.c.position == position).values(prev_hash="e" * 64),
    )
    report = await store.verify()
    assert (report.ok, report.first_bad_position) == (False, position), report


async def test_archive_redact_redacts_once_and_names_what_it_refuses(
    seeded_client: Client, seeded_database_url: str, headers: dict[str, dict[str, str]]
) -> None:
    fact = await membership_1992(seeded_client)
    position = (await seeded_client.get(f"/facts/{fact['id']}/history")).json()["events"][0]["position"]
    command = ["redact", str(position), "--reason-code", "legal_order", "--reason", "court order 2026/41"]

    done = await cli(seeded_database_url, *command)

    assert done.exit_code == 0, done.output
    assert f"redacted position {position} (fact.recorded of fact:{fact['id']})" in done.output
    redaction = (await whole_log(seeded_client, headers["auditor"]))[-1]
    assert redaction["event_type"] == "log.redacted"
    assert redaction["data"]["justification"] == "court order 2026/41"
    assert redaction["actor"].startswith("cli:")
    again = await cli(seeded_database_url, *command)
    assert again.exit_code == 1
    assert "position: the payload of the event at position" in again.output
    unknown = await cli(seeded_database_url, *command[:2], "--reason-code", "correction", "--reason", "x")
    assert unknown.exit_code == 2
    assert "--reason-code" in unknown.output
    assert (await seeded_client.get(f"/facts/{fact['id']}")).status_code == 410
    verified = await cli(seeded_database_url, "verify")
    assert verified.exit_code == 0, verified.output


async def test_a_finding_naming_a_redacted_fact_goes_with_it(
    seeded_client: Client,
    seeded_engine: AsyncEngine,
    headers: dict[str, dict[str, str]],
    admin: dict[str, str],
) -> None:
    overlap = {"entity": HCNM, "kind": "overlapping_holders"}
    response = await seeded_client.post(
        "/facts", json=high_commissioner("knut-vollebaek", valid_from="2022-03"), headers=headers["archivist"]
    )
    assert response.status_code == 201, response.text
    recorded = response.json()
    wired = wire(seeded_engine)
    # A replay computes every finding, whichever path the write took.
    await rebuild(wired.store, wired.commands.projector)
    assert [f["kind"] for f in (await findings(seeded_client, fact=recorded["id"]))["items"]] == [
        "overlapping_holders"
    ]
    position = (await seeded_client.get(f"/facts/{recorded['id']}/history")).json()["events"][0]["position"]

    assert (await redact(seeded_client, position, admin)).status_code == 201

    assert (await findings(seeded_client, fact=recorded["id"]))["items"] == []
    assert (await findings(seeded_client, **overlap))["items"] == []
    assert await compare_with_rebuild(wired.store, wired.commands.projector) == []


async def test_a_command_decided_before_a_redaction_is_refused_at_its_append_and_not_written(
    seeded_client: Client, seeded_archive: Archive, admin: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fact commands decide outside the append lock: a rerank decided on the fact, then a redaction, then
    the rerank's append. The redaction moved the fact's stream, so the append is refused; decided again,
    the fact is gone (404), and nothing brings it back into the read models."""
    fact = await membership_1992(seeded_client)
    position = (await seeded_client.get(f"/facts/{fact['id']}/history")).json()["events"][0]["position"]
    store = seeded_archive.store

    async def redaction() -> None:
        await seeded_archive.redact_event(
            position=position, reason_code="privacy", justification="asked", meta=CommandMeta(actor="adm")
        )

    attempts = writer_before_each_append(store, monkeypatch, redaction)
    with pytest.raises(FactNotFound):
        await seeded_archive.rerank_fact(
            fact_id=fact["id"],
            expected_version=fact["version"],
            rank="deprecated",
            reason_code="other",
            justification="decided before the redaction",
            meta=CommandMeta(actor="archivist"),
        )
    assert attempts == [1]
    assert [e.event_type for e in await store.read_stream(f"fact:{fact['id']}")][-1] == "log.redacted"
    assert (await seeded_client.get(f"/facts/{fact['id']}")).status_code == 410
    assert await compare_with_rebuild(store, seeded_archive.projector) == []


async def test_what_a_redacted_fact_related_and_fulfilled_is_found_again_as_a_rebuild_finds_it(
    seeded_client: Client,
    seeded_archive: Archive,
    headers: dict[str, dict[str, str]],
    admin: dict[str, str],
) -> None:
    """An entity whose only fact is redacted is an entity without facts again; a plan whose fulfilling
    fact is redacted has passed again. The withdrawn rows cannot name them any more: the redaction
    computes their findings again from what the fact related and linked to before it went."""
    h = headers["archivist"]
    entity = {"entity_id": "test-holder", "kind": "person", "label": "Test Holder"}
    assert (await seeded_client.post("/entities", json=entity, headers=h)).status_code == 201
    held = await seeded_client.post(
        "/facts", json=high_commissioner("test-holder", valid_from="2022-03"), headers=h
    )
    assert held.status_code == 201, held.text
    plan = (await seeded_client.get("/facts", params=PLAN)).json()["items"][0]
    done = await seeded_client.post("/facts", json=CHAIRED, headers=h)
    assert done.status_code == 201, done.text
    linked = await seeded_client.post(
        f"/facts/{done.json()['id']}/links",
        json={"relation": "fulfils", "target_fact_id": plan["id"], "expected_version": 1},
        headers=h,
    )
    assert linked.status_code == 200, linked.text
    assert not await listed(seeded_client, "entity_without_facts", "test-holder")
    assert not await listed(seeded_client, "plan_passed", plan["id"])

    for fact_id in (held.json()["id"], done.json()["id"]):
        events = (await seeded_client.get(f"/facts/{fact_id}/history")).json()["events"]
        assert (await redact(seeded_client, events[0]["position"], admin)).status_code == 201

    assert await listed(seeded_client, "entity_without_facts", "test-holder")
    assert await listed(seeded_client, "plan_passed", plan["id"])
    assert await compare_with_rebuild(seeded_archive.store, seeded_archive.projector) == []


#: The seeded plan: Kazakhstan to chair the advisory committee from October 2009; and a fact fulfilling it.
PLAN = {
    "subject": "kazakhstan",
    "object": "advisory-committee-on-management-and-finance",
    "modality": "planned",
}
CHAIRED = {
    "subject": "kazakhstan",
    "predicate": "chaired",
    "object": "advisory-committee-on-management-and-finance",
    "valid_from": "2009-10",
    "citations": [
        citation(65, "In October 2009, Kazakhstan will assume chairmanship", "chairmanship-preparation", 66)
    ],
    "reason": "test: the chairmanship happened",
}


async def listed(client: Client, kind: str, about: str) -> bool:
    """Whether a finding of `kind` names the fact or entity `about`."""
    page = await findings(client, kind=kind)
    return any(about in {x["id"] for x in [*f["facts"], *f["entities"]]} for f in page["items"])


async def test_redactions_across_the_seeded_log_leave_the_read_models_equal_to_a_rebuild(
    seeded_archive: Archive,
) -> None:
    """A spread of the seeded fact events (each type, and every third recording) redacted one after the
    other: whatever each fact related, linked to or held, the read models (findings too) stay what a
    replay of the log makes of it, and the chain verifies."""
    store = seeded_archive.store
    events = [e for e in await store.read_all(limit=100_000) if e.stream_id.startswith("fact:")]
    by_type: dict[str, list[int]] = {}
    for e in events:
        by_type.setdefault(e.event_type, []).append(e.position)
    assert {"fact.recorded", "fact.cited", "fact.linked"} <= by_type.keys()
    chosen = {positions[len(positions) // 2] for positions in by_type.values()}
    chosen |= set(by_type["fact.recorded"][::3])
    for position in sorted(chosen):
        await seeded_archive.redact_event(
            position=position, reason_code="privacy", justification="spread", meta=CommandMeta(actor="adm")
        )
    assert await compare_with_rebuild(store, seeded_archive.projector) == []
    report = await store.verify()
    assert report.ok, report
