"""Integration fixtures: the app on the test's database, through Litestar's AsyncTestClient."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiosqlite
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from archive.settings import FINDINGS_DELAY_MS, Settings
from archive.tokens import create_token

#: The actors of the tokens `headers` creates, as the log records them.
ARCHIVIST = "archivist-ada"
AUDITOR = "auditor-ode"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings for the test's database, with JSON logs and the server's findings delay."""
    return Settings(
        database_url=database_url, log_format="json", log_level="WARNING", findings_delay_ms=FINDINGS_DELAY_MS
    )


@pytest.fixture
def app(settings: Settings) -> Litestar:
    """The application under test."""
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """An HTTP client bound to the app, with its lifespan run."""
    async with AsyncTestClient(app=app) as client:
        yield client


@pytest.fixture
async def seeded_client(seeded_database_url: str) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """An HTTP client on a fresh copy of the seeded corpus."""
    settings = Settings(
        database_url=seeded_database_url,
        log_format="json",
        log_level="WARNING",
        findings_delay_ms=FINDINGS_DELAY_MS,
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every function queued to an aiosqlite connection's thread, in order."""
    queued: list[str] = []
    original = aiosqlite.Connection._execute

    async def counting(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        queued.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
    return queued


@pytest.fixture
async def headers(seeded_engine: AsyncEngine) -> dict[str, dict[str, str]]:
    """Bearer headers of an archivist and an auditor token, created on the seeded test database."""
    archivist, _ = await create_token(seeded_engine, "archivist", ARCHIVIST)
    auditor, _ = await create_token(seeded_engine, "auditor", AUDITOR)
    return {
        "archivist": {"Authorization": f"Bearer {archivist}"},
        "auditor": {"Authorization": f"Bearer {auditor}"},
    }
