"""What handlers receive by injection, from app state: the settings, the read service and the command side.

Read endpoints and pages take the read service, writes take the command side; none takes an engine or the
event store (the auth guards read tokens through the engine in app state themselves)."""

from __future__ import annotations

from litestar.datastructures import State

from archive.commands import Archive
from archive.reads import Reads
from archive.settings import Settings


def provide_settings(state: State) -> Settings:
    """The settings the app was created with."""
    settings: Settings = state.settings
    return settings


def provide_queries(state: State) -> Reads:
    """The read side."""
    queries: Reads = state.queries
    return queries


def provide_archive(state: State) -> Archive:
    """The command side."""
    archive: Archive = state.archive
    return archive
