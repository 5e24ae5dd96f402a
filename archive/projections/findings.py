"""Read model `findings`: what an archivist should look at, computed from the other read models.

Each batch of events (inline or in a replay) names the *scopes* it may have changed: an office whose
terms it touched, a fact, a content key (a fact's content but its valid time), an entity, a name. After
the batch's rows are written, every finding in those scopes is computed again from the current rows of
the other read models and replaces the old ones (`refresh`). A scope's findings are a function of the
current rows alone, never of the order or the batching of the events, so a replay writes the same rows.

Which scopes a batch touches: those of the current state of each fact it touched (and of each fact a
touched fact links to, and of each fact citing a revised source), those of its touched entities and of
their names, and those of every finding already standing that names a touched fact or entity: a change
that ends a finding always touches something the finding names. An entity that loses its last fact is
the one finding made by a removal: the relations a touched fact ever had name it. A finding kind must
depend only on what it names: that is also what makes a catch-up beside concurrent writes sound
(docs/decisions/0018-findings-follow-the-log.md).

An office's scope is the one computed narrowly: its findings are pairs of terms, and a pair depends only
on its two terms, the links between them and their holders' merges, each of which names a fact or an
entity the batch touched. So only the pairs naming something touched are computed and replaced; a busy
office's other pairs are neither read nor written. Every scope writes only the rows that changed.

Time-dependent findings (a plan whose date has passed) are stored without the clock: the row carries
the day after which the plan is overdue (`due_on`), and each read compares it with the day it asks about.
So the rows stay a pure function of the log, and "passed" is always relative to the read's date.

Dismissals are events (`finding.dismissed`), kept in `finding_dismissals` by finding id: a finding id is
derived from its kind and what it is about, so a finding found again is the same one, still dismissed.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from collections.abc import Set as AbstractSet
from typing import Any, TypeVar

import msgspec
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    Select,
    String,
    Table,
    Text,
    TextClause,
    and_,
    bindparam,
    func,
    or_,
    select,
    tuple_,
    values,
)
from sqlalchemy import (
    column as sql_column,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.events import (
    EVENT_TYPES,
    EntityMerged,
    EntityMergedFrom,
    EntityRegistered,
    EntityRevised,
    Event,
    FactCited,
    FactCorrected,
    FactLinked,
    FactRecorded,
    FactReranked,
    FactRetracted,
    FindingDismissed,
    SourceRevised,
)
from archive.domain.facts import FactState
from archive.domain.findings import (
    HolderTerm,
    beginning,
    colliding_names,
    ends_before,
    finding_id,
    name_key,
    overlapping_holders,
    plan_due,
    variant_pairs,
)
from archive.domain.ids import derived_id
from archive.domain.time import make_valid_time
from archive.domain.vocabulary import Vocabulary
from archive.eventstore import EventStore, Logged, ReplayedEvent
from archive.eventstore.table import events_table
from archive.projections.checkpoints import checkpoints_table
from archive.projections.citations import citations_table
from archive.projections.entities import entities_table
from archive.projections.fact_versions import content_index, current_states, fact_versions_table
from archive.projections.links import fact_links_table
from archive.projections.relations import relations_table
from archive.projections.roles import roles_table
from archive.projections.timeline import involved, timeline_table
from archive.projections.versioning import valid_days
from archive.storage import as_text, plan_with_values, read_through
from archive.storage.engine import metadata, schema_of
from archive.storage.sync import AwaitableConnection, run_to_end

NAME = "findings"
REFS_NAME = "finding_refs"
DISMISSALS_NAME = "finding_dismissals"

findings_table = Table(
    NAME,
    metadata,
    Column("finding_id", String(36), primary_key=True),
    Column("kind", String(40), nullable=False),
    # What the finding is computed within (an office, a fact, a content key, an entity, a name).
    Column("scope", Text, nullable=False),
    Column("fact_ids", JSON, nullable=False),
    Column("entity_ids", JSON, nullable=False),
    # A plan's last possible day: the plan has passed for a read of any later day.
    Column("due_on", Date, nullable=True),
    Index("ix_findings_scope", "scope"),
    Index("ix_findings_kind", "kind"),
)

#: What each finding names: `fact:<id>`, `entity:<id>`, `source:<id>` (the sources its facts cite), so a
#: filter and the scopes of a batch find it by what it is about.
finding_refs_table = Table(
    REFS_NAME,
    metadata,
    Column("ref", String(250), primary_key=True),
    Column("finding_id", String(36), primary_key=True),
    Index("ix_finding_refs_finding_id", "finding_id"),
)

finding_dismissals_table = Table(
    DISMISSALS_NAME,
    metadata,
    Column("finding_id", String(36), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("reason_code", String(40), nullable=False),
    Column("justification", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("position", BigInteger().with_variant(Integer(), "sqlite"), nullable=False),
)

FACT_EVENTS = (FactRecorded, FactCited, FactCorrected, FactRetracted, FactReranked, FactLinked)
ENTITY_EVENTS = (EntityRegistered, EntityRevised, EntityMerged, EntityMergedFrom)

#: The longest name a collision is looked for with: its scope (`name:` and the name) is an index entry, which
#: PostgreSQL bounds (a few kilobytes). A label may run to 2000 characters; two entities sharing one longer
#: than this are left unfound. (An office's scope, two ids of at most 200 characters, stays short.)
LONGEST_NAME = 290

#: Every IN list is cut into chunks of this many ids (SQLite allows 32766 bound parameters).
T = TypeVar("T")

CHUNK = 900


class Finding(msgspec.Struct, frozen=True):
    """A finding as computed, before it is written: its kind, scope, what it names, and a plan's due day."""

    kind: str
    scope: str
    fact_ids: tuple[str, ...]
    entity_ids: tuple[str, ...]
    due_on: Any = None

    @property
    def finding_id(self) -> str:
        return finding_id(self.kind, [*self.fact_ids, *(f"entity:{e}" for e in self.entity_ids)])


