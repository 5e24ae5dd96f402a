"""Rebuild every read model from the log: replay `read_all` page by page into fresh tables.

The whole rebuild is one write transaction holding the append lock: writers wait, readers keep seeing
the old rows until the new ones commit, and a crash or an error leaves the old rows in place.

How the rows get fresh tables differs by backend, so that readers are never locked out:

- **PostgreSQL** replays into new tables in a schema of their own (`REBUILD_SCHEMA`, through SQLAlchemy's
  `schema_translate_map`, as the shadow check does), builds their secondary indexes once the rows are
  in, analyzes them, and only then swaps them in: the live tables are dropped and the new ones moved
  into their schema, with the grants the live tables had. Readers use the old tables until that last
  step, which waits for the reads in flight (`_lock_for_swap`) and holds readers off only until the
  commit. Rows go into tables without dead tuples or secondary indexes to maintain (at 10^5 events:
  20-25 s in place, with DELETE, against 14 s). The role needs CREATE on the database and must own the
  tables; without either, the rebuild is done in place (DELETE, then replay), as it was before.
- **SQLite** clears the tables and drops the read models' secondary indexes, then builds them again from
  the finished tables, inside the same transaction (SQLite's DDL is transactional, and readers of the
  WAL keep their snapshot, old indexes included). Building an index from a full table sorts once;
  keeping it while a million rows arrive in fact-id order costs a scattered B-tree insert per row.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import asyncpg
import structlog
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.schema import CreateIndex, CreateTable, DropIndex

from archive.db import postgres_driver
from archive.domain.events import EVENT_TYPES
from archive.eventstore import EventStore
from archive.projections.bulk import table_name_on
from archive.projections.checkpoints import checkpoints_table
from archive.projections.runner import READ_MODEL_TABLES, Projector, clear

log = structlog.get_logger("archive.rebuild")

#: Every table a replay writes: the read models and their checkpoints.
REPLAYED_TABLES: list[Table] = [*READ_MODEL_TABLES.values(), checkpoints_table]

#: The PostgreSQL schema a rebuild fills before its tables replace the live ones (it exists only inside
#: the rebuild's transaction).
REBUILD_SCHEMA = "archive_rebuild"

#: A PostgreSQL replay analyzes the tables it fills once it has applied this many events, then again at
#: ten times as many, and so on. New tables have no statistics, and without them the planner takes
#: `fact_id = ANY(...)` to match a fixed share of the table: from about half a million facts on, the
#: state lookups of a replay scanned the whole of `fact_versions` (0.2-0.3 s a page, 52 s of a rebuild of
#: 10^6 events). Statistics taken from the first 10^4 events already say that a fact id is nearly unique.
ANALYZE_FROM = 10_000

#: The cyclic garbage collector's thresholds while a replay runs (Python's default is 700, 10, 10). A
#: replay allocates millions of short-lived rows that hold no cycles, and with the default thresholds
#: every few hundred of them start a collection, and every thousand or so collections one of the whole
#: heap (18 of those in a rebuild of 10^5 events, none with these). Rebuild of a 10^5 copy, medians of
#: runs alternating with the default: PostgreSQL 14.0 -> 13.3 s (eight each), SQLite 14.9 -> 14.0 s (three).
REPLAY_GC_THRESHOLD = (50_000, 20, 100)

#: How long one attempt to lock the live tables for the swap waits, and how many attempts there are.
SWAP_LOCK_TIMEOUT = "2s"
SWAP_LOCK_ATTEMPTS = 30


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
    not projected yet. On PostgreSQL the tables are analyzed as they fill (`ANALYZE_FROM`).
    """
    applied, after, analyze_at = 0, 0, ANALYZE_FROM
    with projector.replaying(conn), collecting_less_often():
        while page := await store.read_all_decoded(after, page_size, EVENT_TYPES, conn=read_conn):
            await projector.apply_replayed(conn, page)
            applied += len(page)
            after = page[-1].position
            if applied >= analyze_at and conn.dialect.name == "postgresql":
                await analyze(conn)
                analyze_at = applied * 10
            if on_progress is not None:
                on_progress(applied)
    return applied


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


async def analyze(conn: AsyncConnection) -> None:
    """Gather the planner's statistics on every replayed table `conn` writes to (PostgreSQL)."""
    for table in REPLAYED_TABLES:
        await conn.exec_driver_sql(f"ANALYZE {table_name_on(conn, table)}")


