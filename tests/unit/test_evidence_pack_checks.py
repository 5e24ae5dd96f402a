"""The evidence-pack checks of archive/audit/verify_evidence.py on a pack crafted here, without a database:
an intact pack verifies with exactly the checks it names, and each part changed alone fails it with that
part and the words an auditor reads. The log holds five events; the fact's are at positions 1, 3 and 4,
so that one link is between neighbours and one is not."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from archive.audit.verify_evidence import (
    GENESIS_HASH,
    PACK_FORMAT,
    Report,
    citation_key,
    event_chain_hash,
    leaf_hash,
    main,
    verify_pack,
)
from archive.eventstore.checkpoint import LogSigner, checkpoint_text, generate_signer
from archive.eventstore.hashing import canonical_bytes, chain_hash
from archive.eventstore.merkle import consistency_proof, inclusion_proof, root

Json = dict[str, Any]
ORIGIN = "archive.test/log"
SIGNER = generate_signer(ORIGIN)
KEY = SIGNER.verifier_key
KEY_ID = SIGNER.key_id.hex()
DOCUMENT = "line one\nThe river rose in spring\nand flooded the town\nline four\n"
SHA = hashlib.sha256(DOCUMENT.encode()).hexdigest()
FILES = {"doc.txt": DOCUMENT.encode()}
FIRST: Json = {
    "source_id": "source:s1",
    "content_sha256": SHA,
    "line_start": 2,
    "line_end": 3,
    "quote": "rose in spring and flooded",
}
SECOND: Json = {
    "source_id": "source:s1",
    "content_sha256": SHA,
    "line_start": 4,
    "line_end": 4,
    "quote": "line four",
}
RECORDED: Json = {
    "fact_id": "f1",
    "subject": "entity:e1",
    "predicate": "member_of",
    "object": "entity:e2",
    "value": None,
    "qualifiers": {},
    "valid_from": "1990",
    "valid_to": None,
    "point_in_time": None,
    "modality": "asserted",
    "rank": "normal",
    "citations": [FIRST],
}
#: The log: (stream_id, stream_version, event_type, data).
LOG = [
    ("fact:f1", 1, "fact.recorded", RECORDED),
    ("entity:e1", 1, "entity.registered", {"entity_id": "e1"}),
    ("fact:f1", 2, "fact.cited", {"fact_id": "f1", "citation": SECOND}),
    (
        "fact:f1",
        3,
        "fact.corrected",
        {"fact_id": "f1", "changes": {"valid_from": "1991"}, "citations": [FIRST]},
    ),
    ("entity:e1", 2, "entity.revised", {"entity_id": "e1"}),
]
FACT_POSITIONS = (1, 3, 4)
#: The fact as its three events make it.
FACT = {
    **{name: value for name, value in RECORDED.items() if name != "citations"},
    "version": 3,
    "valid_from": "1991",
    "status": "active",
    "citations": [FIRST, SECOND],
    "links": [],
    "recorded_at": "2026-01-04T12:00:00.000000Z",
}
LogChange = Callable[[list[Json]], None]


def log_events(change: LogChange | None = None) -> list[Json]:
    """The log's events, hashed and linked; `change` alters them before they are linked (each hash is
    then recomputed, as a forger with no signing key would)."""
    events = [
        {
            "position": position,
            "stream_id": stream_id,
            "stream_version": version,
            "event_type": event_type,
            "schema_version": 1,
            "data": copy.deepcopy(data),
            "metadata": {"by": "test"},
            "recorded_at": f"2026-01-0{position}T12:00:00.000000Z",
            "prev_hash": None,
        }
        for position, (stream_id, version, event_type, data) in enumerate(LOG, start=1)
    ]
    previous = GENESIS_HASH
    for event in events:
        event["prev_hash"] = previous
        if change is not None:
            change_one = getattr(change, "at", None)
            if change_one in (None, event["position"]):
                change([event])
        event["hash"] = previous = event_chain_hash(event)
    return events


def signed(tree_size: int, root_hash: bytes, signer: LogSigner = SIGNER, origin: str = ORIGIN) -> str:
    return signer.sign(checkpoint_text(origin, tree_size, root_hash))


def leaves(events: list[Json]) -> list[bytes]:
    return [leaf_hash(bytes.fromhex(event["hash"])) for event in events]


def build_pack(change: LogChange | None = None) -> Json:
    events = log_events(change)
    tree = leaves(events)
    pack_events = [
        {
            **event,
            "leaf_index": event["position"] - 1,
            "inclusion_proof": [node.hex() for node in inclusion_proof(tree, event["position"] - 1)],
        }
        for event in events
        if event["position"] in FACT_POSITIONS
    ]
    cited = [
        {
            "line_start": c["line_start"],
            "line_end": c["line_end"],
            "quote": c["quote"],
            "lines": [
                {"line": n, "text": DOCUMENT.split("\n")[n - 1]}
                for n in range(c["line_start"], c["line_end"] + 1)
            ],
        }
        for c in (FIRST, SECOND)
    ]
    return {
        "format": PACK_FORMAT,
        "fact_id": "f1",
        "as_of": None,
        "fact": copy.deepcopy(FACT),
        "events": pack_events,
        "sources": [{"source_id": "source:s1", "content_sha256": SHA, "version": 1, "citations": cited}],
        "checkpoint": {
            "origin": ORIGIN,
            "tree_size": 5,
            "root_hash": root(tree).hex(),
            "note": signed(5, root(tree)),
        },
        "verifier_key": KEY,
    }


def at(position: int, change: Callable[[Json], None]) -> LogChange:
    """A change of the log's event at `position` alone."""

    def one(events: list[Json]) -> None:
        change(events[0])

    one.at = position  # type: ignore[attr-defined]
    return one


