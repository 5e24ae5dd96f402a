"""The offline verifier of evidence packs, with nothing but the standard library and `cryptography`.

    python verify_evidence.py PACK [--public-key K] [--checkpoint C [--consistency-proof P]]
                                   [--source FILE ...]

An evidence pack (`GET /facts/{id}/evidence`) holds a fact as the archive states it, the events of the
fact's stream behind it with every field their hashes cover, each cited source version's sha256 with the
cited lines and quotes, an RFC 9162 inclusion proof of each event, and the signed checkpoint the proofs
lead to. `verify_pack` checks, with no database and no server:

- the checkpoint's Ed25519 signature (a C2SP signed note) with the log's public key;
- each event's hash: sha256(prev_hash || canonical JSON of the fields it covers), the format of
  `archive/eventstore/hashing.py`; two events at adjacent positions must link (the later one's prev_hash
  is the earlier one's hash);
- each event's inclusion proof against the signed root;
- that the fact's values are what its events fold to (the meaning of each event type is the archive's
  `archive/domain/facts.py`, `evolve_fact`, written again here);
- that each citation of the fact is in the pack's sources with its lines, and its quote stands in them;
  given the source files, that a file of that sha256 has those lines;
- given a kept checkpoint: that it is signed by the same key, and that the pack's tree and the kept one
  are one log (see `check_kept_checkpoint`).

Each failure is one line naming the part of the pack that failed; the exit status is 1 when any check
failed. This module imports nothing from `archive`, so an auditor can copy this one file and run it on a
machine that has never seen the archive's code or database. The archive's own Merkle tree
(`archive.eventstore.merkle`) and checkpoints (`archive.eventstore.checkpoint`) use the verification
functions defined here, so the server and the auditor check proofs and notes with the same code.

RFC 9162 (Certificate Transparency v2): a leaf's bytes are an event's 32-byte chain hash;

    leaf hash = SHA-256(0x00 || event hash bytes)
    node hash = SHA-256(0x01 || left || right)

and proofs are checked by the algorithms of §2.1.3.2 (inclusion) and §2.1.4.2 (consistency).

C2SP signed notes (c2sp.org/signed-note, c2sp.org/tlog-checkpoint; Go's golang.org/x/mod/sumdb/note is
the reference implementation):

    checkpoint text   <origin>\\n<tree size>\\n<base64 root hash>\\n
    signed note       text, a blank line, then one line per signature:
                      — <key name> <base64(key id (4 bytes) || Ed25519 signature (64 bytes))>\\n
    key id            the first 4 bytes of SHA-256(<key name> || "\\n" || 0x01 || public key)
    verifier key      <key name>+<key id, 8 hex digits>+<base64(0x01 || public key)>
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

# -- RFC 9162 Merkle tree --------------------------------------------------------------------------------

HASH_SIZE = 32


def leaf_hash(leaf: bytes) -> bytes:
    """SHA-256(0x00 || leaf): a leaf's hash, domain-separated from interior nodes."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): an interior node's hash."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def event_leaf_hash(event_hash_hex: str) -> bytes:
    """The leaf hash of an event, from its chain hash as the log stores it (64 hex characters)."""
    return leaf_hash(bytes.fromhex(event_hash_hex))


