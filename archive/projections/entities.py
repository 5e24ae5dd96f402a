"""Read model `entities`: the registry, searchable by label and alias."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import JSON, BigInteger, Column, ColumnElement, Integer, String, Table, Text, func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.events import EntityRegistered, EntityRevised
from archive.eventstore import Logged
from archive.storage import Encoding
from archive.storage.engine import contains_pattern, metadata

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


async def apply(conn: AsyncConnection, event: EntityRevised, recorded: Logged) -> None:
    """Overwrite a revised entity (registrations go in bulk: `registered_row`)."""
    values = {
        "kind": event.kind,
        "label": event.label,
        "aliases": list(event.aliases),
        "search_text": _search_text(event.label, event.aliases),
        "position": recorded.position,
    }
    await conn.execute(
        entities_table.update().where(entities_table.c.entity_id == event.entity_id).values(**values)
    )


async def kinds(conn: AsyncConnection, entity_ids: set[str]) -> dict[str, str]:
    """Entity id → kind, for the ids that exist."""
    if not entity_ids:
        return {}
    query = select(entities_table.c.entity_id, entities_table.c.kind).where(
        entities_table.c.entity_id.in_(sorted(entity_ids))
    )
    return {str(entity_id): str(kind) for entity_id, kind in await conn.execute(query)}


async def labels(conn: AsyncConnection, entity_ids: set[str]) -> dict[str, str]:
    """Entity id → label, for the ids that exist."""
    if not entity_ids:
        return {}
    query = select(entities_table.c.entity_id, entities_table.c.label).where(
        entities_table.c.entity_id.in_(sorted(entity_ids))
    )
    return {str(entity_id): str(label) for entity_id, label in await conn.execute(query)}


async def get(conn: AsyncConnection, entity_id: str) -> Row[Any] | None:
    """One entity, or None."""
    return (await conn.execute(select(entities_table).where(entities_table.c.entity_id == entity_id))).first()


async def search(
    conn: AsyncConnection, q: str | None, kind: str | None, limit: int, offset: int
) -> tuple[list[Row[Any]], int]:
    """Entities whose label or an alias contains `q` (case-insensitive), of `kind` when given."""
    conditions: list[ColumnElement[bool]] = []
    if q:
        conditions.append(entities_table.c.search_text.like(contains_pattern(q), escape="\\"))
    if kind:
        conditions.append(entities_table.c.kind == kind)
    query = select(entities_table).where(*conditions)
    total = (await conn.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await conn.execute(query.order_by(entities_table.c.entity_id).limit(limit).offset(offset))
    return list(rows), int(total)