class _States:
    """The current states one refresh has read, by fact id. Its rules ask for many of the same facts (the
    batch's own, then the plans among them, then the facts sharing their contents), and a refresh writes
    only findings, after every read: each state is read and decoded once (bench/README.md, change 43).
    What another connection commits meanwhile is left to its own refresh, which computes its scopes again."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.known: dict[str, FactState | None] = {}

    async def of(self, fact_ids: Iterable[str]) -> dict[str, FactState]:
        """The current state of each fact among `fact_ids` that was recorded."""
        wanted = set(fact_ids)
        missing = wanted - self.known.keys()
        if missing:
            read = await current_states(self.conn, missing)
            self.known.update((fact_id, read.get(fact_id)) for fact_id in missing)
        return {fact_id: state for fact_id in wanted if (state := self.known[fact_id]) is not None}


def _chunks(ids: Iterable[str]) -> Iterable[list[str]]:
    return _chunks_of(sorted(set(ids)))


def _chunks_of(ordered: list[T]) -> Iterable[list[T]]:
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def office_scope(office_id: str | None, office_label: str | None, organization_id: str | None) -> str:
    """The scope of a single-holder office: the office (an entity or a fixed label) in its organisation."""
    office = office_id if office_id is not None else f"label:{office_label}"
    return f"office:{office}|{organization_id or ''}"


def content_scope(state: FactState) -> str:
    """The scope of precision variants: the fact's content but its valid time (and the note)."""
    q = state.qualifiers
    key = [state.subject, state.predicate, state.object, state.value, q.role, q.place, q.organization]
    return "content:" + derived_id("content", msgspec.json.encode([*key, state.modality]).decode())


def _content_key(state: FactState) -> tuple[Any, ...]:
    q = state.qualifiers
    return (
        state.subject,
        state.predicate,
        state.object,
        state.value,
        q.role,
        q.place,
        q.organization,
        state.modality,
    )


class _Scopes(msgspec.Struct):
    """The scopes a batch touched, by kind of finding."""

    offices: set[str] = msgspec.field(default_factory=set)
    facts: set[str] = msgspec.field(default_factory=set)
    contents: set[str] = msgspec.field(default_factory=set)
    entities: set[str] = msgspec.field(default_factory=set)
    names: set[str] = msgspec.field(default_factory=set)

    def add(self, scope: str) -> None:
        prefix, _, rest = scope.partition(":")
        self._of(prefix).add(scope if prefix in ("office", "content") else rest)

    def drop(self, kinds: AbstractSet[str]) -> None:
        """Forget the scopes of `kinds` (their prefixes: "office", "fact", ...)."""
        for kind in kinds:
            self._of(kind).clear()

    def _of(self, kind: str) -> set[str]:
        return {
            "office": self.offices,
            "fact": self.facts,
            "content": self.contents,
            "entity": self.entities,
            "name": self.names,
        }[kind]


async def apply_dismissal(conn: AsyncConnection, event: FindingDismissed, recorded: Logged) -> None:
    """Keep a dismissal by its finding id."""
    await conn.execute(
        finding_dismissals_table.insert().values(
            finding_id=event.finding_id,
            kind=event.kind,
            reason_code=event.reason_code,
            justification=event.justification,
            recorded_at=recorded.recorded_at,
            position=recorded.position,
        )
    )


async def refresh(
    conn: AsyncConnection,
    events: Sequence[Event],
    vocabulary: Vocabulary,
    *,
    facts: Iterable[str] = (),
    entities: Iterable[str] = (),
) -> None:
    """Compute again every finding in the scopes `events` touched (their rows already written), and in
    those of `facts` and `entities` (what a fact withdrawn by a redaction touched: its rows are gone)."""
    fact_ids: set[str] = set(facts)
    entity_ids: set[str] = set(entities)
    revised_sources: set[str] = set()
    for event in events:
        if isinstance(event, FACT_EVENTS):
            fact_ids.add(event.fact_id)
            if isinstance(event, FactLinked):
                fact_ids.add(event.target_fact_id)
        elif isinstance(event, ENTITY_EVENTS):
            entity_ids.add(event.entity_id)
            if isinstance(event, EntityMerged | EntityMergedFrom):
                entity_ids.add(event.into if isinstance(event, EntityMerged) else event.merged)
        elif isinstance(event, SourceRevised):
            revised_sources.add(event.source_id)
    if revised_sources:
        query = select(citations_table.c.fact_id).where(
            citations_table.c.source_id.in_(sorted(revised_sources))
        )
        fact_ids |= set(await conn.scalars(query))
    await _refresh_scopes(conn, fact_ids, entity_ids, vocabulary)


#: The findings' own checkpoints (`projection_checkpoints`): the last position P such that the scopes of
#: every event up to P have been computed again. A fact written in one trip to the database
#: (`EventStore.append_and_project`) is projected without its findings, which cannot be computed before
#: its rows exist; they catch up after it, in a transaction of their own (`catch_up`, when
#: archive/commands/follow.py says: at once, a delay later, or before they are read). Until then,
#: or when a crash came in between, this checkpoint stays behind the log, and the next catch-up computes
#: the scopes of every event it missed: a lost refresh is made good, never silently skipped.
CHECKPOINTS = (NAME, REFS_NAME)


async def refreshed_through(conn: AsyncConnection) -> int:
    """The findings' checkpoint (0 before any refresh)."""
    table = checkpoints_table
    query = select(table.c.position).where(table.c.projection == NAME)
    return int(await conn.scalar(query) or 0)


