"""Links from both ends (issue 23): the read model `fact_links`, each link a fact made, by its target.

The table is filled from the log's `fact.linked` events, so that an upgraded database shows the links
made to each fact without a rebuild: the row a replay would write, with the event's record time and
position (the first such event when a link was made twice, as the projector keeps it). Its checkpoint
starts where the others stand, since the rows are exactly those of the events they have applied.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "fact_links",
        sa.Column("target_fact_id", sa.String(length=36), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.Column("fact_id", sa.String(length=36), nullable=False),
        sa.Column("recorded_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("position_from", _POSITION, nullable=False),
        sa.PrimaryKeyConstraint("target_fact_id", "relation", "fact_id", name=op.f("pk_fact_links")),
    )
    events = sa.table(
        "events",
        sa.column("position", _POSITION),
        sa.column("event_type", sa.String),
        sa.column("data", sa.JSON().with_variant(JSONB(), "postgresql")),
        sa.column("recorded_at", sa.DateTime(timezone=True)),
    )
    # `fact.linked` is at its first schema version (no upcaster): its stored data is what the projector reads.
    target = events.c.data["target_fact_id"].as_string()
    relation = events.c.data["relation"].as_string()
    fact_id = events.c.data["fact_id"].as_string()
    first = (
        sa.select(
            target.label("target_fact_id"),
            relation.label("relation"),
            fact_id.label("fact_id"),
            sa.func.min(events.c.position).label("position"),
        )
        .where(events.c.event_type == "fact.linked")
        .group_by(target, relation, fact_id)
        .subquery()
    )
    links = sa.table(
        "fact_links",
        *(
            sa.column(name)
            for name in ("target_fact_id", "relation", "fact_id", "recorded_from", "position_from")
        ),
    )
    op.execute(
        links.insert().from_select(
            ["target_fact_id", "relation", "fact_id", "recorded_from", "position_from"],
            sa.select(
                first.c.target_fact_id,
                first.c.relation,
                first.c.fact_id,
                events.c.recorded_at,
                first.c.position,
            ).join_from(first, events, events.c.position == first.c.position),
        )
    )
    checkpoints = sa.table(
        "projection_checkpoints", sa.column("projection", sa.String), sa.column("position")
    )
    op.execute(
        checkpoints.insert().from_select(
            ["projection", "position"],
            sa.select(sa.literal("fact_links"), checkpoints.c.position).where(
                checkpoints.c.projection == "fact_versions"
            ),
        )
    )


def downgrade() -> None:
    checkpoints = sa.table("projection_checkpoints", sa.column("projection", sa.String))
    op.execute(checkpoints.delete().where(checkpoints.c.projection == "fact_links"))
    op.drop_table("fact_links")
