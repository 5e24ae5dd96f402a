"""Read model `roles`: who held which office in which organisation, and when.

A fact feeds it when its predicate has a role mapping in the vocabulary; the mapping says where the
office and the organisation come from (the object, the subject, a qualifier, or a fixed label).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Date, Index, Integer, String, Table, Text

from archive.db import metadata
from archive.domain.facts import FactState
from archive.domain.vocabulary import Vocabulary
from archive.projections.versioning import NewVersion, record_time_columns

NAME = "roles"

roles_table = Table(
    NAME,
    metadata,
    Column("fact_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("office_id", String(200), nullable=True),
    Column("office_label", Text, nullable=True),
    Column("organization_id", String(200), nullable=True),
    Column("organization_label", Text, nullable=True),
    Column("predicate", String(100), nullable=False),
    Column("valid_from", String(40), nullable=True),
    Column("valid_to", String(40), nullable=True),
    Column("point_in_time", String(40), nullable=True),
    Column("valid_earliest", Date, nullable=True),
    Column("valid_latest", Date, nullable=True),
    Column("modality", String(20), nullable=False),
    Column("rank", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    *record_time_columns(),
    Index("ix_roles_holder_recorded_to", "holder", "recorded_to"),
    Index("ix_roles_office_id_recorded_to", "office_id", "recorded_to"),
    Index("ix_roles_organization_id_recorded_to", "organization_id", "recorded_to"),
)


def resolve_slot(slot: str, state: FactState) -> tuple[str | None, str | None]:
    """(entity id, fixed label) named by a role-mapping slot for this fact."""
    if slot.startswith("label:"):
        return None, slot.removeprefix("label:")
    by_slot = {
        "object": state.object,
        "subject": state.subject,
        "qualifier:role": state.qualifiers.role,
        "qualifier:organization": state.qualifiers.organization,
    }
    return by_slot[slot], None


def rows_for(new: NewVersion, vocabulary: Vocabulary) -> list[list[Any]]:
    """The role row of the fact's new version, if its predicate describes a role."""
    after = new.state
    predicate = vocabulary.predicates.get(after.predicate)
    if predicate is None or predicate.role is None:
        return []
    office_id, office_label = resolve_slot(predicate.role.office, after)
    organization_id, organization_label = resolve_slot(predicate.role.organization, after)
    return [
        [
            after.fact_id,
            after.version,
            after.subject,
            office_id,
            office_label,
            organization_id,
            organization_label,
            after.predicate,
            after.valid_from,
            after.valid_to,
            after.point_in_time,
            new.earliest,
            new.latest,
            after.modality,
            after.rank,
            after.status,
            *new.interval(),
        ]
    ]