CHECKED = [
    f"checkpoint: signed by {ORIGIN} ({KEY_ID})",
    "events: 3 hashes recomputed, each in fact:f1",
    "inclusion: every event is in the signed tree of 5",
    "fact: every field follows from its 3 events",
]
WITH_FILE = "sources: 1 file(s) hash to the cited sha256, quotes stand at their lines"
NO_FILE = f"source version {SHA}: no file with this sha256 given; its lines were checked against its quotes"
OWN_KEY = (
    "the signature was checked with the key the pack carries: pass --public-key with the log's key as you "
    "hold it, or this proves only that the pack agrees with itself"
)


def test_an_intact_pack_verifies_naming_each_check() -> None:
    report = verify_pack(build_pack(), verifier_key=KEY, source_files=FILES)
    assert (report.failures, report.checked, report.notes) == ([], [*CHECKED, WITH_FILE], [])
    assert report.ok
    assert report.lines() == [f"ok   {line}" for line in [*CHECKED, WITH_FILE]]


def test_without_a_key_the_packs_own_is_used_and_the_report_says_so() -> None:
    report = verify_pack(build_pack())
    assert (report.failures, report.checked, report.notes) == ([], CHECKED, [OWN_KEY, NO_FILE])
    assert report.lines() == [f"ok   {line}" for line in CHECKED] + [f"note {OWN_KEY}", f"note {NO_FILE}"]


def flip_hex(text: str) -> str:
    return ("1" if text[0] != "1" else "2") + text[1:]


