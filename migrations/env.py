"""Alembic's async environment: one migration history for SQLite and PostgreSQL.

`config.attributes["connection"]` may carry what a caller already holds: a synchronous connection
(run on it directly) or an async engine (pytest-alembic passes one). Otherwise an engine is made from
the configured URL. `asyncio.run()` is used, so this never runs inside a running event loop.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.storage.engine import create_engine
from archive.storage.schema import metadata
from archive.storage.search import SEARCH_PREFIX, repair

config = context.config


def _include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """The search index's tables are the database's (archive/storage/search.py), made by the
    migrations' own statements, not a model's: the model comparison leaves them (and their indexes) out."""
    return type_ != "table" or not (name or "").startswith(SEARCH_PREFIX)


def _configure(connection: Connection | None = None) -> None:
    context.configure(
        include_name=_include_name,
        connection=connection,
        url=None if connection is not None else config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        literal_binds=connection is None,
    )


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()
        # A migration that rebuilt a read-model table (SQLite's batch mode) took its search triggers with it.
        repair(connection)


async def _run_async(engine: AsyncEngine) -> None:
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_run_sync)
            await conn.commit()
    finally:
        # Each asyncio.run() is a new loop: pooled connections must not outlive it.
        await engine.dispose()


given = config.attributes.get("connection")
if context.is_offline_mode():
    _configure()
    with context.begin_transaction():
        context.run_migrations()
elif isinstance(given, Connection):
    _run_sync(given)
else:
    asyncio.run(
        _run_async(
            given
            if isinstance(given, AsyncEngine)
            else create_engine(config.get_main_option("sqlalchemy.url") or "")
        )
    )
