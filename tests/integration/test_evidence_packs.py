"""Evidence packs, on every backend: a real pack from GET /facts/{id}/evidence verifies offline (in process,
with `archive verify-evidence`, and as the standalone script under `python -I`); one byte changed in any part
of it, or in a source file, fails it naming that part; a kept checkpoint is held to the pack's tree."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient

import archive.audit.verify_evidence as verifier_module
from api.app import create_app
from archive.audit.verify_evidence import verify_pack
from archive.cli import main
from archive.eventstore.checkpoint import checkpoint_text, generate_signer, load_signer
from archive.settings import Settings
from tests.integration.test_writes import evidence, membership_1992

Client = AsyncTestClient[Litestar]
Json = dict[str, Any]
ORIGIN = "archive.test/log"
DOCUMENTS = Path(__file__).resolve().parents[2] / "seeds" / "documents"
SCRIPT = Path(verifier_module.__file__)


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


async def corrected_fact(client: Client, headers: dict[str, dict[str, str]]) -> Json:
    """The seeded membership fact, corrected once: two events, a changed field, the evidence cited again."""
    fact = await membership_1992(client)
    corrected = await client.post(
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
    body: Json = corrected.json()
    return body


async def pack_of(client: Client, fact_id: str, **params: str) -> Json:
    response = await client.get(f"/facts/{fact_id}/evidence", params=params)
    assert response.status_code == 200, response.text
    pack: Json = response.json()
    return pack


def source_files(pack: Json) -> dict[str, bytes]:
    """The seed documents the pack cites, by file name."""
    wanted = {s["source_id"] for s in pack["sources"]}
    return {str(DOCUMENTS / f"{sid}.txt"): (DOCUMENTS / f"{sid}.txt").read_bytes() for sid in wanted}


def flip(text: str, at: int | None = None) -> str:
    """`text` with one character changed (in the middle by default): a hex digit to another, a letter to
    another letter, anything else to 'x'."""
    i = len(text) // 2 if at is None else at
    c = text[i]
    if c in "0123456789abcdef":
        new = "0123456789abcdef"[("0123456789abcdef".index(c) + 1) % 16]
    elif c.isalpha():
        new = "b" if c != "b" else "c"
    else:
        new = "x"
    return text[:i] + new + text[i + 1 :]


def _signature_flipped(pack: Json) -> None:
    note: str = pack["checkpoint"]["note"]
    # A character well inside the base64 signature (the last ones may only be padding bits).
    at = note.rindex(" ") + 20
    pack["checkpoint"]["note"] = note[:at] + ("A" if note[at] != "A" else "B") + note[at + 1 :]


#: Each part of a pack, one byte changed in it, and the part the verifier must name ({last}: the index
#: of the pack's last event, the correction).
TAMPERINGS: dict[str, tuple[Callable[[Json], None], str]] = {
    "fact value": (
        lambda p: p["fact"].update(valid_from=flip(p["fact"]["valid_from"], 3)),
        "fact.valid_from",
    ),
    "fact quote": (
        lambda p: p["fact"]["citations"][0].update(quote=flip(p["fact"]["citations"][0]["quote"])),
        "fact.citations[0].quote",
    ),
    "source quote": (
        lambda p: p["sources"][0]["citations"][0].update(
            quote=flip(p["sources"][0]["citations"][0]["quote"])
        ),
        "sources[0].citations[0]",
    ),
    "cited line": (
        lambda p: p["sources"][0]["citations"][0]["lines"][0].update(
            text=flip(p["sources"][0]["citations"][0]["lines"][0]["text"])
        ),
        "sources[0].citations[0].lines",
    ),
    "event data": (
        lambda p: p["events"][-1]["data"].update(
            justification=flip(p["events"][-1]["data"]["justification"])
        ),
        "events[{last}]",
    ),
    "event metadata": (
        lambda p: p["events"][-1]["metadata"].update(actor=flip(p["events"][-1]["metadata"]["actor"])),
        "events[{last}]",
    ),
    "event hash": (lambda p: p["events"][0].update(hash=flip(p["events"][0]["hash"])), "events[0]"),
    "proof node": (
        lambda p: p["events"][0]["inclusion_proof"].__setitem__(
            0, flip(p["events"][0]["inclusion_proof"][0])
        ),
        "events[0].inclusion_proof",
    ),
    "checkpoint signature": (_signature_flipped, "checkpoint.note"),
    "checkpoint root beside the note": (
        lambda p: p["checkpoint"].update(root_hash=flip(p["checkpoint"]["root_hash"])),
        "checkpoint",
    ),
}


def failed_parts(report_lines: list[str]) -> list[str]:
    """The part each FAIL line names (what stands before its first ': ')."""
    return [line.removeprefix("FAIL ").split(": ", 1)[0] for line in report_lines if line.startswith("FAIL ")]


async def test_a_pack_verifies_offline_and_a_changed_byte_anywhere_fails_it_by_name(
    log_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    fact = await corrected_fact(log_client, headers)
    pack = await pack_of(log_client, fact["id"])
    key = (await log_client.get("/.well-known/log-key")).json()["verifier_key"]
    files = source_files(pack)

    assert pack["events"][0]["event_type"] == "fact.recorded"
    assert pack["events"][-1]["event_type"] == "fact.corrected"
    assert pack["fact"]["version"] == len(pack["events"]) == fact["version"]
    assert pack["fact"]["valid_from"] == "1992"
    assert pack["checkpoint"]["tree_size"] >= pack["events"][-1]["position"]
    report = verify_pack(pack, verifier_key=key, source_files=files)
    assert report.ok, report.lines()
    assert not report.notes, report.notes  # every cited source version was checked against its file

    for name, (tamper, part) in TAMPERINGS.items():
        changed = copy.deepcopy(pack)
        tamper(changed)
        assert changed != pack, name
        lines = verify_pack(changed, verifier_key=key, source_files=files).lines()
        assert part.format(last=len(pack["events"]) - 1) in failed_parts(lines), (name, lines)

    # A source file with one byte changed is not the version the fact cites.
    (path, content), *_ = files.items()
    changed_file = {path: content[:100] + bytes([content[100] ^ 1]) + content[101:]}
    lines = verify_pack(pack, verifier_key=key, source_files=changed_file).lines()
    assert f"source file {path}" in failed_parts(lines), lines

    # Another key than the log's: the signature does not verify.
    other = generate_signer(ORIGIN).verifier_key
    assert "checkpoint.note" in failed_parts(verify_pack(pack, verifier_key=other).lines())


async def test_the_standalone_script_under_python_isolated_and_the_cli_command(
    log_client: Client, headers: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    fact = await corrected_fact(log_client, headers)
    pack = await pack_of(log_client, fact["id"])
    (tmp_path / "log-key.json").write_text((await log_client.get("/.well-known/log-key")).text)
    files = [str(p) for p in source_files(pack)]

    def run(changed: Json) -> subprocess.CompletedProcess[str]:
        (tmp_path / "pack.json").write_text(json.dumps(changed))
        arguments = [str(tmp_path / "pack.json"), "--public-key", str(tmp_path / "log-key.json")]
        for file in files:
            arguments += ["--source", file]
        # -I: no PYTHONPATH, no current directory on the path: the script stands on its own.
        command = [sys.executable, "-I", str(SCRIPT), *arguments]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False)

    done = run(pack)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "VERIFIED"
    for name, (tamper, part) in TAMPERINGS.items():
        changed = copy.deepcopy(pack)
        tamper(changed)
        done = run(changed)
        assert done.returncode == 1, (name, done.stdout, done.stderr)
        assert part.format(last=len(pack["events"]) - 1) in failed_parts(done.stdout.splitlines()), name

    (tmp_path / "pack.json").write_text(json.dumps(pack))
    result = CliRunner().invoke(
        main, ["verify-evidence", str(tmp_path / "pack.json"), "--public-key", str(tmp_path / "log-key.json")]
    )
    assert result.exit_code == 0, result.output
    assert "VERIFIED" in result.output
    assert "the signature was checked with the key the pack carries" not in result.output
    (tmp_path / "pack.json").write_text(json.dumps(pack)[:-2])  # cut: no longer JSON
    result = CliRunner().invoke(main, ["verify-evidence", str(tmp_path / "pack.json")])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("FAIL input:")


async def test_a_pack_as_of_before_a_correction_is_that_version_and_verifies(
    log_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    before = await membership_1992(log_client)
    fact = await corrected_fact(log_client, headers)
    assert fact["version"] == before["version"] + 1
    pack = await pack_of(log_client, fact["id"], as_of=before["recorded_at"])
    assert pack["fact"]["version"] == before["version"]
    assert pack["fact"]["valid_from"] == before["valid_from"]["value"]
    assert [e["stream_version"] for e in pack["events"]] == list(range(1, before["version"] + 1))
    key = (await log_client.get("/.well-known/log-key")).json()["verifier_key"]
    report = verify_pack(pack, verifier_key=key, source_files=source_files(pack))
    assert report.ok, report.lines()

    too_early = await log_client.get(
        f"/facts/{fact['id']}/evidence", params={"as_of": "1990-01-01T00:00:00Z"}
    )
    assert too_early.status_code == 404, too_early.text
    assert "was not yet recorded" in too_early.json()["detail"]
    bad = await log_client.get(f"/facts/{fact['id']}/evidence", params={"as_of": "last week"})
    assert bad.status_code == 400, bad.text
    assert bad.json()["parameter"] == "as_of"
    missing = await log_client.get("/facts/no-such-fact/evidence")
    assert missing.status_code == 404, missing.text


async def test_a_kept_checkpoint_is_held_to_the_packs_tree(
    log_client: Client, headers: dict[str, dict[str, str]], key_file: Path
) -> None:
    key = (await log_client.get("/.well-known/log-key")).json()["verifier_key"]
    kept = (await log_client.get("/log/checkpoint")).json()
    fact = await corrected_fact(log_client, headers)
    pack = await pack_of(log_client, fact["id"])
    old, new = kept["tree_size"], pack["checkpoint"]["tree_size"]
    assert old < new

    # Older than the pack: without a consistency proof the two trees cannot be checked against each other.
    lines = verify_pack(pack, verifier_key=key, kept_checkpoint=kept["note"]).lines()
    assert "kept checkpoint" in failed_parts(lines), lines
    proof = (await log_client.get("/log/proofs/consistency", params={"from": old, "to": new})).json()
    report = verify_pack(pack, verifier_key=key, kept_checkpoint=kept["note"], consistency=proof)
    assert report.ok, report.lines()
    changed = dict(proof, proof=[flip(proof["proof"][0]), *proof["proof"][1:]])
    lines = verify_pack(pack, verifier_key=key, kept_checkpoint=kept["note"], consistency=changed).lines()
    assert "consistency proof" in failed_parts(lines), lines
    other = (await log_client.get("/log/proofs/consistency", params={"from": old - 1, "to": new})).json()
    lines = verify_pack(pack, verifier_key=key, kept_checkpoint=kept["note"], consistency=other).lines()
    assert "consistency proof" in failed_parts(lines), lines

    # Newer than the pack: an old pack is shown to be in the log as the auditor saw it later.
    old_pack = await pack_of(log_client, fact["id"], as_of=fact["recorded_at"])
    await log_client.post(
        f"/facts/{fact['id']}/rank",
        json={
            "expected_version": fact["version"],
            "rank": "preferred",
            "reason_code": "better_source",
            "justification": "the year is the one the other sources give",
        },
        headers=headers["archivist"],
    )
    newer = (await log_client.get("/log/checkpoint")).json()
    forward = (
        await log_client.get(
            "/log/proofs/consistency",
            params={"from": old_pack["checkpoint"]["tree_size"], "to": newer["tree_size"]},
        )
    ).json()
    report = verify_pack(old_pack, verifier_key=key, kept_checkpoint=newer["note"], consistency=forward)
    assert report.ok, report.lines()

    # The same size: the same root, or the log forked; a note signed by another key is not the log's.
    assert verify_pack(pack, verifier_key=key, kept_checkpoint=pack["checkpoint"]["note"]).ok
    signer = load_signer(key_file)
    forked = signer.sign(checkpoint_text(ORIGIN, new, bytes(32)))
    lines = verify_pack(pack, verifier_key=key, kept_checkpoint=forked).lines()
    assert "kept checkpoint" in failed_parts(lines), lines
    assert any("forked" in line for line in lines), lines
    stranger = generate_signer(ORIGIN).sign(checkpoint_text(ORIGIN, new, bytes(32)))
    lines = verify_pack(pack, verifier_key=key, kept_checkpoint=stranger).lines()
    assert "kept checkpoint" in failed_parts(lines), lines


async def test_without_a_signing_key_the_pack_is_not_found_as_the_checkpoint_is(
    seeded_client: Client,
) -> None:
    fact = await membership_1992(seeded_client)
    pack = await seeded_client.get(f"/facts/{fact['id']}/evidence")
    checkpoint = await seeded_client.get("/log/checkpoint")
    assert pack.status_code == checkpoint.status_code == 404, pack.text
    assert pack.json()["setting"] == "ARCHIVE_LOG_SIGNING_KEY"
    assert pack.json()["detail"] == checkpoint.json()["detail"]


async def test_the_openapi_document_describes_the_pack(seeded_client: Client) -> None:
    document = (await seeded_client.get("/schema/openapi.json")).json()
    operation = document["paths"]["/facts/{fact_id}/evidence"]["get"]
    assert operation["operationId"] == "getFactEvidence"
    assert {"200", "400", "404", "503"} <= set(operation["responses"])
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[-1]
    pack = document["components"]["schemas"][name]
    assert {"fact", "events", "sources", "checkpoint", "verifier_key"} <= set(pack["properties"])


async def test_the_fact_page_links_to_its_pack_when_the_archive_signs(
    log_client: Client, seeded_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    fact = await corrected_fact(log_client, headers)
    page = await log_client.get(f"/ui/facts/{fact['id']}")
    assert page.status_code == 200, page.text
    assert f'href="/facts/{fact["id"]}/evidence"' in page.text
    earlier = await log_client.get(f"/ui/facts/{fact['id']}", params={"as_of": fact["recorded_at"]})
    link = earlier.text.split('class="evidence-link"><a href="', 1)[1].split('"', 1)[0]
    assert link.startswith(f"/facts/{fact['id']}/evidence?as_of=")
    followed = await log_client.get(link.replace("&amp;", "&"))
    assert followed.status_code == 200, followed.text
    assert followed.json()["fact"]["version"] == fact["version"]
    unsigned = await seeded_client.get(f"/ui/facts/{fact['id']}")
    assert "/evidence" not in unsigned.text
