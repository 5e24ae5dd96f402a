"""Read model `timeline`: dated facts, one row per entity they involve, ordered by valid time."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Column, Date, Index, Integer, String, Table

from archive.db import metadata
from archive.domain.facts import FactState
from archive.domain.time import make_valid_time
from archive.eventstore import RecordedEvent
from archive.projections.fact_versions import valid_bounds
from archive.projections.versioning import opened_by, record_time_columns

NAME = "timeline"

timeline_table = Table(
    NAME,
    metadata,
    Column("fact_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("entity_id", String(200), primary_key=True),
    Column("involvement", String(20), nullable=False),
    Column("predicate", String(100), nullable=False),
    Column("sort_start", Date, nullable=False),
    Column("sort_end", Date, nullable=False),
    Column("valid_earliest", Date, nullable=True),
    Column("valid_latest", Date, nullable=True),
    Column("rank", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    *record_time_columns(),
    Index("ix_timeline_entity_id_sort_start", "entity_id", "sort_start"),
    Index("ix_timeline_involvement_sort_start", "involvement", "sort_start"),
)


def involved(state: FactState) -> dict[str, str]:
    """Entity id → how the fact involves it (the subject wins when an entity plays several parts)."""
    parts = {
        "place": state.qualifiers.place,
        "organization": state.qualifiers.organization,
        "role": state.qualifiers.role,
        "object": state.object,
        "subject": state.subject,
    }
    return {entity: part for part, entity in parts.items() if entity is not None}


def rows_for(after: FactState, recorded: RecordedEvent) -> list[dict[str, Any]]:
    """The rows of the fact's new version, one per entity it involves; none without a valid time."""
    if make_valid_time(after.valid_from, after.valid_to, after.point_in_time).is_empty:
        return []
    earliest, latest = valid_bounds(after)
    common = {
        "fact_id": after.fact_id,
        "version": after.version,
        "predicate": after.predicate,
        "sort_start": earliest or date.min,
        "sort_end": latest or date.max,
        "valid_earliest": earliest,
        "valid_latest": latest,
        "rank": after.rank,
        "status": after.status,
        **opened_by(recorded),
    }
    return [{**common, "entity_id": entity, "involvement": part} for entity, part in involved(after).items()]
