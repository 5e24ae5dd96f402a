"""Apply recorded events to every read model, in the caller's transaction, and advance the checkpoints.

Routing is a literal match on the event's class. Fact events are folded into each fact's new state
(the states before the batch come from the caller or from `fact_versions`, in one query); each
fact-derived read model turns that state into rows, and a whole batch is written with one statement
per table, through the driver (the backend's `write_batch`, archive/storage).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.events import (
    EntityMerged,
    EntityMergedFrom,
    EntityRegistered,
    EntityRevised,
    Event,
    EventRedacted,
    FactCited,
    FactCorrected,
    FactLinked,
    FactRecorded,
    FactReranked,
    FactRetracted,
    FindingDismissed,
    ProposalAccepted,
    ProposalMade,
    ProposalRejected,
    SourceDescribed,
    SourceRegistered,
    SourceRevised,
    citation_id,
    decode_event,
)
from archive.domain.facts import FactState, evolve_fact, initial_fact_state
from archive.domain.vocabulary import Vocabulary
from archive.eventstore import Logged, RecordedEvent, ReplayedEvent
from archive.eventstore.redaction import RedactedPayload
from archive.projections import (
    checkpoints,
    citations,
    citations_by_line,
    entities,
    fact_versions,
    findings,
    links,
    proposals,
    redaction,
    relations,
    roles,
    sources,
    timeline,
)
from archive.projections.versioning import NewVersion, Versioned, close
from archive.storage import BatchWrites, Close, Encoding, backend_for

#: Every read model, in the order a rebuild clears them.
READ_MODEL_TABLES: dict[str, Table] = {
    sources.NAME: sources.sources_table,
    entities.NAME: entities.entities_table,
    fact_versions.NAME: fact_versions.fact_versions_table,
    relations.NAME: relations.relations_table,
    roles.NAME: roles.roles_table,
    timeline.NAME: timeline.timeline_table,
    citations.NAME: citations.citations_table,
    citations_by_line.NAME: citations_by_line.citations_by_line_table,
    links.NAME: links.fact_links_table,
    findings.NAME: findings.findings_table,
    findings.REFS_NAME: findings.finding_refs_table,
    findings.DISMISSALS_NAME: findings.finding_dismissals_table,
    proposals.NAME: proposals.proposals_table,
}

FactEvent = FactRecorded | FactCited | FactCorrected | FactRetracted | FactReranked | FactLinked

#: The order in which a batch's rows are inserted.
INSERT_ORDER: tuple[Table, ...] = (
    entities.entities_table,
    fact_versions.fact_versions_table,
    relations.relations_table,
    roles.roles_table,
    timeline.timeline_table,
    citations.citations_table,
    citations_by_line.citations_by_line_table,
    links.fact_links_table,
)

#: The fact-derived read models whose rows carry a record-time interval.
VERSIONED_TABLES: tuple[Table, ...] = (
    fact_versions.fact_versions_table,
    relations.relations_table,
    roles.roles_table,
    timeline.timeline_table,
)


class _SeenFacts:
    """The facts a replay has already projected, as a fixed-size bit set (memory stays flat).

    A replay starts from empty read models, so a fact it has not seen has no rows yet: its state and
    citations need no query. A hash collision only makes an unseen fact look seen (one id more in a
    state query that finds nothing), never the reverse.
    """

    BITS = 1 << 25  # 4 MiB

    def __init__(self) -> None:
        self.bits = bytearray(self.BITS >> 3)

    def __contains__(self, fact_id: str) -> bool:
        h = hash(fact_id) & (self.BITS - 1)
        return bool(self.bits[h >> 3] & (1 << (h & 7)))

    def update(self, fact_ids: set[str]) -> None:
        for fact_id in fact_ids:
            h = hash(fact_id) & (self.BITS - 1)
            self.bits[h >> 3] |= 1 << (h & 7)


class _Batch:
    """Rows of a batch of events, buffered so that the batch costs one statement per table.

    A fact that had rows before the batch gets them closed (one UPDATE per table for all such facts);
    a fact touched twice within the batch has its first buffered rows closed in memory instead.
    Registered entities are buffered too. Rows are positional, encoded for the driver (`Encoding`).
    """

    def __init__(self, states: dict[str, FactState], encoding: Encoding, vocabulary: Vocabulary) -> None:
        self.states = states
        self.encoding = encoding
        self.vocabulary = vocabulary
        # The citation ids each touched fact has in `citations`: those of its state before the batch
        # (a fact's citations only ever grow, and each one got its row when it first appeared).
        self.known_citations: dict[str, set[str]] = {}
        self.closes: list[Close] = []
        self.open: dict[str, list[Versioned]] = {}
        self.inserts: dict[Table, list[Any]] = {table: [] for table in INSERT_ORDER}

    def add_fact(self, event: FactEvent, recorded: Logged) -> None:
        fact_id = event.fact_id
        before = self.states.get(fact_id)
        if before is None:
            before = initial_fact_state()
        if not before.exists and not isinstance(event, FactRecorded):
            return  # its recording was redacted: nothing to fold onto (projections/redaction.py)
        after = evolve_fact(before, event)
        self.states[fact_id] = after
        new = NewVersion(after, recorded, self.encoding)
        if fact_id in self.open:
            close(self.open[fact_id], new.recorded_from, new.position)
        elif before.exists:
            self.closes.append((fact_id, before.version, recorded.recorded_at, recorded.position))
        inserts = self.inserts
        current: list[Versioned] = []
        for table, rows in (
            (fact_versions.fact_versions_table, fact_versions.rows_for(new)),
            (relations.relations_table, relations.rows_for(new)),
            (roles.roles_table, roles.rows_for(new, self.vocabulary)),
            (timeline.timeline_table, timeline.rows_for(new)),
        ):
            inserts[table].extend(rows)
            current.extend(rows)
        self.open[fact_id] = current
        inserts[links.fact_links_table].extend(links.rows_for(before, new))
        known = self.known_citations.get(fact_id)
        if known is None:
            known = self.known_citations[fact_id] = {citation_id(c) for c in before.citations}
        added = citations.added_citations(after, known)
        if added:
            inserts[citations.citations_table].extend(citations.rows_for(fact_id, added))
            inserts[citations_by_line.citations_by_line_table].extend(
                citations_by_line.rows_for(fact_id, added)
            )

    def add_entity(self, event: EntityRegistered, recorded: Logged) -> None:
        self.inserts[entities.entities_table].append(entities.registered_row(event, recorded, self.encoding))

    async def flush(self, conn: AsyncConnection, checkpoint: int | None = None) -> None:
        """Write the buffered rows (closes first); with `checkpoint`, advance every checkpoint to it."""
        await backend_for(conn.engine).write_batch(
            conn,
            closes=self.closes,
            close_tables=VERSIONED_TABLES,
            inserts=self.inserts,
            checkpoint=self._checkpoint(checkpoint),
        )
        self.closes, self.open = [], {}
        self.inserts = {table: [] for table in INSERT_ORDER}

    def writes(self, checkpoint: int) -> BatchWrites:
        """The buffered rows as writes for the backend to make, with every checkpoint at `checkpoint`."""
        return BatchWrites(self.closes, VERSIONED_TABLES, self.inserts, self._checkpoint(checkpoint))

    @staticmethod
    def _checkpoint(position: int | None) -> tuple[Table, list[str], int] | None:
        """Every read model's checkpoint at `position`, as a backend's `write_batch` takes it."""
        if position is None:
            return None
        # The findings' checkpoints are their refresh's own (`findings.CHECKPOINTS`).
        names = [name for name in READ_MODEL_TABLES if name not in findings.CHECKPOINTS]
        return (checkpoints.checkpoints_table, names, position)


class Projector:
    """Keeps every read model in step with the log, inside the transaction that appends."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self._replays: dict[AsyncConnection, _SeenFacts] = {}

    @contextmanager
    def replaying(self, conn: AsyncConnection) -> Iterator[None]:
        """Within: `conn` writes into read models that were empty when the replay began.

        A fact the replay has not projected yet has no rows there, so its state is not queried.
        """
        self._replays[conn] = _SeenFacts()
        try:
            yield
        finally:
            del self._replays[conn]

    async def apply(
        self,
        conn: AsyncConnection,
        recorded_events: Sequence[RecordedEvent],
        states_before: Mapping[str, FactState] | None = None,
    ) -> None:
        """Apply `recorded_events` (in position order) and move every checkpoint past the last one.

        `states_before` are fact states the caller already loaded in this transaction (the command
        handlers have them; the initial state for a fact known not to exist yet); only the other
        facts' states are read from `fact_versions`.
        """
        decoded = [(decode_event(r.event_type, r.data), r) for r in recorded_events]
        await self._apply_decoded(conn, decoded, states_before or {})

    def fact_writes(
        self,
        recorded_events: Sequence[RecordedEvent],
        states_before: Mapping[str, FactState],
        encoding: Encoding,
    ) -> BatchWrites:
        """What `apply` would write for fact events, made without the database: the state of every fact
        they touch must be in `states_before`. For `EventStore.append_and_project`, which calls it with
        stand-in positions, so the rows carry them (`archive.storage.POSITION_COLUMNS`)."""
        batch = _Batch(dict(states_before), encoding, self.vocabulary)
        for recorded in recorded_events:
            event = decode_event(recorded.event_type, recorded.data)
            if not isinstance(event, FACT_EVENTS) or event.fact_id not in states_before:
                raise TypeError(f"{recorded.event_type} is not an event of a fact whose state was given")
            batch.add_fact(event, recorded)
        return batch.writes(recorded_events[-1].position)

    async def apply_replayed(self, conn: AsyncConnection, replayed: Sequence[ReplayedEvent]) -> None:
        """Apply a page of a replay (`EventStore.read_all_decoded`), as `apply` does."""
        await self._apply_decoded(conn, [(r.event, r) for r in replayed], {})

    async def _apply_decoded(
        self,
        conn: AsyncConnection,
        decoded: Sequence[tuple[Event | RedactedPayload, Logged]],
        states_before: Mapping[str, FactState],
    ) -> None:
        if not decoded:
            return
        fact_ids = {e.fact_id for e, _ in decoded if isinstance(e, FACT_EVENTS)}
        known = dict(states_before)
        wanted = fact_ids - known.keys()
        seen = self._replays.get(conn)
        if seen is not None:
            wanted = {fact_id for fact_id in wanted if fact_id in seen}
            seen.update(fact_ids)
        states = {**await fact_versions.current_states(conn, wanted), **known}
        batch = _Batch(states, backend_for(conn.engine).encoding(conn), self.vocabulary)
        for event, recorded in decoded:
            if isinstance(event, FACT_EVENTS):
                batch.add_fact(event, recorded)
            elif isinstance(event, EntityRegistered):
                batch.add_entity(event, recorded)
            elif isinstance(event, RedactedPayload):
                continue  # a payload that is gone adds nothing; its redaction event withdraws the fact
            else:
                await batch.flush(conn)  # source and entity events see every event before them
                await self._route(conn, event, recorded)
                if isinstance(event, EventRedacted):
                    batch.states.pop(redaction.withdrawn_fact(event) or "", None)  # gone: not folded on
        await batch.flush(conn, checkpoint=decoded[-1][1].position)
        # Findings are computed from the rows just written, for the scopes these events touched.
        await findings.refresh_applied(
            conn,
            [e for e, _ in decoded if isinstance(e, Event)],
            self.vocabulary,
            first=decoded[0][1].position,
            last=decoded[-1][1].position,
            replaying=seen is not None,
        )

    async def _route(self, conn: AsyncConnection, event: Event, recorded: Logged) -> None:
        match event:
            case SourceRegistered() | SourceDescribed():
                await sources.apply(conn, event, recorded)
            case SourceRevised():
                await sources.apply(conn, event, recorded)
                await citations.recheck(conn, event.rechecks)
                await citations_by_line.recheck(conn, event.source_id, event.rechecks)
            case EntityRevised() | EntityMerged() | EntityMergedFrom():
                await entities.apply(conn, event, recorded)
            case EventRedacted():
                await redaction.apply(conn, event, self.vocabulary)
            case FindingDismissed():
                await findings.apply_dismissal(conn, event, recorded)
            case ProposalMade() | ProposalAccepted() | ProposalRejected():
                await proposals.apply(conn, event, recorded)
            case _:
                raise TypeError(f"no read model handles {recorded.event_type}")


FACT_EVENTS = (FactRecorded, FactCited, FactCorrected, FactRetracted, FactReranked, FactLinked)