async def _advance(conn: AsyncConnection, position: int) -> None:
    """Move the findings' checkpoints to `position` (never back), creating them where missing."""
    table = checkpoints_table
    rows = await conn.execute(
        select(table.c.projection, table.c.position).where(table.c.projection.in_(CHECKPOINTS))
    )
    existing = {str(name): int(at) for name, at in rows}
    for name in CHECKPOINTS:
        if name not in existing:
            await conn.execute(table.insert().values(projection=name, position=position))
        elif existing[name] < position:
            await conn.execute(table.update().where(table.c.projection == name).values(position=position))


async def refresh_applied(
    conn: AsyncConnection,
    events: Sequence[Event],
    vocabulary: Vocabulary,
    first: int,
    last: int,
    replaying: bool,
) -> None:
    """The findings of events applied in the caller's transaction (positions `first`..`last`): their scopes
    computed again, and the checkpoint moved to `last`, unless an event before `first` is still waiting for
    its refresh (a one-trip write whose catch-up waits for this transaction's lock, or one lost to a crash):
    its catch-up moves the checkpoint.

    A replay only moves the checkpoint: it applies the log in order, so nothing waits, and its findings
    are filled once, when every row is written and indexed (`fill`, before the replay's transaction
    commits). Refreshed page by page, each page's lookups by fact id ran on tables that a rebuild indexes
    only after the rows (docs/decisions/0016-findings-filled-after-a-replay.md)."""
    if replaying:
        await _advance(conn, last)
        return
    await refresh(conn, events, vocabulary)
    done = await refreshed_through(conn)
    waiting = select(events_table.c.position).where(
        events_table.c.position > done, events_table.c.position < first
    )
    if (await conn.execute(waiting.limit(1))).first() is not None:
        return
    await _advance(conn, last)


async def catch_up(
    conn: AsyncConnection,
    read_after: Callable[[int], Awaitable[Sequence[ReplayedEvent]]],
    vocabulary: Vocabulary,
) -> None:
    """Compute again the scopes of every event after the checkpoint, a page of `read_after(position)` at a
    time, and move the checkpoint to the last (in the caller's transaction, which holds the follow lock).

    It ends at the first page shorter than `CATCH_UP_PAGE`: on PostgreSQL one-trip writes go on while it
    runs, and a steady writer must not keep it going. A write after its last page is after the checkpoint,
    and the next catch-up takes it."""
    done = await refreshed_through(conn)
    while page := await read_after(done):
        await refresh(conn, [r.event for r in page if isinstance(r.event, Event)], vocabulary)
        done = page[-1].position
        await _advance(conn, done)
        if len(page) < CATCH_UP_PAGE:
            break


#: The events `read_after` reads at a time.
CATCH_UP_PAGE = 500


def read_after(store: EventStore, conn: AsyncConnection) -> Callable[[int], Awaitable[list[ReplayedEvent]]]:
    """`catch_up`'s pages: the decoded events after a position, read in `conn`."""

    async def page(position: int) -> list[ReplayedEvent]:
        return await store.read_all_decoded(position, CATCH_UP_PAGE, EVENT_TYPES, conn=conn)

    return page


def _single_holder(vocabulary: Vocabulary) -> set[str]:
    """The predicates whose office has one holder at a time: their terms make the office scopes."""
    return {name for name, p in vocabulary.predicates.items() if p.single_holder}


def _current_terms(single_holder: set[str]) -> Any:
    """The office (id, label, organisation) of each current term of a single-holder predicate."""
    table = roles_table
    return select(table.c.office_id, table.c.office_label, table.c.organization_id).where(
        table.c.recorded_to.is_(None),
        table.c.predicate.in_(sorted(single_holder)),
        _in_an_office(table),
    )


def _in_an_office(table: Table) -> Any:
    """A term whose office slot is empty (a `qualifier:role` the fact does not give) is in no office."""
    return or_(table.c.office_id.is_not(None), table.c.office_label.is_not(None))


#: How many facts (then entities, then offices' terms) `fill` computes the scopes of at a time: the rows of
#: one chunk are in memory at once, so a fill of any size stays within a few of a replay's pages.
FILL_CHUNK = 5000


async def fill(conn: AsyncConnection, vocabulary: Vocabulary) -> None:
    """Compute every finding from the other read models into emptied tables (dismissals stay, by finding
    id), as if every fact and entity were touched.

    Emptied first: a finding left from before whose facts are no longer current is in no scope the passes
    below compute, and the pass over the entities counts on the pass over the facts having computed the
    scope of every finding about a fact. Chunk by chunk: a scope's findings are a function of the current
    rows alone, so computing the scopes of each chunk in turn leaves the rows that touching everything at
    once would. Each office is computed once, whole (every pair of its terms); the facts go by subject,
    so a subject's facts, which its content scopes compare, are read together; neither facts nor entities
    take their offices again, and the entities take no fact's or content's scope again either."""
    await conn.execute(finding_refs_table.delete())
    await conn.execute(findings_table.delete())
    single_holder = _single_holder(vocabulary)
    # Offices by their number of terms, not by their number: a chunk of FILL_CHUNK offices could hold every
    # term of the archive at once (bench/README.md, change 36).
    terms = (
        _current_terms(single_holder)
        .add_columns(func.count())
        .group_by(roles_table.c.office_id, roles_table.c.office_label, roles_table.c.organization_id)
    )
    sizes: dict[str, int] = {}
    for office_id, label, organization, count in await conn.execute(terms):
        scope = office_scope(office_id, label, organization)
        sizes[scope] = sizes.get(scope, 0) + int(count)
    chunks: list[set[str]] = []
    held = 0
    for scope in sorted(sizes):
        if not chunks or held >= FILL_CHUNK:
            chunks.append(set())
            held = 0
        chunks[-1].add(scope)
        held += sizes[scope]
    for chunk in chunks:
        await _replace(conn, chunk, await _overlapping_holders(conn, chunk, single_holder, None))
    await _fill_facts(conn, vocabulary)
    await _fill_entities(conn, vocabulary)


