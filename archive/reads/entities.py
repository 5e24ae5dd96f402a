"""Entities: the registry, one entity, and the facts it takes part in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from archive.domain.time import PartialDate
from archive.projections import entities
from archive.projections.relations import relations_table
from archive.projections.versioning import believed_at
from archive.reads.errors import NotFound
from archive.reads.facts import FactReads
from archive.reads.filters import MAX_OFFSET, RankFilter, rank_condition, unmatchable, valid_condition
from archive.reads.views import EntityPage, EntityView, FactPage


class EntityReads(FactReads):
    """Reads of the entity registry and of an entity's relations."""

    async def entities(self, q: str | None, kind: str | None, limit: int, offset: int) -> EntityPage:
        """Entities whose label or an alias contains `q`, of `kind` when given."""
        if unmatchable(q, kind):
            return EntityPage(items=[], total=0, limit=limit, offset=offset)
        async with self._reads.connect() as conn:
            rows, total = await entities.search(conn, q, kind, limit, min(offset, MAX_OFFSET))
        items = [EntityView(r.entity_id, r.kind, r.label, list(r.aliases)) for r in rows]
        return EntityPage(items=items, total=total, limit=limit, offset=offset)

    async def entity(self, entity_id: str) -> EntityView:
        """One entity."""
        if unmatchable(entity_id):
            raise NotFound(f"entity {entity_id!r} does not exist")
        async with self._reads.connect() as conn:
            row = await entities.get(conn, entity_id)
        if row is None:
            raise NotFound(f"entity {entity_id!r} does not exist")
        return EntityView(row.entity_id, row.kind, row.label, list(row.aliases))

    async def relations(
        self,
        entity_id: str,
        valid_at: PartialDate | None,
        as_of: datetime | None,
        rank: RankFilter,
        limit: int,
        offset: int,
    ) -> FactPage:
        """Facts in which the entity is subject or object."""
        await self.entity(entity_id)
        table = relations_table
        conditions = [table.c.entity_id == entity_id, believed_at(table, as_of)]
        conditions += rank_condition(table, rank) + valid_condition(table, valid_at)
        fact_ids = select(table.c.fact_id).where(*conditions)
        return await self.search_facts_by_ids(fact_ids, valid_at, as_of, limit, offset)
