"""Rebuild every read model from the log: clear them, then replay `read_all` page by page.

The whole rebuild is one write transaction: writers wait, readers keep seeing the old rows until the
new ones commit, and a crash leaves the old rows in place.

On SQLite the read models' secondary indexes are dropped after the clear and built again from the
finished tables, inside the same transaction (SQLite's DDL is transactional, and readers of the WAL keep
their snapshot, old indexes included). Building an index from a full table sorts once; keeping it while
a million rows arrive in fact-id order costs a scattered B-tree insert per row and index. PostgreSQL
keeps its indexes: `DROP INDEX` takes a lock that would make every reader wait for the whole rebuild.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.schema import CreateIndex, DropIndex

from archive.eventstore import EventStore
from archive.projections.runner import READ_MODEL_TABLES, Projector, clear


async def replay(
    store: EventStore,
    projector: Projector,
    conn: AsyncConnection,
    read_conn: AsyncConnection | None,
    page_size: int = 2000,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Apply the whole log, page by page, through `conn`; return the number of events applied.

    Pages are read through `read_conn` (a separate connection when None), so a caller whose `conn`
    writes elsewhere (the shadow check) still reads the real log. The read models `conn` writes to
    must be empty: the projector then skips the stored state of facts it has not projected yet.
    """
    applied, after = 0, 0
    with projector.replaying(conn):
        while page := await store.read_all(after, page_size, conn=read_conn):
            await projector.apply(conn, page)
            applied += len(page)
            after = page[-1].position
            if on_progress is not None:
                on_progress(applied)
    return applied


async def rebuild(
    store: EventStore,
    projector: Projector,
    page_size: int = 2000,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Replay the whole log into fresh read models; return the number of events applied."""
    async with store.transaction() as conn:
        await clear(conn)
        deferred = conn.dialect.name == "sqlite"
        indexes = [index for table in READ_MODEL_TABLES.values() for index in table.indexes]
        if deferred:
            for index in indexes:
                await conn.execute(DropIndex(index))
        applied = await replay(store, projector, conn, conn, page_size, on_progress)
        if deferred:
            for index in indexes:
                await conn.execute(CreateIndex(index))
        return applied
