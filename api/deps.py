"""What handlers receive by injection: the settings, the engine and the event store, from app state."""

from __future__ import annotations

from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.commands import Archive
from archive.eventstore import EventStore
from archive.reads import Reads
from archive.settings import Settings


def provide_settings(state: State) -> Settings:
    """The settings the app was created with."""
    settings: Settings = state.settings
    return settings


def provide_engine(state: State) -> AsyncEngine:
    """The app's database engine."""
    engine: AsyncEngine = state.engine
    return engine


def provide_store(state: State) -> EventStore:
    """The app's event store."""
    store: EventStore = state.store
    return store


def provide_queries(state: State) -> Reads:
    """The read side."""
    queries: Reads = state.queries
    return queries


def provide_archive(state: State) -> Archive:
    """The command side."""
    archive: Archive = state.archive
    return archive