def root_from_inclusion_proof(
    index: int, tree_size: int, leaf: bytes, proof: Sequence[bytes]
) -> bytes | None:
    """The root that `proof` leads to from leaf hash `leaf` at `index` (RFC 9162 §2.1.3.2), or None
    when the proof cannot be a proof for that index and size."""
    if not 0 <= index < tree_size or len(leaf) != HASH_SIZE:
        return None
    fn, sn, r = index, tree_size - 1, leaf
    for p in proof:
        if sn == 0 or len(p) != HASH_SIZE:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(
    index: int, tree_size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes
) -> bool:
    """True when `proof` shows the leaf hash `leaf` at `index` in the tree of `tree_size` with `root_hash`."""
    return root_from_inclusion_proof(index, tree_size, leaf, proof) == root_hash


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True when `proof` shows the tree of `first` leaves with `first_root` is a prefix of the tree of
    `second` leaves with `second_root` (RFC 9162 §2.1.4.2)."""
    if not 0 <= first <= second or any(len(p) != HASH_SIZE for p in proof):
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        # Every tree extends the empty one; a non-empty proof here is not a proof of anything.
        return not proof
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two: the old root is a node of the new tree
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


# -- C2SP signed notes and checkpoints -------------------------------------------------------------------

#: The signed-note type byte of Ed25519 keys and signatures.
ED25519 = b"\x01"
EM_DASH = "\u2014"


class CheckpointKeyError(ValueError):
    """A signing or verifier key that cannot be used, or a note that does not verify."""


def check_key_name(name: str) -> None:
    """Refuse a key name the signed-note rules forbid: empty, with whitespace, or with '+' (the key
    fields' separator)."""
    if not name or any(c.isspace() or c == "+" for c in name):
        raise CheckpointKeyError(f"key name {name!r} must be non-empty, without spaces or '+'")


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key id that starts each signature: SHA-256(name || '\\n' || 0x01 || key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public_key).digest()[:4]


def ed25519_key_bytes(name: str, encoded: str, which: str) -> bytes:
    """The 32 key bytes of a key's `base64(0x01 || key)` field, its name checked on the way; `which`
    ("signer" or "verifier") names the key in the error."""
    check_key_name(name)
    try:
        raw = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise CheckpointKeyError(f"the {which} key's key is not base64") from None
    if len(raw) != 33 or raw[:1] != ED25519:
        raise CheckpointKeyError(f"the {which} key is not an Ed25519 key (0x01 and 32 bytes)")
    return raw[1:]


@dataclass(frozen=True)
class VerifierKey:
    """A public key from the signed-note verifier-key format."""

    name: str
    key_id: bytes
    public_key: Ed25519PublicKey


def parse_verifier_key(text: str) -> VerifierKey:
    """A verifier key `name+id+base64(0x01 || key)`, checked against its own key id."""
    parts = text.strip().split("+", 2)  # base64 may hold "+" too: the key is everything after the second
    if len(parts) != 3:
        raise CheckpointKeyError("not a signed-note verifier key (<name>+<key id>+<key>)")
    name, id_hex, encoded = parts
    public = ed25519_key_bytes(name, encoded, "verifier")
    if key_id(name, public).hex() != id_hex:
        raise CheckpointKeyError("the verifier key's key id does not match its name and key")
    return VerifierKey(name, bytes.fromhex(id_hex), Ed25519PublicKey.from_public_bytes(public))


def open_note(note: str, verifier: VerifierKey) -> str:
    """The text of `note` once a signature line by `verifier` checks out; CheckpointKeyError otherwise.

    Lines signed by other keys are ignored, as the signed-note specification says."""
    text, separator, signatures = note.rpartition("\n\n")
    if not separator or not signatures.endswith("\n"):
        raise CheckpointKeyError("not a signed note: no blank line before the signatures")
    text += "\n"
    for line in signatures[:-1].split("\n"):
        dash, _, rest = line.partition(" ")
        name, _, encoded = rest.partition(" ")
        if dash != EM_DASH or not encoded:
            raise CheckpointKeyError(f"malformed signature line {line!r}")
        if name != verifier.name:
            continue
        try:
            blob = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise CheckpointKeyError(f"the signature of {name} is not base64") from None
        if blob[:4] != verifier.key_id:
            continue
        try:
            verifier.public_key.verify(blob[4:], text.encode())
        except InvalidSignature:
            raise CheckpointKeyError(f"the signature of {name} does not verify") from None
        return text
    raise CheckpointKeyError(f"no signature by {verifier.name} with key id {verifier.key_id.hex()}")


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint read back from its text."""

    origin: str
    tree_size: int
    root_hash: bytes


def parse_checkpoint(text: str) -> Checkpoint:
    """The origin, size and root of a checkpoint's text (extension lines after them are allowed)."""
    lines = text.split("\n")
    # str.isdigit alone takes other scripts' digits and superscripts, which int() reads or refuses.
    size = lines[1] if len(lines) >= 4 else ""
    if not (size.isascii() and size.isdigit()) or (size != "0" and size.startswith("0")):
        raise CheckpointKeyError("not a checkpoint: <origin>, <tree size>, <base64 root hash>")
    try:
        root_hash = base64.b64decode(lines[2], validate=True)
    except ValueError:
        raise CheckpointKeyError("the checkpoint's root hash is not base64") from None
    if len(root_hash) != HASH_SIZE:
        raise CheckpointKeyError(
            f"the checkpoint's root hash is {len(root_hash)} bytes, not {HASH_SIZE} (a SHA-256 hash)"
        )
    return Checkpoint(lines[0], int(size), root_hash)


# -- evidence packs --------------------------------------------------------------------------------------

PACK_FORMAT = "archive-evidence-pack/1"
GENESIS_HASH = "0" * 64
#: The fact's fields an evidence pack states, each one checked against the fold of its events.
FACT_FIELDS = (
    "fact_id",
    "version",
    "subject",
    "predicate",
    "object",
    "value",
    "qualifiers",
    "valid_from",
    "valid_to",
    "point_in_time",
    "modality",
    "rank",
    "status",
    "citations",
    "links",
)
#: The event types of a fact's stream this verifier folds, at the schema version it knows them in.
FACT_EVENT_SCHEMA = 1


@dataclass
class Report:
    """What a check of a pack found: failures as (part, what failed), and what was checked."""

    failures: list[tuple[str, str]] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, part: str, message: str) -> None:
        """Record that `part` of the pack failed."""
        self.failures.append((part, message))

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return not self.failures

    def lines(self) -> list[str]:
        """The report as printed: a line per failure, then what passed and what was not checked."""
        return (
            [f"FAIL {part}: {message}" for part, message in self.failures]
            + [f"ok   {line}" for line in self.checked]
            + [f"note {line}" for line in self.notes]
        )


