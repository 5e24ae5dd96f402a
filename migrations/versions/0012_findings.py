"""Findings (issue 26): the read model `findings`, what each names (`finding_refs`), and the dismissals.

The upgrade fills them as a replay would: the projection's own rules (archive/projections/findings.py)
run over the read models already there, every fact and entity counted as touched, on the migration's
connection; their checkpoints start where `fact_versions`'s stands, the rows being those of the events it
has applied. The rules are today's: a finding is a view of the current read models, as after a rebuild.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from archive.bootstrap import load_vocabulary
from archive.projections import findings

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLES = ["findings", "finding_refs", "finding_dismissals"]


def upgrade() -> None:
    op.create_table(
        "findings",
        sa.Column("finding_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
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
    # A log may hold no dismissal yet: `finding.dismissed` is new with this revision.
    # The fill runs today's rules, which read the facts' contents through the index migration 0014 adds
    # (`fact_versions.content_index`; SQLite is told to): made here when missing, kept by 0014.
    op.create_index(
        "ix_fact_versions_content",
        "fact_versions",
        ["subject", "predicate", "object", "recorded_to"],
        if_not_exists=True,
    )
    findings.fill_synchronously(op.get_bind(), load_vocabulary())
    checkpoints = sa.table(
        "projection_checkpoints", sa.column("projection", sa.String), sa.column("position", _POSITION)
    )
    for name in TABLES:
        op.execute(
            checkpoints.insert().from_select(
                ["projection", "position"],
                sa.select(sa.literal(name), checkpoints.c.position).where(
                    checkpoints.c.projection == "fact_versions"
                ),
            )
        )


def downgrade() -> None:
    op.drop_index("ix_fact_versions_content", table_name="fact_versions", if_exists=True)
    op.drop_table("finding_dismissals")
    op.drop_index("ix_finding_refs_finding_id", table_name="finding_refs")
    op.drop_table("finding_refs")
    op.drop_index("ix_findings_kind", table_name="findings")
    op.drop_index("ix_findings_scope", table_name="findings")
    op.drop_table("findings")
    checkpoints = sa.table("projection_checkpoints", sa.column("projection", sa.String))
    op.execute(checkpoints.delete().where(checkpoints.c.projection.in_(TABLES)))
