"""Read model `entities`: the registry, searchable by label and alias, with the merged entities' redirects.

A merged entity keeps its row, with `merged_into` naming the entity it redirects to. Redirects are kept
one step long: when an entity others were merged into is merged in turn, their rows are pointed at its
new target too, so that a read follows one redirect and never a chain.
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ColumnElement,
    Integer,
    Select,
    String,
    Table,
    Text,
    select,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.events import EntityMerged, EntityMergedFrom, EntityRegistered, EntityRevised
from archive.eventstore import Logged
from archive.storage import Encoding
from archive.storage.engine import metadata

NAME = "entities"

entities_table = Table(
    NAME,
    metadata,
    Column("entity_id", String(200), primary_key=True),
    Column("kind", String(40), nullable=False, index=True),
    Column("label", Text, nullable=False),
    Column("aliases", JSON, nullable=False),
    Column("search_text", Text, nullable=False),
    Column("position", BigInteger().with_variant(Integer(), "sqlite"), nullable=False),
    # The entity stream's version: what a revision or a merge names as its expected_version.
    Column("version", Integer, nullable=False),
    Column("merged_into", String(200), nullable=True, index=True),
)


def _search_text(label: str, aliases: tuple[str, ...]) -> str:
    return "\n".join((label, *aliases)).casefold()


class EntityRow(msgspec.Struct, kw_only=True):
    """A row of `entities` (the aliases as JSON text for the driver)."""

    entity_id: str
    kind: str
    label: str
    aliases: str
    search_text: str
    position: int
    version: int = 1
    merged_into: str | None = None


def registered_row(event: EntityRegistered, recorded: Logged, encoding: Encoding) -> EntityRow:
    """The row of a registered entity (the runner inserts them in bulk)."""
    return EntityRow(
        entity_id=event.entity_id,
        kind=event.kind,
        label=event.label,
        aliases=encoding.json(list(event.aliases)),
        search_text=_search_text(event.label, event.aliases),
        position=recorded.position,
    )


async def apply(
    conn: AsyncConnection, event: EntityRevised | EntityMerged | EntityMergedFrom, recorded: Logged
) -> None:
    """Overwrite a revised entity, make a merged one a redirect, or count a merge into one in its version
    (registrations go in bulk: `registered_row`)."""
    table = entities_table
    values: dict[str, Any] = {"position": recorded.position, "version": table.c.version + 1}
    if isinstance(event, EntityRevised):
        values |= {
            "kind": event.kind,
            "label": event.label,
            "aliases": list(event.aliases),
            "search_text": _search_text(event.label, event.aliases),
        }
    elif isinstance(event, EntityMerged):
        values["merged_into"] = event.into
        # Those merged into this entity before now redirect to its target: one step, never a chain.
        await conn.execute(
            table.update().where(table.c.merged_into == event.entity_id).values(merged_into=event.into)
        )
    await conn.execute(table.update().where(table.c.entity_id == event.entity_id).values(**values))


async def kinds_and_redirects(
    conn: AsyncConnection, entity_ids: set[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Entity id → kind for the ids that exist, and id → the entity it was merged into for those that
    were merged (one query: a fact command asks both for the ids it references)."""
    if not entity_ids:
        return {}, {}
    table = entities_table
    query = select(table.c.entity_id, table.c.kind, table.c.merged_into).where(
        table.c.entity_id.in_(sorted(entity_ids))
    )
    found, merged = {}, {}
    for entity_id, kind, target in await conn.execute(query):
        found[str(entity_id)] = str(kind)
        if target is not None:
            merged[str(entity_id)] = str(target)
    return found, merged


async def labels(conn: AsyncConnection, entity_ids: set[str]) -> dict[str, str]:
    """Entity id → label, for the ids that exist."""
    if not entity_ids:
        return {}
    query = select(entities_table.c.entity_id, entities_table.c.label).where(
        entities_table.c.entity_id.in_(sorted(entity_ids))
    )
    return {str(entity_id): str(label) for entity_id, label in await conn.execute(query)}


async def redirects(conn: AsyncConnection, entity_ids: set[str]) -> dict[str, str]:
    """Entity id → the entity it was merged into, for the ids that are merged."""
    if not entity_ids:
        return {}
    table = entities_table
    query = select(table.c.entity_id, table.c.merged_into).where(
        table.c.entity_id.in_(sorted(entity_ids)), table.c.merged_into.is_not(None)
    )
    return {str(entity_id): str(target) for entity_id, target in await conn.execute(query)}


async def merged_from(conn: AsyncConnection, entity_ids: set[str]) -> dict[str, list[str]]:
    """Entity id → the ids merged into it (in id order), for the ids that took any in."""
    if not entity_ids:
        return {}
    table = entities_table
    query = (
        select(table.c.merged_into, table.c.entity_id)
        .where(table.c.merged_into.in_(sorted(entity_ids)))
        .order_by(table.c.entity_id)
    )
    found: dict[str, list[str]] = {}
    for target, entity_id in await conn.execute(query):
        found.setdefault(str(target), []).append(str(entity_id))
    return found


async def same_entity(conn: AsyncConnection, entity_id: str) -> list[str]:
    """The ids that name what `entity_id` names now: it, the entity it was merged into, and every other id
    merged there, so that a filter by a merged id finds the facts recorded under any of them."""
    table = entities_table
    target = (await redirects(conn, {entity_id})).get(entity_id, entity_id)
    query = select(table.c.entity_id).where(table.c.merged_into == target).order_by(table.c.entity_id)
    return sorted({entity_id, target, *(str(i) for i in await conn.scalars(query))})


async def get(conn: AsyncConnection, entity_id: str) -> Row[Any] | None:
    """One entity, or None."""
    return (await conn.execute(select(entities_table).where(entities_table.c.entity_id == entity_id))).first()


def registry(kind: str | None) -> Select[Any]:
    """The registry's entities, of `kind` when given. Merged entities are not listed: they are redirects
    (a search by a merged one's names finds the entity it redirects to: archive/reads/search.py)."""
    table = entities_table
    conditions: list[ColumnElement[bool]] = [table.c.merged_into.is_(None)]
    if kind:
        conditions.append(table.c.kind == kind)
    return select(table).where(*conditions)


async def names(conn: AsyncConnection) -> list[tuple[str, str]]:
    """(entity id, name) for every label and alias of the registry, in id order. A merged entity's names
    name the entity it redirects to, where a new fact must point."""
    table = entities_table
    query = select(table.c.entity_id, table.c.label, table.c.aliases, table.c.merged_into).order_by(
        table.c.entity_id
    )
    found: list[tuple[str, str]] = []
    for entity_id, label, aliases, merged_into in await conn.execute(query):
        target = str(merged_into or entity_id)
        found.extend((target, str(name)) for name in (label, *aliases))
    return found
