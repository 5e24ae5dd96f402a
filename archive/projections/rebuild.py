"""Rebuild every read model from the log: replay `read_all` page by page into fresh tables.

The whole rebuild is one write transaction holding the append lock: writers wait, readers keep seeing
the old rows until the new ones commit, and a crash or an error leaves the old rows in place. How the
rows get fresh tables without locking readers out is the backend's (`Backend.rebuild`): PostgreSQL
fills new tables in a schema of their own and swaps them in (archive/storage/postgres/rebuild.py);
SQLite clears the tables and builds their indexes again at the end, in the same transaction.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.events import EVENT_TYPES
from archive.eventstore import EventStore
from archive.projections import findings
from archive.projections.checkpoints import checkpoints_table
from archive.projections.fact_versions import fact_versions_table
from archive.projections.runner import READ_MODEL_TABLES, Projector
from archive.storage import backend_for

#: Every table a replay writes: the read models and their checkpoints.
REPLAYED_TABLES: list[Table] = [*READ_MODEL_TABLES.values(), checkpoints_table]

#: A replay analyzes `ANALYZED_WHILE_REPLAYING` once, when it has applied this many events (where the
#: backend's planner needs statistics: PostgreSQL). New tables have none, and without them the planner
#: took a fact id to match a fixed share of the table and scanned the whole of `fact_versions` for each
#: page's state lookups (docs/decisions/0001-analyze-while-replaying.md). Once is enough: the statistics
#: say a fact id is nearly unique as a share of the rows, which holds however many rows follow
#: (docs/decisions/0010-rebuild-analyzes-once.md).
ANALYZE_FROM = 10_000

#: The tables whose statistics the replay's own reads need: the state lookups by fact id. The others are
#: analyzed once, after the replay (the backend's `rebuild`), for the readers that follow it.
ANALYZED_WHILE_REPLAYING: list[Table] = [fact_versions_table]

#: The cyclic garbage collector's thresholds while a replay runs (Python's default is 700, 10, 10). A
#: replay allocates millions of short-lived rows that hold no cycles; with the default thresholds they
#: start collections of the whole heap again and again (docs/decisions/0002-replay-collects-less-often.md).
REPLAY_GC_THRESHOLD = (50_000, 20, 100)


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
    writes elsewhere (the shadow check, a PostgreSQL rebuild) still reads the real log. The read
    models `conn` writes to must be empty: the projector then skips the stored state of facts it has
    not projected yet. The tables its lookups read are analyzed once (`ANALYZE_FROM`), where the backend
    needs it.
    """
    applied, after, analyzed = 0, 0, False
    with projector.replaying(conn), collecting_less_often():
        while page := await store.read_all_decoded(after, page_size, EVENT_TYPES, conn=read_conn):
            await projector.apply_replayed(conn, page)
            applied += len(page)
            after = page[-1].position
            if applied >= ANALYZE_FROM and not analyzed:
                await backend_for(conn.engine).analyze(conn, ANALYZED_WHILE_REPLAYING)
                analyzed = True
            if on_progress is not None:
                on_progress(applied)
    return applied


#: The tables `complete` fills, analyzed after it (the others were analyzed before it, where needed).
COMPLETED_TABLES: list[Table] = [findings.findings_table, findings.finding_refs_table]


async def complete(projector: Projector, conn: AsyncConnection) -> None:
    """What a replay through `conn` leaves until its rows are written and indexed: every finding, computed
    from the other read models (`findings.fill`; the replay moved the findings' checkpoint as it went)."""
    await findings.fill(conn, projector.vocabulary)
    await backend_for(conn.engine).analyze(conn, COMPLETED_TABLES)


class _Collector:
    """How many replays run in this process, and the thresholds to restore when the last one ends."""

    running = 0
    thresholds = gc.get_threshold()


@contextmanager
def collecting_less_often() -> Iterator[None]:
    """Within: the garbage collector runs at `REPLAY_GC_THRESHOLD` (restored after the last replay)."""
    if _Collector.running == 0:
        _Collector.thresholds = gc.get_threshold()
        gc.set_threshold(*REPLAY_GC_THRESHOLD)
    _Collector.running += 1
    try:
        yield
    finally:
        _Collector.running -= 1
        if _Collector.running == 0:
            gc.set_threshold(*_Collector.thresholds)


async def rebuild(
    store: EventStore,
    projector: Projector,
    page_size: int = 2000,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Replay the whole log into fresh read models; return the number of events applied."""

    async def replay_into(conn: AsyncConnection, read_conn: AsyncConnection | None) -> int:
        return await replay(store, projector, conn, read_conn, page_size, on_progress)

    async def complete_them(conn: AsyncConnection) -> None:
        await complete(projector, conn)

    async with store.transaction() as conn:
        return await store.backend.rebuild(conn, REPLAYED_TABLES, replay_into, complete_them)
