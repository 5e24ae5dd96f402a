"""The SQLite backend: `BEGIN IMMEDIATE` as the append lock, one trip to aiosqlite's thread per statement
or batch, point reads on the event loop's own thread, and a rebuild that rebuilds indexes at the end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import FromClause, Index, Select, Table, delete
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.schema import CreateIndex, DropIndex

from archive.storage import BatchWrites, Close, Complete, Replay, T, positional
from archive.storage.engine import table_name_on, transaction_on
from archive.storage.search import TextSearch, drop_triggers, reindex
from archive.storage.sqlite.append import EventInserter
from archive.storage.sqlite.batch import SqliteEncoding, write_sqlite
from archive.storage.sqlite.dbapi import immediate_transaction, run_in_sqlite_thread
from archive.storage.sqlite.engine import SQLITE_BEGIN
from archive.storage.sqlite.lent import on_lent_connection
from archive.storage.sqlite.point_reads import PointReads
from archive.storage.sqlite.search import SqliteTextSearch
from archive.storage.sync import AwaitableConnection, run_to_end


class SqliteBackend:
    """SQLite, as a file (WAL) or in memory."""

    name = "sqlite"
    shadow_schema = "temp"
    search: TextSearch = SqliteTextSearch()

    def __init__(self) -> None:
        # This process's writers queue here, in order, rather than in SQLite's busy handler, which
        # sleeps for up to 100 ms between tries.
        self._writers = asyncio.Lock()
        self._insert = EventInserter()
        self._encoding: SqliteEncoding | None = None

    @asynccontextmanager
    async def write_transaction(self, engine: AsyncEngine, commit: bool) -> AsyncIterator[AsyncConnection]:
        """`BEGIN IMMEDIATE`: SQLite's write lock from the first statement on."""
        async with self._writers, engine.connect() as conn:
            await conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
            async with transaction_on(conn, commit):
                yield conn

    async def follow_in_one_trip(
        self, engine: AsyncEngine, work: Callable[[AsyncConnection], Coroutine[Any, Any, T]]
    ) -> T:
        """`BEGIN IMMEDIATE`, `work` on a synchronous connection in the driver's thread, then `COMMIT`:
        one trip, holding the one write lock SQLite has."""

        def in_thread(conn: Connection) -> T:
            return run_to_end(work(AwaitableConnection(conn)))  # type: ignore[arg-type]

        async with self._writers, engine.connect() as conn:
            return await run_in_sqlite_thread(conn, immediate_transaction, on_lent_connection, in_thread)

    @asynccontextmanager
    async def lone_append(self, engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
        """The writer's turn and a connection: the append runs BEGIN IMMEDIATE to COMMIT in one trip."""
        async with self._writers, engine.connect() as conn:
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
        """The writer's turn, then `BEGIN IMMEDIATE` to `COMMIT` in one trip to the driver's thread."""
        async with self._writers, engine.connect() as conn:
            moment = self.encoding(conn).moment
            closes = [
                (fact_id, version, moment(at), position) for fact_id, version, at, position in writes.closes
            ]
            tables = [
                *writes.close_tables,
                *writes.inserts,
                *([writes.checkpoint[0]] if writes.checkpoint else []),
            ]
            names = {table: table_name_on(conn, table) for table in tables}
            return await self._insert.append_and_project(
                conn,
                rows,
                continuing,
                recorded_at,
                read,
                BatchWrites(closes, writes.close_tables, writes.inserts, writes.checkpoint),
                names.__getitem__,
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
        """Read the head, check, chain and insert, in one trip to the driver's thread."""
        return await self._insert(conn, rows, continuing, recorded_at, own_transaction, read)

    def read_engines(self, engine: AsyncEngine) -> tuple[AsyncEngine, AsyncEngine]:
        """A deferred read transaction holds one snapshot for a read of several statements; a read of
        one statement is consistent by itself and needs no BEGIN."""
        return engine, engine.execution_options(**{SQLITE_BEGIN: None})

    def point_reader(self, engine: AsyncEngine, ordinary: AsyncEngine) -> PointReads:
        """Point reads on the calling thread, on a SQLite file."""
        return PointReads(engine, ordinary)

    def use_index(self, query: Select[Any], table: FromClause, index: Index) -> Select[Any]:
        """`INDEXED BY`: once ANALYZE has run, SQLite's planner may prefer another index whatever it costs
        (docs/decisions/0003-roles-by-valid-time-name-their-index.md)."""
        return query.with_hint(table, f"INDEXED BY {index.name}", dialect_name="sqlite")

    def encoding(self, conn: AsyncConnection) -> SqliteEncoding:
        """Dates and times as SQLAlchemy's SQLite types store them."""
        if self._encoding is None:
            self._encoding = SqliteEncoding(conn.dialect)
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
        """One trip to the driver's thread, an `executemany` per statement."""
        encoding = self.encoding(conn)
        await write_sqlite(
            conn,
            lambda table: table_name_on(conn, table),
            closes=[
                (fact_id, version, encoding.moment(at), position) for fact_id, version, at, position in closes
            ],
            close_tables=close_tables,
            inserts={table: positional(rows) for table, rows in (inserts or {}).items()},
            checkpoint=checkpoint,
        )

    async def insert_rows(self, conn: AsyncConnection, table: Table, rows: Sequence[Any]) -> None:
        """One `executemany`."""
        if rows:
            await self.write_batch(conn, inserts={table: rows})

    async def continue_positions(self, conn: AsyncConnection, last_position: int) -> None:
        """Nothing: an append here numbers its events from the largest position in the table."""

    async def analyze(self, conn: AsyncConnection, tables: Sequence[Table]) -> None:
        """Nothing: SQLite's planner does not need statistics to find the primary keys a replay looks up."""

    async def rebuild(
        self, conn: AsyncConnection, tables: Sequence[Table], replay: Replay, complete: Complete
    ) -> int:
        """Clear the tables and drop their secondary indexes, replay, build the indexes again, complete.

        Inside the same transaction: SQLite's DDL is transactional, and readers of the WAL keep their
        snapshot, old indexes included. Building an index from a full table sorts once; keeping it while
        a million rows arrive in fact-id order costs a scattered B-tree insert per row. The search index
        likewise: its triggers are off while the rows go and come, and it is made again in one pass.
        """
        await drop_triggers(conn)
        for table in reversed(tables):
            await conn.execute(delete(table))
        indexes = [index for table in tables for index in table.indexes]
        for index in indexes:
            await conn.execute(DropIndex(index))
        applied = await replay(conn, conn)
        for index in indexes:
            await conn.execute(CreateIndex(index))
        await complete(conn)
        await reindex(conn)
        return applied
