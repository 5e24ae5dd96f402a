"""Every line that knows which database it runs on, behind one seam: the `Backend`.

The generic code (the event store, the projector, the replay, the reads) asks its backend to take the
write lock, to insert events, to write a projection batch, to run a point read, to rebuild the read
models; `storage/sqlite/` and `storage/postgres/` each answer in their own way, the way the
`eventsourcing` library keeps `sqlite.py` and `postgres.py` behind one recorder interface. Outside this
package no module asks which dialect it runs on or imports `sqlite3`, `aiosqlite` or `asyncpg`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from weakref import WeakKeyDictionary

import msgspec
from msgspec.structs import astuple
from sqlalchemy import Engine, FromClause, Index, Select, Table, TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

if TYPE_CHECKING:
    from archive.storage.search import TextSearch

T = TypeVar("T")

#: One fact whose current rows a batch ends: (fact id, the version they belong to, `recorded_to`,
#: `position_to`). Every version closes the rows of the one before, so a fact's current rows, in every
#: versioned read model, are exactly the rows of its current version: the closes find them by primary
#: key. A `recorded_to IS NULL` condition would add nothing, and on PostgreSQL, with statistics that
#: lag behind a bulk load, it makes the planner read every current row through the record-time index
#: (tests/integration/test_query_plan.py).
Close = tuple[str, int, Any, int]

#: The columns of the read models that hold log positions. In `BatchWrites` made before an append, a
#: negative value there stands for a position the append has not given yet: -1 the first event's, -2
#: the second's, and so on.
POSITION_COLUMNS = frozenset({"position", "position_from", "position_to"})


class BatchWrites(msgspec.Struct, frozen=True):
    """A projection batch's writes, as `Backend.write_batch` takes them, made before its events have
    positions (see `POSITION_COLUMNS`): what `Backend.append_and_project` writes after its append."""

    closes: Sequence[Close]
    close_tables: Sequence[Table]
    inserts: Mapping[Table, Sequence[Any]]
    checkpoint: tuple[Table, Sequence[str], int] | None


def placed(writes: BatchWrites, positions: Sequence[int]) -> BatchWrites:
    """`writes` with every position that stands for an appended event (a negative one) replaced by
    that event's position, and the rows as the driver takes them."""

    def at(value: Any) -> Any:
        return positions[-value - 1] if isinstance(value, int) and value < 0 else value

    inserts: dict[Table, Sequence[Any]] = {}
    for table, rows in writes.inserts.items():
        where = [i for i, column in enumerate(table.columns) if column.name in POSITION_COLUMNS]
        rows = positional(rows)
        if where and rows:
            rows = [tuple(at(v) if i in where else v for i, v in enumerate(row)) for row in rows]
        inserts[table] = rows
    checkpoint = writes.checkpoint
    if checkpoint is not None:
        checkpoint = (checkpoint[0], checkpoint[1], at(checkpoint[2]))
    return BatchWrites(
        [(fact_id, version, moment, at(position)) for fact_id, version, moment, position in writes.closes],
        writes.close_tables,
        inserts,
        checkpoint,
    )


#: A replay of the whole log into the tables `conn` writes to, reading pages through `read_conn` (a
#: separate connection when None); it returns the number of events applied.
Replay = Callable[[AsyncConnection, AsyncConnection | None], Awaitable[int]]

#: What a replay leaves until its rows are all written and indexed (read models computed from the other
#: read models, whose lookups need the indexes), in the replay's transaction through the same connection.
Complete = Callable[[AsyncConnection], Awaitable[None]]


class Encoding(Protocol):
    """Column values as the driver receives them from SQLAlchemy's types."""

    json: Callable[[Any], str]

    def moment(self, value: datetime) -> Any:
        """A `DateTime(timezone=True)` value."""

    def day(self, value: date | None) -> Any:
        """A `Date` value (None stays NULL)."""