def canonical_event_bytes(event: Mapping[str, Any]) -> bytes:
    """The canonical bytes an event's hash covers: the JSON of stream_id, stream_version, event_type,
    schema_version, data, metadata and recorded_at (the time as hashed, fixed-width UTC text) with sorted
    keys, no whitespace, UTF-8 (the format of archive/eventstore/hashing.py)."""
    body = {name: event[name] for name in ("stream_id", "stream_version", "event_type", "schema_version")}
    body |= {"data": event["data"], "metadata": event["metadata"], "recorded_at": event["recorded_at"]}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_chain_hash(event: Mapping[str, Any]) -> str:
    """sha256(prev_hash || canonical bytes) of an event of the pack, in hex."""
    return hashlib.sha256(str(event["prev_hash"]).encode("ascii") + canonical_event_bytes(event)).hexdigest()


# The fact's fold. Written again from archive/domain/facts.py (`evolve_fact`) so that this file stands
# alone; tests/unit/test_verify_evidence.py checks the two agree on every fact event type.


def citation_key(citation: Mapping[str, Any]) -> str:
    """What makes two citations the same (archive/domain/events.py, `citation_id`): source, lines and
    quote; not the sha256, so the same quote at the same lines of a new version is not a new citation."""
    parts = (citation["source_id"], str(citation["line_start"]), str(citation["line_end"]), citation["quote"])
    return "\x1f".join(parts)


def _with_citations(held: list[Any], new: Iterable[Mapping[str, Any]]) -> list[Any]:
    seen = {citation_key(c) for c in held}
    merged = list(held)
    for citation in new:
        if citation_key(citation) not in seen:
            seen.add(citation_key(citation))
            merged.append(citation)
    return merged


def _recorded(state: dict[str, Any], data: Mapping[str, Any]) -> None:
    state.update({name: data[name] for name in FACT_FIELDS if name not in ("version", "status", "links")})
    state.update(status="active", links=[], citations=_with_citations([], data["citations"]))