async def _fill_facts(conn: AsyncConnection, vocabulary: Vocabulary) -> None:
    """`_refresh_scopes` (offices left out) for every current fact, `FILL_CHUNK` at a time in (subject,
    fact) order: a subject whose every current fact is in the chunk has its contents compared among the
    chunk's states, not looked up again (`_precision_variants`)."""
    table = fact_versions_table
    key = (table.c.subject, table.c.fact_id)
    after: tuple[str, str] | None = None
    while True:
        query = select(*key).where(table.c.recorded_to.is_(None)).order_by(*key)
        if after is not None:
            query = query.where(tuple_(*key) > tuple_(*after))
        rows = (await conn.execute(query.limit(FILL_CHUNK))).all()
        if not rows:
            return
        # The first subject may have facts in the chunk before, the last in the chunk after (if any).
        whole = {row.subject for row in rows} - {after[0] if after else None}
        if len(rows) == FILL_CHUNK:
            whole.discard(rows[-1].subject)
        ids = {row.fact_id for row in rows}
        await _refresh_scopes(conn, ids, set(), vocabulary, skip={"office"}, whole_subjects=whole)
        after = (rows[-1].subject, rows[-1].fact_id)


async def _fill_entities(conn: AsyncConnection, vocabulary: Vocabulary) -> None:
    """`_refresh_scopes` for the registered entities, `FILL_CHUNK` at a time: their own scopes and their
    names'. The offices, and the facts and contents of the findings that name them, had their passes."""
    after: str | None = None
    while True:
        query = select(entities_table.c.entity_id).order_by(entities_table.c.entity_id)
        if after is not None:
            query = query.where(entities_table.c.entity_id > after)
        ids = list(await conn.scalars(query.limit(FILL_CHUNK)))
        if not ids:
            return
        await _refresh_scopes(conn, set(), set(ids), vocabulary, skip={"office", "fact", "content"})
        after = ids[-1]


def fill_synchronously(conn: Connection, vocabulary: Vocabulary) -> None:
    """`fill` on a synchronous connection (a migration's), run to its end in one step, inside whatever
    event loop the migration itself runs in."""
    run_to_end(fill(AwaitableConnection(conn), vocabulary))  # type: ignore[arg-type]


async def _refresh_scopes(
    conn: AsyncConnection,
    fact_ids: set[str],
    entity_ids: set[str],
    vocabulary: Vocabulary,
    *,
    skip: AbstractSet[str] = frozenset(),
    whole_subjects: AbstractSet[str] = frozenset(),
) -> None:
    """Compute again the findings of every scope the facts and entities touched (see the module's doc),
    except those of the kinds in `skip` ("office", "fact", "content"), which `fill` computes in another
    pass. `whole_subjects` are subjects every current fact of which is among `fact_ids` (`_fill_facts`
    knows which): their contents are not looked up, so a subject named there wrongly loses variants."""
    if not (fact_ids or entity_ids):
        return
    scopes = _Scopes()
    reads = _States(conn)
    states = await reads.of(fact_ids)
    single_holder = _single_holder(vocabulary)
    for chunk in _chunks(fact_ids):
        # The offices of the touched facts' current terms (not asked for by `fill`, which has them all).
        if "office" not in skip:
            terms = _current_terms(single_holder).where(roles_table.c.fact_id.in_(chunk))
            for office_id, office_label, organization_id in await conn.execute(terms):
                scopes.offices.add(office_scope(office_id, office_label, organization_id))
        # Every entity the touched facts ever related: one may have lost its last fact.
        related = select(relations_table.c.entity_id, relations_table.c.other_entity_id).where(
            relations_table.c.fact_id.in_(chunk)
        )
        for entity_id, other in await conn.execute(related):
            scopes.entities.update(e for e in (entity_id, other) if e is not None)
    for state in states.values():
        scopes.facts.add(state.fact_id)
        scopes.facts.update(link.target_fact_id for link in state.links)
        scopes.contents.add(content_scope(state))
        scopes.entities.update(involved(state))
    scopes.entities |= entity_ids
    for chunk in _chunks(entity_ids):
        named = select(entities_table.c.label, entities_table.c.aliases).where(
            entities_table.c.entity_id.in_(chunk)
        )
        for label, aliases in await conn.execute(named):
            scopes.names.update(name_key(name) for name in (label, *aliases))
    # The scopes of the findings that stand now and name what the batch touched.
    touched = {f"fact:{f}" for f in fact_ids} | {f"entity:{e}" for e in entity_ids}
    for chunk in _chunks(touched):
        # The refs first, then their findings by id. As a join, SQLite scanned `findings` and looked each
        # row up once for every ref of the list: a cost of findings times refs (bench/README.md, change 42).
        naming = select(finding_refs_table.c.finding_id).where(finding_refs_table.c.ref.in_(chunk))
        query = select(findings_table.c.scope).where(findings_table.c.finding_id.in_(naming))
        for scope in await conn.scalars(query):
            scopes.add(scope)
    scopes.drop(skip)
    # An office's findings are pairs of its terms: only the pairs naming what the batch touched can have
    # changed (a pair's finding depends on its two terms, the links between them and their holders'
    # merges, each of which names a fact or entity it touched), so only those are computed and replaced.
    found = [
        *await _overlapping_holders(conn, scopes.offices, single_holder, touched),
        *await _plans_passed(reads, scopes.facts),
        *await _citations_unverified(reads, scopes.facts),
        *await _precision_variants(reads, scopes.contents, states.values(), whole_subjects),
        *await _entities_without_facts(conn, scopes.entities - _involved_now(states.values())),
        *await _name_collisions(conn, scopes.names),
        *await _ended_before_beginning(reads, scopes.entities, vocabulary),
    ]
    all_scopes = (
        {f"fact:{f}" for f in scopes.facts}
        | scopes.contents
        | {f"entity:{e}" for e in scopes.entities}
        | {f"name:{n}" for n in scopes.names}
    )
    await _replace(conn, all_scopes, found, narrowed=(scopes.offices, touched))


