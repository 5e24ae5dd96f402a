"""The shapes an event has at the store's boundary: before it is recorded, after, and as a replay reads it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

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


class ReplayedEvent(msgspec.Struct, frozen=True):
    """A recorded event as a replay reads it: its place in the log and its payload, decoded into its type."""

    position: int
    event_type: str
    recorded_at: datetime
    event: Any


class Logged(Protocol):
    """Where an event sits in the log and when it was recorded: what a projection needs beside the event."""

    @property
    def position(self) -> int: ...

    @property
    def event_type(self) -> str: ...

    @property
    def recorded_at(self) -> datetime: ...
