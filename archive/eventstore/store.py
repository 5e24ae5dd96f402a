"""Append to and read from the `events` table, and verify its hash chain.

Global order equals commit order: every write transaction takes one lock first (a transaction-scoped
advisory lock on PostgreSQL, `BEGIN IMMEDIATE` on SQLite) and holds it until it commits, so a reader
tailing `read_all` can never see position N+1 committed before position N.

An append does not read the stream's version first. It writes `expected_version + 1 ...` and the unique
`(stream_id, stream_version)` turns a lost race into `ConcurrencyError`. It does read the head of the
chain, since the new hash covers the previous one, and in that same step it checks that
`expected_version` itself exists, so that a too-high expected version cannot leave a gap.

How the lock is taken and that step is run belongs to the backend (`archive.storage`): on PostgreSQL
one call of the server-side `archive_append`, on SQLite one function in the driver's thread.

Concurrent bare appends (`EventStore.append`) of one store share commits (group commit): while one
commit is in flight the others wait, and the next commit takes all of them at once, so that one lock
hold and one flush to disk serve them all (docs/decisions/0014-group-commit.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import Text, cast, func, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from archive.eventstore.errors import (
    ConcurrencyError,
    EmptyBatchError,
    InvalidAppendError,
    LockTimeoutError,
    UnknownEventTypeError,
    UnserialisableDataError,
)
from archive.eventstore.hashing import GENESIS_HASH, canonical_bytes, chain_hash
from archive.eventstore.payload import MAX_EVENT_TYPE_LENGTH, check_json, text_problem
from archive.eventstore.records import NewEvent, RecordedEvent, ReplayedEvent
from archive.eventstore.redaction import (
    MARKER_PREFIX,
    REDACTION_EVENT_TYPE,
    RedactedPayload,
    is_redacted,
    marker_digest,
    redaction_marker,
)
from archive.eventstore.table import events_table
from archive.eventstore.upcasting import EventTypeRegistry
from archive.storage import BatchWrites, T, backend_for
from archive.storage.engine import is_lock_timeout, stored_utc

_UNIQUE_VERSION_MARKERS = ("uq_events_stream_id_stream_version", "events.stream_id, events.stream_version")


_decoders: dict[type[Any], msgspec.json.Decoder[Any]] = {}


def _decoder(event_class: type[Any]) -> msgspec.json.Decoder[Any]:
    found = _decoders.get(event_class)
    if found is None:
        found = _decoders[event_class] = msgspec.json.Decoder(event_class)
    return found


def utc_now() -> datetime:
    """The current time in UTC, truncated to microseconds (what both databases keep)."""
    return datetime.now(UTC)


class StreamWrite(msgspec.Struct, frozen=True):
    """Events for one stream in a multi-stream append."""

    stream_id: str
    expected_version: int
    events: Sequence[NewEvent]


class VerifyReport(msgspec.Struct, frozen=True):
    """The result of recomputing the hash chain."""

    ok: bool
    events_checked: int
    head_hash: str
    first_bad_position: int | None = None
    problem: str | None = None


@asynccontextmanager
async def _lock_timeouts() -> AsyncIterator[None]:
    """The database's "lock wait ran out" (SQLite busy, PostgreSQL lock_not_available) as the store's own."""
    try:
        yield
    except Exception as error:
        if is_lock_timeout(error):
            raise LockTimeoutError(
                "another connection held a lock this write needs (most often the archive's write lock) "
                "for longer than the lock timeout; nothing was written: try again"
            ) from error
        raise


def _version_conflict(error: IntegrityError, writes: Sequence[StreamWrite]) -> Exception:
    """A unique stream version taken by another writer as `ConcurrencyError`; any other error as it is."""
    if not any(marker in str(error.orig) for marker in _UNIQUE_VERSION_MARKERS):
        return error
    first = writes[0] if len(writes) == 1 else None
    return ConcurrencyError(
        first.stream_id if first else "(one of a batch)", first.expected_version if first else -1
    )


def _recorded(
    rows: Sequence[dict[str, Any]], recorded_at: datetime, linked: Sequence[tuple[int, str, str]]
) -> list[RecordedEvent]:
    """The appended rows as recorded events, with the (position, prev_hash, hash) each was linked with."""
    return [
        RecordedEvent(
            position=position,
            stream_id=row["stream_id"],
            stream_version=row["stream_version"],
            event_type=row["event_type"],
            schema_version=row["schema_version"],
            data=row["data"],
            metadata=row["event_metadata"],
            recorded_at=recorded_at,
            prev_hash=prev_hash,
            hash=hash_,
        )
        for (position, prev_hash, hash_), row in zip(linked, rows, strict=True)
    ]


class _Waiting:
    """A bare append waiting for a commit to take it: its write, checked and made into rows."""

    __slots__ = ("committed", "metadata", "outcome", "rows", "write")

    def __init__(
        self,
        write: StreamWrite,
        rows: list[dict[str, Any]],
        metadata: dict[str, Any],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.write = write
        self.rows = rows
        self.metadata = metadata
        #: Its recorded events, or the error it alone would have met.
        self.outcome: asyncio.Future[list[RecordedEvent]] = loop.create_future()
        #: Set when a commit takes it; done when that commit has ended, whatever its outcome.
        self.committed: asyncio.Future[None] | None = None

    def settle(self, result: list[RecordedEvent] | None = None, error: BaseException | None = None) -> None:
        """Answer the caller (who may have stopped waiting, when cancelled)."""
        if self.outcome.done():
            return
        if error is None:
            self.outcome.set_result(result or [])
        else:
            self.outcome.set_exception(error)


def _own_copy(error: Exception) -> Exception:
    """The same error as a new instance, so that each caller raises (and tracebacks) its own."""
    copy = type(error)(*error.args)
    copy.__cause__ = error.__cause__
    return copy


class EventStore:
    """The recorder: appends events to streams and reads them back in stream or global order."""

    def __init__(
        self,
        engine: AsyncEngine,
        registry: EventTypeRegistry,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.engine = engine
        self.registry = registry
        self._clock = clock
        self.backend = backend_for(engine)
        # Group commit of the bare appends: those waiting, in the order they came, and whether a commit
        # of them is in flight (on `_loop`), by a lone caller itself or by the `_committer` task.
        self._waiting: list[_Waiting] = []
        self._busy = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._committer: asyncio.Task[None] | None = None

    # -- writing ---------------------------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self, commit: bool = True) -> AsyncIterator[AsyncConnection]:
        """A write transaction holding the append lock from its start until it commits or rolls back.

        With `commit=False` it always rolls back: a consistent, writer-free view for checks that write
        only scratch tables.
        """
        async with _lock_timeouts(), self.backend.write_transaction(self.engine, commit) as conn:
            yield conn

    async def follow_in_one_trip(self, work: Callable[[AsyncConnection], Coroutine[Any, Any, T]]) -> T:
        """`work(conn)` in a transaction holding the follow lock (`Backend.follow_in_one_trip`): a read
        model that follows the log is caught up there, while one-trip writes go on where the database
        allows it, in as few trips as its driver allows (`work` awaits only `conn.execute`,
        `conn.scalars` and `conn.scalar`)."""
        async with _lock_timeouts():
            return await self.backend.follow_in_one_trip(self.engine, work)

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        metadata: Mapping[str, Any] | None = None,
    ) -> list[RecordedEvent]:
        """Append `events` to `stream_id` in one transaction, if the stream is at `expected_version`.

        Concurrent calls share commits: a call that finds no commit of this store's appends in flight
        commits at once, alone; one that finds one waits, and when it ends, every waiting call (each
        stream once, the same metadata) is committed in one transaction. Each call gets its own events,
        positions and errors, as if it had committed alone: when a shared commit fails, each of its
        calls is committed again alone, in the order they came. A call cancelled while it waits is not
        appended; one cancelled once its commit has begun waits for that commit to end, then raises
        `CancelledError` (its events are then in the log or not, and nothing of it comes later).
        """
        write = StreamWrite(stream_id, expected_version, events)
        meta = dict(metadata or {})
        try:
            rows = self._prepare(stream_id, expected_version, events, meta)
            return await self._commit_or_wait(write, rows, meta)
        except ConcurrencyError as error:
            error.current_version = await self.stream_version(stream_id)
            raise

    async def _commit_or_wait(
        self, write: StreamWrite, rows: list[dict[str, Any]], metadata: dict[str, Any]
    ) -> list[RecordedEvent]:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a store used again on another event loop starts afresh
            self._loop, self._busy, self._waiting, self._committer = loop, False, [], None
        if not self._busy:
            self._busy = True
            try:
                return await self._commit_alone(write, rows, metadata)
            finally:
                self._hand_over()
        waiting = _Waiting(write, rows, metadata, loop)
        self._waiting.append(waiting)
        try:
            return await waiting.outcome
        except asyncio.CancelledError:
            if waiting.committed is None:  # not taken yet: it never will be
                self._waiting.remove(waiting)
                raise
            while not waiting.committed.done():  # taken: let its commit end before saying so
                try:
                    await asyncio.wait([waiting.committed])
                except asyncio.CancelledError:
                    continue
            raise

    def _hand_over(self) -> None:
        """After a commit: the appends that came meanwhile are committed by a task of their own."""
        if self._waiting:
            self._committer = asyncio.get_running_loop().create_task(self._commit_waiting())
        else:
            self._busy = False

    async def _commit_waiting(self) -> None:
        """Commit the waiting appends, a group at a time, until none wait."""
        try:
            while self._waiting:
                group = self._take_group()
                committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                for waiting in group:
                    waiting.committed = committed
                try:
                    await self._commit_group(group)
                finally:
                    committed.set_result(None)
                # The callers just answered run first: those that append again at once (a loop of
                # appends) are waiting before the next group is taken, and share its commit.
                await asyncio.sleep(0)
        except BaseException:  # the event loop is closing: the appends still waiting are not made
            for waiting in self._waiting:
                waiting.outcome.cancel()
            self._waiting.clear()
            raise
        finally:
            self._busy = False
            self._committer = None

    def _take_group(self) -> list[_Waiting]:
        """The first waiting append and every later one with the same metadata and another stream (a
        stream's second write waits for the next commit, so that it is checked against the first's
        outcome); the rest wait on, in their order."""
        first = self._waiting[0]
        group: list[_Waiting] = []
        streams: set[str] = set()
        rest: list[_Waiting] = []
        for waiting in self._waiting:
            if waiting.metadata == first.metadata and waiting.write.stream_id not in streams:
                group.append(waiting)
                streams.add(waiting.write.stream_id)
            else:
                rest.append(waiting)
        self._waiting = rest
        return group

    async def _commit_group(self, group: list[_Waiting]) -> None:
        """Commit `group` in one transaction; if that fails, each of its appends alone, in order."""
        try:
            if len(group) > 1:
                try:
                    recorded = await self._commit_together(group)
                except LockTimeoutError as error:  # nothing written, and alone each would wait as long
                    for waiting in group:
                        waiting.settle(error=_own_copy(error))
                    return
                except Exception:  # one append's conflict or bad row: each is tried alone below
                    pass
                else:
                    for waiting in group:
                        waiting.settle(recorded[: len(waiting.rows)])
                        recorded = recorded[len(waiting.rows) :]
                    return
            for waiting in group:
                try:
                    waiting.settle(await self._commit_alone(waiting.write, waiting.rows, waiting.metadata))
                except Exception as error:
                    waiting.settle(error=error)
        except BaseException:  # cancelled: an append not answered yet is told so
            for waiting in group:
                waiting.outcome.cancel()
            raise

    async def _commit_together(self, group: list[_Waiting]) -> list[RecordedEvent]:
        writes = [waiting.write for waiting in group]
        rows = [row for waiting in group for row in waiting.rows]
        async with _lock_timeouts(), self.backend.lone_append(self.engine) as conn:
            return await self._insert(conn, writes, rows, group[0].metadata, own_transaction=True)

    async def _commit_alone(
        self, write: StreamWrite, rows: list[dict[str, Any]], metadata: dict[str, Any]
    ) -> list[RecordedEvent]:
        async with _lock_timeouts(), self.backend.lone_append(self.engine) as conn:
            return await self._insert(conn, [write], rows, metadata, own_transaction=True)

    async def append_in(
        self,
        conn: AsyncConnection,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        metadata: Mapping[str, Any] | None = None,
        read: Sequence[tuple[str, int]] = (),
    ) -> list[RecordedEvent]:
        """Append inside a transaction opened by `transaction()`, so callers can project in the same one;
        `read` as in `append_streams_in`."""
        return await self.append_streams_in(
            conn, [StreamWrite(stream_id, expected_version, events)], metadata, read
        )

    async def append_streams_in(
        self,
        conn: AsyncConnection,
        writes: Sequence[StreamWrite],
        metadata: Mapping[str, Any] | None = None,
        read: Sequence[tuple[str, int]] = (),
    ) -> list[RecordedEvent]:
        """Append to several streams at once: one chain-head read and one insert for the whole batch.

        Each stream must be at its `expected_version`, and each (stream, version) of `read`, a stream
        the decision read without writing to it, still at that version; any conflict refuses the whole
        batch with `ConcurrencyError`.
        """
        if len({w.stream_id for w in writes}) != len(writes):
            raise InvalidAppendError(
                "a batch names a stream twice: give each stream's events in one StreamWrite"
            )
        meta = dict(metadata or {})
        rows = [row for w in writes for row in self._prepare(w.stream_id, w.expected_version, w.events, meta)]
        return await self._insert(conn, writes, rows, meta, own_transaction=False, read=read)

    async def _insert(
        self,
        conn: AsyncConnection,
        writes: Sequence[StreamWrite],
        rows: list[dict[str, Any]],
        metadata: dict[str, Any],
        own_transaction: bool,
        read: Sequence[tuple[str, int]] = (),
    ) -> list[RecordedEvent]:
        """The backend's insert of `rows` (the checked events of `writes`, in their order)."""
        continuing = [(w.stream_id, w.expected_version) for w in writes if w.expected_version > 0]
        recorded_at = self._clock()
        try:
            linked = await self.backend.insert_events(
                conn, rows, continuing, metadata, recorded_at, own_transaction, read
            )
        except IntegrityError as error:
            raise _version_conflict(error, writes) from None
        return _recorded(rows, recorded_at, linked)

    async def append_and_project(
        self,
        write: StreamWrite,
        metadata: Mapping[str, Any] | None,
        read: Sequence[tuple[str, int]],
        project: Callable[[list[RecordedEvent]], BatchWrites],
    ) -> list[RecordedEvent]:
        """Append `write` and write its projection as one transaction in one trip to the database, the
        append lock held only for that trip; `read` as in `append_streams_in`.

        `project` gets the events as they will be recorded, except that each position is a stand-in
        (-1 for the first, -2 for the second, ...) and the hashes are not known yet; it returns the
        read models' writes, with those stand-ins where positions go (`archive.storage.BatchWrites`).
        """
        meta = dict(metadata or {})
        rows = self._prepare(write.stream_id, write.expected_version, write.events, meta)
        continuing = [(write.stream_id, write.expected_version)] if write.expected_version > 0 else []
        recorded_at = self._clock()
        writes = project(_recorded(rows, recorded_at, [(-n, "", "") for n in range(1, len(rows) + 1)]))
        try:
            async with _lock_timeouts():
                linked = await self.backend.append_and_project(
                    self.engine, rows, continuing, read, meta, recorded_at, writes
                )
        except IntegrityError as error:
            raise _version_conflict(error, [write]) from None
        return _recorded(rows, recorded_at, linked)

    def _prepare(
        self, stream_id: str, expected_version: int, events: Sequence[NewEvent], metadata: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Validate the whole batch before touching the database, so a bad batch appends nothing."""
        if not events:
            raise EmptyBatchError(f"append to {stream_id!r} has no events: nothing to record")
        if not stream_id or len(stream_id) > 200:
            raise InvalidAppendError("stream_id must be 1 to 200 characters")
        problem = text_problem(stream_id)
        if problem is not None:
            raise InvalidAppendError(f"stream_id {stream_id!r} {problem}")
        if expected_version < 0:
            raise InvalidAppendError(f"expected_version must be 0 or more, not {expected_version}")
        check_json(metadata, "metadata")
        rows = []
        for offset, event in enumerate(events, start=1):
            if len(event.event_type) > MAX_EVENT_TYPE_LENGTH or text_problem(event.event_type) is not None:
                raise InvalidAppendError(
                    f"event type {event.event_type[:120]!r} is not storable: an event type is at most "
                    f"{MAX_EVENT_TYPE_LENGTH} characters of valid text without NUL"
                )
            current = self.registry.current_version(event.event_type)
            if not isinstance(event.data, dict):
                raise UnserialisableDataError(f"data of {event.event_type} must be a JSON object")
            check_json(event.data, f"{event.event_type}.data")
            schema_version = current if event.schema_version is None else event.schema_version
            if not 1 <= schema_version <= current:
                raise InvalidAppendError(
                    f"{event.event_type} has no schema version {schema_version} (current {current})"
                )
            rows.append(
                {
                    "stream_id": stream_id,
                    "stream_version": expected_version + offset,
                    "event_type": event.event_type,
                    "schema_version": schema_version,
                    "data": event.data,
                    "event_metadata": metadata,
                }
            )
        return rows

    # -- reading ---------------------------------------------------------------------------------------

    def _to_recorded(self, row: Row[Any], upcast: bool = True) -> RecordedEvent:
        schema_version, data = row.schema_version, dict(row.data)
        if upcast and not is_redacted(data):  # a marker has no schema to upcast
            schema_version, data = self.registry.upcast(row.event_type, schema_version, data)
        return RecordedEvent(
            position=row.position,
            stream_id=row.stream_id,
            stream_version=row.stream_version,
            event_type=row.event_type,
            schema_version=schema_version,
            data=data,
            metadata=dict(row.event_metadata),
            recorded_at=stored_utc(row.recorded_at),
            prev_hash=row.prev_hash,
            hash=row.hash,
        )

    async def read_stream(
        self, stream_id: str, after_version: int | None = None, conn: AsyncConnection | None = None
    ) -> list[RecordedEvent]:
        """The events of one stream in version order, after `after_version` when given."""
        query = select(events_table).where(events_table.c.stream_id == stream_id)
        if after_version is not None:
            query = query.where(events_table.c.stream_version > after_version)
        query = query.order_by(events_table.c.stream_version)
        if conn is not None:
            return [self._to_recorded(row) for row in await conn.execute(query)]
        async with self.engine.connect() as own:
            return [self._to_recorded(row) for row in await own.execute(query)]

    async def stream_version(self, stream_id: str, conn: AsyncConnection | None = None) -> int:
        """The stream's current version (0 when it has no events), in `conn`'s transaction when given."""
        query = select(func.coalesce(func.max(events_table.c.stream_version), 0)).where(
            events_table.c.stream_id == stream_id
        )
        if conn is not None:
            return int((await conn.execute(query)).scalar_one())
        async with self.engine.connect() as own:
            return int((await own.execute(query)).scalar_one())

    async def read_all(
        self,
        after_position: int = 0,
        limit: int = 1000,
        conn: AsyncConnection | None = None,
        upcast: bool = True,
    ) -> list[RecordedEvent]:
        """Up to `limit` events in global (commit) order, after `after_position`; with `upcast=False`,
        each payload and schema version as stored, which is what its hash covers."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        query = (
            select(events_table)
            .where(events_table.c.position > after_position)
            .order_by(events_table.c.position)
            .limit(limit)
        )
        if conn is not None:
            return [self._to_recorded(row, upcast) for row in await conn.execute(query)]
        async with self.engine.connect() as own:
            return [self._to_recorded(row, upcast) for row in await own.execute(query)]

    async def read_all_decoded(
        self,
        after_position: int,
        limit: int,
        types: Mapping[str, type[Any]],
        conn: AsyncConnection | None = None,
    ) -> list[ReplayedEvent]:
        """Like `read_all`, each payload decoded straight from its stored JSON into `types[event_type]`.

        Only what a replay needs is read; a payload stored at an older schema version is upcast first.
        Decoding the text into the type, rather than into dicts that are then converted, is most of
        what a replay spends reading the log.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        e = events_table.c
        query = (
            select(e.position, e.event_type, e.schema_version, cast(e.data, Text), e.recorded_at)
            .where(e.position > after_position)
            .order_by(e.position)
            .limit(limit)
        )
        if conn is not None:
            rows = (await conn.execute(query)).all()
        else:
            async with self.engine.connect() as own:
                rows = (await own.execute(query)).all()
        return [
            ReplayedEvent(
                position, event_type, stored_utc(recorded_at), self._decode(event_type, version, text, types)
            )
            for position, event_type, version, text, recorded_at in rows
        ]

    def _decode(self, event_type: str, schema_version: int, text: str, types: Mapping[str, type[Any]]) -> Any:
        if text.startswith(MARKER_PREFIX):
            digest = marker_digest(msgspec.json.decode(text))
            if digest is not None:
                return RedactedPayload(digest)
        current = self.registry.current_version(event_type)
        try:
            event_class = types[event_type]
        except KeyError:
            raise UnknownEventTypeError(event_type) from None
        if schema_version == current:
            return _decoder(event_class).decode(text)
        _, data = self.registry.upcast(event_type, schema_version, msgspec.json.decode(text))
        return msgspec.convert(data, event_class)

    async def count(self) -> int:
        """How many events the log holds."""
        async with self.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(events_table))).scalar_one())

    async def head_position(self) -> int:
        """The position of the newest event (0 for an empty log)."""
        async with self.engine.connect() as conn:
            query = select(func.coalesce(func.max(events_table.c.position), 0))
            return int((await conn.execute(query)).scalar_one())

    # -- redacting -------------------------------------------------------------------------------------

    async def read_position(self, conn: AsyncConnection, position: int) -> RecordedEvent | None:
        """The event at `position` as stored (not upcast), read in `conn`'s transaction; None if none."""
        query = select(events_table).where(events_table.c.position == position)
        row = (await conn.execute(query)).first()
        return None if row is None else self._to_recorded(row, upcast=False)

    async def redact_in(self, conn: AsyncConnection, position: int) -> str:
        """Replace the payload at `position` with its redaction marker, in the caller's transaction (one
        that also appends the redaction event); return the marker's digest.

        The table's trigger computes the digest again from the stored payload and refuses anything else
        (migrations/versions/0010_redaction.py); the caller decides whether the redaction is allowed.
        """
        event = await self.read_position(conn, position)
        if event is None:
            raise ValueError(f"the log has no event at position {position}")
        marker = redaction_marker(event.data)
        await conn.execute(
            update(events_table).where(events_table.c.position == position).values(data=marker)
        )
        return next(iter(marker.values()))

    # -- verifying -------------------------------------------------------------------------------------

    async def verify(
        self, batch_size: int = 5000, on_progress: Callable[[int], None] | None = None
    ) -> VerifyReport:
        """Recompute the hash chain from the stored rows (not upcast) and name the first bad position.

        A redacted event (its payload a well-formed marker) cannot be recomputed: its stored hash is taken,
        its link to the event before it is still checked, and the next event's hash still covers it. Each
        marker must be named, with its digest, by a redaction event (`REDACTION_EVENT_TYPE`) later in the
        chain; a marker nobody recorded is reported as a change.
        """
        expected_prev = GENESIS_HASH
        # Position -> digest: the markers met, and the redactions the log records.
        markers: dict[int, str] = {}
        recorded_redactions: dict[int, str] = {}
        checked = 0
        after = 0
        columns = [c for c in events_table.c if c.key != "position"]
        async with self.engine.connect() as conn:
            while True:
                query = (
                    select(events_table.c.position, *columns)
                    .where(events_table.c.position > after)
                    .order_by(events_table.c.position)
                    .limit(batch_size)
                )
                page = (await conn.execute(query)).all()
                for row in page:
                    if row.prev_hash != expected_prev:
                        return VerifyReport(
                            ok=False,
                            events_checked=checked,
                            head_hash=expected_prev,
                            first_bad_position=row.position,
                            problem="prev_hash does not link to the event before it (an event is missing)",
                        )
                    digest = marker_digest(row.data)
                    if digest is not None:
                        markers[row.position] = digest
                        expected_prev = row.hash
                        checked += 1
                        continue
                    if row.event_type == REDACTION_EVENT_TYPE:
                        named = row.data.get("position")
                        if isinstance(named, int):
                            recorded_redactions[named] = str(row.data.get("content_sha256"))
                    recomputed = chain_hash(
                        expected_prev,
                        canonical_bytes(
                            stream_id=row.stream_id,
                            stream_version=row.stream_version,
                            event_type=row.event_type,
                            schema_version=row.schema_version,
                            data=row.data,
                            metadata=row.event_metadata,
                            recorded_at=row.recorded_at,
                        ),
                    )
                    if recomputed != row.hash:
                        return VerifyReport(
                            ok=False,
                            events_checked=checked,
                            head_hash=expected_prev,
                            first_bad_position=row.position,
                            problem="the stored event does not match its hash (it was changed)",
                        )
                    expected_prev = row.hash
                    checked += 1
                if on_progress is not None:
                    on_progress(checked)
                if len(page) < batch_size:
                    return _redactions_recorded(markers, recorded_redactions, checked, expected_prev)
                after = page[-1].position


def _redactions_recorded(
    markers: Mapping[int, str], recorded: Mapping[int, str], checked: int, head_hash: str
) -> VerifyReport:
    """The verdict on a chain that links: whether every redaction marker is one the log records."""
    unrecorded = sorted(position for position, digest in markers.items() if recorded.get(position) != digest)
    if not unrecorded:
        return VerifyReport(ok=True, events_checked=checked, head_hash=head_hash)
    return VerifyReport(
        ok=False,
        events_checked=checked,
        head_hash=head_hash,
        first_bad_position=unrecorded[0],
        problem="the payload was replaced by a redaction marker that no redaction event records "
        "(it was changed)",
    )