class PointReader(Protocol):
    """Short statements (an indexed lookup, a handful of rows), run where they cost least."""

    @property
    def inline(self) -> bool:
        """Whether reads run on the calling thread (a SQLite file), not through the async engine."""

    async def all(self, statement: Select[Any], parameters: Mapping[str, Any]) -> Sequence[Any]:
        """Every row `statement` returns with `parameters` (attributes named for its columns)."""


class Backend(Protocol):
    """What the generic code needs from a database, answered by `sqlite.SqliteBackend` and
    `postgres.PostgresBackend`. One instance per engine user (an event store holds its own)."""

    #: The dialect's name, as `/health` reports it.
    name: str
    #: The schema the shadow check writes its temporary tables to.
    shadow_schema: str
    #: Full-text search over the read models (archive/storage/search.py).
    search: TextSearch

    def write_transaction(
        self, engine: AsyncEngine, commit: bool
    ) -> AbstractAsyncContextManager[AsyncConnection]:
        """A transaction holding the append lock from its start to its end (rolled back unless `commit`), and
        with it the follow lock of `follow_in_one_trip`."""

    def lone_append(self, engine: AsyncEngine) -> AbstractAsyncContextManager[AsyncConnection]:
        """The connection a single append runs on as its own transaction (`own_transaction=True`)."""

    async def follow_in_one_trip(
        self, engine: AsyncEngine, work: Callable[[AsyncConnection], Coroutine[Any, Any, T]]
    ) -> T:
        """`work(conn)` in a transaction holding the follow lock, the lock of a read model that follows the
        log (the findings), which a one-trip write leaves behind: on PostgreSQL that lock alone, so the
        one-trip writes go on while it runs, and every `write_transaction` waits for it; on SQLite, its one
        write lock. In as few trips as the driver allows: on SQLite all of it is one function in the
        driver's thread, on a synchronous connection (so `work` must await nothing but the connection's
        `execute`, `scalars` and `scalar`)."""

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
        """A decided command's whole write as one transaction in one trip (one statement on
        PostgreSQL, one function in the driver's thread on SQLite): take the lock, check as
        `insert_events` does, chain and insert the rows, write `writes` at their positions, commit."""

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
        """Under the append lock: check that each continued stream's expected version exists and that
        each stream in `read` is still at the version it was read at (`ConcurrencyError` otherwise),
        chain and insert the rows; their (position, prev_hash, hash)."""

    def read_engines(self, engine: AsyncEngine) -> tuple[AsyncEngine, AsyncEngine]:
        """The engine options for reads of several statements, and for reads of one statement."""

    def point_reader(self, engine: AsyncEngine, ordinary: AsyncEngine) -> PointReader:
        """Point reads on `engine`'s database (`ordinary`: the way a read takes that cannot run inline)."""

    def use_index(self, query: Select[Any], table: FromClause, index: Index) -> Select[Any]:
        """`query` made to read `table` through `index`, where the planner must be told."""

    def encoding(self, conn: AsyncConnection) -> Encoding:
        """How `conn`'s driver takes dates, times and JSON."""

    async def write_batch(
        self,
        conn: AsyncConnection,
        *,
        closes: Sequence[Close] = (),
        close_tables: Sequence[Table] = (),
        inserts: Mapping[Table, Sequence[Any]] | None = None,
        checkpoint: tuple[Table, Sequence[str], int] | None = None,
    ) -> None:
        """A projection batch's writes, the closes first, in as few trips as the driver allows."""

    async def insert_rows(self, conn: AsyncConnection, table: Table, rows: Sequence[Any]) -> None:
        """Insert `rows` (each a value per column of `table`, in its column order)."""

    async def continue_positions(self, conn: AsyncConnection, last_position: int) -> None:
        """After events were inserted with their own positions (an import), make the next append take
        `last_position + 1`."""

    async def analyze(self, conn: AsyncConnection, tables: Sequence[Table]) -> None:
        """Gather the planner's statistics on `tables` as `conn` writes them (where the planner needs it)."""

    async def rebuild(
        self, conn: AsyncConnection, tables: Sequence[Table], replay: Replay, complete: Complete
    ) -> int:
        """Replay the log into fresh read-model `tables`, then `complete` them once they are indexed,
        inside the write transaction `conn`."""