PackChange = Callable[[Json], Any]
# (a change of the built pack, or of the log before it is built; the failures, exactly).
TAMPERINGS: dict[str, tuple[PackChange | None, LogChange | None, list[tuple[str, str]]]] = {
    "format": (lambda p: p.update(format="other/1"), None, [("format", f"'other/1' is not {PACK_FORMAT}")]),
    "no checkpoint": (lambda p: p.pop("checkpoint"), None, [("checkpoint", "the pack has no signed note")]),
    "a note not text": (
        lambda p: p["checkpoint"].update(note=None),
        None,
        [("checkpoint", "the pack has no signed note")],
    ),
    "a tree size beside the note": (
        lambda p: p["checkpoint"].update(tree_size=4),
        None,
        [("checkpoint", "origin, tree_size or root_hash differ from what the signed note says")],
    ),
    "a root beside the note": (
        lambda p: p["checkpoint"].update(root_hash=flip_hex(p["checkpoint"]["root_hash"])),
        None,
        [("checkpoint", "origin, tree_size or root_hash differ from what the signed note says")],
    ),
    "an origin beside the note": (
        lambda p: p["checkpoint"].update(origin="other"),
        None,
        [("checkpoint", "origin, tree_size or root_hash differ from what the signed note says")],
    ),
    "a signed text that is no checkpoint": (
        lambda p: p["checkpoint"].update(note=SIGNER.sign("hello\n")),
        None,
        [("checkpoint.note", "not a checkpoint: <origin>, <tree size>, <base64 root hash>")],
    ),
    "an event's payload": (
        lambda p: p["events"][1]["data"]["citation"].update(quote="line"),
        None,
        [
            ("events[1]", "position 3: its hash is not sha256(prev_hash || its fields)"),
            ("fact", "not checked: some of its events failed their hash"),
        ],
    ),
    "the first event's link": (
        None,
        at(1, lambda e: e.update(prev_hash="1" * 64)),
        [("events[0].prev_hash", "the first event of the log follows no other")],
    ),
    "a link between neighbours": (
        None,
        at(4, lambda e: e.update(prev_hash="2" * 64)),
        [("events[2].prev_hash", "is not the hash of position 3")],
    ),
    "a stream": (
        None,
        at(3, lambda e: e.update(stream_id="fact:f2")),
        [("events[1].stream_id", "is not the stream of fact f1")],
    ),
    "a payload's fact id": (
        None,
        at(4, lambda e: e["data"].update(fact_id="f2")),
        [("events[2].stream_id", "is not the stream of fact f1")],
    ),
    "a stream version": (
        None,
        at(4, lambda e: e.update(stream_version=5)),
        [("events[2].stream_version", "5, where 3 comes next")],
    ),
    "events out of order": (
        lambda p: p["events"].reverse(),
        None,
        [
            ("events[0].stream_version", "3, where 1 comes next"),
            ("events[1].position", "events are not in log order"),
            ("events[2].position", "events are not in log order"),
            ("events[2].stream_version", "1, where 3 comes next"),
            ("fact", "its events do not fold: fact.corrected before the fact was recorded"),
        ],
    ),
    "an inclusion proof's node": (
        lambda p: p["events"][1]["inclusion_proof"].__setitem__(
            0, flip_hex(p["events"][1]["inclusion_proof"][0])
        ),
        None,
        [("events[1].inclusion_proof", "position 3 is not proved in the signed tree of 5")],
    ),
    "a leaf index": (
        lambda p: p["events"][2].update(leaf_index=2),
        None,
        [("events[2].inclusion_proof", "position 4 is not proved in the signed tree of 5")],
    ),
    "a proof node that is not a hash": (
        lambda p: p["events"][0]["inclusion_proof"].__setitem__(0, "ab"),
        None,
        [("events[0]", "malformed: ValueError('a proof node is not 64 hex digits')")],
    ),
    "an event without its position": (
        lambda p: p["events"][1].pop("position"),
        None,
        [
            ("events[1]", "malformed: KeyError('position')"),
            ("fact", "not checked: some of its events failed their hash"),
        ],
    ),
    "an event type it cannot fold": (
        None,
        at(3, lambda e: e.update(event_type="fact.bogus")),
        [("fact", "its events do not fold: fact.bogus v1 is not a fact event it knows")],
    ),
    "a fact field": (
        lambda p: p["fact"].update(valid_from="1990"),
        None,
        [("fact.valid_from", 'the pack says "1990", the events say "1991"')],
    ),
    "a quote of a fact's citation": (
        lambda p: p["fact"]["citations"][1].update(quote="line 4"),
        None,
        [("fact.citations[1].quote", 'the pack says "line 4", the events say "line four"')],
    ),
    "a qualifier added": (
        lambda p: p["fact"]["qualifiers"].update(role="chair"),
        None,
        [("fact.qualifiers.role", 'the pack says "chair", the events say null')],
    ),
    "a citation left out": (
        lambda p: p["fact"]["citations"].pop(),
        None,
        [
            (
                "fact.citations",
                f"the pack says {json.dumps([FIRST], ensure_ascii=False)[:99]}…, the events say "
                f"{json.dumps([FIRST, SECOND], ensure_ascii=False)[:99]}…",
            )
        ],
    ),
    "a qualifier the events leave out, stated as null": (
        lambda p: p["fact"]["qualifiers"].update(role=None),
        None,
        [("fact.qualifiers.role", "the pack says null, the events say null")],
    ),
    "a qualifier the events state as null, left out": (
        None,
        at(1, lambda e: e["data"].update(qualifiers={"role": None})),
        [("fact.qualifiers.role", "the pack says null, the events say null")],
    ),
    "a field the events leave empty, left out": (
        lambda p: p["fact"].pop("valid_to"),
        None,
        [("fact.valid_to", "the pack says null, the events say null")],
    ),
    "a value of 100 characters, shown whole": (
        lambda p: p["fact"].update(valid_to="x" * 98),
        None,
        [("fact.valid_to", f'the pack says "{"x" * 98}", the events say null')],
    ),
    "a value of 101 characters, cut short": (
        lambda p: p["fact"].update(valid_to="x" * 99),
        None,
        [("fact.valid_to", f'the pack says "{"x" * 98}…, the events say null')],
    ),
    "a value beyond ASCII, shown as written": (
        lambda p: p["fact"].update(valid_to="Zoë"),
        None,
        [("fact.valid_to", 'the pack says "Zoë", the events say null')],
    ),
    "a position repeated": (
        lambda p: p["events"][2].update(position=3),
        None,
        [("events[2].position", "events are not in log order")],
    ),
    "an event's hash that is not one": (
        lambda p: p["events"][0].update(hash="ab"),
        None,
        [
            ("events[0]", "position 1: its hash is not sha256(prev_hash || its fields)"),
            ("events[0]", "malformed: ValueError('hash is not 64 hex digits')"),
            ("fact", "not checked: some of its events failed their hash"),
        ],
    ),
    "a field the events do not make": (
        lambda p: p["fact"].update(colour="red"),
        None,
        [("fact.colour", "is not a field the events make")],
    ),
    "a field left out": (
        lambda p: p["fact"].pop("rank"),
        None,
        [("fact.rank", 'the pack says null, the events say "normal"')],
    ),
    "the fact's id": (
        lambda p: p["fact"].update(fact_id="f2"),
        None,
        [
            ("fact.fact_id", 'the pack says "f2", the events say "f1"'),
            ("fact.fact_id", "is not the pack's fact_id"),
        ],
    ),
    "the fact's time": (
        lambda p: p["fact"].update(recorded_at="2026-01-03T12:00:00.000000Z"),
        None,
        [("fact.recorded_at", "is not the time of its last event")],
    ),
    # With no fact, no citation of the pack's sources is one of its own.
    "no fact": (
        lambda p: p.pop("fact"),
        None,
        [
            ("fact", "the pack has no fact"),
            ("sources[0].citations[0]", "is not a citation of the fact (source, sha256, lines and quote)"),
            ("sources[0].citations[1]", "is not a citation of the fact (source, sha256, lines and quote)"),
        ],
    ),
    "a cited line's text": (
        lambda p: p["sources"][0]["citations"][0]["lines"][0].update(text="The river rose in autumn"),
        None,
        [
            ("sources[0].citations[0].quote", "does not stand in the pack's cited lines"),
            ("sources[0].citations[0].lines", "are not lines 2-3 of doc.txt"),
        ],
    ),
    "a cited line's number": (
        lambda p: p["sources"][0]["citations"][1]["lines"][0].update(line=5),
        None,
        [("sources[0].citations[1].lines", "are not lines 4-4")],
    ),
    "a source's quote": (
        lambda p: p["sources"][0]["citations"][1].update(quote="line one"),
        None,
        [
            ("sources[0].citations[1]", "is not a citation of the fact (source, sha256, lines and quote)"),
            ("sources[0].citations[1].quote", "does not stand in the pack's cited lines"),
            ("sources[0].citations[1].quote", "does not stand at lines 4-4 of doc.txt"),
            ("sources", f"the fact's citation of source:s1 {SHA} lines 4-4 is missing"),
        ],
    ),
    "a source without citations": (
        lambda p: p["sources"][0].pop("citations"),
        None,
        [
            ("sources[0]", "malformed: KeyError('citations')"),
            ("sources", f"the fact's citation of source:s1 {SHA} lines 2-3 is missing"),
            ("sources", f"the fact's citation of source:s1 {SHA} lines 4-4 is missing"),
        ],
    ),
}


