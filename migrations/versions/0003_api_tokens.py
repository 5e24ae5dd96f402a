"""API tokens (stored as hashes), and an index on events.recorded_at for record-time diffs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 01:38:35.420809
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("token_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_api_tokens_token_sha256")),
    )
    # Not in batch mode: on SQLite a batch could rebuild `events` and lose its immutability triggers.
    op.create_index("ix_events_recorded_at", "events", ["recorded_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_events_recorded_at", table_name="events")

    op.drop_table("api_tokens")
