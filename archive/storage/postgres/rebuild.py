"""A PostgreSQL rebuild fills new tables in a schema of its own, then swaps them in for the live ones.

Through SQLAlchemy's `schema_translate_map` (as the shadow check does), the replay writes into tables
without dead tuples or secondary indexes to maintain; their indexes are built once the rows are in, the
tables analyzed, and the search documents made again from them; only then are they swapped in: the
live tables are dropped and the new ones moved into their schema, with the grants the live tables had,
and the search triggers made again on them (theirs went with the live tables). Readers use the old
tables until that last step, which waits for the reads in flight (`_lock_for_swap`) and holds readers
off only until the commit (the search's readers, from the refill on). The role
needs CREATE on the database and must own the tables; without either, the rebuild is done in place.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import asyncpg
import structlog
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.schema import CreateIndex, CreateTable

from archive.storage import Complete, Replay
from archive.storage.engine import table_name_on
from archive.storage.postgres.driver import postgres_driver
from archive.storage.search import keep_current, refill_documents

log = structlog.get_logger("archive.rebuild")

#: The schema a rebuild fills before its tables replace the live ones (it exists only inside the
#: rebuild's transaction).
REBUILD_SCHEMA = "archive_rebuild"

#: The memory each index build of a rebuild may sort in (PostgreSQL's default is 64MB), for the rebuild's
#: transaction only (SET LOCAL). The indexes of 10^6 events' read models are built one after another, each
#: from rows already written, and a sort larger than this is done in runs on disk (an external sort)
#: (docs/decisions/0010-rebuild-analyzes-once.md). One build runs at a time, its parallel workers sharing it.
REBUILD_MAINTENANCE_WORK_MEM = "256MB"

#: How long one attempt to lock the live tables for the swap waits, and how many attempts there are.
SWAP_LOCK_TIMEOUT = "2s"
SWAP_LOCK_ATTEMPTS = 30


async def can_swap_tables(conn: AsyncConnection, tables: Sequence[Table]) -> bool:
    """Whether this role may create the rebuild's schema and drop the live tables."""
    names = [table.name for table in tables]
    allowed = await conn.exec_driver_sql(
        "SELECT has_database_privilege(current_database(), 'CREATE') "
        "AND (SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() "
        "AND tablename = ANY($1::text[]) AND pg_has_role(tableowner, 'USAGE')) = $2",
        (names, len(names)),
    )
    return bool(allowed.scalar_one())


async def rebuild_and_swap(
    conn: AsyncConnection, tables: Sequence[Table], replay: Replay, complete: Complete
) -> int:
    """Replay into new tables in `REBUILD_SCHEMA`, index and analyze them, complete them, and swap them in."""
    live = str((await conn.exec_driver_sql("SELECT current_schema()")).scalar_one())
    grants = await conn.exec_driver_sql(
        "SELECT table_name, privilege_type, grantee FROM information_schema.table_privileges "
        "WHERE table_schema = $1 AND table_name = ANY($2::text[]) AND grantee <> current_user",
        (live, [table.name for table in tables]),
    )
    kept_grants = [tuple(map(str, row)) for row in grants]  # (table, privilege, grantee)
    await conn.exec_driver_sql(f'CREATE SCHEMA "{REBUILD_SCHEMA}"')
    await conn.execution_options(schema_translate_map={None: REBUILD_SCHEMA})
    for table in tables:
        await conn.execute(CreateTable(table))
    # Pages come through another connection: `conn` now sends every table name to the new tables.
    phase = _Phases()
    applied = await replay(conn, None)
    phase.done("replay", events=applied)
    await conn.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{REBUILD_MAINTENANCE_WORK_MEM}'")
    for table in tables:
        for index in table.indexes:
            await conn.execute(CreateIndex(index))
        phase.done("indexes", table=table.name)
    await analyze_tables(conn, tables)
    phase.done("analyze")
    await complete(conn)
    phase.done("complete")
    await conn.execution_options(schema_translate_map=None)
    # The search documents are made from the new tables before the swap: with the rebuild's schema first
    # in the search path, the refill reads the new read models and writes the live search tables (there
    # are none in the rebuild's schema), so readers of the read models wait for the swap alone.
    search_path = str((await conn.exec_driver_sql("SHOW search_path")).scalar_one())
    await conn.exec_driver_sql(f'SET LOCAL search_path = "{REBUILD_SCHEMA}", {search_path}')
    await refill_documents(conn)
    await conn.exec_driver_sql(f"SET LOCAL search_path = {search_path}")
    phase.done("search_documents")
    await _lock_for_swap(conn, ", ".join(f'"{live}"."{table.name}"' for table in tables))
    for table in tables:
        await conn.exec_driver_sql(f'DROP TABLE "{live}"."{table.name}"')
        await conn.exec_driver_sql(f'ALTER TABLE "{REBUILD_SCHEMA}"."{table.name}" SET SCHEMA "{live}"')
    for table_name, privilege, grantee in kept_grants:
        to = "PUBLIC" if grantee == "PUBLIC" else f'"{grantee}"'
        await conn.exec_driver_sql(f'GRANT {privilege} ON "{live}"."{table_name}" TO {to}')
    await conn.exec_driver_sql(f'DROP SCHEMA "{REBUILD_SCHEMA}"')
    await keep_current(conn)
    phase.done("swap")
    return applied


class _Phases:
    """Logs how long each step of a rebuild took (wall and this process's CPU), so that a slow rebuild
    says where its time went: waiting on the server or working in Python."""

    def __init__(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def done(self, phase: str, **details: object) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        log.info(
            "rebuild_phase",
            phase=phase,
            seconds=round(wall - self._wall, 3),
            python_cpu_seconds=round(cpu - self._cpu, 3),
            **details,
        )
        self._wall, self._cpu = wall, cpu


async def analyze_tables(conn: AsyncConnection, tables: Sequence[Table]) -> None:
    """Gather the planner's statistics on `tables`, in the schema `conn` writes to."""
    for table in tables:
        await conn.exec_driver_sql(f"ANALYZE {table_name_on(conn, table)}")


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
