"""pytest-alembic fixtures: this project's migrations, on each backend's fresh database."""

from __future__ import annotations

import pytest
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.storage.engine import create_engine
from archive.storage.migrate import alembic_config as project_alembic_config


@pytest.fixture
def empty_database_url(backend: str, database_url: str) -> str:
    """The test database, with the template's migrations reverted so pytest-alembic starts from nothing."""
    from archive.storage.migrate import downgrade

    downgrade(database_url, "base")
    return database_url


@pytest.fixture
def alembic_config(empty_database_url: str) -> Config:
    """The project's Alembic config."""
    return project_alembic_config(empty_database_url)


@pytest.fixture
def alembic_engine(empty_database_url: str) -> AsyncEngine:
    """An async engine; env.py runs each migration command on it and disposes its pool afterwards."""
    return create_engine(empty_database_url)
