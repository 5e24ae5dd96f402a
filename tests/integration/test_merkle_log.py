"""The log as an RFC 9162 Merkle tree over HTTP, on every backend: inclusion and consistency proofs that
check out with the archive's verifiers and with an independent re-implementation here (hashlib only),
signed checkpoints that verify with `cryptography` from the published key, and a kept checkpoint that
exposes a tail rewritten with recomputed hashes, or truncated, which the hash chain alone lets pass."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from archive.bootstrap import wire
from archive.cli import main
from archive.eventstore import events_table
from archive.eventstore.checkpoint import generate_signer, open_note, parse_checkpoint, parse_verifier_key
from archive.eventstore.hashing import canonical_row, chain_hash
from archive.eventstore.merkle import verify_consistency, verify_inclusion
from archive.settings import Settings
from archive.storage.engine import create_engine
from tests.integration.test_log_is_readable import whole_log
from tests.integration.test_writes import evidence, membership_1992
from tests.reliability.test_tampering import bypass_trigger

Client = AsyncTestClient[Litestar]
ORIGIN = "archive.test/log"

# -- an independent RFC 9162 re-implementation: the recursive definitions, from the whole log ----------


def ref_leaf(event_hash: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(event_hash)).digest()


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_root(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = _split(len(d))
    return hashlib.sha256(b"\x01" + ref_root(d[:k]) + ref_root(d[k:])).digest()


def ref_root_from_path(index: int, leaf: bytes, path: list[bytes], size: int) -> bytes:
    """Walk the recursive definition top-down to know which side each sibling is on, then hash leaf-up."""
    sides = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index - start < k:
            sides.append("right")  # the sibling is the right half
            end = start + k
        else:
            sides.append("left")
            start += k
    assert len(sides) == len(path)
    node = leaf
    for side, sibling in zip(reversed(sides), path, strict=True):
        pair = node + sibling if side == "right" else sibling + node
        node = hashlib.sha256(b"\x01" + pair).digest()
    return node


def ref_subproof(m: int, d: list[bytes], whole: bool) -> list[bytes]:
    if m == len(d):
        return [] if whole else [ref_root(d)]
    k = _split(len(d))
    if m <= k:
        return [*ref_subproof(m, d[:k], whole), ref_root(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_root(d[:k])]


# -- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "log-signing.key"
    path.write_text(generate_signer(ORIGIN).signer_key() + "\n", encoding="ascii")
    return path


@pytest.fixture
async def log_client(seeded_database_url: str, key_file: Path) -> AsyncIterator[Client]:
    """A client on the seeded corpus, the app holding a checkpoint-signing key."""
    settings = Settings(
        database_url=seeded_database_url,
        log_format="json",
        log_level="WARNING",
        log_signing_key=str(key_file),
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


async def ok(client: Client, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def leaves_from_events(client: Client, headers: dict[str, str]) -> list[bytes]:
    return [ref_leaf(item["hash"]) for item in await whole_log(client, headers)]


async def kept_checkpoint(client: Client) -> tuple[int, bytes]:
    """A checkpoint fetched and opened with the published key, as an auditor keeps it."""
    verifier = parse_verifier_key((await ok(client, "/.well-known/log-key"))["verifier_key"])
    kept = parse_checkpoint(open_note((await ok(client, "/log/checkpoint"))["note"], verifier))
    return kept.tree_size, kept.root_hash


async def append_until(client: Client, archivist: dict[str, str], size: int) -> int:
    """Correct the seeded fact back and forth until the log holds more than `size` events."""
    fact = await membership_1992(client)
    for valid_from in ("1992", "1992-01", "1992") * 3:
        current = (await client.get(f"/facts/{fact['id']}")).json()
        response = await client.post(
            f"/facts/{fact['id']}/corrections",
            json={
                "expected_version": current["version"],
                "changes": {"valid_from": valid_from},
                "reason_code": "precision_refinement",
                "justification": "the precision the other line gives",
                "citations": evidence(fact),
            },
            headers=archivist,
        )
        assert response.status_code == 200, response.text
        now = (await ok(client, "/log/checkpoint"))["tree_size"]
        if now > size:
            return int(now)
    raise AssertionError("the log did not grow")


async def rewrite_tail(engine: AsyncEngine, count: int) -> None:
    """Change the newest `count` events' data and recompute their hashes, as a DBA could: the chain
    stays whole."""
    e = events_table.c
    async with engine.begin() as conn:
        await bypass_trigger(conn)
        rows = (await conn.execute(select(events_table).order_by(e.position.desc()).limit(count + 1))).all()
        rows.reverse()
        prev = rows[0].hash
        for row in rows[1:]:
            data = {**row.data, "rewritten": True}
            stored = {**row._mapping, "data": data, "event_metadata": row.event_metadata}
            new_hash = chain_hash(prev, canonical_row(stored, row.recorded_at))
            statement = update(events_table).where(e.position == row.position)
            await conn.execute(statement.values(data=data, prev_hash=prev, hash=new_hash))
            prev = new_hash


# -- proofs --------------------------------------------------------------------------------------------


async def test_inclusion_proofs_verify_with_both_implementations_against_the_signed_root(
    log_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    leaves = await leaves_from_events(log_client, headers["auditor"])
    events = await whole_log(log_client, headers["auditor"])
    size, kept_root = await kept_checkpoint(log_client)
    assert size == len(leaves) >= 390
    assert kept_root == ref_root(leaves)
    for index, tree_size in [
        (0, 1),
        (0, size),
        (1, 2),
        (6, 7),
        (size // 2, size),
        (size - 1, size),
        (5, 300),
    ]:
        position = events[index]["position"]
        body = await ok(log_client, "/log/proofs/inclusion", position=position, tree_size=tree_size)
        proof = [bytes.fromhex(p) for p in body["proof"]]
        expected_root = ref_root(leaves[:tree_size])
        assert (body["leaf_index"], body["tree_size"], body["event_hash"]) == (
            index,
            tree_size,
            events[index]["hash"],
        )
        assert bytes.fromhex(body["root_hash"]) == expected_root
        assert verify_inclusion(index, tree_size, leaves[index], proof, expected_root)
        assert ref_root_from_path(index, leaves[index], proof, tree_size) == expected_root
        wrong = leaves[index - 1] if index else leaves[1]
        assert not verify_inclusion(index, tree_size, wrong, proof, expected_root)
    whole = await ok(log_client, "/log/proofs/inclusion", position=events[3]["position"])
    assert whole["tree_size"] == size


async def test_consistency_proofs_verify_with_both_implementations(
    log_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    leaves = await leaves_from_events(log_client, headers["auditor"])
    size = len(leaves)
    for first, second in [(1, 2), (3, 7), (8, size), (size - 1, size), (size, size), (100, 300)]:
        body = await ok(log_client, "/log/proofs/consistency", **{"from": first, "to": second})
        proof = [bytes.fromhex(p) for p in body["proof"]]
        r1, r2 = ref_root(leaves[:first]), ref_root(leaves[:second])
        assert (bytes.fromhex(body["from_root"]), bytes.fromhex(body["to_root"])) == (r1, r2)
        assert proof == ([] if first == second else ref_subproof(first, leaves[:second], True))
        assert verify_consistency(first, second, r1, r2, proof)
    latest = await ok(log_client, "/log/proofs/consistency", **{"from": 5})
    assert latest["to_size"] == size


async def test_a_kept_checkpoint_is_consistent_with_the_log_after_honest_appends(
    log_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    size, kept_root = await kept_checkpoint(log_client)
    grown = await append_until(log_client, headers["archivist"], size)
    body = await ok(log_client, "/log/proofs/consistency", **{"from": size, "to": grown})
    new_size, new_root = await kept_checkpoint(log_client)
    assert new_size == grown
    proof = [bytes.fromhex(p) for p in body["proof"]]
    assert verify_consistency(size, grown, kept_root, new_root, proof)


async def test_a_rewritten_tail_fails_the_consistency_proof_from_a_kept_checkpoint(
    log_client: Client, seeded_engine: AsyncEngine, headers: dict[str, dict[str, str]]
) -> None:
    size, kept_root = await kept_checkpoint(log_client)
    await rewrite_tail(seeded_engine, 3)
    assert (await wire(seeded_engine).store.verify()).ok  # the chain alone does not see it
    grown = await append_until(log_client, headers["archivist"], size)
    new_size, new_root = await kept_checkpoint(log_client)
    body = await ok(log_client, "/log/proofs/consistency", **{"from": size, "to": new_size})
    proof = [bytes.fromhex(p) for p in body["proof"]]
    assert new_size == grown
    assert bytes.fromhex(body["from_root"]) != kept_root
    assert not verify_consistency(size, new_size, kept_root, new_root, proof)
    # The server's own answer is self-consistent: it is the kept root that exposes it.
    assert verify_consistency(size, new_size, bytes.fromhex(body["from_root"]), new_root, proof)


async def test_a_truncated_tail_fails_the_consistency_proof_from_a_kept_checkpoint(
    log_client: Client, seeded_engine: AsyncEngine, headers: dict[str, dict[str, str]]
) -> None:
    size, kept_root = await kept_checkpoint(log_client)
    async with seeded_engine.begin() as conn:
        await bypass_trigger(conn)
        newest = select(events_table.c.position).order_by(events_table.c.position.desc()).limit(2)
        positions = [p for (p,) in await conn.execute(newest)]
        await conn.execute(delete(events_table).where(events_table.c.position.in_(positions)))
    assert (await wire(seeded_engine).store.verify()).ok  # the chain alone does not see it
    short = await log_client.get("/log/proofs/consistency", params={"from": size})
    assert short.status_code == 400, short.text
    assert short.json()["parameter"] == "from"
    grown = await append_until(log_client, headers["archivist"], size)
    new_size, new_root = await kept_checkpoint(log_client)
    body = await ok(log_client, "/log/proofs/consistency", **{"from": size, "to": grown})
    proof = [bytes.fromhex(p) for p in body["proof"]]
    assert new_size == grown
    assert not verify_consistency(size, new_size, kept_root, new_root, proof)


# -- checkpoints and the key ---------------------------------------------------------------------------


async def test_the_checkpoint_signature_verifies_with_cryptography_from_the_published_key(
    log_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    key = await ok(log_client, "/.well-known/log-key")
    checkpoint = await ok(log_client, "/log/checkpoint")
    leaves = await leaves_from_events(log_client, headers["auditor"])
    raw_key = base64.b64decode(key["public_key"])
    name, key_id, encoded = key["verifier_key"].split("+", 2)
    assert (name, key["origin"], checkpoint["origin"]) == (ORIGIN, ORIGIN, ORIGIN)
    assert base64.b64decode(encoded) == b"\x01" + raw_key
    assert key_id == key["key_id"] == hashlib.sha256(ORIGIN.encode() + b"\n\x01" + raw_key).digest()[:4].hex()
    text, _, signature_line = checkpoint["note"].partition("\n\n")
    assert text.split("\n") == [ORIGIN, str(len(leaves)), base64.b64encode(ref_root(leaves)).decode()]
    assert checkpoint["root_hash"] == ref_root(leaves).hex()
    assert checkpoint["tree_size"] == len(leaves)
    dash, signer, blob = signature_line.rstrip("\n").split(" ")
    assert (dash, signer) == ("\u2014", ORIGIN)
    signed = base64.b64decode(blob)
    assert signed[:4].hex() == key_id
    public = Ed25519PublicKey.from_public_bytes(raw_key)
    public.verify(signed[4:], (text + "\n").encode())  # raises InvalidSignature if it does not verify
    forged = text.replace(str(len(leaves)), str(len(leaves) + 1)) + "\n"
    with pytest.raises(InvalidSignature):
        public.verify(signed[4:], forged.encode())


async def test_without_a_key_the_checkpoint_is_a_404_saying_how_to_configure_one(
    seeded_client: Client,
) -> None:
    for path in ("/log/checkpoint", "/.well-known/log-key"):
        response = await seeded_client.get(path)
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        detail = response.json()["detail"]
        assert "ARCHIVE_LOG_SIGNING_KEY" in detail
        assert "archive keys generate" in detail
    # Proofs need no key.
    assert (await seeded_client.get("/log/proofs/inclusion", params={"position": 1})).status_code == 200


async def test_an_unreadable_key_is_a_503_naming_the_setting(
    seeded_database_url: str, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("not a key\n", encoding="ascii")
    settings = Settings(database_url=seeded_database_url, log_format="json", log_signing_key=str(bad))
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.get("/log/checkpoint")
    assert response.status_code == 503, response.text
    assert response.json()["detail"].startswith("ARCHIVE_LOG_SIGNING_KEY: not a signed-note signer key")


# -- bad parameters ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/log/proofs/inclusion", {"position": 0}, "position"),
        ("/log/proofs/inclusion", {"position": 5, "tree_size": 0}, "tree_size"),
        ("/log/proofs/inclusion", {"position": 5, "tree_size": 4}, "position"),
        ("/log/proofs/inclusion", {"position": 10**6}, "position"),
        ("/log/proofs/inclusion", {"position": 1, "tree_size": 10**6}, "tree_size"),
        ("/log/proofs/inclusion", {"position": "x"}, "position"),
        ("/log/proofs/consistency", {"from": 0}, "from"),
        ("/log/proofs/consistency", {"from": 10**6}, "from"),
        ("/log/proofs/consistency", {"from": 1, "to": 10**6}, "to"),
        ("/log/proofs/consistency", {"from": 9, "to": 8}, "from"),
        ("/log/proofs/consistency", {"from": 1, "to": 0}, "to"),
    ],
)
async def test_bad_proof_parameters_are_400_naming_the_parameter(
    seeded_client: Client, path: str, params: dict[str, Any], parameter: str
) -> None:
    response = await seeded_client.get(path, params=params)
    assert response.status_code == 400, response.text
    assert response.json()["parameter"] == parameter, response.text


async def test_a_missing_position_is_400_naming_it(seeded_client: Client) -> None:
    response = await seeded_client.get("/log/proofs/inclusion")
    assert response.status_code == 400, response.text
    assert "'position'" in response.json()["detail"]


# -- the CLI -------------------------------------------------------------------------------------------


async def log_size(database_url: str) -> int:
    """How many events the log at `database_url` holds (the seeded corpus' count changes with the seeds and
    with what seeding proposes from their texts)."""
    engine = create_engine(database_url)
    try:
        return await wire(engine).store.count()
    finally:
        await engine.dispose()


def test_keys_generate_writes_a_private_key_once_and_checkpoint_prints_a_note_it_signs(
    seeded_database_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "var" / "log.key"
    env = {
        "DATABASE_URL": seeded_database_url,
        "ARCHIVE_LOG_FORMAT": "json",
        "ARCHIVE_LOG_SIGNING_KEY": str(out),
    }
    generated = CliRunner().invoke(main, ["keys", "generate", "--origin", ORIGIN, "--out", str(out)], env=env)
    assert generated.exit_code == 0, generated.output
    assert out.stat().st_mode & 0o777 == 0o600
    verifier = parse_verifier_key(generated.stdout.strip())
    again = CliRunner().invoke(main, ["keys", "generate", "--origin", ORIGIN, "--out", str(out)], env=env)
    assert again.exit_code == 2
    assert "exists" in again.output
    printed = CliRunner().invoke(main, ["checkpoint"], env=env)
    assert printed.exit_code == 0, printed.output
    kept = parse_checkpoint(open_note(printed.stdout, verifier))
    assert (kept.origin, kept.tree_size) == (ORIGIN, asyncio.run(log_size(seeded_database_url)))
    unset = CliRunner().invoke(main, ["checkpoint"], env={**env, "ARCHIVE_LOG_SIGNING_KEY": ""})
    assert unset.exit_code == 2
    assert "ARCHIVE_LOG_SIGNING_KEY is not set" in unset.output
