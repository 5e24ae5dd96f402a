"""Bulk ingest: many facts decided by the same decider as one record, appended and projected at once."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.commands.fact_states import load_fact_states
from archive.commands.facts import FactCommands
from archive.commands.unit import CommandMeta
from archive.domain.errors import DomainError
from archive.domain.events import Citation, Event, Rank, encode_event, event_type_of
from archive.domain.facts import (
    FactContent,
    RecordFact,
    decide_fact,
    evolve_fact,
    fact_id_for,
    initial_fact_state,
)
from archive.domain.streams import fact_stream
from archive.eventstore import NewEvent, RecordedEvent, StreamWrite


class FactInput(msgspec.Struct, frozen=True):
    """One fact to ingest in bulk."""

    content: FactContent
    rank: Rank
    citations: tuple[Citation, ...]


class IngestError(Exception):
    """An item of a bulk ingest that the decider refused; nothing of the batch was appended."""

    def __init__(self, index: int, error: DomainError) -> None:
        self.index = index
        self.error = error
        super().__init__(f"item {index}: {error}")


class Ingested(msgspec.Struct, frozen=True):
    """What a bulk ingest appended: each item's fact id, and the events."""

    fact_ids: list[str]
    events: list[RecordedEvent]


class IngestCommands(FactCommands):
    """The bulk ingest handler."""

    async def ingest_facts(
        self, items: Sequence[FactInput], meta: CommandMeta, conn: AsyncConnection | None = None
    ) -> Ingested:
        """Record many facts at once, through the same decider as `record_fact`.

        The context (entity kinds, source texts) and the facts' current states are loaded with one
        query each, every item is decided in order (a fact repeated in the batch gets `fact.cited`),
        and all the events are appended and projected with one statement per table. Any refusal
        raises `IngestError` naming the item, and nothing of the batch is appended.
        """
        async with self._in(conn) as tx:
            referenced: set[str | None] = set()
            for item in items:
                q = item.content.qualifiers
                referenced |= {item.content.subject, item.content.object, q.role, q.place, q.organization}
            context = await self._context(tx, referenced, [c for item in items for c in item.citations])
            fact_ids = []
            for index, item in enumerate(items):
                try:
                    fact_ids.append(fact_id_for(item.content))
                except DomainError as error:
                    raise IngestError(index, error) from error
            states = await load_fact_states(tx, set(fact_ids))
            start_versions = {fact_id: state.version for fact_id, state in states.items()}
            # Every item's state before the batch, the new facts' included: the projector reads none.
            states_before = {fact_id: states.get(fact_id) or initial_fact_state() for fact_id in fact_ids}
            decided: dict[str, list[Event]] = {}
            recorded_at = self._clock()
            for index, (item, fact_id) in enumerate(zip(items, fact_ids, strict=True)):
                state = states.get(fact_id, initial_fact_state())
                # The states were read in this transaction, which holds the append lock: the version
                # each item is decided on is the current one, so an ingest adds citations knowingly.
                command = RecordFact(
                    item.content,
                    item.rank,
                    item.citations,
                    context,
                    recorded_at,
                    expected_version=state.version,
                )
                try:
                    events = decide_fact(command, state)
                except DomainError as error:
                    raise IngestError(index, error) from error
                for event in events:
                    state = evolve_fact(state, event)
                states[fact_id] = state
                if events:
                    decided.setdefault(fact_id, []).extend(events)
            writes = [
                StreamWrite(
                    fact_stream(fact_id),
                    start_versions.get(fact_id, 0),
                    [NewEvent(event_type_of(e), encode_event(e)) for e in events],
                )
                for fact_id, events in decided.items()
            ]
            recorded: list[RecordedEvent] = []
            if writes:
                recorded = await self.store.append_streams_in(tx, writes, meta.as_metadata())
                await self.projector.apply(tx, recorded, states_before)
            return Ingested(fact_ids, recorded)