@pytest.mark.parametrize("name", TAMPERINGS)
def test_each_part_changed_alone_fails_the_pack_naming_it(name: str) -> None:
    pack_change, log_change, failures = TAMPERINGS[name]
    pack = build_pack(log_change)
    if pack_change is not None:
        pack_change(pack)
    report = verify_pack(pack, verifier_key=KEY, source_files=FILES)
    assert report.failures == failures
    assert not report.ok
    # The sources are said to check out only when no source failed.
    assert (WITH_FILE in report.checked) == (not any(part.startswith("source") for part, _ in failures))
    # The inclusion is said to be proved only when no event and no checkpoint failed.
    inclusion_failed = any(part.startswith(("events", "checkpoint")) for part, _ in failures)
    assert (CHECKED[2] in report.checked) == (not inclusion_failed)
    assert report.lines()[: len(failures)] == [f"FAIL {part}: {message}" for part, message in failures]


def test_a_pack_without_events_says_so_first_and_its_fact_follows_from_nothing() -> None:
    pack = build_pack()
    pack["events"] = []
    report = verify_pack(pack, verifier_key=KEY, source_files=FILES)
    assert report.failures[0] == ("events", "the pack has no events")
    assert ("fact.version", "the pack says 3, the events say 0") in report.failures
    # Nor do the sources cite what the events make: none.
    assert {part.split(".")[0] for part, _ in report.failures[1:]} == {"fact", "sources[0]"}
    assert not any(line.startswith(("events", "inclusion", "fact")) for line in report.checked)


