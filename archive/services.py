"""Command handlers: load the state, decide, append and project, in one write transaction.

Every write path of the archive (the API, the seeder, the CLI) goes through these handlers. Each
takes an optional open transaction so that a caller can make several commands atomic (the seeder
appends a whole seed file or nothing); without one, each command is its own transaction. The state is
loaded inside the transaction, which holds the append lock, so a decision can never be based on a state
that another writer has since changed; a client's stale `expected_version` is refused by the decider.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.entities import RegisterEntity, decide_entity, evolve_entity, initial_entity_state
from archive.domain.errors import DomainError
from archive.domain.events import (
    Citation,
    Event,
    FactChanges,
    LinkRelation,
    Qualifiers,
    Rank,
    ReasonCode,
    decode_event,
    encode_event,
    event_type_of,
)
from archive.domain.facts import (
    CorrectFact,
    FactCommand,
    FactContent,
    FactContext,
    FactState,
    LinkFact,
    RecordFact,
    RerankFact,
    RetractFact,
    decide_fact,
    evolve_fact,
    fact_id_for,
    initial_fact_state,
)
from archive.domain.sources import (
    RegisterSource,
    SourceSnapshot,
    SourceState,
    decide_source,
    evolve_source,
    initial_source_state,
)
from archive.domain.vocabulary import Vocabulary
from archive.eventstore import EventStore, NewEvent, RecordedEvent, StreamWrite
from archive.eventstore.store import utc_now
from archive.projections import citations, entities, fact_versions, sources
from archive.projections.runner import Projector

#: How many source versions' split texts the command side keeps, and how many lines they may hold in
#: all (about 6 MB of lines of 60 characters). Bounded by lines, not only by count: 256 versions of
#: 2000-line documents held 60 MB, and an ingest's peak memory grew with its corpus up to that (bench
#: case 4: 86 MiB at 10^4 facts, 170 MiB at 10^6).
SNAPSHOT_CACHE_SIZE = 256
SNAPSHOT_CACHE_LINES = 50_000


def source_stream(source_id: str) -> str:
    """The stream of one source document."""
    return f"source:{source_id}"


def entity_stream(entity_id: str) -> str:
    """The stream of one entity."""
    return f"entity:{entity_id}"


def fact_stream(fact_id: str) -> str:
    """The stream of one fact."""
    return f"fact:{fact_id}"


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
    """A source command's outcome, with the source's state after it."""

    state: SourceState = SourceState()


class FactWritten(Written, frozen=True):
    """A fact command's outcome, with the fact's state after it."""

    fact_id: str = ""
    state: FactState | None = None


class FactInput(msgspec.Struct, frozen=True):
    """One fact to ingest in bulk."""

    content: FactContent
    rank: Rank
    citations: tuple[Citation, ...]


class IngestError(Exception):
    """An item of a bulk ingest that the decider refused; nothing of the batch was appended."""

    def __init__(self, index: int, error: DomainError) -> None:
        self.index = index
        self.error = error
        super().__init__(f"item {index}: {error}")


class Ingested(msgspec.Struct, frozen=True):
    """What a bulk ingest appended: each item's fact id, and the events."""

    fact_ids: list[str]
    events: list[RecordedEvent]


