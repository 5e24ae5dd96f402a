"""What handlers receive by injection, from app state: the settings, the read service and the command side.

Read endpoints and pages take the read service, writes take the command side; none takes an engine or the
event store (the auth guards read tokens through the engine in app state themselves). Both are routed per
request (`api.replica`): a read may be answered by the read replica, and a write reports its log position.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State

from api.replica import provide_positioned_archive, provide_routed_queries
from archive.commands import Archive
from archive.reads import Reads
from archive.settings import Settings


def provide_settings(state: State) -> Settings:
    """The settings the app was created with."""
    settings: Settings = state.settings
    return settings


async def provide_queries(state: State, request: Request[Any, Any, Any]) -> Reads:
    """The read side: the replica's for a read when one is configured and fresh enough, else the primary's."""
    return await provide_routed_queries(state, request)


def provide_archive(state: State, request: Request[Any, Any, Any]) -> Archive:
    """The command side (on the primary), reporting the log position of what the request writes."""
    return provide_positioned_archive(state, request)
