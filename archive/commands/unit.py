"""What every command shares: who asks and why, what a command wrote, and the write transaction.

Every write path of the archive (the API, the seeder, the CLI) goes through the command handlers, one
module per aggregate, each reading load -> decide -> append + project. Each takes an optional open
transaction so that a caller can make several commands atomic (the seeder appends a whole seed file or
nothing); such a transaction holds the append lock from its start, so what it loads cannot change
before it commits.

Without one, a fact command is optimistic (docs/decisions/0012-optimistic-commands.md): it loads and
decides outside the lock, then one trip to the database (one statement on PostgreSQL) takes the lock,
appends, projects and commits. The append checks the version of every stream the decision depended on: the
written stream's (the unique stream version) and those it only read (the cited sources), so a decision
made on a state that another writer has since changed appends nothing (`ConcurrencyError`); the command
is then decided again on fresh reads (at most three decisions in all), where the decider refuses a
client's stale `expected_version` as before. Commands whose decision reads what no stream version
covers (a source's new version re-checks every citation into it) still load inside the locked
transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.commands.follow import FindingsFollower
from archive.domain.events import Event, decode_event, encode_event, event_type_of
from archive.domain.facts import FactState
from archive.domain.sources import SourceSnapshot, SourceState
from archive.domain.vocabulary import Vocabulary
from archive.eventstore import EventStore, NewEvent, RecordedEvent
from archive.eventstore.store import StreamWrite, utc_now
from archive.projections.runner import Projector
from archive.storage import Encoding


class CommandMeta(msgspec.Struct, frozen=True):
    """Who asks and why: stored as the metadata of every event the command appends."""

    actor: str
    reason: str | None = None
    request_id: str | None = None
    token_id: str | None = None

    def as_metadata(self) -> dict[str, Any]:
        """The event metadata (absent values left out)."""
        return {k: v for k, v in msgspec.to_builtins(self).items() if v is not None}


class Written(msgspec.Struct, frozen=True):
    """What a command appended (possibly nothing, when it was already true) and the stream's version."""

    stream_id: str
    version: int
    events: list[RecordedEvent]


class RegisteredSource(Written, frozen=True):
    """A source command's outcome, with the source's state after it, and the `proposal.made` events of the
    facts proposed from the text it recorded (archive/commands/proposals.py)."""

    state: SourceState = SourceState()
    proposals: list[RecordedEvent] = []


class FactWritten(Written, frozen=True):
    """A fact command's outcome, with the fact's state after it."""

    fact_id: str = ""
    state: FactState | None = None


class CommandBase:
    """The store, the vocabulary and the projector every handler module uses; `Archive` puts them together."""

    def __init__(
        self,
        store: EventStore,
        vocabulary: Vocabulary,
        clock: Callable[[], datetime] = utc_now,
        findings_delay: float | None = None,
    ) -> None:
        self.store = store
        self.vocabulary = vocabulary
        self.projector = Projector(vocabulary)
        #: When a one-trip write's findings catch up: at once (`findings_delay` None) or a delay after it.
        self.findings = FindingsFollower(store, vocabulary, findings_delay)
        self._clock = clock
        # Source snapshots by content sha256: a version's text never changes, so it is split once.
        self._snapshots: dict[str, SourceSnapshot] = {}

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction several commands can share: they commit together or not at all."""
        async with self.store.transaction() as conn:
            yield conn

    @asynccontextmanager
    async def _in(self, conn: AsyncConnection | None) -> AsyncIterator[AsyncConnection]:
        if conn is not None:
            yield conn
            return
        async with self.store.transaction() as own:
            yield own

    @asynccontextmanager
    async def _reads(self) -> AsyncIterator[AsyncConnection]:
        """A connection for a decision's loads, outside the append lock (one snapshot on SQLite; on
        PostgreSQL each statement its own, which the versions checked at the append make safe)."""
        reads, _ = self.store.backend.read_engines(self.store.engine)
        async with reads.connect() as conn:
            yield conn

    async def _commit_alone(
        self,
        stream_id: str,
        version: int,
        events: Sequence[Event],
        meta: CommandMeta,
        fact_before: tuple[str, FactState],
        read: Sequence[tuple[str, int]],
        encoding: Encoding,
    ) -> list[RecordedEvent]:
        """Append a fact's decided events and project them as a transaction of their own, in one trip to
        the database (the append lock is held for that trip alone); `read` as in `_commit`."""
        new = [NewEvent(event_type_of(e), encode_event(e)) for e in events]
        before = {fact_before[0]: fact_before[1]}
        recorded = await self.store.append_and_project(
            StreamWrite(stream_id, version, new),
            meta.as_metadata(),
            read,
            lambda pending: self.projector.fact_writes(pending, before, encoding),
        )

        # Findings are queried from the rows that trip wrote, which it cannot do itself: they catch up after
        # it, at once or in the background (archive/commands/follow.py).
        await self.findings.wrote()
        return recorded

    async def _commit(
        self,
        conn: AsyncConnection,
        stream_id: str,
        version: int,
        events: Sequence[Event],
        meta: CommandMeta,
        fact_before: tuple[str, FactState] | None = None,
        read: Sequence[tuple[str, int]] = (),
    ) -> list[RecordedEvent]:
        """Append the decided events and project them, in the caller's transaction.

        `fact_before` is the fact id and the state the decision was made on (the initial state for a
        new fact), so the projector need not reload it. `read` names the streams the decision read but
        does not write, each with the version it was read at: the append refuses if one has moved.
        """
        if not events:
            return []
        new = [NewEvent(event_type_of(e), encode_event(e)) for e in events]
        recorded = await self.store.append_in(conn, stream_id, version, new, meta.as_metadata(), read)
        before = {fact_before[0]: fact_before[1]} if fact_before is not None else {}
        await self.projector.apply(conn, recorded, before)
        return recorded


def decoded(recorded: RecordedEvent) -> Event:
    return decode_event(recorded.event_type, recorded.data)