class Archive:
    """The archive's command side."""

    def __init__(
        self,
        store: EventStore,
        vocabulary: Vocabulary,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.vocabulary = vocabulary
        self.projector = Projector(vocabulary)
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

    async def _commit(
        self,
        conn: AsyncConnection,
        stream_id: str,
        version: int,
        events: Sequence[Event],
        meta: CommandMeta,
        fact_before: tuple[str, FactState] | None = None,
    ) -> list[RecordedEvent]:
        """Append the decided events and project them, in the caller's transaction.

        `fact_before` is the fact id and the state the decision was made on (the initial state for a
        new fact), so the projector need not reload it.
        """
        if not events:
            return []
        new = [NewEvent(event_type_of(e), encode_event(e)) for e in events]
        recorded = await self.store.append_in(conn, stream_id, version, new, meta.as_metadata())
        before = {fact_before[0]: fact_before[1]} if fact_before is not None else {}
        await self.projector.apply(conn, recorded, before)
        return recorded

    # -- sources and entities ----------------------------------------------------------------------

    async def register_source(
        self,
        *,
        source_id: str,
        title: str,
        origin: str,
        source_date: str,
        content: bytes,
        meta: CommandMeta,
        expected_version: int | None = None,
        conn: AsyncConnection | None = None,
    ) -> RegisteredSource:
        """Register a source document, or a new version of it (re-checking every citation into it).

        With `expected_version`, the source's stream must be at that version (0: a new source); a new
        version of an existing source needs it.
        """
        text = content.decode("utf-8")
        async with self._in(conn) as tx:
            stream = source_stream(source_id)
            state = initial_source_state()
            for recorded in await self.store.read_stream(stream, conn=tx):
                state = evolve_source(state, _decode(recorded))
            command = RegisterSource(
                source_id=source_id,
                title=title,
                origin=origin,
                source_date=source_date,
                text=text,
                content_sha256=hashlib.sha256(content).hexdigest(),
                recorded_at=self._clock(),
                citations=await citations.refs_into(tx, source_id) if state.exists else (),
                expected_version=expected_version,
            )
            events = decide_source(command, state)
            appended = await self._commit(tx, stream, state.version, events, meta)
            for event in events:
                state = evolve_source(state, event)
            return RegisteredSource(stream, state.version, appended, state=state)

    async def register_entity(
        self,
        *,
        entity_id: str,
        kind: str,
        label: str,
        aliases: Sequence[str] = (),
        meta: CommandMeta,
        expected_version: int | None = None,
        conn: AsyncConnection | None = None,
    ) -> Written:
        """Register an entity, or bring its kind, label and aliases up to date (with `expected_version`)."""
        async with self._in(conn) as tx:
            stream = entity_stream(entity_id)
            state = initial_entity_state()
            for recorded in await self.store.read_stream(stream, conn=tx):
                state = evolve_entity(state, _decode(recorded))
            command = RegisterEntity(
                entity_id, kind, label, tuple(aliases), self._clock(), expected_version=expected_version
            )
            appended = await self._commit(tx, stream, state.version, decide_entity(command, state), meta)
            return Written(stream, state.version + len(appended), appended)

    # -- facts -------------------------------------------------------------------------------------

    async def _context(
        self, conn: AsyncConnection, entity_ids: set[str | None], cited: Sequence[Citation]
    ) -> FactContext:
        """What a fact decider needs to know of the rest of the archive: entity kinds, source texts."""
        wanted = {e for e in entity_ids if e is not None}
        snapshots = await sources.snapshots(conn, {c.source_id for c in cited}, self._snapshots)
        cached_lines = sum(len(snapshot.lines) for snapshot in self._snapshots.values())
        while len(self._snapshots) > 1 and (
            len(self._snapshots) > SNAPSHOT_CACHE_SIZE or cached_lines > SNAPSHOT_CACHE_LINES
        ):
            # The oldest first (dicts keep insertion order); the newest stays, however long.
            cached_lines -= len(self._snapshots.pop(next(iter(self._snapshots))).lines)
        return FactContext(
            vocabulary=self.vocabulary, entities=await entities.kinds(conn, wanted), sources=snapshots
        )

    async def _decide_fact(
        self, conn: AsyncConnection, fact_id: str, command: FactCommand, meta: CommandMeta
    ) -> FactWritten:
        state = await fact_versions.current_state(conn, fact_id)
        events = decide_fact(command, state)
        appended = await self._commit(
            conn, fact_stream(fact_id), state.version, events, meta, (fact_id, state)
        )
        for event in events:
            state = evolve_fact(state, event)
        return FactWritten(fact_stream(fact_id), state.version, appended, fact_id=fact_id, state=state)

    async def record_fact(
        self,
        *,
        content: FactContent,
        rank: Rank,
        citations: Sequence[Citation],
        meta: CommandMeta,
        expected_version: int | None = None,
        conn: AsyncConnection | None = None,
    ) -> FactWritten:
        """Record a fact; the same fact again adds only the citations it did not have.

        With `expected_version`, the fact must be at that version (0: not yet recorded); adding
        citations to an existing fact needs it.
        """
        fact_id = fact_id_for(content)
        async with self._in(conn) as tx:
            q = content.qualifiers
            context = await self._context(
                tx, {content.subject, content.object, q.role, q.place, q.organization}, citations
            )
            command = RecordFact(
                content, rank, tuple(citations), context, self._clock(), expected_version=expected_version
            )
            return await self._decide_fact(tx, fact_id, command, meta)

    async def ingest_facts(
        self, items: Sequence[FactInput], meta: CommandMeta, conn: AsyncConnection | None = None
    ) -> Ingested:
        """Record many facts at once, through the same decider as `record_fact`.

        The context (entity kinds, source texts) and the facts' current states are loaded with one
        query each, every item is decided in order (a fact repeated in the batch gets `fact.cited`),
        and all the events are appended and projected with one statement per table. Any refusal
        raises `IngestError` naming the item, and nothing of the batch is appended.
        """
        async with self._in(conn) as tx:
            referenced: set[str | None] = set()
            for item in items:
                q = item.content.qualifiers
                referenced |= {item.content.subject, item.content.object, q.role, q.place, q.organization}
            context = await self._context(tx, referenced, [c for item in items for c in item.citations])
            fact_ids = []
            for index, item in enumerate(items):
                try:
                    fact_ids.append(fact_id_for(item.content))
                except DomainError as error:
                    raise IngestError(index, error) from error
            states = await fact_versions.current_states(tx, set(fact_ids))
            start_versions = {fact_id: state.version for fact_id, state in states.items()}
            # Every item's state before the batch, the new facts' included: the projector reads none.
            states_before = {fact_id: states.get(fact_id) or initial_fact_state() for fact_id in fact_ids}
            decided: dict[str, list[Event]] = {}
            recorded_at = self._clock()
            for index, (item, fact_id) in enumerate(zip(items, fact_ids, strict=True)):
                state = states.get(fact_id, initial_fact_state())
                # The states were read in this transaction, which holds the append lock: the version
                # each item is decided on is the current one, so an ingest adds citations knowingly.
                command = RecordFact(
                    item.content,
                    item.rank,
                    item.citations,
                    context,
                    recorded_at,
                    expected_version=state.version,
                )
                try:
                    events = decide_fact(command, state)
                except DomainError as error:
                    raise IngestError(index, error) from error
                for event in events:
                    state = evolve_fact(state, event)
                states[fact_id] = state
                if events:
                    decided.setdefault(fact_id, []).extend(events)
            writes = [
                StreamWrite(
                    fact_stream(fact_id),
                    start_versions.get(fact_id, 0),
                    [NewEvent(event_type_of(e), encode_event(e)) for e in events],
                )
                for fact_id, events in decided.items()
            ]
            recorded: list[RecordedEvent] = []
            if writes:
                recorded = await self.store.append_streams_in(tx, writes, meta.as_metadata())
                await self.projector.apply(tx, recorded, states_before)
            return Ingested(fact_ids, recorded)

    async def correct_fact(
        self,
        *,
        fact_id: str,
        expected_version: int,
        changes: FactChanges,
        reason_code: ReasonCode,
        justification: str,
        citations: Sequence[Citation],
        meta: CommandMeta,
        conn: AsyncConnection | None = None,
    ) -> FactWritten:
        """Correct some values of a fact, with the reason and the evidence."""
        introduced: set[str | None] = set()
        if isinstance(changes.object, str):
            introduced.add(changes.object)
        if isinstance(changes.qualifiers, Qualifiers):
            q = changes.qualifiers
            introduced |= {q.role, q.place, q.organization}
        async with self._in(conn) as tx:
            context = await self._context(tx, introduced, citations)
            command = CorrectFact(
                fact_id,
                expected_version,
                changes,
                reason_code,
                justification,
                tuple(citations),
                context,
                self._clock(),
            )
            return await self._decide_fact(tx, fact_id, command, meta)

    async def retract_fact(
        self,
        *,
        fact_id: str,
        expected_version: int,
        reason_code: ReasonCode,
        justification: str,
        citations: Sequence[Citation],
        meta: CommandMeta,
        conn: AsyncConnection | None = None,
    ) -> FactWritten:
        """Stop asserting a fact, with the reason and the evidence."""
        async with self._in(conn) as tx:
            context = await self._context(tx, set(), citations)
            command = RetractFact(
                fact_id,
                expected_version,
                reason_code,
                justification,
                tuple(citations),
                context,
                self._clock(),
            )
            return await self._decide_fact(tx, fact_id, command, meta)

    async def rerank_fact(
        self,
        *,
        fact_id: str,
        expected_version: int,
        rank: Rank,
        reason_code: ReasonCode,
        justification: str,
        meta: CommandMeta,
        conn: AsyncConnection | None = None,
    ) -> FactWritten:
        """Change a fact's rank (preferred, normal, deprecated), with the reason."""
        async with self._in(conn) as tx:
            command = RerankFact(fact_id, expected_version, rank, reason_code, justification, self._clock())
            return await self._decide_fact(tx, fact_id, command, meta)

    async def link_fact(
        self,
        *,
        fact_id: str,
        relation: LinkRelation,
        target_fact_id: str,
        meta: CommandMeta,
        expected_version: int | None = None,
        conn: AsyncConnection | None = None,
    ) -> FactWritten:
        """Link a fact to another: it fulfils, contradicts or supersedes it (with `expected_version`)."""
        async with self._in(conn) as tx:
            target = await fact_versions.current_state(tx, target_fact_id)
            chain = await _superseded_from(tx, target) if relation == "supersedes" else frozenset()
            command = LinkFact(
                fact_id,
                relation,
                target_fact_id,
                self._clock(),
                expected_version=expected_version,
                target_exists=target.exists,
                target_supersedes=chain,
            )
            return await self._decide_fact(tx, fact_id, command, meta)


async def _superseded_from(conn: AsyncConnection, start: FactState) -> frozenset[str]:
    """Every fact `start` supersedes, directly or down a chain of supersedes links."""
    found: set[str] = set()
    frontier = {link.target_fact_id for link in start.links if link.relation == "supersedes"}
    while frontier:
        found |= frontier
        states = await fact_versions.current_states(conn, frontier)
        frontier = {
            link.target_fact_id
            for state in states.values()
            for link in state.links
            if link.relation == "supersedes" and link.target_fact_id not in found
        }
    return frozenset(found)


def _decode(recorded: RecordedEvent) -> Event:
    return decode_event(recorded.event_type, recorded.data)
