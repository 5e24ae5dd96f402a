"""The store and example archive most contract tests run against (a file with other needs defines its own)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.commands import Archive
from archive.eventstore import EventStore
from tests.contract.example_archive import example_archive, ticking_store


@pytest.fixture
def store(engine: AsyncEngine) -> EventStore:
    return ticking_store(engine)


@pytest.fixture
async def archive(store: EventStore) -> Archive:
    return await example_archive(store)
