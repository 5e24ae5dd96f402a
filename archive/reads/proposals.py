"""Proposals: the facts the archive proposed from each source version, by source, status and rule.

The rows are the read model `proposals` (archive/projections/proposals.py). A pending proposal whose fact
the archive already holds reads as `already_recorded`: that is asked of `fact_versions` here, by the
proposal's fact id, so it follows every fact write (a seeded corpus' curated facts are not shown as work).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, and_, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.facts import FactContent
from archive.domain.proposal_reviews import proposal_stream
from archive.eventstore.table import events_table
from archive.projections.fact_versions import fact_versions_table
from archive.projections.proposals import proposals_table
from archive.reads.base import ReadBase
from archive.reads.errors import NotFound
from archive.reads.filters import MAX_OFFSET
from archive.reads.views import NameMatch, ProposalPage, ProposalStep, ProposalView
from archive.storage.engine import stored_utc

#: A proposal's status as a read gives it.
PROPOSAL_STATUSES: tuple[str, ...] = ("pending", "already_recorded", "accepted", "rejected")

_recorded = exists(
    select(fact_versions_table.c.fact_id).where(fact_versions_table.c.fact_id == proposals_table.c.fact_id)
)
#: The status column as read: a pending proposal whose fact exists is already recorded.
status_read: ColumnElement[str] = case(
    (and_(proposals_table.c.status == "pending", _recorded), "already_recorded"),
    else_=proposals_table.c.status,
)


class ProposalReads(ReadBase):
    """The proposals read."""

    async def proposals(
        self,
        *,
        source: str | None = None,
        status: str | None = None,
        rule: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> ProposalPage:
        """Proposals in source then line order; `counts` gives, with the same filters but `status`, how many
        there are of each status."""
        table = proposals_table
        conditions: list[ColumnElement[bool]] = []
        if source:
            conditions.append(table.c.source_id == source)
        if rule:
            conditions.append(table.c.rule == rule)
        async with self._reads.connect() as conn:
            by_status = select(status_read, func.count()).where(*conditions).group_by(status_read)
            counts = {str(s): int(n) for s, n in await conn.execute(by_status)}
            if status:
                conditions.append(status_read == status)
            query = (
                select(table, status_read.label("status_read"))
                .where(*conditions)
                .order_by(table.c.source_id, table.c.line_start, table.c.rule, table.c.proposal_id)
                .limit(limit)
                .offset(min(offset, MAX_OFFSET))  # past what the databases' integers hold: nothing there
            )
            rows = list(await conn.execute(query))
            items = await _views(conn, rows)
        total = sum(n for s, n in counts.items() if not status or s == status)
        return ProposalPage(items=items, total=total, limit=limit, offset=offset, counts=counts)

    async def proposal(self, proposal_id: str) -> ProposalView:
        """One proposal, with its audit trail."""
        query = select(proposals_table, status_read.label("status_read")).where(
            proposals_table.c.proposal_id == proposal_id
        )
        async with self._reads.connect() as conn:
            rows = list(await conn.execute(query))
            if not rows:
                raise NotFound(f"no proposal {proposal_id}")
            return (await _views(conn, rows))[0]

    async def pending_proposal_count(self) -> int:
        """How many proposals wait for an archivist (pending, their fact not recorded yet): the home page's
        count."""
        query = select(func.count()).select_from(proposals_table).where(status_read == "pending")
        async with self._single_reads.connect() as conn:
            return int((await conn.execute(query)).scalar_one())


async def _steps(conn: AsyncConnection, proposal_ids: Sequence[str]) -> dict[str, list[ProposalStep]]:
    """Each proposal's events in log order, with the actor the command recorded."""
    streams = {proposal_stream(pid): pid for pid in proposal_ids}
    if not streams:
        return {}
    table = events_table
    query = (
        select(
            table.c.stream_id,
            table.c.position,
            table.c.event_type,
            table.c.stream_version,
            table.c.recorded_at,
            table.c.event_metadata,
        )
        .where(table.c.stream_id.in_(sorted(streams)))
        .order_by(table.c.position)
    )
    steps: dict[str, list[ProposalStep]] = {}
    for stream_id, position, event_type, version, recorded_at, metadata in await conn.execute(query):
        steps.setdefault(streams[stream_id], []).append(
            ProposalStep(
                position=int(position),
                event_type=str(event_type),
                version=int(version),
                recorded_at=stored_utc(recorded_at),
                actor=(metadata or {}).get("actor"),
            )
        )
    return steps


def _content(stored: Any) -> FactContent | None:
    return None if stored is None else msgspec.convert(stored, FactContent)


async def _views(conn: AsyncConnection, rows: Sequence[Any]) -> list[ProposalView]:
    steps = await _steps(conn, [row.proposal_id for row in rows])
    return [
        ProposalView(
            id=row.proposal_id,
            source_id=row.source_id,
            source_version=row.source_version,
            content_sha256=row.content_sha256,
            rule=row.rule,
            content=msgspec.convert(row.content, FactContent),
            fact_id=row.fact_id,
            line_start=row.line_start,
            line_end=row.line_end,
            quote=row.quote,
            matched=[NameMatch(words, entity_id) for words, entity_id in row.matched],
            unmatched=list(row.unmatched),
            status=row.status_read,
            version=row.version,
            made_at=stored_utc(row.made_at),
            steps=steps.get(row.proposal_id, []),
            decided_at=None if row.decided_at is None else stored_utc(row.decided_at),
            decided_by=row.decided_by,
            accepted_fact_id=row.accepted_fact_id,
            edited=_content(row.edited),
            reason=row.reason,
        )
        for row in rows
    ]


__all__ = ["PROPOSAL_STATUSES", "ProposalReads"]