def _cited(state: dict[str, Any], data: Mapping[str, Any]) -> None:
    state["citations"] = _with_citations(state["citations"], [data["citation"]])


def _corrected(state: dict[str, Any], data: Mapping[str, Any]) -> None:
    # A correction's changes hold only the fields it sets (None clears one).
    state.update(data["changes"])
    state["citations"] = _with_citations(state["citations"], data["citations"])


def _retracted(state: dict[str, Any], data: Mapping[str, Any]) -> None:
    state["status"] = "retracted"


def _reranked(state: dict[str, Any], data: Mapping[str, Any]) -> None:
    state["rank"] = data["rank"]


def _linked(state: dict[str, Any], data: Mapping[str, Any]) -> None:
    link = {"relation": data["relation"], "target_fact_id": data["target_fact_id"]}
    if link not in state["links"]:
        state["links"] = [*state["links"], link]


FACT_EVENTS: dict[str, Callable[[dict[str, Any], Mapping[str, Any]], None]] = {
    "fact.recorded": _recorded,
    "fact.cited": _cited,
    "fact.corrected": _corrected,
    "fact.retracted": _retracted,
    "fact.reranked": _reranked,
    "fact.linked": _linked,
}


def fold_fact(events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The fact's fields as its events, in stream order, make them (ValueError for an event this verifier
    cannot fold: another type, or a schema version it does not know)."""
    state: dict[str, Any] = {"version": 0}
    for event in events:
        apply = FACT_EVENTS.get(event["event_type"])
        if apply is None or event["schema_version"] != FACT_EVENT_SCHEMA:
            raise ValueError(f"{event['event_type']} v{event['schema_version']} is not a fact event it knows")
        if not state.get("fact_id") and event["event_type"] != "fact.recorded":
            raise ValueError(f"{event['event_type']} before the fact was recorded")
        apply(state, event["data"])
        state["version"] += 1
    return state


def quote_stands(lines: Sequence[str], line_start: int, line_end: int, quote: str) -> bool:
    """True when `quote` is found within lines `line_start`..`line_end` (1-based) of `lines`, as the
    archive checks a citation (archive/domain/sources.py, `verify_quote`): the lines joined with one space
    at each break, trailing and leading whitespace there collapsed, and the quote's own breaks likewise."""

    def joined(parts: Sequence[str]) -> str:
        text = parts[0]
        for part in parts[1:]:
            text = text.rstrip() + " " + part.lstrip()
        return text

    if not quote.strip() or line_start < 1 or line_end < line_start or line_end > len(lines):
        return False
    return joined(quote.split("\n")) in joined(lines[line_start - 1 : line_end])


# -- the checks ------------------------------------------------------------------------------------------


