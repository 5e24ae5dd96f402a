"""Full-text search over the read models (issue 23, search): filled in by the next commits.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The search index is added in the commits that follow; this revision exists first so that
    # later migrations can chain after it.
    pass


def downgrade() -> None:
    pass
