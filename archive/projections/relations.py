"""Read model `relations`: for each fact version, a row for its subject and one for its entity object."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import Column, Date, Index, Integer, String, Table

from archive.projections.versioning import NewVersion, record_time_columns
from archive.storage.engine import metadata

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


class RelationRow(msgspec.Struct, kw_only=True):
    """A row of `relations`: the fact seen from one entity it relates (dates and times encoded)."""

    fact_id: str
    version: int
    entity_id: str
    direction: str
    other_entity_id: str | None
    predicate: str
    rank: str
    status: str
    valid_earliest: Any
    valid_latest: Any
    recorded_from: Any
    recorded_to: Any = None
    position_from: int
    position_to: int | None = None


def rows_for(new: NewVersion) -> list[RelationRow]:
    """The rows of the fact's new version: one for its subject, one for its entity object."""
    after = new.state
    sides = [(after.subject, "subject", after.object)]
    if after.object is not None and after.object != after.subject:
        sides.append((after.object, "object", after.subject))
    return [
        RelationRow(
            fact_id=after.fact_id,
            version=after.version,
            entity_id=entity_id,
            direction=direction,
            other_entity_id=other,
            predicate=after.predicate,
            rank=after.rank,
            status=after.status,
            valid_earliest=new.earliest,
            valid_latest=new.latest,
            recorded_from=new.recorded_from,
            position_from=new.position,
        )
        for entity_id, direction, other in sides
    ]
