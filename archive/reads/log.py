"""What auditors read: the global log in order, and what changed in belief between two record times."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.eventstore import EventStore, VerifyReport, events_table
from archive.reads.base import ReadBase
from archive.reads.filters import MAX_OFFSET
from archive.reads.views import Diff, DiffEntry, EventPage, event_view

#: How each fact event reads in a diff.
CHANGE_OF_EVENT = {
    "fact.recorded": "added",
    "fact.cited": "cited",
    "fact.corrected": "corrected",
    "fact.retracted": "retracted",
    "fact.reranked": "reranked",
    "fact.linked": "linked",
}


async def events_page(store: EventStore, after: int, limit: int) -> EventPage:
    """Up to `limit` events after position `after`, in commit order."""
    # A position past what a database binds (64 bits) has nothing after it.
    recorded = await store.read_all(after, limit) if after < MAX_OFFSET else []
    next_after = recorded[-1].position if len(recorded) == limit else None
    return EventPage([event_view(e) for e in recorded], limit, after, next_after)


async def diff(
    engine: AsyncEngine, store: EventStore, start: datetime, end: datetime, limit: int, offset: int
) -> Diff:
    """Fact events recorded after `start` and up to `end`, in log order, with counts per kind of change."""
    table = events_table
    window = (
        table.c.recorded_at > start,
        table.c.recorded_at <= end,
        table.c.event_type.in_(list(CHANGE_OF_EVENT)),
    )
    async with engine.connect() as conn:
        counted = await conn.execute(
            select(table.c.event_type, func.count()).where(*window).group_by(table.c.event_type)
        )
        counts = {CHANGE_OF_EVENT[event_type]: int(n) for event_type, n in counted}
        positions = (
            (
                await conn.execute(
                    select(table.c.position)
                    .where(*window)
                    .order_by(table.c.position)
                    .limit(limit)
                    .offset(min(offset, MAX_OFFSET))
                )
            )
            .scalars()
            .all()
        )
    items = []
    for position in positions:
        (recorded,) = await store.read_all(position - 1, 1)
        items.append(
            DiffEntry(
                fact_id=recorded.data["fact_id"],
                change=CHANGE_OF_EVENT[recorded.event_type],
                position=recorded.position,
                event_type=recorded.event_type,
                version=recorded.stream_version,
                recorded_at=recorded.recorded_at,
                actor=recorded.metadata.get("actor"),
                reason_code=recorded.data.get("reason_code"),
                justification=recorded.data.get("justification") or recorded.metadata.get("reason"),
                data=recorded.data,
            )
        )
    return Diff(
        from_=start,
        to=end,
        counts=counts,
        items=items,
        total=sum(counts.values()),
        limit=limit,
        offset=offset,
    )


class LogReads(ReadBase):
    """The auditor's reads: the log in order, the changes between two record times, the chain check."""

    async def events(self, after: int, limit: int) -> EventPage:
        """A page of the global log after position `after`."""
        return await events_page(self.store, after, limit)

    async def changes(self, start: datetime, end: datetime, limit: int, offset: int) -> Diff:
        """What changed in belief after `start` and up to `end`."""
        return await diff(self.engine, self.store, start, end, limit, offset)

    async def verify(self) -> VerifyReport:
        """The hash chain recomputed from the first event."""
        return await self.store.verify()