def grown_log() -> tuple[Json, list[bytes]]:
    """The pack and the leaves of its log with a sixth event after it."""
    events = log_events()
    extra = {**events[-1], "position": 6, "stream_version": 3, "prev_hash": events[-1]["hash"]}
    extra["hash"] = event_chain_hash(extra)
    return build_pack(), leaves([*events, extra])


def kept_report(kept: str, consistency: Json | None = None, key: str | None = KEY) -> Report:
    return verify_pack(build_pack(), verifier_key=key, kept_checkpoint=kept, consistency=consistency)


def kept_lines(report: Report) -> list[str]:
    return [line for line in report.lines() if "kept checkpoint" in line or "consistency proof" in line]


TREE = leaves(log_events())


def test_a_kept_checkpoint_of_the_same_tree_is_the_same_tree() -> None:
    report = kept_report(signed(5, root(TREE)))
    assert report.ok
    assert kept_lines(report) == ["ok   kept checkpoint: the same tree of 5"]


def test_another_root_signed_for_the_same_size_is_a_fork() -> None:
    report = kept_report(signed(5, root([*TREE[:4], TREE[0]])))
    assert report.failures == [("kept checkpoint", "another root was signed for size 5: the log forked")]


def test_a_kept_checkpoint_needs_the_key_given() -> None:
    report = kept_report(signed(5, root(TREE)), key=None)
    assert report.failures == [
        ("kept checkpoint", "needs --public-key: a note checked against the pack's own key proves nothing")
    ]


