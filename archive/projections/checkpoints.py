"""Each projection's checkpoint: the position of the last event applied, committed with the events."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.storage.engine import metadata

checkpoints_table = Table(
    "projection_checkpoints",
    metadata,
    Column("projection", String(64), primary_key=True),
    Column("position", BigInteger().with_variant(Integer(), "sqlite"), nullable=False),
)


async def positions(conn: AsyncConnection) -> dict[str, int]:
    """Every projection's checkpoint."""
    rows = await conn.execute(select(checkpoints_table.c.projection, checkpoints_table.c.position))
    return {name: int(position) for name, position in rows}
