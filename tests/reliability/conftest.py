"""Reliability fixtures: read-model snapshots compared with a rebuild, and extra fresh databases.

The database fixtures (`backend`, `database_url`, `seeded_database_url`, ...) come from tests/conftest.py,
so every reliability test runs on SQLite and, when ARCHIVE_TEST_POSTGRES_URL is set, on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from archive.bootstrap import load_vocabulary, wire
from archive.projections.checkpoints import checkpoints_table
from archive.projections.rebuild import rebuild
from archive.projections.runner import READ_MODEL_TABLES, Projector
from archive.settings import Settings, normalise_database_url

Snapshot = dict[str, list[tuple[Any, ...]]]

#: Every table a rebuild rewrites: the read models and their checkpoints.
SNAPSHOT_TABLES = {**READ_MODEL_TABLES, "projection_checkpoints": checkpoints_table}


async def snapshot(engine: AsyncEngine) -> Snapshot:
    """Every row of every read model (and the checkpoints), each table ordered by its primary key."""
    taken: Snapshot = {}
    async with engine.connect() as conn:
        for name, table in SNAPSHOT_TABLES.items():
            order = list(table.primary_key.columns)
            rows = await conn.execute(select(table).order_by(*order))
            taken[name] = [tuple(row) for row in rows]
    return taken


def differences(live: Snapshot, rebuilt: Snapshot) -> list[str]:
    """A readable account of how two snapshots differ (empty when they are equal)."""
    found = []
    for name in SNAPSHOT_TABLES:
        before, after = live[name], rebuilt[name]
        if before == after:
            continue
        only_live = [row for row in before if row not in after]
        only_rebuilt = [row for row in after if row not in before]
        found.append(
            f"{name}: {len(before)} rows live, {len(after)} rebuilt; "
            f"only live {only_live[:2]!r}; only rebuilt {only_rebuilt[:2]!r}"
        )
    return found


async def rebuild_and_compare(engine: AsyncEngine) -> tuple[Snapshot, Snapshot, int]:
    """Snapshot the read models, rebuild them from the log, snapshot again.

    Returns both snapshots and the number of events the rebuild replayed.
    """
    live = await snapshot(engine)
    store = wire(engine).store
    replayed = await rebuild(store, Projector(load_vocabulary()))
    return live, await snapshot(engine), replayed


@pytest.fixture
def assert_read_models_equal_rebuild() -> Callable[[AsyncEngine], Awaitable[int]]:
    """A check: the read models on `engine` equal a rebuild from its log; returns the rows compared."""

    async def check(engine: AsyncEngine) -> int:
        live, rebuilt, replayed = await rebuild_and_compare(engine)
        found = differences(live, rebuilt)
        assert not found, "read models differ from a rebuild:\n" + "\n".join(found)
        assert replayed == await wire(engine).store.count()
        return sum(len(rows) for rows in live.values())

    return check


@pytest.fixture
async def seeded_client(seeded_database_url: str) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """An HTTP client on a fresh copy of the seeded corpus (as in the integration tier)."""
    settings = Settings(database_url=seeded_database_url, log_format="json", log_level="WARNING")
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


# -- extra fresh databases -----------------------------------------------------------------------------


def _postgres(database: str | None = None) -> str:
    url = make_url(normalise_database_url(os.environ["ARCHIVE_TEST_POSTGRES_URL"]))
    if database is None:
        return url.set(drivername="postgresql").render_as_string(hide_password=False)
    return url.set(database=database).render_as_string(hide_password=False)


def _admin(statement: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(_postgres())
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture
def fresh_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[], Awaitable[str]]]:
    """An async factory of further fresh, migrated databases on the test's backend (dropped afterwards)."""
    template = request.getfixturevalue("sqlite_template" if backend == "sqlite" else "postgres_template")
    created: list[str] = []

    async def make() -> str:
        name = f"archive_f_{uuid.uuid4().hex[:12]}"
        if backend == "sqlite":
            target = tmp_path / f"{name}.db"
            await asyncio.to_thread(shutil.copyfile, template, target)
            return f"sqlite+aiosqlite:///{target}"
        conn = await asyncpg.connect(_postgres())
        try:
            await conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        finally:
            await conn.close()
        created.append(name)
        return _postgres(name)

    yield make
    for name in created:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
