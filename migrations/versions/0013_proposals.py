"""Proposals (issue 26): the read model `proposals`, the facts proposed from each source version and their
decisions (archive/projections/proposals.py).

The upgrade fills the table as a replay would, from the `proposal.*` events the log holds (none in a log
written before this revision; some in one migrated down and up again), and its checkpoint starts where
`fact_versions`'s stands. Sources registered before this revision get no proposals from the upgrade:
proposing appends events, which a schema migration does not do; their next version is proposed from.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from archive.projections import proposals

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "proposals",
        sa.Column("proposal_id", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("source_version", sa.Integer(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=100), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("fact_id", sa.String(length=36), nullable=True),
        sa.Column("line_start", sa.Integer(), nullable=False),
        sa.Column("line_end", sa.Integer(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("matched", sa.JSON(), nullable=False),
        sa.Column("unmatched", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("accepted_fact_id", sa.String(length=36), nullable=True),
        sa.Column("edited", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("position", _POSITION, nullable=False),
        sa.PrimaryKeyConstraint("proposal_id", name=op.f("pk_proposals")),
    )
    op.create_index("ix_proposals_source_lines", "proposals", ["source_id", "line_start"], unique=False)
    op.create_index("ix_proposals_status", "proposals", ["status"], unique=False)
    proposals.fill_synchronously(op.get_bind())
    checkpoints = sa.table(
        "projection_checkpoints", sa.column("projection", sa.String), sa.column("position", _POSITION)
    )
    op.execute(
        checkpoints.insert().from_select(
            ["projection", "position"],
            sa.select(sa.literal("proposals"), checkpoints.c.position).where(
                checkpoints.c.projection == "fact_versions"
            ),
        )
    )


def downgrade() -> None:
    op.drop_index("ix_proposals_status", table_name="proposals")
    op.drop_index("ix_proposals_source_lines", table_name="proposals")
    op.drop_table("proposals")
    checkpoints = sa.table("projection_checkpoints", sa.column("projection", sa.String))
    op.execute(checkpoints.delete().where(checkpoints.c.projection == "proposals"))
