"""The registry of event types: which exist, their current schema version, and how old payloads upcast.

An upcaster turns the data of version N into version N+1. Stored rows are never rewritten: upcasting
happens on every read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from archive.eventstore.errors import UnknownEventTypeError

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class EventTypeRegistry:
    """Known event types with their current schema versions, and the upcasters between versions."""

    def __init__(
        self,
        current_versions: Mapping[str, int],
        upcasters: Mapping[tuple[str, int], Upcaster] | None = None,
    ) -> None:
        self._current = dict(current_versions)
        self._upcasters = dict(upcasters or {})
        for (event_type, from_version), _ in self._upcasters.items():
            if event_type not in self._current:
                raise UnknownEventTypeError(event_type)
            if from_version >= self._current[event_type]:
                current = self._current[event_type]
                raise ValueError(f"upcaster for {event_type} v{from_version} is not below current v{current}")
        for event_type, current in self._current.items():
            for version in range(1, current):
                if (event_type, version) not in self._upcasters:
                    raise ValueError(f"{event_type} is at v{current} but has no upcaster from v{version}")

    def current_version(self, event_type: str) -> int:
        """The schema version new events of this type are written with."""
        try:
            return self._current[event_type]
        except KeyError:
            raise UnknownEventTypeError(event_type) from None

    def upcast(
        self, event_type: str, schema_version: int, data: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """Bring `data` from `schema_version` to the current version, one step at a time."""
        current = self.current_version(event_type)
        while schema_version < current:
            data = self._upcasters[(event_type, schema_version)](data)
            schema_version += 1
        return schema_version, data
