"""The state a fact command is decided on: the `fact_versions` read model's current row, as a snapshot.

Sources and entities fold their streams; a fact's state is read from its read model instead, kept in
the same transaction as every append, so "load" means one indexed read, not a replay.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.facts import FactState
from archive.projections import fact_versions


async def load_fact_state(conn: AsyncConnection, fact_id: str) -> FactState:
    """The fact's current state (the initial state for a fact not yet recorded)."""
    return await fact_versions.current_state(conn, fact_id)


async def load_fact_states(conn: AsyncConnection, fact_ids: set[str]) -> dict[str, FactState]:
    """The current state of each fact already recorded among `fact_ids`."""
    return await fact_versions.current_states(conn, fact_ids)


async def superseded_from(conn: AsyncConnection, start: FactState) -> dict[str, FactState]:
    """Every fact `start` supersedes, directly or down a chain of supersedes links, with the state it
    was read at (a fact named by a link but never recorded is absent)."""
    found: set[str] = set()
    read: dict[str, FactState] = {}
    frontier = {link.target_fact_id for link in start.links if link.relation == "supersedes"}
    while frontier:
        found |= frontier
        states = await load_fact_states(conn, frontier)
        read.update(states)
        frontier = {
            link.target_fact_id
            for state in states.values()
            for link in state.links
            if link.relation == "supersedes" and link.target_fact_id not in found
        }
    return {fact_id: read[fact_id] for fact_id in sorted(found) if fact_id in read}
