"""What auditors read: the global log in order, and what changed in belief between two record times."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.entities import evolve_entity, initial_entity_state
from archive.domain.events import citation_id, decode_event
from archive.domain.facts import FactState
from archive.domain.sources import evolve_source, initial_source_state
from archive.domain.streams import entity_stream, fact_stream, source_stream, stream_owner
from archive.eventstore import EventStore, RecordedEvent, VerifyReport, events_table
from archive.eventstore.hashing import canonical_time
from archive.projections import citations
from archive.projections.fact_versions import fact_versions_table, state_of
from archive.projections.versioning import believed_at
from archive.reads.base import ReadBase
from archive.reads.changes import fact_changes, net_fact_change, source_changes, struct_changes
from archive.reads.citations import rechecks_until
from archive.reads.filters import MAX_OFFSET
from archive.reads.views import (
    CitationChange,
    Diff,
    DiffEvent,
    EntityChange,
    EventPage,
    FactChange,
    HashedFields,
    LogEventView,
    SourceChange,
    event_view,
)


def _log_event_view(store: EventStore, stored: RecordedEvent) -> LogEventView:
    """The event as the auditor's log shows it: upcast, with the stored fields its hash covers."""
    schema_version, data = store.registry.upcast(stored.event_type, stored.schema_version, dict(stored.data))
    upcast = msgspec.structs.replace(stored, schema_version=schema_version, data=data)
    hashed = HashedFields(
        metadata=stored.metadata,
        recorded_at=canonical_time(stored.recorded_at),
        schema_version=stored.schema_version,
        data=None if (schema_version, data) == (stored.schema_version, stored.data) else stored.data,
    )
    return LogEventView(**msgspec.structs.asdict(event_view(upcast)), hashed=hashed)


async def events_page(store: EventStore, after: int, limit: int) -> EventPage:
    """Up to `limit` events after position `after`, in commit order, each with what its hash covers."""
    # A position past what a database binds (64 bits) has nothing after it.
    stored = await store.read_all(after, limit, upcast=False) if after < MAX_OFFSET else []
    next_after = stored[-1].position if len(stored) == limit else None
    return EventPage([_log_event_view(store, e) for e in stored], limit, after, next_after)


def _diff_event(recorded: RecordedEvent) -> DiffEvent:
    return DiffEvent(
        position=recorded.position,
        event_type=recorded.event_type,
        version=recorded.stream_version,
        recorded_at=recorded.recorded_at,
        actor=recorded.metadata.get("actor"),
        reason_code=recorded.data.get("reason_code"),
        justification=recorded.data.get("justification") or recorded.metadata.get("reason"),
    )


S = TypeVar("S")


def _fold_until(
    recorded: Sequence[RecordedEvent], initial: S, evolve: Callable[[S, Any], S], until: datetime
) -> S:
    """A stream's state as it stood at record time `until`."""
    state = initial
    for event in recorded:
        if event.recorded_at <= until:
            state = evolve(state, decode_event(event.event_type, event.data))
    return state


def _in_window(recorded: Sequence[RecordedEvent], start: datetime, end: datetime) -> list[DiffEvent]:
    return [_diff_event(e) for e in recorded if start < e.recorded_at <= end]


async def _fact_states(
    conn: AsyncConnection, fact_ids: Sequence[str], at: datetime
) -> dict[str, tuple[int, FactState]]:
    """The version of each fact believed at `at`, with its state (facts not yet recorded are absent)."""
    table = fact_versions_table
    found: dict[str, tuple[int, FactState]] = {}
    for offset in range(0, len(fact_ids), 1000):
        batch = fact_ids[offset : offset + 1000]
        rows = await conn.execute(select(table).where(table.c.fact_id.in_(batch), believed_at(table, at)))
        found |= {row.fact_id: (row.version, state_of(row)) for row in rows}
    return found


