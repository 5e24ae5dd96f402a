"""The index of the facts' contents (issue 24): `fact_versions (subject, predicate, object, recorded_to)`.

The findings' precision variants look up the current facts sharing a batch's (subject, predicate, object)
here; by subject alone they read every fact of every subject a batch names, a read that grew with the
archive (archive/projections/fact_versions.py, `content_index`).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Migration 0012 made it already where it ran after this revision existed (its fill reads through it).
    op.create_index(
        "ix_fact_versions_content",
        "fact_versions",
        ["subject", "predicate", "object", "recorded_to"],
        unique=False,
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("ix_fact_versions_content", table_name="fact_versions", if_exists=True)
