"""Entities: the registry, one entity, its history, and the facts it takes part in.

A merged entity redirects, as a merged Wikidata item does: asked for by its id, the answer is the entity
it was merged into, with `redirected_from` naming the id asked for; that entity's relations include the
facts that name the merged one (the facts themselves still name it: the log is not rewritten). The
merged entity's own history stays readable under its id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.streams import entity_stream
from archive.domain.time import PartialDate
from archive.projections import entities
from archive.projections.relations import relations_table
from archive.projections.versioning import believed_at
from archive.reads.errors import NotFound
from archive.reads.facts import FactReads
from archive.reads.filters import RankFilter, page, rank_condition, unmatchable, valid_condition
from archive.reads.search import entity_matches, ranked_entities, search_phrases
from archive.reads.views import EntityHistory, EntityPage, EntityView, FactPage, event_view


def _entity_view(row: Row[Any], merged_from: list[str], redirected_from: str | None = None) -> EntityView:
    return EntityView(
        row.entity_id,
        row.kind,
        row.label,
        list(row.aliases),
        row.version,
        merged_from=merged_from,
        redirected_from=redirected_from,
    )


class EntityReads(FactReads):
    """Reads of the entity registry and of an entity's relations."""

    async def entities(self, q: str | None, kind: str | None, limit: int, offset: int) -> EntityPage:
        """Entities of `kind` when given; with `q`, those whose label or aliases hold its words, best
        first (merged ones lead to their target)."""
        phrases = search_phrases(q) if q else ()
        if unmatchable(q, kind) or (q and not phrases):
            return EntityPage(items=[], total=0, limit=limit, offset=offset, matches={} if q else None)
        query = entities.registry(kind)
        if phrases:  # ranked, best first (archive/reads/search.py)
            query = ranked_entities(self.backend.search, query, phrases)
        else:
            query = query.order_by(entities.entities_table.c.entity_id)
        async with self._reads.connect() as conn:
            rows, total = await page(conn, query, limit, offset)
            matches = await entity_matches(conn, self.backend.search, phrases, rows) if phrases else None
            merged = await entities.merged_from(conn, {r.entity_id for r in rows})
        items = [_entity_view(r, merged.get(r.entity_id, [])) for r in rows]
        return EntityPage(items=items, total=total, limit=limit, offset=offset, matches=matches)

    async def entity(self, entity_id: str) -> EntityView:
        """One entity; for a merged one, the entity it was merged into, with `redirected_from`."""
        async with self._reads.connect() as conn:
            row = await self._followed(conn, entity_id)
            merged = await entities.merged_from(conn, {row.entity_id})
        redirected_from = entity_id if row.entity_id != entity_id else None
        return _entity_view(row, merged.get(row.entity_id, []), redirected_from)

    @staticmethod
    async def _followed(conn: AsyncConnection, entity_id: str) -> Row[Any]:
        """The entity's row, or the row of the entity it was merged into (redirects are one step)."""
        if unmatchable(entity_id):
            raise NotFound(f"entity {entity_id!r} does not exist")
        row = await entities.get(conn, entity_id)
        if row is not None and row.merged_into is not None:
            row = await entities.get(conn, row.merged_into)
        if row is None:
            raise NotFound(f"entity {entity_id!r} does not exist")
        return row

    async def entity_history(self, entity_id: str) -> EntityHistory:
        """Every event of the entity's own stream, with who, when and why (a merged one's too)."""
        if unmatchable(entity_id):
            raise NotFound(f"entity {entity_id!r} does not exist")
        recorded = await self.store.read_stream(entity_stream(entity_id))
        if not recorded:
            raise NotFound(f"entity {entity_id!r} does not exist")
        async with self._reads.connect() as conn:
            redirect = (await entities.redirects(conn, {entity_id})).get(entity_id)
        return EntityHistory(
            entity_id=entity_id, merged_into=redirect, events=[event_view(e) for e in recorded]
        )

    async def relations(
        self,
        entity_id: str,
        valid_at: PartialDate | None,
        as_of: datetime | None,
        rank: RankFilter,
        limit: int,
        offset: int,
    ) -> FactPage:
        """Facts in which the entity, or an entity merged into it, is subject or object.

        The redirects are followed as they stand now: `as_of` picks the facts' versions, not the merges.
        """
        async with self._reads.connect() as conn:
            named = await entities.same_entity(conn, (await self._followed(conn, entity_id)).entity_id)
        table = relations_table
        conditions = [table.c.entity_id.in_(named), believed_at(table, as_of)]
        conditions += rank_condition(table, rank, as_of, self.backend.use_index) + valid_condition(
            table, valid_at
        )
        fact_ids = select(table.c.fact_id).where(*conditions)
        return await self.search_facts_by_ids(fact_ids, valid_at, as_of, limit, offset)