async def rebuild(
    store: EventStore,
    projector: Projector,
    page_size: int = 2000,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Replay the whole log into fresh read models; return the number of events applied."""
    async with store.transaction() as conn:
        if conn.dialect.name == "postgresql":
            if await can_swap_tables(conn):
                return await _rebuild_and_swap(store, projector, conn, page_size, on_progress)
            log.warning(
                "rebuild_in_place",
                reason="the role lacks CREATE on the database or does not own every read-model table",
            )
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


async def can_swap_tables(conn: AsyncConnection) -> bool:
    """Whether this PostgreSQL role may create the rebuild's schema and drop the live tables."""
    names = [table.name for table in REPLAYED_TABLES]
    allowed = await conn.exec_driver_sql(
        "SELECT has_database_privilege(current_database(), 'CREATE') "
        "AND (SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() "
        "AND tablename = ANY($1::text[]) AND pg_has_role(tableowner, 'USAGE')) = $2",
        (names, len(names)),
    )
    return bool(allowed.scalar_one())


async def _rebuild_and_swap(
    store: EventStore,
    projector: Projector,
    conn: AsyncConnection,
    page_size: int,
    on_progress: Callable[[int], None] | None,
) -> int:
    live = str((await conn.exec_driver_sql("SELECT current_schema()")).scalar_one())
    grants = await conn.exec_driver_sql(
        "SELECT table_name, privilege_type, grantee FROM information_schema.table_privileges "
        "WHERE table_schema = $1 AND table_name = ANY($2::text[]) AND grantee <> current_user",
        (live, [table.name for table in REPLAYED_TABLES]),
    )
    kept_grants = [tuple(map(str, row)) for row in grants]  # (table, privilege, grantee)
    await conn.exec_driver_sql(f'CREATE SCHEMA "{REBUILD_SCHEMA}"')
    await conn.execution_options(schema_translate_map={None: REBUILD_SCHEMA})
    for table in REPLAYED_TABLES:
        await conn.execute(CreateTable(table))
    # Pages come through another connection: `conn` now sends every table name to the new tables.
    applied = await replay(store, projector, conn, None, page_size, on_progress)
    for table in REPLAYED_TABLES:
        for index in table.indexes:
            await conn.execute(CreateIndex(index))
    await analyze(conn)
    await conn.execution_options(schema_translate_map=None)
    await _lock_for_swap(conn, ", ".join(f'"{live}"."{table.name}"' for table in REPLAYED_TABLES))
    for table in REPLAYED_TABLES:
        await conn.exec_driver_sql(f'DROP TABLE "{live}"."{table.name}"')
        await conn.exec_driver_sql(f'ALTER TABLE "{REBUILD_SCHEMA}"."{table.name}" SET SCHEMA "{live}"')
    for table_name, privilege, grantee in kept_grants:
        to = "PUBLIC" if grantee == "PUBLIC" else f'"{grantee}"'
        await conn.exec_driver_sql(f'GRANT {privilege} ON "{live}"."{table_name}" TO {to}')
    await conn.exec_driver_sql(f'DROP SCHEMA "{REBUILD_SCHEMA}"')
    return applied


async def _lock_for_swap(conn: AsyncConnection, tables: str) -> None:
    """Lock every live table before the first DROP, waiting out the reads in flight.

    Each attempt waits at most `SWAP_LOCK_TIMEOUT`, in a savepoint: a reader holding one table while it
    waits for another (a deadlock, which PostgreSQL breaks by failing one side) or a long transaction
    costs an attempt, not the rebuild. New readers queue behind an attempt, so short reads let it through.
    """
    driver = await postgres_driver(conn)
    await driver.execute(f"SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'")
    for attempt in range(1, SWAP_LOCK_ATTEMPTS + 1):
        try:
            async with driver.transaction():
                await driver.execute(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE")
            break
        except (asyncpg.LockNotAvailableError, asyncpg.DeadlockDetectedError) as error:
            if attempt == SWAP_LOCK_ATTEMPTS:
                raise
            log.info("rebuild_swap_waiting", attempt=attempt, reason=type(error).__name__)
    await driver.execute("SET LOCAL lock_timeout = DEFAULT")
