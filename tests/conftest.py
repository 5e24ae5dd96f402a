"""Fixtures shared by every tier: one backend-parametrised database, migrated from a template per test.

SQLite always runs. PostgreSQL runs when ARCHIVE_TEST_POSTGRES_URL names a database whose role may
create databases (`.ci/run` sets it up); each test gets a fresh database cloned from a migrated template.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest
from hypothesis import settings
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.bootstrap import wire
from archive.commands import Archive
from archive.eventstore import EventStore
from archive.seeding import Seeder
from archive.settings import normalise_database_url
from archive.storage.engine import create_engine
from archive.storage.migrate import upgrade

# No per-example deadline: these machines have 2 shared cores, and under load (the mutation run's clean
# pass) a property test failed on an example's time though nothing was wrong. A slow example is the
# bench's business; the tests' own `max_examples` and the suite's timeouts bound the time.
settings.register_profile("shared-cores", deadline=None)
settings.load_profile("shared-cores")

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"

POSTGRES_URL = os.environ.get("ARCHIVE_TEST_POSTGRES_URL")
NO_POSTGRES = "set ARCHIVE_TEST_POSTGRES_URL to run the PostgreSQL tier"
if os.environ.get("CI") == "true" and not POSTGRES_URL:
    # In CI the PostgreSQL tier must run, never be skipped quietly.
    raise pytest.UsageError("CI=true but ARCHIVE_TEST_POSTGRES_URL is unset: .ci/run must set it")

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=[pytest.mark.postgres, pytest.mark.skipif(not POSTGRES_URL, reason=NO_POSTGRES)],
    ),
]


def _admin_dsn() -> str:
    url = make_url(normalise_database_url(POSTGRES_URL or ""))
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _postgres_url(database: str) -> str:
    url = make_url(normalise_database_url(POSTGRES_URL or ""))
    return url.set(database=database).render_as_string(hide_password=False)


def _admin(*statements: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(_admin_dsn())
        try:
            for statement in statements:
                for attempt in range(10):
                    try:
                        await conn.execute(statement)
                        break
                    except (asyncpg.ObjectInUseError, asyncpg.InsufficientPrivilegeError):
                        # A background worker (autovacuum) may still be in the database: wait for it.
                        if attempt == 9:
                            raise
                        await asyncio.sleep(0.5)
        finally:
            await conn.close()

    asyncio.run(run())


# A test's PostgreSQL database is dropped on a thread of its own while the next test runs: DROP DATABASE
# waits on the server's disk, and the suite would wait for it once per test.
_DROPS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-test-database")
_DROPPING: list[Future[None]] = []


def _drop_later(name: str) -> None:
    _DROPPING.append(_DROPS.submit(_admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture(scope="session", autouse=True)
def _databases_dropped() -> Iterator[None]:
    """At the end of the session, wait for the databases still being dropped; warn of any that failed."""
    yield
    _DROPS.shutdown(wait=True)
    failed = [error for future in _DROPPING if (error := future.exception()) is not None]
    if failed:
        warnings.warn(f"{len(failed)} test database(s) were not dropped: {failed[0]!r}", stacklevel=1)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("template") / "archive.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated PostgreSQL database that each test clones."""
    name = f"archive_tpl_{os.getpid()}"
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")
    upgrade(_postgres_url(name))
    yield name
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def seed_corpus(url: str, seeds: Path = SEEDS) -> None:
    """Seed `url` with a seeds folder, from synchronous code."""

    async def run() -> None:
        engine = create_engine(url)
        try:
            await Seeder(make_archive(engine), seeds).run()
        finally:
            await engine.dispose()

    asyncio.run(run())


def make_archive(engine: AsyncEngine) -> Archive:
    """The archive's command side on `engine`."""
    return wire(engine).commands


@pytest.fixture(scope="session")
def seeded_sqlite_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file holding the seed corpus."""
    path = tmp_path_factory.mktemp("seeded") / "archive.db"
    shutil.copyfile(sqlite_template, path)
    seed_corpus(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def seeded_postgres_template(postgres_template: str) -> Iterator[str]:
    """A migrated PostgreSQL database holding the seed corpus."""
    name = f"archive_seeded_{os.getpid()}"
    _admin(
        f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name} TEMPLATE {postgres_template}"
    )
    seed_corpus(_postgres_url(name))
    yield name
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend this test runs on."""
    return str(request.param)


@pytest.fixture
def postgres_backend(backend: str) -> str:
    """The backend, for a test of PostgreSQL's behaviour alone (skipped on SQLite)."""
    if backend != "postgres":
        pytest.skip("checks PostgreSQL's behaviour")
    return backend


@pytest.fixture
def sqlite_backend(backend: str) -> str:
    """The backend, for a test of SQLite's behaviour alone (skipped on PostgreSQL)."""
    if backend != "sqlite":
        pytest.skip("checks SQLite's behaviour")
    return backend


def _fresh_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, seeded: bool
) -> Iterator[str]:
    """A database for one test, copied (SQLite) or cloned (PostgreSQL) from a session template."""
    kind = "seeded_" if seeded else ""
    if backend == "sqlite":
        target = tmp_path / f"{kind}archive.db"
        shutil.copyfile(request.getfixturevalue(f"{kind}sqlite_template"), target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    template = request.getfixturevalue(f"{kind}postgres_template")
    name = f"archive_{'s' if seeded else 't'}_{uuid.uuid4().hex[:12]}"
    _admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    yield _postgres_url(name)
    _drop_later(name)


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, migrated database for one test."""
    yield from _fresh_database(backend, tmp_path, request, seeded=False)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the test's database."""
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def store(engine: AsyncEngine) -> EventStore:
    """An event store knowing the archive's own event types."""
    return wire(engine).store


@pytest.fixture
def seeded_database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database for one test, already holding the seed corpus."""
    yield from _fresh_database(backend, tmp_path, request, seeded=True)


@pytest.fixture
async def seeded_engine(seeded_database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a fresh copy of the seeded corpus."""
    engine = create_engine(seeded_database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def seeded_archive(seeded_engine: AsyncEngine) -> Archive:
    """The command side on a fresh copy of the seeded corpus."""
    return make_archive(seeded_engine)
