"""Rebuild every read model from the log: clear them, then replay `read_all` page by page.

The whole rebuild is one write transaction: writers wait, readers keep seeing the old rows until the
new ones commit, and a crash leaves the old rows in place.
"""

from __future__ import annotations

from collections.abc import Callable

from archive.eventstore import EventStore
from archive.projections.runner import Projector, clear


async def rebuild(
    store: EventStore,
    projector: Projector,
    page_size: int = 2000,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Replay the whole log into fresh read models; return the number of events applied."""
    applied = 0
    async with store.transaction() as conn:
        await clear(conn)
        after = 0
        while True:
            page = await store.read_all(after, page_size, conn=conn)
            if not page:
                break
            await projector.apply(conn, page)
            applied += len(page)
            after = page[-1].position
            if on_progress is not None:
                on_progress(applied)
    return applied
