"""Read model `timeline`: dated facts, one row per entity they involve, ordered by valid time."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import Column, Date, Index, Integer, String, Table

from archive.domain.facts import FactState
from archive.projections.versioning import NewVersion, record_time_columns
from archive.storage.engine import metadata

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


class TimelineRow(msgspec.Struct, kw_only=True):
    """A row of `timeline`: a dated fact seen from one entity it involves (dates and times encoded)."""

    fact_id: str
    version: int
    entity_id: str
    involvement: str
    predicate: str
    sort_start: Any
    sort_end: Any
    valid_earliest: Any
    valid_latest: Any
    rank: str
    status: str
    recorded_from: Any
    recorded_to: Any = None
    position_from: int
    position_to: int | None = None


def rows_for(new: NewVersion) -> list[TimelineRow]:
    """The rows of the fact's new version, one per entity it involves; none without a valid time."""
    if not new.dated:
        return []
    after = new.state
    return [
        TimelineRow(
            fact_id=after.fact_id,
            version=after.version,
            entity_id=entity,
            involvement=part,
            predicate=after.predicate,
            sort_start=new.sort_start,
            sort_end=new.sort_end,
            valid_earliest=new.earliest,
            valid_latest=new.latest,
            rank=after.rank,
            status=after.status,
            recorded_from=new.recorded_from,
            position_from=new.position,
        )
        for entity, part in involved(after).items()
    ]