def test_a_kept_checkpoint_signed_by_another_key_is_refused() -> None:
    other = generate_signer(ORIGIN)
    report = kept_report(signed(5, root(TREE), signer=other))
    assert [part for part, _ in report.failures] == ["kept checkpoint"]
    assert report.failures[0][1].startswith(f"no signature by {ORIGIN} with key id {KEY_ID}")


def test_an_older_kept_checkpoint_needs_a_consistency_proof_and_is_held_to_it() -> None:
    kept = signed(3, root(TREE[:3]))
    assert kept_report(kept).failures == [
        (
            "kept checkpoint",
            "sizes 5 (pack) and 3 (kept) differ: pass --consistency-proof with GET "
            "/log/proofs/consistency?from=3&to=5",
        )
    ]
    proof = [node.hex() for node in consistency_proof(TREE, 3, 5)]
    good = kept_report(kept, {"from_size": 3, "to_size": 5, "proof": proof})
    assert (good.failures, kept_lines(good)) == (
        [],
        ["ok   kept checkpoint: the tree of 3 is a prefix of the tree of 5"],
    )
    wrong_sizes = kept_report(kept, {"from_size": 2, "to_size": 5, "proof": proof})
    assert wrong_sizes.failures == [("consistency proof", "is from 2 to 5, not 3 to 5")]
    forged = kept_report(kept, {"from_size": 3, "to_size": 5, "proof": [flip_hex(proof[0]), *proof[1:]]})
    assert forged.failures == [
        ("consistency proof", "the signed tree of 3 is not a prefix of the signed tree of 5")
    ]
    assert kept_report(kept, {"to_size": 5, "proof": proof}).failures == [
        ("consistency proof", "malformed: KeyError('from_size')")
    ]
    assert kept_report(kept, {"from_size": 3, "to_size": 5, "proof": ["ab"]}).failures == [
        ("consistency proof", "malformed: ValueError('a proof node is not 64 hex digits')")
    ]


def test_a_newer_kept_checkpoint_shows_the_pack_is_in_the_log_seen_later() -> None:
    _, grown = grown_log()
    kept = signed(6, root(grown))
    proof = [node.hex() for node in consistency_proof(grown, 5, 6)]
    report = kept_report(kept, {"from_size": 5, "to_size": 6, "proof": proof})
    assert (report.failures, kept_lines(report)) == (
        [],
        ["ok   kept checkpoint: the tree of 5 is a prefix of the tree of 6"],
    )


def test_a_pack_without_a_checkpoint_checks_no_kept_one_against_it() -> None:
    pack = build_pack()
    del pack["checkpoint"]
    report = verify_pack(pack, verifier_key=KEY, kept_checkpoint=signed(5, root(TREE)))
    assert report.failures == [("checkpoint", "the pack has no signed note")]
    assert kept_lines(report) == []


def test_a_note_signed_by_another_key_or_origin() -> None:
    other = generate_signer("other.example/log")
    pack = build_pack()
    pack["checkpoint"]["note"] = signed(5, root(TREE), signer=other)
    report = verify_pack(pack, verifier_key=KEY)
    assert [part for part, _ in report.failures] == ["checkpoint.note"]
    assert report.failures[0][1].startswith("signature: no signature by archive.test/log")
    # Signed by the key given, for an origin that is not the key's name.
    report = verify_pack(pack, verifier_key=other.verifier_key)
    assert report.failures == [
        ("checkpoint.note", "origin 'archive.test/log' is not the key's name 'other.example/log'")
    ]


def test_a_source_file_the_pack_does_not_cite_is_named() -> None:
    other = b"another document\n"
    report = verify_pack(build_pack(), verifier_key=KEY, source_files={**FILES, "other.txt": other})
    assert report.failures == [
        (
            "source file other.txt",
            f"its sha256 {hashlib.sha256(other).hexdigest()} is not a source version the pack cites",
        )
    ]


def test_citations_differing_in_one_line_number_are_two() -> None:
    assert citation_key(FIRST) != citation_key({**FIRST, "line_start": 1})
    assert citation_key(FIRST) != citation_key({**FIRST, "line_end": 4})
    assert citation_key(FIRST) == citation_key({**FIRST, "content_sha256": "0" * 64})


