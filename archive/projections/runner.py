"""Apply recorded events to every read model, in the caller's transaction, and advance the checkpoints.

Routing is a literal match on the event's class. Fact events are folded once into the fact's new
state (its previous state comes from `fact_versions`), and each fact-derived read model gets that state.
"""

from __future__ import annotations

from collections.abc import Sequence

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
from archive.domain.facts import evolve_fact
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


class Projector:
    """Keeps every read model in step with the log, inside the transaction that appends."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary

    async def apply(self, conn: AsyncConnection, recorded_events: Sequence[RecordedEvent]) -> None:
        """Apply `recorded_events` (in position order) and move every checkpoint past the last one."""
        if not recorded_events:
            return
        for recorded in recorded_events:
            await self._route(conn, decode_event(recorded.event_type, recorded.data), recorded)
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
            case (
                FactRecorded()
                | FactCited()
                | FactCorrected()
                | FactRetracted()
                | FactReranked()
                | FactLinked()
            ):
                await self._apply_fact(conn, event, recorded)
            case _:
                raise TypeError(f"no read model handles {recorded.event_type}")

    async def _apply_fact(self, conn: AsyncConnection, event: FactEvent, recorded: RecordedEvent) -> None:
        before = await fact_versions.current_state(conn, event.fact_id)
        after = evolve_fact(before, event)
        await fact_versions.apply(conn, after, recorded)
        await relations.apply(conn, after, recorded)
        await roles.apply(conn, after, recorded, self.vocabulary)
        await timeline.apply(conn, after, recorded)
        added = await citations.new_citations(conn, after)
        await citations.add(conn, after.fact_id, added)
        await citations_by_line.add(conn, after.fact_id, added)


async def clear(conn: AsyncConnection) -> None:
    """Empty every read model and its checkpoint (the first step of a rebuild)."""
    for table in reversed(READ_MODEL_TABLES.values()):
        await conn.execute(delete(table))
    await conn.execute(delete(checkpoints.checkpoints_table))
