"""The two shapes an event has at the store's boundary: before and after it is recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class NewEvent(msgspec.Struct, frozen=True):
    """An event to append. `schema_version` defaults to the registry's current version for its type."""

    event_type: str
    data: dict[str, Any]
    schema_version: int | None = None


class RecordedEvent(msgspec.Struct, frozen=True):
    """An event as stored: its global position, its place in its stream, and its link in the hash chain."""

    position: int
    stream_id: str
    stream_version: int
    event_type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    recorded_at: datetime
    prev_hash: str
    hash: str
