"""The bridge between domain events and the event store: which types exist, and how old ones upcast."""

from __future__ import annotations

from archive.domain.events import SCHEMA_VERSIONS
from archive.eventstore import EventTypeRegistry
from archive.eventstore.upcasting import Upcaster

#: Upcasters from schema version N to N+1, keyed by (event_type, N). Empty until a schema changes.
UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def event_registry() -> EventTypeRegistry:
    """The registry of every domain event type at its current schema version."""
    return EventTypeRegistry(SCHEMA_VERSIONS, UPCASTERS)
