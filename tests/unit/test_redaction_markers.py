"""A redaction marker, word for word: its digest is the sha256 of the payload's canonical JSON (sorted
keys, no whitespace, written out here by hand), a marker is one key holding 64 lowercase hex digits and
nothing else, and an original payload matches a redacted event only if it gives back both the marker and
the stored hash."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest

from archive.eventstore.hashing import GENESIS_HASH, canonical_bytes, chain_hash
from archive.eventstore.records import RecordedEvent
from archive.eventstore.redaction import (
    MARKER_KEY,
    MARKER_PREFIX,
    content_sha256,
    is_redacted,
    marker_digest,
    original_matches,
    redaction_marker,
)

ORIGINAL = {"b": [1, "é"], "a": {"z": None, "y": True}}
#: ORIGINAL's canonical JSON, by hand: keys sorted at every level, no whitespace, UTF-8 kept.
ORIGINAL_DIGEST = hashlib.sha256('{"a":{"y":true,"z":null},"b":[1,"é"]}'.encode()).hexdigest()
RECORDED_AT = datetime(2026, 1, 31, 12, 0, 0, 123456, tzinfo=UTC)


def test_the_digest_is_of_the_canonical_json() -> None:
    assert content_sha256(ORIGINAL) == ORIGINAL_DIGEST
    assert content_sha256({}) == hashlib.sha256(b"{}").hexdigest()
    assert redaction_marker(ORIGINAL) == {"redacted_sha256": ORIGINAL_DIGEST}
    assert MARKER_KEY == "redacted_sha256"
    assert MARKER_PREFIX == '{"redacted_sha256"'


@pytest.mark.parametrize(
    "payload",
    [
        {"redacted_sha256": "0" * 64},
        {"redacted_sha256": "0123456789abcdef" * 4},
    ],
)
def test_a_marker_gives_its_digest(payload: dict[str, Any]) -> None:
    assert marker_digest(payload) == payload["redacted_sha256"]
    assert is_redacted(payload)


NOT_MARKERS = {
    "another key": {"sha256": "0" * 64},
    "a second key": {"redacted_sha256": "0" * 64, "n": 1},
    "capitals": {"redacted_sha256": "A" * 64},
    "63 digits": {"redacted_sha256": "0" * 63},
    "65 digits": {"redacted_sha256": "0" * 65},
    "not hex": {"redacted_sha256": "g" * 64},
    "a trailing newline": {"redacted_sha256": "0" * 64 + "\n"},
    "not a string": {"redacted_sha256": 0},
    "no key": {},
    "a list": ["redacted_sha256"],
    "a string": "redacted_sha256",
    "nothing": None,
}


@pytest.mark.parametrize("payload", NOT_MARKERS.values(), ids=NOT_MARKERS.keys())
def test_anything_else_is_no_marker(payload: Any) -> None:
    assert marker_digest(payload) is None
    assert not is_redacted(payload)


def redacted_event(original: dict[str, Any], **changes: Any) -> RecordedEvent:
    """An event as stored after its redaction: hashed with `original`, holding its marker."""
    fields: dict[str, Any] = {
        "stream_id": "fact:1",
        "stream_version": 2,
        "event_type": "thing.happened",
        "schema_version": 1,
        "metadata": {"by": "someone"},
        "recorded_at": RECORDED_AT,
    }
    prev_hash = "ab" * 32
    fields["hash"] = chain_hash(prev_hash, canonical_bytes(data=original, **fields))
    fields["prev_hash"] = prev_hash
    fields.update(changes)
    return RecordedEvent(position=7, data=redaction_marker(original), **fields)


def test_the_original_payload_matches_its_redacted_event() -> None:
    assert original_matches(redacted_event(ORIGINAL), {"a": {"z": None, "y": True}, "b": [1, "é"]})


def test_another_payload_does_not_match() -> None:
    assert not original_matches(redacted_event(ORIGINAL), {"a": {"z": None, "y": True}, "b": [2, "é"]})


@pytest.mark.parametrize(
    "changes",
    [
        {"stream_id": "fact:2"},
        {"stream_version": 3},
        {"event_type": "thing.changed"},
        {"schema_version": 2},
        {"metadata": {"by": "another"}},
        {"recorded_at": RECORDED_AT.replace(microsecond=0)},
        {"prev_hash": GENESIS_HASH},
        {"hash": "cd" * 32},
    ],
    ids=lambda changes: next(iter(changes)),
)
def test_the_original_does_not_match_if_a_kept_field_changed(changes: dict[str, Any]) -> None:
    """The marker's digest alone would match: the stored hash is what catches the change."""
    event = redacted_event(ORIGINAL, **changes)
    assert marker_digest(event.data) == content_sha256(ORIGINAL)
    assert not original_matches(event, ORIGINAL)


def test_an_event_that_is_not_redacted_matches_nothing() -> None:
    event = redacted_event(ORIGINAL)
    unredacted = RecordedEvent(
        **{**{f: getattr(event, f) for f in event.__struct_fields__}, "data": ORIGINAL}
    )
    assert not original_matches(unredacted, ORIGINAL)
