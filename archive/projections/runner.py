"""Apply recorded events to every read model, in the caller's transaction, and advance the checkpoints.

Routing is a literal match on the event's class. Fact events are folded into each fact's new state
(the states before the batch come from `fact_versions`, in one query); each fact-derived read model
turns that state into rows, and a whole batch is written with one statement per table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, delete
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.events import (
    EntityRegistered,
    EntityRevised,
    Event,
    FactCited,
    FactCorrected,
    FactLinked,
    FactRecorded,
    FactReranked,
    FactRetracted,
    SourceRegistered,
    SourceRevised,
    decode_event,
)
from archive.domain.facts import FactState, evolve_fact, initial_fact_state
from archive.domain.vocabulary import Vocabulary
from archive.eventstore import RecordedEvent
from archive.projections import (
    checkpoints,
    citations,
    citations_by_line,
    entities,
    fact_versions,
    relations,
    roles,
    sources,
    timeline,
)
from archive.projections.versioning import close_many

#: Every read model, in the order a rebuild clears them.
READ_MODEL_TABLES: dict[str, Table] = {
    sources.NAME: sources.sources_table,
    entities.NAME: entities.entities_table,
    fact_versions.NAME: fact_versions.fact_versions_table,
    relations.NAME: relations.relations_table,
    roles.NAME: roles.roles_table,
    timeline.NAME: timeline.timeline_table,
    citations.NAME: citations.citations_table,
    citations_by_line.NAME: citations_by_line.citations_by_line_table,
}

FactEvent = FactRecorded | FactCited | FactCorrected | FactRetracted | FactReranked | FactLinked

#: The fact-derived read models whose rows carry a record-time interval.
VERSIONED_TABLES: tuple[Table, ...] = (
    fact_versions.fact_versions_table,
    relations.relations_table,
    roles.roles_table,
    timeline.timeline_table,
)


class _FactRows:
    """Rows of fact-derived read models, buffered so that a batch costs one statement per table.

    A fact that had rows before the batch gets them closed (one UPDATE per table for all such facts);
    a fact touched twice within the batch has its first buffered rows closed in memory instead.
    """

    def __init__(self, states: dict[str, FactState], known_citations: dict[str, set[str]]) -> None:
        self.states = states
        self.known_citations = known_citations
        self.closes: list[dict[str, Any]] = []
        self.open: dict[str, list[dict[str, Any]]] = {}
        self.inserts: dict[Table, list[dict[str, Any]]] = {}

    def add(self, event: FactEvent, recorded: RecordedEvent, vocabulary: Vocabulary) -> None:
        before = self.states.get(event.fact_id, initial_fact_state())
        after = evolve_fact(before, event)
        self.states[event.fact_id] = after
        if event.fact_id in self.open:
            for row in self.open[event.fact_id]:
                row["recorded_to"], row["position_to"] = recorded.recorded_at, recorded.position
        elif before.exists:
            self.closes.append(
                {"fact_id": event.fact_id, "at": recorded.recorded_at, "position": recorded.position}
            )
        versioned = {
            fact_versions.fact_versions_table: fact_versions.rows_for(after, recorded),
            relations.relations_table: relations.rows_for(after, recorded),
            roles.roles_table: roles.rows_for(after, recorded, vocabulary),
            timeline.timeline_table: timeline.rows_for(after, recorded),
        }
        self.open[event.fact_id] = [row for rows in versioned.values() for row in rows]
        added = citations.added_citations(after, self.known_citations.setdefault(event.fact_id, set()))
        current = {
            **versioned,
            citations.citations_table: citations.rows_for(after.fact_id, added),
            citations_by_line.citations_by_line_table: citations_by_line.rows_for(after.fact_id, added),
        }
        for table, rows in current.items():
            self.inserts.setdefault(table, []).extend(rows)

    async def flush(self, conn: AsyncConnection) -> None:
        for table in VERSIONED_TABLES:
            await close_many(conn, table, self.closes)
        for table, rows in self.inserts.items():
            if rows:
                await conn.execute(table.insert(), rows)
        self.closes, self.open, self.inserts = [], {}, {}


class Projector:
    """Keeps every read model in step with the log, inside the transaction that appends."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary

    async def apply(
        self,
        conn: AsyncConnection,
        recorded_events: Sequence[RecordedEvent],
        states_before: Mapping[str, FactState] | None = None,
    ) -> None:
        """Apply `recorded_events` (in position order) and move every checkpoint past the last one.

        `states_before` are fact states the caller already loaded in this transaction (the command
        handlers have them); only the other facts' states are read from `fact_versions`.
        """
        if not recorded_events:
            return
        decoded = [(decode_event(r.event_type, r.data), r) for r in recorded_events]
        fact_ids = {e.fact_id for e, _ in decoded if isinstance(e, FACT_EVENTS)}
        known = dict(states_before or {})
        states = {**await fact_versions.current_states(conn, fact_ids - known.keys()), **known}
        rows = _FactRows(states, await citations.known_ids(conn, fact_ids))
        for event, recorded in decoded:
            if isinstance(event, FACT_EVENTS):
                rows.add(event, recorded, self.vocabulary)
                continue
            await rows.flush(conn)  # source and entity events see every fact event before them
            await self._route(conn, event, recorded)
        await rows.flush(conn)
        await checkpoints.advance(conn, READ_MODEL_TABLES, recorded_events[-1].position)

    async def _route(self, conn: AsyncConnection, event: Event, recorded: RecordedEvent) -> None:
        match event:
            case SourceRegistered():
                await sources.apply(conn, event, recorded)
            case SourceRevised():
                await sources.apply(conn, event, recorded)
                await citations.recheck(conn, event.rechecks)
                await citations_by_line.recheck(conn, event.source_id, event.rechecks)
            case EntityRegistered() | EntityRevised():
                await entities.apply(conn, event, recorded)
            case _:
                raise TypeError(f"no read model handles {recorded.event_type}")


FACT_EVENTS = (FactRecorded, FactCited, FactCorrected, FactRetracted, FactReranked, FactLinked)


async def clear(conn: AsyncConnection) -> None:
    """Empty every read model and its checkpoint (the first step of a rebuild)."""
    for table in reversed(READ_MODEL_TABLES.values()):
        await conn.execute(delete(table))
    await conn.execute(delete(checkpoints.checkpoints_table))