async def _replace(
    conn: AsyncConnection,
    scopes: set[str],
    found: list[Finding],
    narrowed: tuple[set[str], set[str]] = (set(), set()),
) -> None:
    """Make the findings of `scopes`, and those of the `narrowed` scopes that name one of its refs,
    exactly `found` (each once), with their refs, writing only what changed. A busy scope (an office with
    many overlapping terms) keeps nearly all its findings from one write to the next; deleting and writing
    them all again made every fact write in it rewrite the whole scope
    (docs/decisions/0015-findings-write-what-changed.md)."""
    unique = {f.finding_id: f for f in found}
    sources = await _sources_cited(conn, {fact for f in unique.values() for fact in f.fact_ids})
    rows: dict[str, dict[str, Any]] = {}
    refs: dict[str, set[str]] = {}
    for fid, f in sorted(unique.items()):
        rows[fid] = {
            "finding_id": fid,
            "kind": f.kind,
            "scope": f.scope,
            "fact_ids": list(f.fact_ids),
            "entity_ids": list(f.entity_ids),
            "due_on": f.due_on,
        }
        named = {f"fact:{x}" for x in f.fact_ids} | {f"entity:{x}" for x in f.entity_ids}
        refs[fid] = named | {f"source:{s}" for fact in f.fact_ids for s in sources.get(fact, ())}
    # What stands: the findings of these scopes, and any with one of these ids in another scope (its facts
    # moved), which is replaced, not repeated.
    standing: dict[str, dict[str, Any]] = {}
    for column, keys in ((findings_table.c.scope, scopes), (findings_table.c.finding_id, unique)):
        for chunk in _chunks(keys):
            for row in await conn.execute(select(findings_table).where(column.in_(chunk))):
                standing[row.finding_id] = dict(row._mapping)
    narrowed_scopes, named = narrowed
    for chunk in _chunks(narrowed_scopes):
        for refs_chunk in _chunks(named):
            naming = select(finding_refs_table.c.finding_id).where(finding_refs_table.c.ref.in_(refs_chunk))
            query = select(findings_table).where(
                findings_table.c.scope.in_(chunk), findings_table.c.finding_id.in_(naming)
            )
            for row in await conn.execute(query):
                standing[row.finding_id] = dict(row._mapping)
    standing_refs: dict[str, set[str]] = {fid: set() for fid in standing}
    for chunk in _chunks(standing):
        query = select(finding_refs_table.c.finding_id, finding_refs_table.c.ref).where(
            finding_refs_table.c.finding_id.in_(chunk)
        )
        for fid, ref in await conn.execute(query):
            standing_refs[fid].add(ref)
    gone = [fid for fid in standing if fid not in rows]
    changed = [fid for fid, row in rows.items() if fid in standing and standing[fid] != row]
    for chunk in _chunks(gone):
        await conn.execute(finding_refs_table.delete().where(finding_refs_table.c.finding_id.in_(chunk)))
    for chunk in _chunks(gone + changed):
        await conn.execute(findings_table.delete().where(findings_table.c.finding_id.in_(chunk)))
    written = [rows[fid] for fid in rows if fid not in standing] + [rows[fid] for fid in changed]
    if written:
        await conn.execute(findings_table.insert(), written)
    for fid in rows.keys() & standing.keys():
        dropped = standing_refs[fid] - refs[fid]
        if dropped:
            await conn.execute(
                finding_refs_table.delete().where(
                    finding_refs_table.c.finding_id == fid, finding_refs_table.c.ref.in_(sorted(dropped))
                )
            )
    added = [
        {"ref": ref, "finding_id": fid}
        for fid in rows
        for ref in sorted(refs[fid] - standing_refs.get(fid, set()))
    ]
    if added:
        await conn.execute(finding_refs_table.insert(), added)


async def _sources_cited(conn: AsyncConnection, fact_ids: set[str]) -> dict[str, set[str]]:
    cited: dict[str, set[str]] = {}
    for chunk in _chunks(fact_ids):
        query = select(citations_table.c.fact_id, citations_table.c.source_id).where(
            citations_table.c.fact_id.in_(chunk)
        )
        for fact, source in await conn.execute(query):
            cited.setdefault(fact, set()).add(source)
    return cited


async def _links_among(conn: AsyncConnection, fact_ids: set[str]) -> set[frozenset[str]]:
    """The pairs of `fact_ids` one of which links to the other (any relation)."""
    linked: set[frozenset[str]] = set()
    for chunk in _chunks(fact_ids):
        query = select(fact_links_table.c.fact_id, fact_links_table.c.target_fact_id).where(
            fact_links_table.c.target_fact_id.in_(chunk)
        )
        linked.update(frozenset((a, b)) for a, b in await conn.execute(query) if a in fact_ids)
    return linked


def _unranked(table: Table) -> list[Any]:
    """Current, active and not deprecated, of any modality (a rule that wants only what the archive states
    as having happened asks for `modality == "asserted"` too)."""
    return [
        table.c.recorded_to.is_(None),
        table.c.status == "active",
        table.c.rank != "deprecated",
    ]


def _stated(state: FactState) -> bool:
    """`_unranked` for a current state already read."""
    return state.status == "active" and state.rank != "deprecated"


