"""The hash chain: each event's hash covers the previous hash and the canonical bytes of the event."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec

GENESIS_HASH = "0" * 64
_encoder = msgspec.json.Encoder(order="sorted")


def canonical_time(moment: datetime) -> str:
    """A UTC timestamp as fixed-width text, so it hashes the same whichever database returned it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(
    *,
    stream_id: str,
    stream_version: int,
    event_type: str,
    schema_version: int,
    data: Any,
    metadata: Any,
    recorded_at: datetime,
) -> bytes:
    """The event as JSON with sorted keys and no insignificant whitespace."""
    return _encoder.encode(
        {
            "stream_id": stream_id,
            "stream_version": stream_version,
            "event_type": event_type,
            "schema_version": schema_version,
            "data": data,
            "metadata": metadata,
            "recorded_at": canonical_time(recorded_at),
        }
    )


def chain_hash(prev_hash: str, event_bytes: bytes) -> str:
    """sha256(prev_hash || canonical bytes), as hex."""
    return hashlib.sha256(prev_hash.encode("ascii") + event_bytes).hexdigest()


def canonical_row(row: Mapping[str, Any], recorded_at: datetime) -> bytes:
    """`canonical_bytes` of an event row as the store prepares it (`event_metadata` is its metadata)."""
    return canonical_bytes(
        stream_id=row["stream_id"],
        stream_version=row["stream_version"],
        event_type=row["event_type"],
        schema_version=row["schema_version"],
        data=row["data"],
        metadata=row["event_metadata"],
        recorded_at=recorded_at,
    )
