"""Redaction: an event's payload replaced by the sha256 of its canonical bytes, its place in the chain kept.

As QLDB's `REDACT_REVISION` does, only the payload (`data`) goes; the other fields the event hash covers
stay, and so does the stored hash. The chain still links (the next event's hash covers this one's stored
hash), the Merkle tree over the hashes is the same tree, and whoever holds the original payload can check
it against both the marker and the stored hash (`original_matches`).

The marker is `{"redacted_sha256": "<64 hex>"}`, the digest of the payload's canonical JSON (the bytes
`canonical_bytes` puts in the event hash: sorted keys, no whitespace). The `events` table's triggers
(migration 0010) accept an UPDATE only when it sets exactly this marker, computed there from the old
payload, and changes nothing else. The redaction itself is an event of the type `REDACTION_EVENT_TYPE`
whose payload names the redacted `position` and the marker's digest; `EventStore.verify` requires one
for every marker it meets.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

import msgspec

from archive.eventstore.hashing import canonical_bytes, chain_hash

#: The one key of a redaction marker.
MARKER_KEY = "redacted_sha256"
#: The event type that records a redaction: its payload holds `position` and `content_sha256`.
REDACTION_EVENT_TYPE = "log.redacted"
#: How a redacted payload's stored JSON text begins, on either database (a quick test before decoding).
MARKER_PREFIX = '{"' + MARKER_KEY + '"'

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_canonical = msgspec.json.Encoder(order="sorted")


class RedactedPayload(msgspec.Struct, frozen=True):
    """What a replay reads in place of a redacted payload: the digest of what was there."""

    content_sha256: str


def content_sha256(data: Any) -> str:
    """The sha256 of a payload's canonical JSON (sorted keys, no whitespace), as hex."""
    return hashlib.sha256(_canonical.encode(data)).hexdigest()


def redaction_marker(data: Any) -> dict[str, str]:
    """The marker that replaces `data`."""
    return {MARKER_KEY: content_sha256(data)}


def marker_digest(data: Any) -> str | None:
    """The digest a well-formed marker holds (one key, 64 lowercase hex digits), or None for any other
    payload."""
    if not isinstance(data, Mapping) or len(data) != 1:
        return None
    digest = data.get(MARKER_KEY)
    if isinstance(digest, str) and _SHA256_HEX.fullmatch(digest):
        return digest
    return None


def is_redacted(data: Any) -> bool:
    """Whether `data` is a redaction marker."""
    return marker_digest(data) is not None


def original_matches(event: Any, original: Mapping[str, Any]) -> bool:
    """Whether `original` is the payload a redacted `event` (a `RecordedEvent` as stored, not upcast) held:
    its digest is the marker's, and with the kept fields it recomputes the stored hash."""
    if marker_digest(event.data) != content_sha256(original):
        return False
    recomputed = chain_hash(
        event.prev_hash,
        canonical_bytes(
            stream_id=event.stream_id,
            stream_version=event.stream_version,
            event_type=event.event_type,
            schema_version=event.schema_version,
            data=original,
            metadata=event.metadata,
            recorded_at=event.recorded_at,
        ),
    )
    return bool(recomputed == event.hash)
