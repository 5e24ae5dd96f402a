"""Full-text search: the facts and entities whose words match, best first, and why each matched.

The database ranks (archive/storage/search.py: bm25 on SQLite, ts_rank and trigram similarity on
PostgreSQL); here a search joins its matches to the read model it filters, so every other filter of the
question (as_of, valid_at, rank, a predicate...) still applies, and says for each answer on the page its
score and the fields that matched. Ties keep the order the listing has without a search.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.projections.entities import entities_table
from archive.projections.fact_versions import fact_versions_table
from archive.reads.views import SearchMatch
from archive.storage.search import ENTITY_FIELDS, FACT_FIELDS, Phrase, TextSearch, search_phrases

__all__ = ["entity_matches", "fact_matches", "ranked_entities", "ranked_facts", "search_phrases"]


def ranked_facts(
    search: TextSearch, query: Select[Any], phrases: Sequence[Phrase], ties: Sequence[ColumnElement[Any]]
) -> Select[Any]:
    """`query` (of `fact_versions`) narrowed to the versions whose document holds every phrase, with their
    `score`, best first, then in the order of `ties`.

    Each version has its own document, so a fact is found by the value, note and quotes of the version
    the question reads (the current one, or the one believed at `as_of`), not by those of another.
    """
    table = fact_versions_table
    matches = search.facts(phrases)
    joined = and_(matches.c.fact_id == table.c.fact_id, matches.c.version == table.c.version)
    return query.join(matches, joined).add_columns(matches.c.score).order_by(matches.c.score.desc(), *ties)


async def fact_matches(
    conn: AsyncConnection, search: TextSearch, phrases: Sequence[Phrase], rows: Sequence[Row[Any]]
) -> dict[str, SearchMatch]:
    """By fact id, each row's score and the fields of its version in which a phrase matched."""
    if not rows:
        return {}
    ids = sorted({r.fact_id for r in rows})
    scores: dict[tuple[str, int], Any] = {(r.fact_id, r.version): r._mapping.get("score") for r in rows}
    if None in scores.values():
        # Rows read again by their keys (only what definitely held: `filters.held_page`) have no score.
        matches = search.facts(phrases)
        scored = select(matches.c.fact_id, matches.c.version, matches.c.score).where(
            matches.c.fact_id.in_(ids)
        )
        scores |= {(r.fact_id, r.version): r.score for r in await conn.execute(scored)}
    found = await conn.execute(search.fact_fields(phrases), {"ids": ids})
    fields = {(r[0], r[1]): _flagged(FACT_FIELDS, r[2:]) for r in found}
    return {
        r.fact_id: SearchMatch(scores[(r.fact_id, r.version)], fields.get((r.fact_id, r.version), []))
        for r in rows
    }


def ranked_entities(search: TextSearch, query: Select[Any], phrases: Sequence[Phrase]) -> Select[Any]:
    """`query` (of the registry, `entities`) narrowed to the entities whose label or aliases hold every
    phrase, with their `score`, best first, then by id.

    A merged entity is not listed (it is a redirect): a match of its names counts for the entity it was
    merged into, with the better of their scores.
    """
    table = entities_table
    matches = search.entities(phrases)
    target = func.coalesce(table.c.merged_into, table.c.entity_id)
    best = (
        select(target.label("entity_id"), func.max(matches.c.score).label("score"))
        .select_from(matches.join(table, table.c.entity_id == matches.c.entity_id))
        .group_by(target)
        .subquery("best_matches")
    )
    joined = query.join(best, best.c.entity_id == table.c.entity_id)
    return joined.add_columns(best.c.score).order_by(best.c.score.desc(), table.c.entity_id)


async def entity_matches(
    conn: AsyncConnection, search: TextSearch, phrases: Sequence[Phrase], rows: Sequence[Row[Any]]
) -> dict[str, SearchMatch]:
    """By entity id, each row's score and the fields in which a phrase matched (its own names, or those
    of an entity merged into it)."""
    if not rows:
        return {}
    table = entities_table
    listed = [r.entity_id for r in rows]
    merged = select(table.c.entity_id, table.c.merged_into).where(table.c.merged_into.in_(listed))
    target = {r.entity_id: r.entity_id for r in rows} | {
        m.entity_id: m.merged_into for m in await conn.execute(merged)
    }
    found = await conn.execute(search.entity_fields(phrases), {"ids": sorted(target)})
    fields: dict[str, set[str]] = {}
    for r in found:
        fields.setdefault(target[r[0]], set()).update(_flagged(ENTITY_FIELDS, r[1:]))
    return {
        r.entity_id: SearchMatch(r.score, [f for f in ENTITY_FIELDS if f in fields.get(r.entity_id, ())])
        for r in rows
    }


def _flagged(fields: Sequence[str], flags: Sequence[Any]) -> list[str]:
    return [field for field, flag in zip(fields, flags, strict=True) if flag]