async def _overlapping_holders(
    conn: AsyncConnection, offices: set[str], single_holder: set[str], touched: set[str] | None
) -> list[Finding]:
    """The overlapping terms of `offices` that name something in `touched` (`fact:` and `entity:` refs):
    every pair when the office or its organisation is touched (or `touched` is None), else the pairs with
    a touched term."""
    if not offices or not single_holder:
        return []
    office_ids, office_orgs, labels_or_orgs = set(), set(), set()
    for scope in offices:
        office, _, organization = scope.removeprefix("office:").rpartition("|")
        if office.startswith("label:"):
            labels_or_orgs.add(organization)
        else:
            office_ids.add(office)
            office_orgs.add(organization)
    # The entities the offices are: one of them touched, its every pair is computed again.
    named = {f"entity:{e}" for e in office_ids | office_orgs | labels_or_orgs if e}
    table = roles_table
    terms: dict[str, list[tuple[HolderTerm, Any]]] = {}
    # An office held in many organisations is read in the scopes' organisations only (the rows of the
    # scopes' offices times their organisations, the few extra sorted out below by scope).
    in_organisations = [table.c.organization_id.in_(sorted(office_orgs - {""}))]
    if "" in office_orgs:
        in_organisations.append(table.c.organization_id.is_(None))
    conditions = [
        and_(table.c.office_id.in_(sorted(office_ids)), or_(*in_organisations)),
        table.c.organization_id.in_(sorted(labels_or_orgs - {""})),
    ]
    if "" in labels_or_orgs:  # a label's office held in no organisation: NULL is in no IN list
        conditions.append(and_(table.c.office_id.is_(None), table.c.organization_id.is_(None)))
    query = select(table).where(
        or_(*conditions),
        _in_an_office(table),
        table.c.predicate.in_(sorted(single_holder)),
        table.c.modality == "asserted",
        *_unranked(table),
    )
    if touched is not None and not named & touched:
        span = await _focus_span(conn, query, offices, touched)
        if span is None:
            return []  # no dated term of these offices names what was touched: no pair to compute
        earliest, latest = span
        if earliest is not None:
            query = query.where(or_(table.c.valid_latest.is_(None), table.c.valid_latest >= earliest))
        if latest is not None:
            query = query.where(or_(table.c.valid_earliest.is_(None), table.c.valid_earliest <= latest))
    for row in await conn.execute(query):
        scope = office_scope(row.office_id, row.office_label, row.organization_id)
        if scope in offices:
            term = HolderTerm(
                row.fact_id, row.holder, make_valid_time(row.valid_from, row.valid_to, row.point_in_time)
            )
            terms.setdefault(scope, []).append((term, row))
    every_fact = {term.fact_id for group in terms.values() for term, _ in group}
    linked = await _links_among(conn, every_fact)
    merged = await _merged_into(conn, {term.holder for group in terms.values() for term, _ in group})
    found = []
    for scope, group in terms.items():
        rows = {term.fact_id: row for term, row in group}
        # A holder merged into another is the same holder.
        canonical = [
            msgspec.structs.replace(term, holder=merged.get(term.holder, term.holder)) for term, _ in group
        ]
        office = next(iter(rows.values()))
        if touched is None or {f"entity:{office.office_id}", f"entity:{office.organization_id}"} & touched:
            focus = None
        else:
            focus = {
                fact_id
                for fact_id, row in rows.items()
                if {f"fact:{fact_id}", f"entity:{row.holder}"} & touched
            }
            if not focus:
                continue
        for a, b in overlapping_holders(canonical, focus):
            if frozenset((a.fact_id, b.fact_id)) in linked:
                continue  # an archivist related them (one contradicts or supersedes the other)
            row = rows[a.fact_id]
            entities = {rows[a.fact_id].holder, rows[b.fact_id].holder, row.office_id, row.organization_id}
            found.append(
                Finding(
                    "overlapping_holders",
                    scope,
                    (a.fact_id, b.fact_id),
                    tuple(sorted(e for e in entities if e is not None)),
                )
            )
    return found


async def _focus_span(
    conn: AsyncConnection, query: Select[Any], offices: set[str], touched: set[str]
) -> tuple[Any, Any] | None:
    """The widest days (None: open) of the dated terms of `offices` that `touched` names (by fact or by
    holder), or None when there is none. Two terms surely overlap only on a day both may denote, so a
    pair with one of these terms has its other term within this span: a write reads only the terms near
    its own in time, not every term a busy office ever had (bench/README.md, change 41)."""
    table = roles_table
    bounds = query.with_only_columns(
        table.c.office_id,
        table.c.office_label,
        table.c.organization_id,
        table.c.valid_from,
        table.c.valid_to,
        table.c.point_in_time,
        table.c.valid_earliest,
        table.c.valid_latest,
    )
    facts = [ref.removeprefix("fact:") for ref in touched if ref.startswith("fact:")]
    holders = [ref.removeprefix("entity:") for ref in touched if ref.startswith("entity:")]
    earliest: list[Any] = []
    latest: list[Any] = []
    for column, ids in ((table.c.fact_id, facts), (table.c.holder, holders)):
        for chunk in _chunks(ids):
            for row in await conn.execute(bounds.where(column.in_(chunk))):
                if office_scope(row.office_id, row.office_label, row.organization_id) not in offices:
                    continue
                if not valid_days(row.valid_from, row.valid_to, row.point_in_time)[2]:
                    continue  # an undated term overlaps nothing
                earliest.append(row.valid_earliest)
                latest.append(row.valid_latest)
    if not earliest:
        return None
    return (
        None if None in earliest else min(earliest),
        None if None in latest else max(latest),
    )


