"""Facts: record, correct, retract, rerank and link one, each decided on the fact's current state.

Each handler builds its command from what it reads (entity kinds, the cited sources' texts, a link's
target) and says which streams those reads came from; `_decide_fact` decides it on the fact's state and
appends, optimistically when the caller gave no transaction (archive/commands/unit.py).

The entities a fact names are read but not checked at the append: no entity command reads a fact, so
a fact decided just before an entity is revised or merged is what the same two commands would leave
one after the other. A source's new version, by contrast, re-checks every citation into it, and a
supersedes link reads the chain of facts it would join: those streams are checked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from typing import Any, TypeVar

from msgspec.structs import replace
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.commands.fact_states import load_fact_state, superseded_from
from archive.commands.unit import CommandBase, CommandMeta, FactWritten
from archive.domain.errors import DomainError
from archive.domain.events import Citation, FactChanges, LinkRelation, Qualifiers, Rank, ReasonCode
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
)
from archive.domain.sources import SourceSnapshot
from archive.domain.streams import fact_stream, source_stream
from archive.eventstore import ConcurrencyError
from archive.projections import entities, sources
from archive.projections.fact_versions import FACT_STATES, current_of

#: How many source versions' split texts the command side keeps, and how many lines they may hold in
#: all. Bounded by lines, not only by count: long documents filled the cache with tens of megabytes, and
#: an ingest's peak memory grew with its corpus (docs/decisions/0006-source-cache-bounded-by-lines.md).
SNAPSHOT_CACHE_SIZE = 256
SNAPSHOT_CACHE_LINES = 50_000

T = TypeVar("T")

#: How many facts' states and sources' heads the command side keeps from its own reads and writes
#: (a fact state is about a kilobyte). Each is a guess that the append checks: the fact's own stream
#: version and every cited source's, so a stale entry costs one decision made again, never a write.
STATE_CACHE_SIZE = 10_000

#: How many times a fact command is decided when its append finds that what it read has moved on.
DECISIONS = 3

#: A fact command as built from what it read, and the (stream, version) of each stream read that the
#: fact's own stream does not cover.
Built = tuple[FactCommand, tuple[tuple[str, int], ...]]


def sources_read(context: FactContext) -> tuple[tuple[str, int], ...]:
    """The streams of the sources a fact decision checks its citations against, at the versions read."""
    return tuple((source_stream(source_id), s.version) for source_id, s in sorted(context.sources.items()))


class FactCommands(CommandBase):
    """The fact handlers, and the context (entity kinds, source texts) every fact decision needs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Fact id -> the state this process last read or wrote; source id -> its version last read.
        self._fact_states: dict[str, FactState] = {}
        self._source_heads: dict[str, tuple[str, int]] = {}  # its text's sha256 and its version
        # Whether the decision being made may take its states from those caches: only an optimistic
        # decision sets it (not when deciding again), whose append checks what it read. Anything else (an
        # ingest, a command in a caller's transaction) checks nothing it read at its append, so it reads.
        self._cached: ContextVar[bool] = ContextVar("decide_from_cache", default=False)
        reads, _ = self.store.backend.read_engines(self.store.engine)
        self._point_reads = self.store.backend.point_reader(self.store.engine, reads)

    async def _context(
        self, conn: AsyncConnection, entity_ids: set[str | None], cited: Sequence[Citation]
    ) -> FactContext:
        """What a fact decider needs to know of the rest of the archive: entity kinds, source texts."""
        wanted = {e for e in entity_ids if e is not None}
        snapshots = await self._sources(conn, {c.source_id for c in cited})
        cached_lines = sum(len(snapshot.lines) for snapshot in self._snapshots.values())
        while len(self._snapshots) > 1 and (
            len(self._snapshots) > SNAPSHOT_CACHE_SIZE or cached_lines > SNAPSHOT_CACHE_LINES
        ):
            # The oldest first (dicts keep insertion order); the newest stays, however long.
            cached_lines -= len(self._snapshots.pop(next(iter(self._snapshots))).lines)
        kinds, merged_into = await entities.kinds_and_redirects(conn, wanted)
        return FactContext(
            vocabulary=self.vocabulary, entities=kinds, merged_into=merged_into, sources=snapshots
        )

    async def _sources(self, conn: AsyncConnection, source_ids: set[str]) -> dict[str, SourceSnapshot]:
        """The cited sources' current versions: from the heads this process last read when it may and has
        them all (with their texts still cached), otherwise read."""
        heads, texts = self._source_heads, self._snapshots
        if self._cached.get() and all(heads.get(s, ("", 0))[0] in texts for s in source_ids):
            return {s: replace(texts[heads[s][0]], version=heads[s][1]) for s in source_ids}
        snapshots = await sources.snapshots(conn, source_ids, texts)
        _remember(
            heads, {s: (snapshot.content_sha256, snapshot.version) for s, snapshot in snapshots.items()}
        )
        return snapshots

    async def _fact_state(self, conn: AsyncConnection, fact_id: str) -> FactState:
        """The fact's state for an optimistic decision: the one this process last read or wrote when it
        may, otherwise read; on a SQLite file on the loop's thread (`PointReader`: no trip to the
        driver's thread, no transaction), which the append's check of the version makes safe."""
        cached = self._fact_states.get(fact_id) if self._cached.get() else None
        if cached is not None:
            return cached
        if self._point_reads.inline:
            return current_of(await self._point_reads.all(FACT_STATES, {"fact_id": fact_id}))
        return await load_fact_state(conn, fact_id)

    async def _decide_fact(
        self,
        conn: AsyncConnection | None,
        fact_id: str,
        build: Callable[[AsyncConnection], Awaitable[Built]],
        meta: CommandMeta,
    ) -> FactWritten:
        """Build the command, decide it on the fact's state, append and project.

        In the caller's transaction (which holds the lock) when one is given. Otherwise optimistically:
        when something the decision read moved before the append, the command is decided again on
        fresh reads, as if it had come a moment later, where the decider refuses a client's stale
        `expected_version` as before. The third decision is there for a writer that lands between the
        second one's reads and its append: deciding again lets the decider name the version it found.
        """
        if conn is not None:
            # Nothing it reads can change before this transaction ends, and nothing it read is checked at
            # the append: so it reads, rather than trusting what this process remembered (another process
            # may have moved a source on since).
            token = self._cached.set(False)
            try:
                command, _ = await build(conn)
            finally:
                self._cached.reset(token)
            return await self._write_fact(conn, fact_id, command, await load_fact_state(conn, fact_id), meta)
        remembered = True
        for decision in range(1, DECISIONS + 1):
            token = self._cached.set(remembered)
            try:
                return await self._decide_optimistically(fact_id, build, meta)
            except ConcurrencyError as error:  # something read moved on
                if decision == DECISIONS:
                    error.current_version = await self.store.stream_version(error.stream_id)
                    raise
            except DomainError:
                # Refused on what may have been a remembered state, which another process (or a task
                # of this one that remembered after it) may have moved on: a client that saw the newer
                # version names it. Refused again on what is there, it stands.
                if not remembered:
                    raise
            finally:
                self._cached.reset(token)
            self._fact_states.pop(fact_id, None)
            remembered = False
        raise AssertionError("unreachable: the last decision returns or raises")

    async def _decide_optimistically(
        self, fact_id: str, build: Callable[[AsyncConnection], Awaitable[Built]], meta: CommandMeta
    ) -> FactWritten:
        async with self._reads() as reads:
            command, read = await build(reads)
            state = await self._fact_state(reads, fact_id)
            encoding = self.store.backend.encoding(reads)
        events = decide_fact(command, state)
        stream = fact_stream(fact_id)
        if not events and self._cached.get():
            # Nothing to append, so no append checks what this process remembered: another process, or a
            # redaction, may have moved the fact on, and another process may have given a cited source a
            # new version. Either is decided again on fresh reads, as a process remembering nothing would.
            for checked, version in ((stream, state.version), *read):
                current = await self.store.stream_version(checked)
                if current != version:
                    raise ConcurrencyError(checked, version, current)
        appended = (
            await self._commit_alone(stream, state.version, events, meta, (fact_id, state), read, encoding)
            if events
            else []  # nothing to write: no transaction, no lock
        )
        for event in events:
            state = evolve_fact(state, event)
        known = self._fact_states.get(fact_id)
        if known is None or known.version <= state.version:  # a task that wrote before may resume after
            _remember(self._fact_states, {fact_id: state})
        return FactWritten(stream, state.version, appended, fact_id=fact_id, state=state)

    async def _write_fact(
        self,
        conn: AsyncConnection,
        fact_id: str,
        command: FactCommand,
        state: FactState,
        meta: CommandMeta,
    ) -> FactWritten:
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
        q = content.qualifiers

        async def build(tx: AsyncConnection) -> Built:
            context = await self._context(
                tx, {content.subject, content.object, q.role, q.place, q.organization}, citations
            )
            command = RecordFact(
                content, rank, tuple(citations), context, self._clock(), expected_version=expected_version
            )
            return command, sources_read(context)

        return await self._decide_fact(conn, fact_id, build, meta)

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

        async def build(tx: AsyncConnection) -> Built:
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
            return command, sources_read(context)

        return await self._decide_fact(conn, fact_id, build, meta)

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

        async def build(tx: AsyncConnection) -> Built:
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
            return command, sources_read(context)

        return await self._decide_fact(conn, fact_id, build, meta)

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

        async def build(tx: AsyncConnection) -> Built:
            command = RerankFact(fact_id, expected_version, rank, reason_code, justification, self._clock())
            return command, ()

        return await self._decide_fact(conn, fact_id, build, meta)

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

        async def build(tx: AsyncConnection) -> Built:
            target = await load_fact_state(tx, target_fact_id)
            chain = await superseded_from(tx, target) if relation == "supersedes" else {}
            command = LinkFact(
                fact_id,
                relation,
                target_fact_id,
                self._clock(),
                expected_version=expected_version,
                target_exists=target.exists,
                target_supersedes=frozenset(chain),
            )
            # The target and its chain: a link made meanwhile down it could close a cycle with this one.
            read = {target_fact_id: target, **chain} if target.exists else {}
            return command, tuple((fact_stream(f), s.version) for f, s in read.items() if f != fact_id)

        return await self._decide_fact(conn, fact_id, build, meta)


def _remember(cache: dict[str, T], entries: dict[str, T]) -> None:
    """Put `entries` in `cache`, newest last, dropping the oldest beyond `STATE_CACHE_SIZE`."""
    for key, value in entries.items():
        cache.pop(key, None)
        cache[key] = value
    while len(cache) > STATE_CACHE_SIZE:
        del cache[next(iter(cache))]