def _hex_bytes(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or len(value) != 2 * HASH_SIZE:
        raise ValueError(f"{what} is not {2 * HASH_SIZE} hex digits")
    return bytes.fromhex(value)


def check_checkpoint(
    pack: Mapping[str, Any], verifier: VerifierKey | None, report: Report
) -> Checkpoint | None:
    """The pack's checkpoint as its note states it, once the signature is checked (or as the note states it
    when it is not, so that the proofs can still be tried and their own failures named)."""
    block = pack.get("checkpoint")
    if not isinstance(block, Mapping) or not isinstance(block.get("note"), str):
        report.fail("checkpoint", "the pack has no signed note")
        return None
    note = block["note"]
    text = note.rpartition("\n\n")[0] + "\n"
    if verifier is not None:
        try:
            text = open_note(note, verifier)
            report.checked.append(f"checkpoint: signed by {verifier.name} ({verifier.key_id.hex()})")
        except CheckpointKeyError as error:
            report.fail("checkpoint.note", f"signature: {error}")
    try:
        checkpoint = parse_checkpoint(text)
    except CheckpointKeyError as error:
        report.fail("checkpoint.note", str(error))
        return None
    if verifier is not None and checkpoint.origin != verifier.name:
        report.fail(
            "checkpoint.note", f"origin {checkpoint.origin!r} is not the key's name {verifier.name!r}"
        )
    # The unsigned copies beside the note must say what it says: a reader may look at them, not at it.
    stated = (block.get("origin"), block.get("tree_size"), block.get("root_hash"))
    if stated != (checkpoint.origin, checkpoint.tree_size, checkpoint.root_hash.hex()):
        report.fail("checkpoint", "origin, tree_size or root_hash differ from what the signed note says")
    return checkpoint


def check_events(
    pack: Mapping[str, Any], checkpoint: Checkpoint | None, report: Report
) -> list[Mapping[str, Any]]:
    """Each event's hash, its link to an adjacent event, its place in the fact's stream, and its inclusion
    in the signed tree; the events whose hash is right, for the fold."""
    events = pack.get("events")
    fact_id = pack.get("fact_id")
    if not isinstance(events, list) or not events:
        report.fail("events", "the pack has no events")
        return []
    hashed: list[Mapping[str, Any]] = []
    previous: Mapping[str, Any] | None = None
    for index, event in enumerate(events):
        part = f"events[{index}]"
        try:
            position = event["position"]
            if event_chain_hash(event) != event["hash"]:
                report.fail(part, f"position {position}: its hash is not sha256(prev_hash || its fields)")
            else:
                hashed.append(event)
            if position == 1 and event["prev_hash"] != GENESIS_HASH:
                report.fail(f"{part}.prev_hash", "the first event of the log follows no other")
            adjacent = previous is not None and position == previous["position"] + 1
            if adjacent and previous is not None and event["prev_hash"] != previous["hash"]:
                report.fail(f"{part}.prev_hash", f"is not the hash of position {position - 1}")
            if previous is not None and position <= previous["position"]:
                report.fail(f"{part}.position", "events are not in log order")
            if event["stream_id"] != f"fact:{fact_id}" or event["data"].get("fact_id") != fact_id:
                report.fail(f"{part}.stream_id", f"is not the stream of fact {fact_id}")
            if event["stream_version"] != index + 1:
                report.fail(
                    f"{part}.stream_version", f"{event['stream_version']}, where {index + 1} comes next"
                )
            if checkpoint is not None:
                leaf = leaf_hash(_hex_bytes(event["hash"], "hash"))
                proof = [_hex_bytes(node, "a proof node") for node in event["inclusion_proof"]]
                if not verify_inclusion(
                    event["leaf_index"], checkpoint.tree_size, leaf, proof, checkpoint.root_hash
                ):
                    report.fail(
                        f"{part}.inclusion_proof",
                        f"position {position} is not proved in the signed tree of {checkpoint.tree_size}",
                    )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            report.fail(part, f"malformed: {error!r}")
        previous = (
            event if isinstance(event, Mapping) and isinstance(event.get("position"), int) else previous
        )
    if len(hashed) == len(events):
        report.checked.append(f"events: {len(events)} hashes recomputed, each in fact:{fact_id}")
    return hashed


def _first_difference(stated: Any, folded: Any, path: str) -> tuple[str, Any, Any]:
    """Where two different values first differ, down lists of one length and mappings, to name the part."""
    if isinstance(stated, Mapping) and isinstance(folded, Mapping):
        for key in sorted(set(stated) | set(folded), key=str):
            if stated.get(key, ...) != folded.get(key, ...):
                return _first_difference(stated.get(key), folded.get(key), f"{path}.{key}")
    if isinstance(stated, list) and isinstance(folded, list) and len(stated) == len(folded):
        for index, (one, other) in enumerate(zip(stated, folded, strict=True)):
            if one != other:
                return _first_difference(one, other, f"{path}[{index}]")
    return path, stated, folded


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 100 else text[:99] + "…"


def check_fact(
    pack: Mapping[str, Any], events: list[Mapping[str, Any]], complete: bool, report: Report
) -> dict[str, Any] | None:
    """The pack's fact against the fold of its events, every field named where they differ; the fold,
    when the events made one."""
    fact = pack.get("fact")
    if not isinstance(fact, Mapping):
        report.fail("fact", "the pack has no fact")
        return None
    if not complete:
        report.fail("fact", "not checked: some of its events failed their hash")
        return None
    try:
        folded = fold_fact(events)
    except (KeyError, TypeError, ValueError) as error:
        report.fail("fact", f"its events do not fold: {error}")
        return None
    stated = {name: value for name, value in fact.items() if name != "recorded_at"}
    for name in sorted(set(stated) | set(FACT_FIELDS)):
        if name not in FACT_FIELDS:
            report.fail(f"fact.{name}", "is not a field the events make")
        elif stated.get(name, ...) != folded.get(name):
            path, said, made = _first_difference(stated.get(name), folded.get(name), f"fact.{name}")
            report.fail(path, f"the pack says {_shown(said)}, the events say {_shown(made)}")
    if fact.get("fact_id") != pack.get("fact_id"):
        report.fail("fact.fact_id", "is not the pack's fact_id")
    if events and fact.get("recorded_at") != events[-1]["recorded_at"]:
        report.fail("fact.recorded_at", "is not the time of its last event")
    if not any(part.startswith("fact") for part, _ in report.failures):
        report.checked.append(f"fact: every field follows from its {len(events)} events")
    return folded


def check_sources(
    pack: Mapping[str, Any], citations: Any, files: Mapping[str, bytes], report: Report
) -> None:
    """Each of the fact's `citations` among the pack's sources with its lines; each quote standing in them;
    and, for each source file given, those lines in its bytes."""
    # Each citation of the fact by (source, sha256, key), with its lines to name it by if it is missing.
    wanted: dict[tuple[str, str, str], str] = {
        (str(c["source_id"]), str(c["content_sha256"]), citation_key(c)): f"{c['line_start']}-{c['line_end']}"
        for c in (citations if isinstance(citations, list) else [])
        if isinstance(c, Mapping)
    }
    given = {hashlib.sha256(content).hexdigest(): (name, content) for name, content in files.items()}
    found: set[tuple[str, str, str]] = set()
    used: set[str] = set()
    for s_index, source in enumerate(pack.get("sources") or []):
        try:
            sha = source["content_sha256"]
            file_lines: list[str] | None = None
            if sha in given:
                used.add(sha)
                file_lines = given[sha][1].decode("utf-8").split("\n")
            for c_index, cited in enumerate(source["citations"]):
                part = f"sources[{s_index}].citations[{c_index}]"
                key = (source["source_id"], sha, citation_key({**cited, "source_id": source["source_id"]}))
                if key not in wanted:
                    report.fail(part, "is not a citation of the fact (source, sha256, lines and quote)")
                found.add(key)
                numbers = [line["line"] for line in cited["lines"]]
                texts = [line["text"] for line in cited["lines"]]
                if numbers != list(range(cited["line_start"], cited["line_end"] + 1)):
                    report.fail(f"{part}.lines", f"are not lines {cited['line_start']}-{cited['line_end']}")
                elif not quote_stands(texts, 1, len(texts), cited["quote"]):
                    report.fail(f"{part}.quote", "does not stand in the pack's cited lines")
                if file_lines is not None:
                    start, end = cited["line_start"], cited["line_end"]
                    if file_lines[start - 1 : end] != texts:
                        report.fail(f"{part}.lines", f"are not lines {start}-{end} of {given[sha][0]}")
                    if not quote_stands(file_lines, start, end, cited["quote"]):
                        report.fail(
                            f"{part}.quote", f"does not stand at lines {start}-{end} of {given[sha][0]}"
                        )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            report.fail(f"sources[{s_index}]", f"malformed: {error!r}")
    for missing in sorted(wanted.keys() - found):
        source_id, sha, _ = missing
        report.fail("sources", f"the fact's citation of {source_id} {sha} lines {wanted[missing]} is missing")
    for sha, (name, _) in given.items():
        if sha not in used:
            report.fail(f"source file {name}", f"its sha256 {sha} is not a source version the pack cites")
    cited_shas = {sha for _, sha, _ in wanted}
    for sha in sorted(cited_shas - used):
        report.notes.append(
            f"source version {sha}: no file with this sha256 given; its lines were checked against its quotes"
        )
    if used and not any(part.startswith("source") for part, _ in report.failures):
        report.checked.append(
            f"sources: {len(used)} file(s) hash to the cited sha256, quotes stand at their lines"
        )


def check_kept_checkpoint(
    kept_note: str,
    verifier: VerifierKey | None,
    checkpoint: Checkpoint | None,
    consistency: Mapping[str, Any] | None,
    report: Report,
) -> None:
    """The pack's tree and a checkpoint the auditor kept are one log.

    The kept note must be signed by the same key (with no key given, nothing can be trusted of it). Then:
    the same size must have the same root (two roots signed for one size are a forked log); a different
    size needs an RFC 9162 consistency proof from the smaller tree to the larger one (`GET
    /log/proofs/consistency?from=<smaller>&to=<larger>`, passed as --consistency-proof). The proof need not
    be trusted: it is checked against both signed roots, so only a log whose smaller tree is a prefix of
    the larger one can produce it. A pack older than the kept checkpoint is thereby shown to be in the log
    the auditor saw later; a kept checkpoint older than the pack shows the log was not rewritten since.
    """
    if verifier is None:
        report.fail(
            "kept checkpoint", "needs --public-key: a note checked against the pack's own key proves nothing"
        )
        return
    try:
        kept = parse_checkpoint(open_note(kept_note, verifier))
    except CheckpointKeyError as error:
        report.fail("kept checkpoint", str(error))
        return
    if checkpoint is None:
        return
    if kept.tree_size == checkpoint.tree_size:
        if kept.root_hash != checkpoint.root_hash:
            report.fail(
                "kept checkpoint", f"another root was signed for size {kept.tree_size}: the log forked"
            )
        else:
            report.checked.append(f"kept checkpoint: the same tree of {kept.tree_size}")
        return
    older, newer = sorted((kept, checkpoint), key=lambda c: c.tree_size)
    if consistency is None:
        report.fail(
            "kept checkpoint",
            f"sizes {checkpoint.tree_size} (pack) and {kept.tree_size} (kept) differ: pass "
            f"--consistency-proof with GET /log/proofs/consistency"
            f"?from={older.tree_size}&to={newer.tree_size}",
        )
        return
    try:
        sizes = (consistency["from_size"], consistency["to_size"])
        proof = [_hex_bytes(node, "a proof node") for node in consistency["proof"]]
    except (KeyError, TypeError, ValueError) as error:
        report.fail("consistency proof", f"malformed: {error!r}")
        return
    if sizes != (older.tree_size, newer.tree_size):
        report.fail(
            "consistency proof",
            f"is from {sizes[0]} to {sizes[1]}, not {older.tree_size} to {newer.tree_size}",
        )
    elif not verify_consistency(older.tree_size, newer.tree_size, older.root_hash, newer.root_hash, proof):
        report.fail(
            "consistency proof",
            f"the signed tree of {older.tree_size} is not a prefix of the signed tree of {newer.tree_size}",
        )
    else:
        report.checked.append(
            f"kept checkpoint: the tree of {older.tree_size} is a prefix of the tree of {newer.tree_size}"
        )


def verify_pack(
    pack: Mapping[str, Any],
    *,
    verifier_key: str | None = None,
    kept_checkpoint: str | None = None,
    consistency: Mapping[str, Any] | None = None,
    source_files: Mapping[str, bytes] | None = None,
) -> Report:
    """Every check of an evidence pack; `verifier_key` is the log's signed-note key as the auditor holds
    it (without it the pack's own copy is used, and the report says so), `source_files` the bytes of
    source documents by a name to report them under."""
    report = Report()
    if pack.get("format") != PACK_FORMAT:
        report.fail("format", f"{pack.get('format')!r} is not {PACK_FORMAT}")
    verifier: VerifierKey | None = None
    try:
        if verifier_key is None:
            verifier = parse_verifier_key(str(pack.get("verifier_key", "")))
            report.notes.append(
                "the signature was checked with the key the pack carries: pass --public-key with the log's "
                "key as you hold it, or this proves only that the pack agrees with itself"
            )
        else:
            verifier = parse_verifier_key(verifier_key)
    except CheckpointKeyError as error:
        report.fail("public key" if verifier_key is not None else "verifier_key", str(error))
    checkpoint = check_checkpoint(pack, verifier, report)
    events = check_events(pack, checkpoint, report)
    if checkpoint is not None and not any(
        part.startswith(("events", "checkpoint")) for part, _ in report.failures
    ):
        report.checked.append(f"inclusion: every event is in the signed tree of {checkpoint.tree_size}")
    folded = check_fact(pack, events, len(events) == len(pack.get("events") or []), report)
    # The citations the events make, when they make a fact; the pack's own otherwise (already failed).
    fact = pack.get("fact")
    citations = (folded or (fact if isinstance(fact, Mapping) else {})).get("citations")
    check_sources(pack, citations, source_files or {}, report)
    if kept_checkpoint is not None:
        check_kept_checkpoint(
            kept_checkpoint, verifier if verifier_key is not None else None, checkpoint, consistency, report
        )
    return report


# -- the command -----------------------------------------------------------------------------------------


def _verifier_key_text(value: str) -> str:
    """A verifier key given as itself, or as a file holding it or the JSON of /.well-known/log-key."""
    path = Path(value)
    if not path.is_file():
        return value
    text = path.read_text(encoding="utf-8").strip()
    if text.startswith("{"):
        return str(json.loads(text)["verifier_key"])
    return text


def _note_text(path: Path) -> str:
    """A kept checkpoint: the signed note itself (`archive checkpoint`), or the JSON of /log/checkpoint."""
    text = path.read_text(encoding="utf-8")
    return str(json.loads(text)["note"]) if text.lstrip().startswith("{") else text


def main(argv: Sequence[str] | None = None) -> int:
    """Check a pack and print one line per failure (then what passed); 0 when every check passed, 1 when
    any failed, 2 when the inputs cannot be read."""
    parser = argparse.ArgumentParser(
        prog="verify_evidence", description="Check an evidence pack offline: no database, no server."
    )
    parser.add_argument("pack", type=Path, help="the JSON of GET /facts/{id}/evidence")
    parser.add_argument(
        "--public-key", help="the log's verifier key, or a file holding it or /.well-known/log-key"
    )
    parser.add_argument("--checkpoint", type=Path, help="a signed checkpoint you kept")
    parser.add_argument(
        "--consistency-proof", type=Path, help="GET /log/proofs/consistency between the two sizes"
    )
    parser.add_argument("--source", type=Path, action="append", default=[], help="a cited source document")
    args = parser.parse_args(argv)
    try:
        pack = json.loads(args.pack.read_bytes())
        key = None if args.public_key is None else _verifier_key_text(args.public_key)
        kept = None if args.checkpoint is None else _note_text(args.checkpoint)
        consistency = (
            None if args.consistency_proof is None else json.loads(args.consistency_proof.read_bytes())
        )
        files = {str(path): path.read_bytes() for path in args.source}
    except (OSError, ValueError, KeyError) as error:
        print(f"FAIL input: {error}")
        return 2
    if not isinstance(pack, dict):
        print("FAIL pack: not a JSON object")
        return 1
    report = verify_pack(
        pack, verifier_key=key, kept_checkpoint=kept, consistency=consistency, source_files=files
    )
    for line in report.lines():
        print(line)
    print("VERIFIED" if report.ok else f"NOT VERIFIED: {len(report.failures)} failure(s)")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
