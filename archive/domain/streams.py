"""Stream names: one stream per source, per entity and per fact."""

from __future__ import annotations


def source_stream(source_id: str) -> str:
    """The stream of one source document."""
    return f"source:{source_id}"


def entity_stream(entity_id: str) -> str:
    """The stream of one entity."""
    return f"entity:{entity_id}"


def fact_stream(fact_id: str) -> str:
    """The stream of one fact."""
    return f"fact:{fact_id}"


def stream_owner(stream_id: str) -> tuple[str, str]:
    """The kind (``source``, ``entity`` or ``fact``) and id a stream name stands for."""
    kind, _, owner = stream_id.partition(":")
    return kind, owner