class LogReads(ReadBase):
    """The auditor's reads: the log in order, the changes between two record times, the chain check."""

    async def events(self, after: int, limit: int) -> EventPage:
        """A page of the global log after position `after`."""
        return await events_page(self.store, after, limit)

    async def changes(self, start: datetime, end: datetime, limit: int, offset: int) -> Diff:
        """What changed in belief after `start` and up to `end`, net: one entry per fact (a fact added
        then retracted in the window is one ``added_retracted`` entry), per source and per entity."""
        table = events_table
        first = func.min(table.c.position).label("first")
        touched_query = (
            select(table.c.stream_id, first)
            .where(table.c.recorded_at > start, table.c.recorded_at <= end)
            .group_by(table.c.stream_id)
            .order_by(first)
        )
        async with self._reads.connect() as conn:
            touched = [stream_owner(stream_id) for stream_id, _ in await conn.execute(touched_query)]
            fact_ids = [owner for kind, owner in touched if kind == "fact"]
            before = await _fact_states(conn, fact_ids, start)
            after = await _fact_states(conn, fact_ids, end)
        kinds = {
            fact_id: net_fact_change(before[fact_id][1] if fact_id in before else None, after[fact_id][1])
            for fact_id in fact_ids
            if fact_id in after
        }
        facts = []
        for fact_id in fact_ids[min(offset, MAX_OFFSET) :][:limit]:
            if fact_id not in kinds:
                continue
            old = before.get(fact_id)
            version, new = after[fact_id]
            facts.append(
                FactChange(
                    fact_id=fact_id,
                    change=kinds[fact_id],
                    version_before=None if old is None else old[0],
                    version_after=version,
                    changes=fact_changes(None if old is None else old[1], new),
                    events=_in_window(await self.store.read_stream(fact_stream(fact_id)), start, end),
                )
            )
        return Diff(
            from_=start,
            to=end,
            counts=dict(Counter(kinds.values())),
            facts=facts,
            sources=[
                await self._source_change(owner, start, end) for kind, owner in touched if kind == "source"
            ],
            entities=[
                await self._entity_change(owner, start, end) for kind, owner in touched if kind == "entity"
            ],
            total=len(kinds),
            limit=limit,
            offset=offset,
        )

    async def _source_change(self, source_id: str, start: datetime, end: datetime) -> SourceChange:
        """A source's record and text before and after, and the citations its new texts re-checked to a
        state other than the one they had at `start`."""
        recorded = await self.store.read_stream(source_stream(source_id))
        old = _fold_until(recorded, initial_source_state(), evolve_source, start)
        new = _fold_until(recorded, initial_source_state(), evolve_source, end)
        was, now = rechecks_until(recorded, start), rechecks_until(recorded, end)
        moved = {key: state for key, state in now.items() if was.get(key) != state}
        async with self._reads.connect() as conn:
            cited = await citations.states_of(conn, sorted({fact_id for fact_id, _ in moved}))
            existed = await _fact_states(conn, sorted({fact_id for fact_id, _ in moved}), start)
        changed = []
        for key, (state, line_start, line_end) in moved.items():
            row = cited.get(key)
            if row is None:
                continue
            fact_id, cid = key
            held = existed.get(fact_id)
            old_state = was.get(key, ("verified", row.line_start, row.line_end))[0]
            if held is None or all(citation_id(c) != cid for c in held[1].citations):
                old_state = None
            changed.append(
                CitationChange(
                    fact_id=fact_id,
                    line_start=row.line_start,
                    line_end=row.line_end,
                    quote=row.quote,
                    old_state=old_state,
                    new_state=state,
                    current_line_start=line_start,
                    current_line_end=line_end,
                )
            )
        return SourceChange(
            source_id=source_id,
            version_before=old.version or None,
            version_after=new.version,
            changes=source_changes(old, new),
            citations=changed,
            events=_in_window(recorded, start, end),
        )

    async def _entity_change(self, entity_id: str, start: datetime, end: datetime) -> EntityChange:
        """An entity's fields before and after."""
        recorded = await self.store.read_stream(entity_stream(entity_id))
        old = _fold_until(recorded, initial_entity_state(), evolve_entity, start)
        new = _fold_until(recorded, initial_entity_state(), evolve_entity, end)
        return EntityChange(
            entity_id=entity_id,
            version_before=old.version or None,
            version_after=new.version,
            changes=struct_changes(old if old.exists else None, new),
            events=_in_window(recorded, start, end),
        )

    async def verify(self) -> VerifyReport:
        """The hash chain recomputed from the first event."""
        return await self.store.verify()
