"""Stream names: one stream per source, per entity and per fact."""

from __future__ import annotations

#: The log keeps a stream's name in at most this many characters (`archive/eventstore/table.py`).
MAX_STREAM_NAME_LENGTH = 200


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


#: The longest id a source or an entity may have: its stream's name is the id after ``source:`` or
#: ``entity:``, and must still fit the log (an id of 194 to 200 characters passed the API and was a 500
#: at the append).
MAX_NAMED_ID_LENGTH = MAX_STREAM_NAME_LENGTH - max(len(source_stream("")), len(entity_stream("")))
