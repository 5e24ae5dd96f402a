"""An index for `GET /roles?valid_at=`: the current roles in the order the route lists them.

Its keys are `(valid_earliest IS NULL, coalesce(valid_earliest, '0001-01-01'), fact_id)`, the order of
the route, then the latest day (open: '9999-12-31'), modality, rank and status, so that a page is read
in order and the count from the index alone (PostgreSQL allows that only when the bare columns are
there too: the two valid-time columns are INCLUDEd). Partial: current rows only; on SQLite also only
for queries that say `(valid_earliest IS NULL) IN (0, 1)`, a term that is always true and that only
the listings by valid time say (without statistics SQLite preferred the index even where another was
far better; PostgreSQL, which has them, would drop that term from the index conditions if its WHERE
said it). `archive.projections.roles` spells the conditions the same way: SQLite matches an indexed
expression, and a partial index's WHERE, only when the query spells it alike.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Expressions, not text: each dialect renders them as the model's index does (PostgreSQL wants
    # `(valid_earliest IS NULL)` in parentheses). Not in batch mode: SQLite needs no table rebuild.
    valid_earliest, valid_latest = sa.column("valid_earliest"), sa.column("valid_latest")
    current = sa.column("recorded_to").is_(None)
    # On SQLite, only for queries that opt in: the second term is always true (see the docstring).
    opted_in = sa.and_(current, valid_earliest.is_(None).in_([sa.false(), sa.true()]))
    op.create_index(
        "ix_roles_current_valid_time",
        "roles",
        [
            valid_earliest.is_(None),
            sa.func.coalesce(valid_earliest, sa.literal_column("'0001-01-01'")),
            "fact_id",
            sa.func.coalesce(valid_latest, sa.literal_column("'9999-12-31'")),
            "modality",
            "rank",
            "status",
        ],
        unique=False,
        sqlite_where=opted_in,
        postgresql_where=current,
        postgresql_include=["valid_earliest", "valid_latest"],
    )


def downgrade() -> None:
    op.drop_index("ix_roles_current_valid_time", table_name="roles")