def test_the_event_hash_is_the_stores_beyond_ascii() -> None:
    event = {**log_events()[1], "data": {"name": "Zoë ☃"}, "metadata": {"by": "Ævar"}}
    stored = {
        key: event[key]
        for key in ("stream_id", "stream_version", "event_type", "schema_version", "data", "metadata")
    }
    moment = datetime.fromisoformat(event["recorded_at"])
    assert event_chain_hash(event) == chain_hash(
        event["prev_hash"], canonical_bytes(**stored, recorded_at=moment)
    )


def test_a_pack_without_its_key_and_none_given_names_the_packs_key() -> None:
    pack = build_pack()
    del pack["verifier_key"]
    report = verify_pack(pack)
    assert report.failures[0] == ("verifier_key", "not a signed-note verifier key (<name>+<key id>+<key>)")


def test_a_key_that_is_no_key_is_named_as_given() -> None:
    pack = build_pack()
    pack["verifier_key"] = "nonsense"
    assert [part for part, _ in verify_pack(pack).failures][:1] == ["verifier_key"]
    assert [part for part, _ in verify_pack(build_pack(), verifier_key="nonsense").failures][:1] == [
        "public key"
    ]


def test_the_command_prints_its_verdict_and_exits_by_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack_file = tmp_path / "pack.json"
    pack_file.write_text(json.dumps(build_pack()))
    key_file = tmp_path / "log-key.json"
    key_file.write_text(json.dumps({"verifier_key": KEY}))
    kept = tmp_path / "checkpoint.json"
    kept.write_text(json.dumps({"note": signed(5, root(TREE))}))
    document = tmp_path / "doc.txt"
    document.write_bytes(DOCUMENT.encode())
    args = [
        str(pack_file),
        "--public-key",
        str(key_file),
        "--checkpoint",
        str(kept),
        "--source",
        str(document),
    ]
    assert main(args) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1] == "VERIFIED"
    assert "ok   kept checkpoint: the same tree of 5" in printed
    # The key as itself, and a kept note as its text.
    kept.write_text(signed(5, root(TREE)))
    assert main([str(pack_file), "--public-key", KEY, "--checkpoint", str(kept)]) == 0
    capsys.readouterr()
    # JSON after a blank line is still JSON; an older kept checkpoint with its consistency proof.
    kept.write_text("\n" + json.dumps({"note": signed(3, root(TREE[:3]))}))
    proof_file = tmp_path / "consistency.json"
    proof = [node.hex() for node in consistency_proof(TREE, 3, 5)]
    proof_file.write_text(json.dumps({"from_size": 3, "to_size": 5, "proof": proof}))
    args = [
        str(pack_file),
        "--public-key",
        KEY,
        "--checkpoint",
        str(kept),
        "--consistency-proof",
        str(proof_file),
    ]
    assert main([*args, "--source", str(document)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert "ok   kept checkpoint: the tree of 3 is a prefix of the tree of 5" in printed
    assert f"ok   {WITH_FILE}" in printed
    # A file the pack does not cite is named by its path.
    stray = tmp_path / "stray.txt"
    stray.write_bytes(b"stray\n")
    assert main([str(pack_file), "--public-key", KEY, "--source", str(stray)]) == 1
    assert f"FAIL source file {stray}: its sha256" in capsys.readouterr().out
    tampered = build_pack()
    tampered["fact"]["rank"] = "preferred"
    pack_file.write_text(json.dumps(tampered))
    assert main([str(pack_file), "--public-key", KEY]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "NOT VERIFIED: 1 failure(s)"
    pack_file.write_text("[]")
    assert main([str(pack_file)]) == 1
    assert capsys.readouterr().out == "FAIL pack: not a JSON object\n"
    assert main([str(tmp_path / "absent.json")]) == 2
    assert capsys.readouterr().out.startswith("FAIL input: [Errno 2] No such file or directory")
