"""The read models: sources, entities, fact_versions, relations, roles, timeline, citations,
citations_by_line, and the projection checkpoints.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 01:30:37.931479
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "citations",
        sa.Column("fact_id", sa.String(length=36), nullable=False),
        sa.Column("citation_id", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("line_start", sa.Integer(), nullable=False),
        sa.Column("line_end", sa.Integer(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("current_line_start", sa.Integer(), nullable=True),
        sa.Column("current_line_end", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("fact_id", "citation_id", name=op.f("pk_citations")),
    )
    with op.batch_alter_table("citations", schema=None) as batch_op:
        batch_op.create_index("ix_citations_source_id", ["source_id"], unique=False)
        batch_op.create_index("ix_citations_state", ["state"], unique=False)

    op.create_table(
        "citations_by_line",
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("fact_id", sa.String(length=36), nullable=False),
        sa.Column("citation_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint(
            "source_id", "line", "fact_id", "citation_id", name=op.f("pk_citations_by_line")
        ),
    )
    op.create_table(
        "entities",
        sa.Column("entity_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("entity_id", name=op.f("pk_entities")),
    )
    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entities_kind"), ["kind"], unique=False)

    op.create_table(
        "fact_versions",
        sa.Column("fact_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("predicate", sa.String(length=100), nullable=False),
        sa.Column("object", sa.String(length=200), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("valid_from", sa.String(length=40), nullable=True),
        sa.Column("valid_to", sa.String(length=40), nullable=True),
        sa.Column("point_in_time", sa.String(length=40), nullable=True),
        sa.Column("valid_earliest", sa.Date(), nullable=True),
        sa.Column("valid_latest", sa.Date(), nullable=True),
        sa.Column("modality", sa.String(length=20), nullable=False),
        sa.Column("rank", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("recorded_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("position_from", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position_to", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.PrimaryKeyConstraint("fact_id", "version", name=op.f("pk_fact_versions")),
    )
    with op.batch_alter_table("fact_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_fact_versions_fact_id_recorded", ["fact_id", "recorded_from", "recorded_to"], unique=False
        )
        batch_op.create_index("ix_fact_versions_object_recorded_to", ["object", "recorded_to"], unique=False)
        batch_op.create_index(
            "ix_fact_versions_predicate_recorded_to", ["predicate", "recorded_to"], unique=False
        )
        batch_op.create_index(
            "ix_fact_versions_recorded_to_recorded_from", ["recorded_to", "recorded_from"], unique=False
        )
        batch_op.create_index(
            "ix_fact_versions_subject_recorded_to", ["subject", "recorded_to"], unique=False
        )

    op.create_table(
        "projection_checkpoints",
        sa.Column("projection", sa.String(length=64), nullable=False),
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("projection", name=op.f("pk_projection_checkpoints")),
    )
    op.create_table(
        "relations",
        sa.Column("fact_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("other_entity_id", sa.String(length=200), nullable=True),
        sa.Column("predicate", sa.String(length=100), nullable=False),
        sa.Column("rank", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("valid_earliest", sa.Date(), nullable=True),
        sa.Column("valid_latest", sa.Date(), nullable=True),
        sa.Column("recorded_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("position_from", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position_to", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.PrimaryKeyConstraint("fact_id", "version", "entity_id", "direction", name=op.f("pk_relations")),
    )
    with op.batch_alter_table("relations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_relations_entity_id_recorded_to", ["entity_id", "recorded_to"], unique=False
        )

    op.create_table(
        "roles",
        sa.Column("fact_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("office_id", sa.String(length=200), nullable=True),
        sa.Column("office_label", sa.Text(), nullable=True),
        sa.Column("organization_id", sa.String(length=200), nullable=True),
        sa.Column("organization_label", sa.Text(), nullable=True),
        sa.Column("predicate", sa.String(length=100), nullable=False),
        sa.Column("valid_from", sa.String(length=40), nullable=True),
        sa.Column("valid_to", sa.String(length=40), nullable=True),
        sa.Column("point_in_time", sa.String(length=40), nullable=True),
        sa.Column("valid_earliest", sa.Date(), nullable=True),
        sa.Column("valid_latest", sa.Date(), nullable=True),
        sa.Column("modality", sa.String(length=20), nullable=False),
        sa.Column("rank", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("recorded_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("position_from", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position_to", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.PrimaryKeyConstraint("fact_id", "version", name=op.f("pk_roles")),
    )
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.create_index("ix_roles_holder_recorded_to", ["holder", "recorded_to"], unique=False)
        batch_op.create_index("ix_roles_office_id_recorded_to", ["office_id", "recorded_to"], unique=False)
        batch_op.create_index(
            "ix_roles_organization_id_recorded_to", ["organization_id", "recorded_to"], unique=False
        )

    op.create_table(
        "sources",
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("source_date", sa.String(length=40), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("source_id", name=op.f("pk_sources")),
    )
    op.create_table(
        "timeline",
        sa.Column("fact_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=False),
        sa.Column("involvement", sa.String(length=20), nullable=False),
        sa.Column("predicate", sa.String(length=100), nullable=False),
        sa.Column("sort_start", sa.Date(), nullable=False),
        sa.Column("sort_end", sa.Date(), nullable=False),
        sa.Column("valid_earliest", sa.Date(), nullable=True),
        sa.Column("valid_latest", sa.Date(), nullable=True),
        sa.Column("rank", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("recorded_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("position_from", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position_to", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.PrimaryKeyConstraint("fact_id", "version", "entity_id", name=op.f("pk_timeline")),
    )
    with op.batch_alter_table("timeline", schema=None) as batch_op:
        batch_op.create_index("ix_timeline_entity_id_sort_start", ["entity_id", "sort_start"], unique=False)
        batch_op.create_index(
            "ix_timeline_involvement_sort_start", ["involvement", "sort_start"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("timeline", schema=None) as batch_op:
        batch_op.drop_index("ix_timeline_involvement_sort_start")
        batch_op.drop_index("ix_timeline_entity_id_sort_start")

    op.drop_table("timeline")
    op.drop_table("sources")
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.drop_index("ix_roles_organization_id_recorded_to")
        batch_op.drop_index("ix_roles_office_id_recorded_to")
        batch_op.drop_index("ix_roles_holder_recorded_to")

    op.drop_table("roles")
    with op.batch_alter_table("relations", schema=None) as batch_op:
        batch_op.drop_index("ix_relations_entity_id_recorded_to")

    op.drop_table("relations")
    op.drop_table("projection_checkpoints")
    with op.batch_alter_table("fact_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_fact_versions_subject_recorded_to")
        batch_op.drop_index("ix_fact_versions_recorded_to_recorded_from")
        batch_op.drop_index("ix_fact_versions_predicate_recorded_to")
        batch_op.drop_index("ix_fact_versions_object_recorded_to")
        batch_op.drop_index("ix_fact_versions_fact_id_recorded")

    op.drop_table("fact_versions")
    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entities_kind"))

    op.drop_table("entities")
    op.drop_table("citations_by_line")
    with op.batch_alter_table("citations", schema=None) as batch_op:
        batch_op.drop_index("ix_citations_state")
        batch_op.drop_index("ix_citations_source_id")

    op.drop_table("citations")
