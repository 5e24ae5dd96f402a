"""Read model `sources`: each source document's current version, with its full text."""

from __future__ import annotations

from typing import Any

from msgspec.structs import replace
from sqlalchemy import BigInteger, Column, DateTime, Integer, String, Table, Text, func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.events import SourceDescribed, SourceRegistered, SourceRevised
from archive.domain.sources import SourceSnapshot, split_lines
from archive.eventstore import Logged
from archive.storage.engine import metadata

NAME = "sources"

sources_table = Table(
    NAME,
    metadata,
    Column("source_id", String(200), primary_key=True),
    Column("title", Text, nullable=False),
    Column("origin", Text, nullable=False),
    Column("source_date", String(40), nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("line_count", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("revised_at", DateTime(timezone=True), nullable=False),
    Column("position", BigInteger().with_variant(Integer(), "sqlite"), nullable=False),
)


async def apply(
    conn: AsyncConnection, event: SourceRegistered | SourceRevised | SourceDescribed, recorded: Logged
) -> None:
    """Insert a new source, replace the text of a revised one, or its title, origin and date."""
    if isinstance(event, SourceRegistered):
        await conn.execute(
            sources_table.insert().values(
                source_id=event.source_id,
                title=event.title,
                origin=event.origin,
                source_date=event.source_date,
                content_sha256=event.content_sha256,
                line_count=event.line_count,
                version=event.version,
                text=event.text,
                registered_at=recorded.recorded_at,
                revised_at=recorded.recorded_at,
                position=recorded.position,
            )
        )
        return
    if isinstance(event, SourceDescribed):
        await conn.execute(
            sources_table.update()
            .where(sources_table.c.source_id == event.source_id)
            .values(
                title=event.title,
                origin=event.origin,
                source_date=event.source_date,
                version=event.version,
                revised_at=recorded.recorded_at,
                position=recorded.position,
            )
        )
        return
    await conn.execute(
        sources_table.update()
        .where(sources_table.c.source_id == event.source_id)
        .values(
            content_sha256=event.content_sha256,
            line_count=event.line_count,
            version=event.version,
            text=event.text,
            revised_at=recorded.recorded_at,
            position=recorded.position,
        )
    )


def snapshot_of(row: Row[Any]) -> SourceSnapshot:
    """The domain's view of a stored source: what citations are checked against."""
    return SourceSnapshot(
        source_id=row.source_id,
        content_sha256=row.content_sha256,
        lines=split_lines(row.text),
        version=row.version,
        title=row.title,
    )


async def snapshots(
    conn: AsyncConnection, source_ids: set[str], cache: dict[str, SourceSnapshot] | None = None
) -> dict[str, SourceSnapshot]:
    """The current versions of the given sources (unknown ids are simply absent).

    With a `cache` (content sha256 → snapshot), only the hashes are read for sources whose current
    version is cached: a document's text is loaded and split once per version, not once per command.
    """
    if not source_ids:
        return {}
    wanted = sorted(source_ids)
    if cache is None:
        rows = await conn.execute(select(sources_table).where(sources_table.c.source_id.in_(wanted)))
        return {row.source_id: snapshot_of(row) for row in rows}
    heads = await conn.execute(
        select(sources_table.c.source_id, sources_table.c.content_sha256, sources_table.c.version).where(
            sources_table.c.source_id.in_(wanted)
        )
    )
    current = {source_id: (sha, version) for source_id, sha, version in heads}
    missing = [source_id for source_id, (sha, _) in current.items() if sha not in cache]
    if missing:
        for row in await conn.execute(select(sources_table).where(sources_table.c.source_id.in_(missing))):
            cache[row.content_sha256] = snapshot_of(row)
    # The version as it is now: a new title moves the stream on and keeps the text (and the cache entry),
    # and a command checks at its append that the sources it read are still at these versions.
    return {
        source_id: replace(cache[sha], version=version) if cache[sha].version != version else cache[sha]
        for source_id, (sha, version) in current.items()
    }


async def revised(conn: AsyncConnection, source_ids: set[str]) -> set[str]:
    """Those of the sources that have a version after their first: only a new version re-checks a
    citation, so a citation into any other one has been verified at its own lines all along."""
    if not source_ids:
        return set()
    query = select(sources_table.c.source_id).where(
        sources_table.c.source_id.in_(sorted(source_ids)), sources_table.c.version > 1
    )
    return set((await conn.execute(query)).scalars())


async def get(conn: AsyncConnection, source_id: str) -> Row[Any] | None:
    """One source's row, or None."""
    return (await conn.execute(select(sources_table).where(sources_table.c.source_id == source_id))).first()


async def page(conn: AsyncConnection, limit: int, offset: int) -> tuple[list[Row[Any]], int]:
    """Sources in id order, without their text, and how many there are."""
    columns = [c for c in sources_table.c if c.key != "text"]
    rows = await conn.execute(
        select(*columns).order_by(sources_table.c.source_id).limit(limit).offset(offset)
    )
    total = (await conn.execute(select(func.count()).select_from(sources_table))).scalar_one()
    return list(rows), int(total)
