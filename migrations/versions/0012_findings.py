"""Findings (issue 26): the read model `findings`, what each names (`finding_refs`), and the dismissals.

The tables start empty: findings are computed by the projector's rules, in Python, from the other read
models, which a migration does not run. An upgraded database gets its findings from
`archive rebuild-projections` (until then, only the scopes later writes touch have theirs; `archive
verify` reports the difference).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "findings",
        sa.Column("finding_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("scope", sa.String(length=300), nullable=False),
        sa.Column("fact_ids", sa.JSON(), nullable=False),
        sa.Column("entity_ids", sa.JSON(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("finding_id", name=op.f("pk_findings")),
    )
    op.create_index("ix_findings_scope", "findings", ["scope"], unique=False)
    op.create_index("ix_findings_kind", "findings", ["kind"], unique=False)
    op.create_table(
        "finding_refs",
        sa.Column("ref", sa.String(length=250), nullable=False),
        sa.Column("finding_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("ref", "finding_id", name=op.f("pk_finding_refs")),
    )
    op.create_index("ix_finding_refs_finding_id", "finding_refs", ["finding_id"], unique=False)
    op.create_table(
        "finding_dismissals",
        sa.Column("finding_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("reason_code", sa.String(length=40), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("position", _POSITION, nullable=False),
        sa.PrimaryKeyConstraint("finding_id", name=op.f("pk_finding_dismissals")),
    )


def downgrade() -> None:
    op.drop_table("finding_dismissals")
    op.drop_index("ix_finding_refs_finding_id", table_name="finding_refs")
    op.drop_table("finding_refs")
    op.drop_index("ix_findings_kind", table_name="findings")
    op.drop_index("ix_findings_scope", table_name="findings")
    op.drop_table("findings")
    checkpoints = sa.table("projection_checkpoints", sa.column("projection", sa.String))
    op.execute(
        checkpoints.delete().where(
            checkpoints.c.projection.in_(["findings", "finding_refs", "finding_dismissals"])
        )
    )
