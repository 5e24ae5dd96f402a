"""Read model `relations`: for each fact version, a row for its subject and one for its entity object."""

from __future__ import annotations

from typing import Any

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


def rows_for(new: NewVersion) -> list[list[Any]]:
    """The rows of the fact's new version: one for its subject, one for its entity object."""
    after = new.state
    rows = [
        [
            after.fact_id,
            after.version,
            after.subject,
            "subject",
            after.object,
            after.predicate,
            after.rank,
            after.status,
            new.earliest,
            new.latest,
            *new.interval(),
        ]
    ]
    if after.object is not None and after.object != after.subject:
        rows.append(
            [
                after.fact_id,
                after.version,
                after.object,
                "object",
                after.subject,
                after.predicate,
                after.rank,
                after.status,
                new.earliest,
                new.latest,
                *new.interval(),
            ]
        )
    return rows