async def _merged_into(conn: AsyncConnection, entity_ids: set[str]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for chunk in _chunks(entity_ids):
        query = select(entities_table.c.entity_id, entities_table.c.merged_into).where(
            entities_table.c.entity_id.in_(chunk), entities_table.c.merged_into.is_not(None)
        )
        merged.update({str(a): str(b) for a, b in await conn.execute(query)})
    return merged


async def _plans_passed(reads: _States, fact_ids: set[str]) -> list[Finding]:
    """Plans (current, active, not deprecated, dated) that no fact fulfils, with the day they are due."""
    conn = reads.conn
    found = []
    fulfilled: set[str] = set()
    for chunk in _chunks(fact_ids):
        query = select(fact_links_table.c.target_fact_id).where(
            fact_links_table.c.target_fact_id.in_(chunk), fact_links_table.c.relation == "fulfils"
        )
        fulfilled |= set(await conn.scalars(query))
    # The states by fact id alone (`current_states`), the rest compared here: with the current version's
    # `recorded_to IS NULL` in the query, SQLite read every current version through that index instead.
    for state in (await reads.of(fact_ids - fulfilled)).values():
        if state.modality != "planned" or not _stated(state):
            continue
        due = plan_due(make_valid_time(state.valid_from, state.valid_to, state.point_in_time))
        if due is not None:
            entities = tuple(sorted(involved(state)))
            found.append(Finding("plan_passed", f"fact:{state.fact_id}", (state.fact_id,), entities, due))
    return found


async def _citations_unverified(reads: _States, fact_ids: set[str]) -> list[Finding]:
    """Active facts every citation of which has drifted or is orphaned."""
    conn = reads.conn
    by_fact: dict[str, set[str]] = {}
    for chunk in _chunks(fact_ids):
        query = select(citations_table.c.fact_id, citations_table.c.state).where(
            citations_table.c.fact_id.in_(chunk)
        )
        for fact, state in await conn.execute(query):
            by_fact.setdefault(fact, set()).add(state)
    suspect = {fact for fact, states in by_fact.items() if "verified" not in states}
    states = await reads.of(suspect)
    return [
        Finding("citations_unverified", f"fact:{fact}", (fact,), tuple(sorted(involved(state))))
        for fact, state in sorted(states.items())
        if state.status == "active"
    ]


def _content_columns(state: FactState) -> tuple[str, str, str | None]:
    """The indexed columns a content scope's facts share: subject, predicate, object."""
    return state.subject, state.predicate, state.object


def _involved_now(states: Iterable[FactState]) -> set[str]:
    """The entities an active fact among `states` involves: none of them is without facts."""
    return {entity for state in states if state.status == "active" for entity in involved(state)}


async def _precision_variants(
    reads: _States, contents: set[str], batch: Collection[FactState], whole_subjects: AbstractSet[str]
) -> list[Finding]:
    """Facts of one content key that differ only in precision or a bound, and that no link relates.

    The facts compared are found by the (subject, predicate, object) of the batch's facts and of the facts
    of the findings standing in `contents` (a content scope is a hash: its facts are found again by these
    columns, which it contains, and then by the scope itself): in the content index, or among the batch's
    own states for a subject of `whole_subjects`, all of whose current facts the batch holds.
    """
    if not contents:
        return []
    conn = reads.conn
    found = []
    candidates: dict[str, list[FactState]] = {}
    wanted = {_content_columns(s) for s in batch} | await _scoped_columns(reads, contents)
    # The columns first, the states of the facts that share a wanted triple after.
    sharing = await _sharing_content(conn, {c for c in wanted if c[0] not in whole_subjects})
    sharing.update(s.fact_id for s in batch if s.subject in whole_subjects and _stated(s))
    for state in (await reads.of(sharing)).values():
        scope = content_scope(state)
        if scope in contents:
            candidates.setdefault(scope, []).append(state)
    linked = await _links_among(conn, {s.fact_id for group in candidates.values() for s in group})
    for scope, group in candidates.items():
        facts = [
            (s.fact_id, _content_key(s), make_valid_time(s.valid_from, s.valid_to, s.point_in_time))
            for s in group
        ]
        by_id = {s.fact_id: s for s in group}
        for a, b in variant_pairs(facts, linked):
            entities = tuple(sorted(involved(by_id[a])))
            found.append(Finding("precision_variants", scope, (a, b), entities))
    return found


async def _sharing_content(conn: AsyncConnection, wanted: set[tuple[str, str, str | None]]) -> set[str]:
    """The current, active, undeprecated facts of each wanted (subject, predicate, object), looked up in the
    content index. By subject alone, a batch read every fact of every subject it named: a read that grew
    with the archive (every fact of the bench's corpus at each batch)."""
    found: set[str] = set()
    with_object: list[tuple[str, ...]] = sorted((s, p, o) for s, p, o in wanted if o is not None)
    without_object: list[tuple[str, ...]] = sorted({(s, p) for s, p, o in wanted if o is None})
    if with_object or without_object:
        await plan_with_values(conn)
    for keys in (with_object, without_object):
        for chunk in _chunks_of(keys):
            shape = (conn.dialect.name, schema_of(conn), len(chunk[0]), len(chunk))
            query, carried = _content_lookup(*shape)
            parameters = {f"k{i}_{j}": value for i, key in enumerate(chunk) for j, value in enumerate(key)}
            found.update(await conn.scalars(query, {**carried, **parameters}))
    return found


@functools.lru_cache(maxsize=32)
def _content_lookup(
    dialect: str, schema: str | None, width: int, rows: int
) -> tuple[TextClause, dict[str, Any]]:
    """The lookup of `rows` (subject, predicate[, object]) keys, joined as `VALUES` to the content index,
    with named parameters, as text rendered once for each dialect and shape (a chunk is mostly CHUNK
    rows): SQLAlchemy compiles a statement holding `VALUES` again at every execution
    (`storage.as_text`; bench/README.md, change 39)."""
    table = fact_versions_table
    names = ("subject", "predicate", "object")[:width]
    keys = [tuple(bindparam(f"k{i}_{j}", type_=String) for j in range(width)) for i in range(rows)]
    wanted = values(*(sql_column(name, String) for name in names), name="wanted").data(keys).cte()
    on = [table.c[name] == wanted.c[name] for name in names]
    if width < 3:
        on.append(table.c.object.is_(None))
    query = select(table.c.fact_id).select_from(wanted.join(table, and_(*on))).where(*_unranked(table))
    return as_text(read_through(query, table, content_index), dialect, schema)


async def _scoped_columns(reads: _States, contents: set[str]) -> set[tuple[str, str, str | None]]:
    """The (subject, predicate, object) of the facts of the findings standing in the content scopes."""
    columns: set[tuple[str, str, str | None]] = set()
    for chunk in _chunks(contents):
        query = select(findings_table.c.fact_ids).where(findings_table.c.scope.in_(chunk))
        ids = {fact for stored in await reads.conn.scalars(query) for fact in stored}
        columns.update(_content_columns(state) for state in (await reads.of(ids)).values())
    return columns


async def _entities_without_facts(conn: AsyncConnection, entity_ids: set[str]) -> list[Finding]:
    """Registered, unmerged entities that no current, active fact involves (as subject, object, office,
    organisation or any qualifier). The caller leaves out those a fact of the batch involves: a busy
    entity's thousands of rows are not read again for each fact recorded about it."""
    candidates: set[str] = set()
    for chunk in _chunks(entity_ids):
        query = select(entities_table.c.entity_id).where(
            entities_table.c.entity_id.in_(chunk), entities_table.c.merged_into.is_(None)
        )
        candidates |= set(await conn.scalars(query))
    if not candidates:
        return []
    involved_somewhere: set[str] = set()
    for chunk in _chunks(candidates):
        # relations: every fact's subject and object; timeline: a dated fact's qualifiers as well.
        for table in (relations_table, timeline_table):
            query = (
                select(table.c.entity_id)
                .where(
                    table.c.entity_id.in_(chunk), table.c.recorded_to.is_(None), table.c.status == "active"
                )
                .distinct()
            )
            involved_somewhere |= set(await conn.scalars(query))
    return [
        Finding("entity_without_facts", f"entity:{e}", (), (e,))
        for e in sorted(candidates - involved_somewhere)
    ]


async def _ended_before_beginning(
    reads: _States, entity_ids: set[str], vocabulary: Vocabulary
) -> list[Finding]:
    """Dated facts naming an entity that surely ended before the entity began, as the facts dating its
    beginning (predicates with `begins`) give it: the earliest day any of them may denote."""
    begins = {name: p.begins for name, p in vocabulary.predicates.items() if p.begins}
    if not entity_ids or not begins:
        return []
    conn = reads.conn
    table = fact_versions_table
    began: dict[str, tuple[Any, str]] = {}
    # The dating facts of the entities, by the slot's column and the slot's dating predicates: an entity
    # named by thousands of facts (an organisation, an office) has few that date it, and only theirs are
    # read. Where the planner takes the predicate's index instead, it reads the dating facts alone.
    dating_facts: set[str] = set()
    for slot, column in (("subject", table.c.subject), ("object", table.c.object)):
        predicates = sorted(name for name, begun in begins.items() if begun == slot)
        if not predicates:
            continue
        for chunk in _chunks(entity_ids):
            query = select(table.c.fact_id).where(
                column.in_(chunk),
                table.c.predicate.in_(predicates),
                table.c.modality == "asserted",
                *_unranked(table),
            )
            dating_facts.update(await conn.scalars(query))
    for state in (await reads.of(dating_facts)).values():
        slot = begins[state.predicate]
        entity = state.subject if slot == "subject" else state.object
        day = beginning(make_valid_time(state.valid_from, state.valid_to, state.point_in_time))
        if (
            entity in entity_ids
            and day is not None
            and (entity not in began or (day, state.fact_id) < began[entity])
        ):
            began[entity] = (day, state.fact_id)
    found = []
    for entity, (day, dating) in sorted(began.items()):
        # The timeline holds every dated fact by each entity it names; `valid_latest` is its end's last day.
        timeline = timeline_table
        query = select(timeline.c.fact_id).where(
            timeline.c.entity_id == entity,
            timeline.c.recorded_to.is_(None),
            timeline.c.status == "active",
            timeline.c.rank != "deprecated",
            timeline.c.valid_latest < day,
        )
        early = set(await conn.scalars(query)) - {dating}
        for fact_id, state in sorted((await reads.of(early)).items()):
            if ends_before(make_valid_time(state.valid_from, state.valid_to, state.point_in_time), day):
                found.append(
                    Finding("ends_before_beginning", f"entity:{entity}", (fact_id, dating), (entity,))
                )
    return found


async def _name_collisions(conn: AsyncConnection, names: set[str]) -> list[Finding]:
    """Names that label or alias more than one unmerged entity (names up to `LONGEST_NAME` characters)."""
    names = {n for n in names if n and len(n) <= LONGEST_NAME}
    if not names:
        return []
    table = entities_table
    # search_text holds the label and aliases case folded, one a line: a LIKE narrows, the rule decides.
    rows: list[tuple[str, str, Sequence[str]]] = []
    for chunk in _chunks(names):
        for start in range(0, len(chunk), 50):
            likes = [table.c.search_text.contains(n, autoescape=True) for n in chunk[start : start + 50]]
            query = select(table.c.entity_id, table.c.label, table.c.aliases).where(
                or_(*likes), table.c.merged_into.is_(None)
            )
            rows.extend(
                (str(e), str(label), list(aliases)) for e, label, aliases in await conn.execute(query)
            )
    unique = {row[0]: row for row in rows}
    return [
        Finding("name_collision", f"name:{name}", (), tuple(ids))
        for name, ids in sorted(colliding_names(unique.values()).items())
        if name in names
    ]
