"""Upcasters from schema version N to N+1 of an event type, keyed by (event_type, N): pure functions of
the stored data. Empty until an event's schema changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

UPCASTERS: dict[tuple[str, int], Upcaster] = {}
