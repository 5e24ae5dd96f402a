"""The timeline: dated facts in order of valid time, for one entity or for all."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from archive.domain.time import PartialDate
from archive.projections.fact_versions import fact_versions_table
from archive.projections.timeline import timeline_table
from archive.projections.versioning import believed_at
from archive.reads.entities import EntityReads
from archive.reads.filters import RankFilter, page, rank_condition
from archive.reads.views import FactPage


class TimelineReads(EntityReads):
    """The timeline read."""

    async def timeline(
        self,
        entity_id: str | None,
        start: PartialDate | None,
        end: PartialDate | None,
        as_of: datetime | None,
        rank: RankFilter,
        limit: int,
        offset: int,
    ) -> FactPage:
        """Dated facts in order of valid time, for one entity or for all, between `start` and `end`."""
        if entity_id is not None:
            await self.entity(entity_id)
        table = timeline_table
        conditions = [believed_at(table, as_of), *rank_condition(table, rank, as_of, self.backend.use_index)]
        conditions.append(table.c.entity_id == entity_id if entity_id else table.c.involvement == "subject")
        if start is not None:
            conditions.append(table.c.sort_end >= start.earliest)
        if end is not None:
            conditions.append(table.c.sort_start <= end.latest)
        query = (
            select(table.c.fact_id, table.c.version)
            .where(*conditions)
            .order_by(table.c.sort_start, table.c.sort_end, table.c.fact_id)
        )
        async with self._reads.connect() as conn:
            keys, total = await page(conn, query, limit, offset)
            rows_by_key = {}
            if keys:
                fv = fact_versions_table
                found = await conn.execute(
                    select(fv).where(fv.c.fact_id.in_([k.fact_id for k in keys]), believed_at(fv, as_of))
                )
                rows_by_key = {(r.fact_id, r.version): r for r in found}
            rows = [
                rows_by_key[(k.fact_id, k.version)] for k in keys if (k.fact_id, k.version) in rows_by_key
            ]
            items = await self._fact_views(conn, rows, None, as_of)
        return FactPage(items=items, total=total, limit=limit, offset=offset)
