"""Each projection's checkpoint: the position of the last event applied, committed with the events."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import BigInteger, Column, Integer, String, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.db import metadata

checkpoints_table = Table(
    "projection_checkpoints",
    metadata,
    Column("projection", String(64), primary_key=True),
    Column("position", BigInteger().with_variant(Integer(), "sqlite"), nullable=False),
)


async def advance(conn: AsyncConnection, projections: Iterable[str], position: int) -> None:
    """Set every named projection's checkpoint to `position`."""
    names = list(projections)
    result = await conn.execute(
        checkpoints_table.update().where(checkpoints_table.c.projection.in_(names)).values(position=position)
    )
    if result.rowcount != len(names):
        existing = set((await conn.execute(select(checkpoints_table.c.projection))).scalars())
        missing = [{"projection": n, "position": position} for n in names if n not in existing]
        if missing:
            await conn.execute(checkpoints_table.insert(), missing)


async def positions(conn: AsyncConnection) -> dict[str, int]:
    """Every projection's checkpoint."""
    rows = await conn.execute(select(checkpoints_table.c.projection, checkpoints_table.c.position))
    return {name: int(position) for name, position in rows}
