"""Entities written through the API (issue 23): each row's stream version, and the redirect of a merge.

`version` is what a revision or a merge names as its `expected_version`; existing rows get their
stream's version from the log. `merged_into` is set by `entity.merged_into` (none exists before this
revision), indexed because an entity's relations and the registry's search look up who redirects to it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A default only while the column is filled: every row the projector writes names its version.
    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("merged_into", sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f("ix_entities_merged_into"), ["merged_into"], unique=False)
    entities = sa.table("entities", sa.column("entity_id", sa.String), sa.column("version", sa.Integer))
    events = sa.table("events", sa.column("stream_id", sa.String), sa.column("stream_version", sa.Integer))
    stream_version = (
        sa.select(sa.func.max(events.c.stream_version))
        .where(events.c.stream_id == sa.literal("entity:") + entities.c.entity_id)
        .scalar_subquery()
    )
    op.execute(entities.update().values(version=sa.func.coalesce(stream_version, 1)))
    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.alter_column("version", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entities_merged_into"))
        batch_op.drop_column("merged_into")
        batch_op.drop_column("version")
