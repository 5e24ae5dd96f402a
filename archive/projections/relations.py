"""Read model `relations`: for each fact version, a row for its subject and one for its entity object."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Date, Index, Integer, String, Table

from archive.db import metadata
from archive.domain.facts import FactState
from archive.eventstore import RecordedEvent
from archive.projections.fact_versions import valid_bounds
from archive.projections.versioning import opened_by, record_time_columns

NAME = "relations"

relations_table = Table(
    NAME,
    metadata,
    Column("fact_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("entity_id", String(200), primary_key=True),
    Column("direction", String(10), primary_key=True),
    Column("other_entity_id", String(200), nullable=True),
    Column("predicate", String(100), nullable=False),
    Column("rank", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("valid_earliest", Date, nullable=True),
    Column("valid_latest", Date, nullable=True),
    *record_time_columns(),
    Index("ix_relations_entity_id_recorded_to", "entity_id", "recorded_to"),
)


def rows_for(after: FactState, recorded: RecordedEvent) -> list[dict[str, Any]]:
    """The rows of the fact's new version: one for its subject, one for its entity object."""
    earliest, latest = valid_bounds(after)
    common = {
        "fact_id": after.fact_id,
        "version": after.version,
        "predicate": after.predicate,
        "rank": after.rank,
        "status": after.status,
        "valid_earliest": earliest,
        "valid_latest": latest,
        **opened_by(recorded),
    }
    rows = [{**common, "entity_id": after.subject, "direction": "subject", "other_entity_id": after.object}]
    if after.object is not None and after.object != after.subject:
        rows.append(
            {**common, "entity_id": after.object, "direction": "object", "other_entity_id": after.subject}
        )
    return rows