#: One backend per engine: the SQLite writers of a process queue on its lock, whatever store they use.
_BACKENDS: WeakKeyDictionary[Engine, Backend] = WeakKeyDictionary()


def positional(rows: Sequence[Any]) -> Sequence[Sequence[Any]]:
    """Rows as the driver takes them: each read model names its rows' fields (a Struct per table, in its
    table's column order, which tests/contract/test_typed_rows.py checks); the driver takes tuples."""
    if rows and isinstance(rows[0], msgspec.Struct):
        return [astuple(row) for row in rows]
    return rows


def read_through(query: Select[Any], table: FromClause, index: Index) -> Select[Any]:
    """`query` made to read `table` through `index` on either database, for code that runs where no
    backend is at hand (the findings' rules, on an async or a lent synchronous connection): SQLite's
    planner is told (`SqliteBackend.use_index`), and PostgreSQL compiles the query without that hint."""
    from archive.storage.sqlite import SqliteBackend

    return SqliteBackend().use_index(query, table, index)


async def plan_with_values(conn: AsyncConnection) -> None:
    """Have PostgreSQL plan every statement of `conn`'s transaction from here on for the values it is
    given. asyncpg prepares each statement, and after five executions PostgreSQL may keep a generic plan,
    made for no values in particular: for the findings' content lookup, a join to hundreds of `VALUES`
    rows, that plan was hundreds of times slower than one made for the values (bench/README.md, change
    44). SQLite plans each statement for its values already."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def as_text(
    query: Select[Any], dialect_name: str, schema: str | None = None
) -> tuple[TextClause, dict[str, Any]]:
    """`query` rendered once for a dialect, as text with named parameters, its unqualified tables in
    `schema` when one is given (text follows no `schema_translate_map`: a rebuild's or a shadow check's
    connection must name its schema here), and the values of the parameters it carries itself. For a
    statement SQLAlchemy cannot cache, one holding `VALUES` ("multivalues are simply not cacheable right
    now", its cache key says): it is compiled again at every execution, where text is compiled once. Keep
    the result per shape and schema (the values are given by name at each run). Only for statements whose
    parameters are plain strings bound by name: text converts no types and expands no lists."""
    from sqlalchemy.dialects import postgresql, sqlite

    from archive.storage.sqlite.engine import install_index_hints

    install_index_hints()  # as any SQLite engine of ours renders them, whether or not one exists yet
    dialect = {"sqlite": sqlite.dialect, "postgresql": postgresql.dialect}[dialect_name](paramstyle="named")
    if schema is None:
        compiled = query.compile(dialect=dialect)
    else:
        compiled = query.compile(
            dialect=dialect, schema_translate_map={None: schema}, render_schema_translate=True
        )
    carried = {name: value for name, value in compiled.params.items() if not compiled.binds[name].required}
    # A cast after a parameter (`:k::VARCHAR`) would read as another parameter: escaped, it stays a cast.
    return text(str(compiled).replace("::", r"\:\:")), carried


def backend_for(engine: AsyncEngine) -> Backend:
    """The backend of `engine`'s database: the one place that asks which dialect it is."""
    found = _BACKENDS.get(engine.sync_engine)
    if found is None:
        if engine.dialect.name == "sqlite":
            from archive.storage.sqlite import SqliteBackend

            found = SqliteBackend()
        else:
            from archive.storage.postgres import PostgresBackend

            found = PostgresBackend()
        _BACKENDS[engine.sync_engine] = found
    return found
