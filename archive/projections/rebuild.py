"""Rebuild every read model from the log: clear them, then replay `read_all` page by page.

The whole rebuild is one write transaction: writers wait, readers keep seeing the old rows until the
new ones commit, and a crash leaves the old rows in place.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from archive.eventstore import EventStore
from archive.projections.runner import Projector, clear


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
        return await replay(store, projector, conn, conn, page_size, on_progress)
