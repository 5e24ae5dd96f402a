"""The PostgreSQL backend: a transaction-scoped advisory lock as the append lock, the server-side
`archive_append`, projection batches as one statement (COPY for large tables), and a rebuild into a
schema of its own that is swapped in at the end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import FromClause, Index, Select, Table, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from archive.storage import BatchWrites, Close, Complete, Replay, T, positional
from archive.storage.engine import schema_of, table_name_on, transaction_on
from archive.storage.postgres import append
from archive.storage.postgres.batch import COPY_FROM_ROWS, PostgresEncoding, copy_rows, write_postgres
from archive.storage.postgres.rebuild import analyze_tables, can_swap_tables, rebuild_and_swap
from archive.storage.postgres.search import PostgresTextSearch
from archive.storage.search import TextSearch

log = structlog.get_logger("archive.rebuild")


class OrdinaryReads:
    """Point reads as ordinary reads of the async engine (PostgreSQL answers them over the network)."""

    #: Reads never run on the calling thread here.
    inline = False

    def __init__(self, ordinary: AsyncEngine) -> None:
        self.ordinary = ordinary

    async def all(self, statement: Select[Any], parameters: Mapping[str, Any]) -> Sequence[Any]:
        """Every row `statement` returns with `parameters`."""
        async with self.ordinary.connect() as conn:
            rows: Sequence[Any] = (await conn.execute(statement, dict(parameters))).all()
        return rows


@asynccontextmanager
async def _holding(engine: AsyncEngine, commit: bool, *keys: int) -> AsyncIterator[AsyncConnection]:
    """A transaction holding the advisory locks `keys` (`pg_advisory_xact_lock`, in one statement, in this
    order) from its first statement to its end; rolled back unless `commit`."""
    async with engine.connect() as conn, transaction_on(conn, commit):
        await conn.execute(select(*(func.pg_advisory_xact_lock(key) for key in keys)))
        yield conn


class PostgresBackend:
    """PostgreSQL through asyncpg."""

    name = "postgresql"
    shadow_schema = "pg_temp"
    search: TextSearch = PostgresTextSearch()

    def __init__(self) -> None:
        self._encoding: PostgresEncoding | None = None

    def write_transaction(
        self, engine: AsyncEngine, commit: bool
    ) -> AbstractAsyncContextManager[AsyncConnection]:
        """The follow lock, then the append lock. The follow lock first: a write transaction that waits for
        a catch-up holds nothing a one-trip write needs meanwhile. Nothing that holds the append lock asks
        for the follow lock, so the order cannot deadlock."""
        return _holding(engine, commit, append.FOLLOW_LOCK_KEY, append.APPEND_LOCK_KEY)

    async def follow_in_one_trip(
        self, engine: AsyncEngine, work: Callable[[AsyncConnection], Coroutine[Any, Any, T]]
    ) -> T:
        """A transaction holding the follow lock alone, each statement its own trip: the one-trip writes,
        which take only the append lock, go on while it runs."""
        async with _holding(engine, True, append.FOLLOW_LOCK_KEY) as conn:
            return await work(conn)

    @asynccontextmanager
    async def lone_append(self, engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
        """A connection in autocommit: `archive_append` takes the lock itself, in one statement."""
        async with engine.connect() as conn:
            yield conn

    async def append_and_project(
        self,
        engine: AsyncEngine,
        rows: list[dict[str, Any]],
        continuing: list[tuple[str, int]],
        read: Sequence[tuple[str, int]],
        metadata: dict[str, Any],
        recorded_at: datetime,
        writes: BatchWrites,
    ) -> list[tuple[int, str, str]]:
        """One statement in autocommit: `archive_append` and the projection's writes after it."""
        async with engine.connect() as conn:
            return await append.append_and_project(
                conn, rows, continuing, read, metadata, recorded_at, writes, lambda t: table_name_on(conn, t)
            )

    async def insert_events(
        self,
        conn: AsyncConnection,
        rows: list[dict[str, Any]],
        continuing: list[tuple[str, int]],
        metadata: dict[str, Any],
        recorded_at: datetime,
        own_transaction: bool,
        read: Sequence[tuple[str, int]] = (),
    ) -> list[tuple[int, str, str]]:
        """One call of `archive_append`."""
        return await append.insert_events(
            conn, rows, continuing, metadata, recorded_at, own_transaction, read
        )

    def read_engines(self, engine: AsyncEngine) -> tuple[AsyncEngine, AsyncEngine]:
        """Reads open no transaction: under READ COMMITTED every statement takes its own snapshot
        anyway, so BEGIN and the pool's ROLLBACK were two round trips that bought nothing."""
        reads = engine.execution_options(isolation_level="AUTOCOMMIT")
        return reads, reads

    def point_reader(self, engine: AsyncEngine, ordinary: AsyncEngine) -> OrdinaryReads:
        """Ordinary reads."""
        return OrdinaryReads(ordinary)

    def use_index(self, query: Select[Any], table: FromClause, index: Index) -> Select[Any]:
        """`query` as it is: PostgreSQL's planner picks the index from its statistics."""
        return query

    def encoding(self, conn: AsyncConnection) -> PostgresEncoding:
        """asyncpg takes Python's dates and times."""
        if self._encoding is None:
            self._encoding = PostgresEncoding(conn.dialect)
        return self._encoding

    async def write_batch(
        self,
        conn: AsyncConnection,
        *,
        closes: Sequence[Close] = (),
        close_tables: Sequence[Table] = (),
        inserts: Mapping[Table, Sequence[Any]] | None = None,
        checkpoint: tuple[Table, Sequence[str], int] | None = None,
    ) -> None:
        """One statement closes, inserts the small tables' rows and moves the checkpoints; COPY then
        loads the large ones (after the closes, which must not reach the new rows)."""
        inserts = {table: positional(rows) for table, rows in (inserts or {}).items()}
        large = {table: rows for table, rows in inserts.items() if len(rows) >= COPY_FROM_ROWS}
        await write_postgres(
            conn,
            lambda table: table_name_on(conn, table),
            closes=closes,
            close_tables=close_tables,
            inserts={table: rows for table, rows in inserts.items() if table not in large},
            checkpoint=checkpoint,
        )
        for table, rows in large.items():
            await copy_rows(conn, schema_of(conn) or table.schema, table, rows)

    async def insert_rows(self, conn: AsyncConnection, table: Table, rows: Sequence[Any]) -> None:
        """COPY for many rows, one statement for a few."""
        rows = positional(rows)
        if len(rows) >= COPY_FROM_ROWS:
            await copy_rows(conn, schema_of(conn) or table.schema, table, rows)
        elif rows:
            await self.write_batch(conn, inserts={table: rows})

    async def continue_positions(self, conn: AsyncConnection, last_position: int) -> None:
        """Move the positions' sequence on: `archive_append` numbers events with `nextval`, which knows
        nothing of rows inserted with their own positions."""
        if last_position > 0:
            await conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('events', 'position'), $1)", (last_position,)
            )

    async def analyze(self, conn: AsyncConnection, tables: Sequence[Table]) -> None:
        """ANALYZE: new tables have no statistics, and without them the planner takes `fact_id = ANY(...)`
        to match a fixed share of the table (docs/decisions/0001-analyze-during-replay.md)."""
        await analyze_tables(conn, tables)

    async def rebuild(
        self, conn: AsyncConnection, tables: Sequence[Table], replay: Replay, complete: Complete
    ) -> int:
        """Into a schema of its own and swapped in; in place when the role may not (the search
        triggers then follow every row, as they do for any write)."""
        if await can_swap_tables(conn, tables):
            return await rebuild_and_swap(conn, tables, replay, complete)
        log.warning(
            "rebuild_in_place",
            reason="the role lacks CREATE on the database or does not own every read-model table",
        )
        for table in reversed(tables):
            await conn.execute(delete(table))
        applied = await replay(conn, conn)
        await complete(conn)
        return applied
