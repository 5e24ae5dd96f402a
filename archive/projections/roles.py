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
from archive.eventstore import RecordedEvent
from archive.projections.fact_versions import valid_bounds
from archive.projections.versioning import opened_by, record_time_columns

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


def rows_for(after: FactState, recorded: RecordedEvent, vocabulary: Vocabulary) -> list[dict[str, Any]]:
    """The role row of the fact's new version, if its predicate describes a role."""
    predicate = vocabulary.predicates.get(after.predicate)
    if predicate is None or predicate.role is None:
        return []
    office_id, office_label = resolve_slot(predicate.role.office, after)
    organization_id, organization_label = resolve_slot(predicate.role.organization, after)
    earliest, latest = valid_bounds(after)
    return [
        {
            "fact_id": after.fact_id,
            "version": after.version,
            "holder": after.subject,
            "office_id": office_id,
            "office_label": office_label,
            "organization_id": organization_id,
            "organization_label": organization_label,
            "predicate": after.predicate,
            "valid_from": after.valid_from,
            "valid_to": after.valid_to,
            "point_in_time": after.point_in_time,
            "valid_earliest": earliest,
            "valid_latest": latest,
            "modality": after.modality,
            "rank": after.rank,
            "status": after.status,
            **opened_by(recorded),
        }
    ]
