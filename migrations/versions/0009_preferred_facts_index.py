"""An index for Wikidata's best rank: the preferred fact versions, by subject and predicate.

With `rank=best` a preferred fact hides the normal ones with its subject and predicate. Every search
asks which normal facts a preferred one outranks; preferred facts are few, so a partial index over them
answers that with a small lookup instead of a scan of every version. The condition is spelled as a
literal (`rank = 'preferred'`), as `archive.projections.fact_versions.PREFERRED` spells it in queries:
SQLite uses a partial index only for a query that says its condition alike.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    preferred = sa.column("rank") == sa.literal_column("'preferred'", sa.String)
    op.create_index(
        "ix_fact_versions_preferred",
        "fact_versions",
        ["subject", "predicate"],
        unique=False,
        sqlite_where=preferred,
        postgresql_where=preferred,
    )


def downgrade() -> None:
    op.drop_index("ix_fact_versions_preferred", table_name="fact_versions")
