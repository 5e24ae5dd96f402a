"""One migration history for SQLite and PostgreSQL: a single head, up and down, models matching."""

from __future__ import annotations

from pytest_alembic.tests import (
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.schema import CreateIndex

from archive.projections.roles import valid_time_index

__all__ = [
    "test_model_definitions_match_ddl",
    "test_single_head_revision",
    "test_up_down_consistency",
    "test_upgrade",
]


async def test_the_valid_time_index_of_roles_is_migrated_as_the_model_defines_it(
    sqlite_backend: str, engine: AsyncEngine
) -> None:
    # Alembic cannot compare an index on expressions on SQLite (it skips it with a warning), and the
    # index is only used by queries that spell its expressions and its WHERE alike: compare its SQL.
    # On PostgreSQL, test_model_definitions_match_ddl compares its expressions.
    async with engine.connect() as conn:
        migrated = (
            await conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (valid_time_index.name,)
            )
        ).scalar_one()
    assert migrated == str(CreateIndex(valid_time_index).compile(dialect=engine.dialect)).strip()
