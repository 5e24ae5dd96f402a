"""The read side: plain queries on the read models, returning views (msgspec Structs).

The API and the web pages both read through `ArchiveQueries`, so there is one query path. Time has two
axes here: `valid_at` (when the fact held in the world, a partial date; each answer says whether it
held there `definite`ly or only `possible`) and `as_of` (what the archive believed at that record time).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal

import msgspec
from sqlalchemy import ColumnElement, Select, Text, and_, bindparam, cast, false, func, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from archive.coverage import FollowedMark, Mark, QuotedSpan, SourceCoverage, coverage_of, follow_mark
from archive.db import SQLITE_BEGIN
from archive.domain.events import CitationState, citation_id
from archive.domain.facts import FactState
from archive.domain.sources import split_lines
from archive.domain.time import Certainty, PartialDate, holds_at, make_valid_time, parse_partial_date
from archive.eventstore import EventStore, RecordedEvent
from archive.point_reads import PointReads
from archive.projections import citations, citations_by_line, entities, fact_versions, sources
from archive.projections.citations_by_line import citations_by_line_table
from archive.projections.fact_versions import fact_versions_table, state_of
from archive.projections.relations import relations_table
from archive.projections.roles import (
    OPT_IN_VALID_TIME_INDEX,
    VALID_TIME_ORDER,
    roles_table,
    valid_during,
    valid_time_index,
)
from archive.projections.timeline import timeline_table
from archive.projections.versioning import believed_at
from archive.services import fact_stream

RankFilter = Literal["best", "all"]
ModalityFilter = Literal["all", "asserted", "planned"]

#: The largest line number and offset worth binding: line columns are 32-bit integers on PostgreSQL,
#: and neither database binds more than a signed 64-bit integer. Anything larger matches nothing.
MAX_LINE = 2**31 - 1
MAX_OFFSET = 2**63 - 1


class NotFound(LookupError):
    """The thing asked for does not exist (or did not yet exist at `as_of`)."""


class DateValue(msgspec.Struct, frozen=True):
    """A partial date as given: its text and its precision (never padded)."""

    value: str
    precision: str
    circa: bool = False
    # The text implies the date without stating it (an anniversary, "this year"): an inference.
    derived: bool = False


class EntityRef(msgspec.Struct, frozen=True):
    """An entity named in an answer."""

    id: str
    label: str


class QualifiersView(msgspec.Struct, frozen=True):
    """A fact's qualifiers."""

    role: EntityRef | None = None
    place: EntityRef | None = None
    organization: EntityRef | None = None
    note: str | None = None


class CitationView(msgspec.Struct, frozen=True):
    """One citation of a fact, with its state against the current version of its source."""

    source_id: str
    line_start: int
    line_end: int
    quote: str
    content_sha256: str
    state: str
    current_line_start: int | None
    current_line_end: int | None


class LinkView(msgspec.Struct, frozen=True):
    """This fact fulfils, contradicts or supersedes another."""

    relation: str
    fact_id: str


class FactView(msgspec.Struct, frozen=True):
    """A fact as it stood in one version."""

    id: str
    subject: EntityRef
    predicate: str
    object: EntityRef | None
    value: str | None
    qualifiers: QualifiersView
    valid_from: DateValue | None
    valid_to: DateValue | None
    point_in_time: DateValue | None
    modality: str
    rank: str
    status: str
    version: int
    recorded_at: datetime
    superseded_at: datetime | None
    certainty: Certainty | None
    citations: list[CitationView]
    links: list[LinkView]


class FactPage(msgspec.Struct, frozen=True):
    """A page of facts."""

    items: list[FactView]
    total: int
    limit: int
    offset: int


class SourceView(msgspec.Struct, frozen=True):
    """A source document (without its text)."""

    id: str
    title: str
    origin: str
    source_date: DateValue
    content_sha256: str
    line_count: int
    version: int


class SourcePage(msgspec.Struct, frozen=True):
    """A page of sources."""

    items: list[SourceView]
    total: int
    limit: int
    offset: int


class FactSummary(msgspec.Struct, frozen=True):
    """A fact citing a line, with the span of its citation there (to go back from the fact to the line)."""

    id: str
    subject: EntityRef
    predicate: str
    object: EntityRef | None
    value: str | None
    rank: str
    status: str
    modality: str
    line_start: int
    line_end: int
    quote: str


class MarkView(msgspec.Struct, frozen=True):
    """A "no fact here" mark: the words it explains, why they state no fact, and where they are now.

    ``state`` is the mark's against the current text, as a citation's: ``verified`` at its lines,
    ``drifted`` (``line_start``/``line_end`` are where the words are now) or ``orphaned`` (gone).
    """

    line_start: int | None
    line_end: int | None
    quote: str
    reason: str
    state: CitationState


class SourceLineView(msgspec.Struct, frozen=True):
    """One line of a source, the facts whose citations cover it, and the marks that explain it."""

    source_id: str
    line: int
    text: str
    facts: list[FactSummary]
    marks: list[MarkView] = []


class EntityView(msgspec.Struct, frozen=True):
    """An entity of the registry."""

    id: str
    kind: str
    label: str
    aliases: list[str]


class EntityPage(msgspec.Struct, frozen=True):
    """A page of entities."""

    items: list[EntityView]
    total: int
    limit: int
    offset: int


class LabelledRef(msgspec.Struct, frozen=True):
    """An office or organisation in a role: an entity, or only a label."""

    id: str | None
    label: str


class RoleView(msgspec.Struct, frozen=True):
    """Who held what, where, when."""

    fact_id: str
    holder: EntityRef
    office: LabelledRef | None
    organization: LabelledRef | None
    predicate: str
    valid_from: DateValue | None
    valid_to: DateValue | None
    point_in_time: DateValue | None
    modality: str
    rank: str
    status: str
    certainty: Certainty | None
    recorded_at: datetime


class RolePage(msgspec.Struct, frozen=True):
    """A page of roles."""

    items: list[RoleView]
    total: int
    limit: int
    offset: int


class EventView(msgspec.Struct, frozen=True):
    """An event of the log, as an auditor reads it."""

    position: int
    stream_id: str
    event_type: str
    version: int
    schema_version: int
    recorded_at: datetime
    actor: str | None
    reason: str | None
    request_id: str | None
    data: dict[str, Any]
    hash: str
    prev_hash: str


class FactHistory(msgspec.Struct, frozen=True):
    """Every event of one fact, oldest first."""

    fact_id: str
    events: list[EventView]


class LineText(msgspec.Struct, frozen=True):
    """One line of a source."""

    line: int
    text: str


class CitationProvenance(msgspec.Struct, frozen=True):
    """One citation traced to its source: the document, its hash, the lines and the quote."""

    source_id: str
    source_title: str
    source_version: int
    source_sha256: str
    cited_sha256: str
    line_start: int
    line_end: int
    lines: list[LineText]
    quote: str
    state: str
    current_line_start: int | None
    current_line_end: int | None


class Provenance(msgspec.Struct, frozen=True):
    """The chain from a fact to its events, its citations and the source lines behind them."""

    fact: FactView
    citations: list[CitationProvenance]
    events: list[EventView]


class FactFilter(msgspec.Struct, frozen=True):
    """The filters of a fact search; every one optional."""

    subject: str | None = None
    object: str | None = None
    entity: str | None = None
    predicate: str | None = None
    source: str | None = None
    line: int | None = None
    valid_at: PartialDate | None = None
    as_of: datetime | None = None
    rank: RankFilter = "best"
    modality: ModalityFilter = "all"
    text: str | None = None


def _like_pattern(text: str) -> str:
    """A case-insensitive LIKE pattern finding `text` anywhere (its wildcards escaped with a backslash)."""
    escaped = text.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _text_condition(table: Any, text: str) -> ColumnElement[bool]:
    """Facts whose literal value, subject or object (label or alias), or a citation's quote contains `text`.

    Quotes are read from the `citations` read model, which holds every citation a fact ever had; a fact's
    citations only accumulate, so with `as_of` a quote can match a citation added after that time.
    """
    pattern = _like_pattern(text)
    entity_table = entities.entities_table
    named = select(entity_table.c.entity_id).where(entity_table.c.search_text.like(pattern, escape="\\"))
    quoted = select(citations.citations_table.c.fact_id).where(
        func.lower(citations.citations_table.c.quote).like(pattern, escape="\\")
    )
    return or_(
        func.lower(table.c.value).like(pattern, escape="\\"),
        table.c.subject.in_(named),
        table.c.object.in_(named),
        table.c.fact_id.in_(quoted),
    )


@lru_cache(maxsize=4096)
def date_value(text: str | None) -> DateValue | None:
    """A stored partial-date text as {value, precision} (cached, bounded: the same dates recur)."""
    if text is None:
        return None
    parsed = parse_partial_date(text)
    return DateValue(value=text, precision=parsed.precision, circa=parsed.circa, derived=parsed.derived)


def certainty_of(state: FactState | Row[Any], valid_at: PartialDate | None) -> Certainty | None:
    """How surely the fact held at some time within `valid_at` (None when no date was asked)."""
    if valid_at is None:
        return None
    return holds_at(make_valid_time(state.valid_from, state.valid_to, state.point_in_time), valid_at)


def event_view(recorded: RecordedEvent) -> EventView:
    """An event as the audit views show it."""
    meta = recorded.metadata
    return EventView(
        position=recorded.position,
        stream_id=recorded.stream_id,
        event_type=recorded.event_type,
        version=recorded.stream_version,
        schema_version=recorded.schema_version,
        recorded_at=recorded.recorded_at,
        actor=meta.get("actor"),
        reason=meta.get("reason"),
        request_id=meta.get("request_id"),
        data=recorded.data,
        hash=recorded.hash,
        prev_hash=recorded.prev_hash,
    )


def _unmatchable(*values: str | None) -> bool:
    """Whether some text can match nothing stored, because it holds a NUL character.

    PostgreSQL text cannot hold NUL, so no id, label or predicate has one; binding one makes
    PostgreSQL fail rather than answer "none" (SQLite would simply find nothing). Both answer "none".
    """
    return any(value is not None and "\x00" in value for value in values)


def _rank_condition(table: Any, rank: RankFilter) -> list[ColumnElement[bool]]:
    if rank == "all":
        return []
    return [table.c.rank != "deprecated", table.c.status != "retracted"]


def _valid_condition(table: Any, valid_at: PartialDate | None) -> list[ColumnElement[bool]]:
    """Rows that held, definitely or possibly, at some time within the period `valid_at` names.

    This is exactly the set for which `holds_at` is not None: the stored bounds are the widest days the
    valid time may cover, so no refinement in Python is needed, and pages are cut in SQL.
    """
    if valid_at is None:
        return []
    return [
        or_(table.c.valid_earliest.is_(None), table.c.valid_earliest <= valid_at.latest),
        or_(table.c.valid_latest.is_(None), table.c.valid_latest >= valid_at.earliest),
    ]


class CitationStateView(msgspec.Struct, frozen=True):
    """A citation and its state against the current version of its source."""

    fact_id: str
    source_id: str
    line_start: int
    line_end: int
    quote: str
    content_sha256: str
    state: str
    current_line_start: int | None
    current_line_end: int | None


class CitationPage(msgspec.Struct, frozen=True):
    """A page of citations."""

    items: list[CitationStateView]
    total: int
    limit: int
    offset: int


_VALID_ORDER = (
    fact_versions_table.c.valid_earliest.is_(None),
    fact_versions_table.c.valid_earliest,
    fact_versions_table.c.fact_id,
)

#: A citation's state by citation id: (state, current line start, current line end).
_CitationStates = Mapping[str, tuple[str, int | None, int | None]]


def _fact_at_statement(believed: Literal["current", "as_of", "version"]) -> Select[Any]:
    """One fact's version believed at `:as_of` (or the current one, or version `:version`), in one
    statement: the stored state as JSON text, the labels of the entities it names, and one row per citation
    with its state.

    One statement is one snapshot, so the version, its labels and its citation states agree without a
    transaction. Built once per shape (current or as of), so a request only binds `fact_id` and `as_of`.

    The version is a materialized CTE, so the qualifiers' entity ids are read out of the state's JSON once.
    Named inside the label subqueries, PostgreSQL evaluated the JSON path for every entity row it
    scanned: with the seed's 109 entities (a table small enough that it scans it) that was 2 ms of a
    3 ms read.
    """
    fv = fact_versions_table
    cited = citations.citations_table
    entity = entities.entities_table

    def qualifier(name: str) -> ColumnElement[Any]:
        extracted: ColumnElement[Any] = fv.c.state[("qualifiers", name)].as_string()
        return extracted.label(name)

    as_of = bindparam("as_of", type_=fv.c.recorded_from.type)
    which = {
        "current": fv.c.recorded_to.is_(None),
        "as_of": and_(fv.c.recorded_from <= as_of, or_(fv.c.recorded_to.is_(None), fv.c.recorded_to > as_of)),
        "version": fv.c.version == bindparam("version", type_=fv.c.version.type),
    }[believed]
    version = (
        select(
            fv.c.fact_id,
            fv.c.recorded_from,
            fv.c.recorded_to,
            cast(fv.c.state, Text).label("state"),
            fv.c.subject,
            fv.c.object,
            qualifier("role"),
            qualifier("place"),
            qualifier("organization"),
        )
        .where(fv.c.fact_id == bindparam("fact_id"), which)
        .cte("version")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )

    def label(entity_id: ColumnElement[Any]) -> ColumnElement[Any]:
        return select(entity.c.label).where(entity.c.entity_id == entity_id).scalar_subquery()

    return select(
        version.c.recorded_from,
        version.c.recorded_to,
        version.c.state,
        label(version.c.subject).label("subject_label"),
        label(version.c.object).label("object_label"),
        label(version.c.role).label("role_label"),
        label(version.c.place).label("place_label"),
        label(version.c.organization).label("organization_label"),
        cited.c.citation_id,
        cited.c.state.label("citation_state"),
        cited.c.current_line_start,
        cited.c.current_line_end,
    ).select_from(version.outerjoin(cited, cited.c.fact_id == version.c.fact_id))


_FACT_CURRENT = _fact_at_statement("current")
_FACT_AS_OF = _fact_at_statement("as_of")
_FACT_AT_VERSION = _fact_at_statement("version")


def _fact_view(
    s: FactState,
    recorded_from: datetime,
    recorded_to: datetime | None,
    labels: Mapping[str, str],
    cited: _CitationStates,
    valid_at: PartialDate | None,
) -> FactView:
    """A fact's version as the API shows it: entities labelled, each citation with its current state."""

    def ref(entity_id: str | None) -> EntityRef | None:
        return None if entity_id is None else EntityRef(entity_id, labels.get(entity_id, entity_id))

    citation_views = []
    for c in s.citations:
        current = cited.get(citation_id(c))
        state, line_start, line_end = ("verified", c.line_start, c.line_end) if current is None else current
        citation_views.append(
            CitationView(
                source_id=c.source_id,
                line_start=c.line_start,
                line_end=c.line_end,
                quote=c.quote,
                content_sha256=c.content_sha256,
                state=state,
                current_line_start=line_start,
                current_line_end=line_end,
            )
        )
    q = s.qualifiers
    return FactView(
        id=s.fact_id,
        subject=EntityRef(s.subject, labels.get(s.subject, s.subject)),
        predicate=s.predicate,
        object=ref(s.object),
        value=s.value,
        qualifiers=QualifiersView(
            role=ref(q.role), place=ref(q.place), organization=ref(q.organization), note=q.note
        ),
        valid_from=date_value(s.valid_from),
        valid_to=date_value(s.valid_to),
        point_in_time=date_value(s.point_in_time),
        modality=s.modality,
        rank=s.rank,
        status=s.status,
        version=s.version,
        recorded_at=_utc(recorded_from),
        superseded_at=None if recorded_to is None else _utc(recorded_to),
        certainty=certainty_of(s, valid_at),
        citations=citation_views,
        links=[LinkView(link.relation, link.target_fact_id) for link in s.links],
    )


def source_view(
    source_id: str,
    title: str,
    origin: str,
    source_date: str,
    content_sha256: str,
    line_count: int,
    version: int,
) -> SourceView:
    """A source's record as the API shows it (a date it cannot read is shown with precision unknown)."""
    date = date_value(source_date)
    return SourceView(
        id=source_id,
        title=title,
        origin=origin,
        source_date=date if date is not None else DateValue(source_date, "unknown"),
        content_sha256=content_sha256,
        line_count=line_count,
        version=version,
    )


class ArchiveQueries:
    """Every read the archive answers."""

    def __init__(
        self,
        engine: AsyncEngine,
        store: EventStore,
        marks: Callable[[], Mapping[str, Sequence[Mark]]] | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        # "No fact here" marks are curation data of the seeds folder, not events: each read checks them
        # against the source's current text, as a new version re-checks a citation.
        self._marks = marks or dict
        postgres = engine.dialect.name == "postgresql"
        # Reads open no transaction on PostgreSQL: under READ COMMITTED every statement takes its own
        # snapshot anyway, so BEGIN and the pool's ROLLBACK were two round trips that bought nothing.
        # SQLite keeps its deferred read transaction, which holds one snapshot for a multi-statement read.
        self._reads = engine.execution_options(isolation_level="AUTOCOMMIT") if postgres else engine
        # A read of one statement is consistent by itself: on SQLite it needs no BEGIN either.
        self._single_reads = self._reads if postgres else engine.execution_options(**{SQLITE_BEGIN: None})
        # The fact read of `GET /facts/{id}` (an indexed lookup): on a SQLite file, on the loop's thread.
        self._point_reads = PointReads(engine, self._single_reads)

    # -- facts -------------------------------------------------------------------------------------

    async def _fact_views(
        self, conn: AsyncConnection, rows: Sequence[Row[Any]], valid_at: PartialDate | None
    ) -> list[FactView]:
        states = [(row, state_of(row)) for row in rows]
        ids: set[str] = set()
        for _, s in states:
            q = s.qualifiers
            ids |= {e for e in (s.subject, s.object, q.role, q.place, q.organization) if e is not None}
        labels = await entities.labels(conn, ids)
        cited: dict[str, dict[str, tuple[str, int | None, int | None]]] = {}
        for (fact_id, cid), c in (await citations.states_of(conn, [s.fact_id for _, s in states])).items():
            cited.setdefault(fact_id, {})[cid] = (c.state, c.current_line_start, c.current_line_end)
        return [
            _fact_view(s, row.recorded_from, row.recorded_to, labels, cited.get(s.fact_id, {}), valid_at)
            for row, s in states
        ]

    def _fact_query(self, f: FactFilter) -> Select[Any]:
        table = fact_versions_table
        conditions: list[ColumnElement[bool]] = [believed_at(table, f.as_of)]
        conditions += _rank_condition(table, f.rank)
        conditions += _valid_condition(table, f.valid_at)
        if f.modality != "all":
            conditions.append(table.c.modality == f.modality)
        if f.subject:
            conditions.append(table.c.subject == f.subject)
        if f.object:
            conditions.append(table.c.object == f.object)
        if f.predicate:
            conditions.append(table.c.predicate == f.predicate)
        if f.entity:
            conditions.append(or_(table.c.subject == f.entity, table.c.object == f.entity))
        if f.source:
            cited = select(citations_by_line_table.c.fact_id).where(
                citations_by_line_table.c.source_id == f.source
            )
            if f.line is not None:
                cited = cited.where(
                    citations_by_line_table.c.line == f.line if f.line <= MAX_LINE else false()
                )
            conditions.append(table.c.fact_id.in_(cited))
        if f.text:
            conditions.append(_text_condition(table, f.text))
        return select(table).where(and_(*conditions))

    async def search_facts(self, f: FactFilter, limit: int, offset: int) -> FactPage:
        """Facts matching every filter, as believed at `as_of`, in a stable order."""
        if _unmatchable(f.subject, f.object, f.entity, f.predicate, f.source, f.text):
            return FactPage(items=[], total=0, limit=limit, offset=offset)
        query = self._fact_query(f).order_by(*_VALID_ORDER)
        async with self._reads.connect() as conn:
            rows, total = await _page(conn, query, limit, offset)
            items = await self._fact_views(conn, rows, f.valid_at)
        return FactPage(items=items, total=total, limit=limit, offset=offset)

    async def fact(self, fact_id: str, as_of: datetime | None = None, version: int | None = None) -> FactView:
        """One fact as it stood at `as_of` (now by default), or at its `version`.

        A write answers with the version it produced: the current one may already be another writer's.
        """
        if _unmatchable(fact_id):
            raise NotFound(f"fact {fact_id!r} does not exist")
        statement = _FACT_CURRENT if as_of is None else _FACT_AS_OF
        if version is not None:
            statement = _FACT_AT_VERSION
        rows = await self._point_reads.all(
            statement, {"fact_id": fact_id, "as_of": as_of, "version": version}
        )
        if not rows:
            async with self._single_reads.connect() as conn:
                known = await fact_versions.exists(conn, fact_id)
            when = f" at {as_of.isoformat()}" if as_of and known else ""
            raise NotFound(f"fact {fact_id} {'was not yet recorded' if when else 'does not exist'}{when}")
        first = rows[0]
        state = msgspec.json.decode(first.state, type=FactState)
        q = state.qualifiers
        labels = {
            entity_id: label
            for entity_id, label in (
                (state.subject, first.subject_label),
                (state.object, first.object_label),
                (q.role, first.role_label),
                (q.place, first.place_label),
                (q.organization, first.organization_label),
            )
            if entity_id is not None and label is not None
        }
        cited = {
            r.citation_id: (r.citation_state, r.current_line_start, r.current_line_end)
            for r in rows
            if r.citation_id is not None
        }
        return _fact_view(state, first.recorded_from, first.recorded_to, labels, cited, None)

    async def fact_history(self, fact_id: str) -> FactHistory:
        """Every event of one fact, with who, when and why."""
        if _unmatchable(fact_id):
            raise NotFound(f"fact {fact_id!r} does not exist")
        recorded = await self.store.read_stream(fact_stream(fact_id))
        if not recorded:
            raise NotFound(f"fact {fact_id} does not exist")
        return FactHistory(fact_id=fact_id, events=[event_view(e) for e in recorded])

    async def provenance(self, fact_id: str) -> Provenance:
        """The fact, its events, and each citation down to the source's lines and hash."""
        fact = await self.fact(fact_id)
        history = await self.fact_history(fact_id)
        async with self._reads.connect() as conn:
            wanted = {c.source_id for c in fact.citations}
            rows = {sid: await sources.get(conn, sid) for sid in wanted}
        traced = []
        for c in fact.citations:
            row = rows.get(c.source_id)
            if row is None:
                continue
            lines = split_lines(row.text)
            traced.append(
                CitationProvenance(
                    source_id=c.source_id,
                    source_title=row.title,
                    source_version=row.version,
                    source_sha256=row.content_sha256,
                    cited_sha256=c.content_sha256,
                    line_start=c.line_start,
                    line_end=c.line_end,
                    lines=[
                        LineText(n, lines[n - 1])
                        for n in range(c.line_start, c.line_end + 1)
                        if n <= len(lines)
                    ],
                    quote=c.quote,
                    state=c.state,
                    current_line_start=c.current_line_start,
                    current_line_end=c.current_line_end,
                )
            )
        return Provenance(fact=fact, citations=traced, events=history.events)

    async def relations(
        self,
        entity_id: str,
        valid_at: PartialDate | None,
        as_of: datetime | None,
        rank: RankFilter,
        limit: int,
        offset: int,
    ) -> FactPage:
        """Facts in which the entity is subject or object."""
        await self.entity(entity_id)
        table = relations_table
        conditions = [table.c.entity_id == entity_id, believed_at(table, as_of)]
        conditions += _rank_condition(table, rank) + _valid_condition(table, valid_at)
        fact_ids = select(table.c.fact_id).where(*conditions)
        return await self.search_facts_by_ids(fact_ids, valid_at, as_of, limit, offset)

    async def search_facts_by_ids(
        self, fact_ids: Any, valid_at: PartialDate | None, as_of: datetime | None, limit: int, offset: int
    ) -> FactPage:
        """A page of the facts with these ids, as believed at `as_of`, refined by `valid_at`."""
        table = fact_versions_table
        query = (
            select(table)
            .where(table.c.fact_id.in_(fact_ids), believed_at(table, as_of))
            .order_by(*_VALID_ORDER)
        )
        async with self._reads.connect() as conn:
            rows, total = await _page(conn, query, limit, offset)
            items = await self._fact_views(conn, rows, valid_at)
        return FactPage(items=items, total=total, limit=limit, offset=offset)

    async def timeline(
        self,
        entity_id: str | None,
        start: PartialDate | None,
        end: PartialDate | None,
        as_of: datetime | None,
        rank: RankFilter,
        limit: int,
        offset: int,
    ) -> FactPage:
        """Dated facts in order of valid time, for one entity or for all, between `start` and `end`."""
        if entity_id is not None:
            await self.entity(entity_id)
        table = timeline_table
        conditions = [believed_at(table, as_of), *_rank_condition(table, rank)]
        conditions.append(table.c.entity_id == entity_id if entity_id else table.c.involvement == "subject")
        if start is not None:
            conditions.append(table.c.sort_end >= start.earliest)
        if end is not None:
            conditions.append(table.c.sort_start <= end.latest)
        query = (
            select(table.c.fact_id, table.c.version)
            .where(*conditions)
            .order_by(table.c.sort_start, table.c.sort_end, table.c.fact_id)
        )
        async with self._reads.connect() as conn:
            keys, total = await _page(conn, query, limit, offset)
            rows_by_key = {}
            if keys:
                fv = fact_versions_table
                found = await conn.execute(
                    select(fv).where(fv.c.fact_id.in_([k.fact_id for k in keys]), believed_at(fv, as_of))
                )
                rows_by_key = {(r.fact_id, r.version): r for r in found}
            rows = [
                rows_by_key[(k.fact_id, k.version)] for k in keys if (k.fact_id, k.version) in rows_by_key
            ]
            items = await self._fact_views(conn, rows, None)
        return FactPage(items=items, total=total, limit=limit, offset=offset)

    # -- roles -------------------------------------------------------------------------------------

    async def roles(
        self,
        holder: str | None,
        office: str | None,
        organization: str | None,
        valid_at: PartialDate | None,
        as_of: datetime | None,
        rank: RankFilter,
        modality: ModalityFilter,
        limit: int,
        offset: int,
    ) -> RolePage:
        """Who held which office in which organisation; `office` matches an entity id or a label."""
        if _unmatchable(holder, office, organization):
            return RolePage(items=[], total=0, limit=limit, offset=offset)
        table = roles_table
        conditions = [believed_at(table, as_of), *_rank_condition(table, rank)]
        if valid_at is not None:
            # The rows of `_valid_condition`, written so that ix_roles_current_valid_time answers them.
            conditions += valid_during(valid_at.earliest, valid_at.latest)
        if modality != "all":
            conditions.append(table.c.modality == modality)
        if holder:
            conditions.append(table.c.holder == holder)
        if office:
            conditions.append(
                or_(table.c.office_id == office, func.lower(table.c.office_label) == office.lower())
            )
        if organization:
            conditions.append(table.c.organization_id == organization)
        if not (holder or office or organization):
            # Only listings by valid time read ix_roles_current_valid_time (see OPT_IN_VALID_TIME_INDEX);
            # a holder, office or organization is found through its own index or a scan, as before.
            conditions.append(OPT_IN_VALID_TIME_INDEX)
        query = select(table).where(*conditions).order_by(*VALID_TIME_ORDER)
        if as_of is None and not (holder or office or organization):
            # Once ANALYZE (or `PRAGMA optimize`) has run, SQLite's planner took a skip-scan of the
            # organisation index instead, with a table lookup per current row: 190-205 ms against
            # 2-32 ms at 10^5 facts. Named, the index is used whatever the statistics say.
            query = query.with_hint(table, f"INDEXED BY {valid_time_index.name}", dialect_name="sqlite")
        async with self._reads.connect() as conn:
            rows, total = await _page(conn, query, limit, offset)
            ids = {r.holder for r in rows} | {r.office_id for r in rows} | {r.organization_id for r in rows}
            labels = await entities.labels(conn, {i for i in ids if i is not None})

        def labelled(entity_id: str | None, label: str | None) -> LabelledRef | None:
            if entity_id is None and label is None:
                return None
            return LabelledRef(entity_id, label or labels.get(entity_id or "", entity_id or ""))

        items = [
            RoleView(
                fact_id=r.fact_id,
                holder=EntityRef(r.holder, labels.get(r.holder, r.holder)),
                office=labelled(r.office_id, r.office_label),
                organization=labelled(r.organization_id, r.organization_label),
                predicate=r.predicate,
                valid_from=date_value(r.valid_from),
                valid_to=date_value(r.valid_to),
                point_in_time=date_value(r.point_in_time),
                modality=r.modality,
                rank=r.rank,
                status=r.status,
                certainty=certainty_of(r, valid_at),
                recorded_at=_utc(r.recorded_from),
            )
            for r in rows
        ]
        return RolePage(items=items, total=total, limit=limit, offset=offset)

    # -- sources and entities ----------------------------------------------------------------------

    @staticmethod
    def _source_view(row: Row[Any]) -> SourceView:
        return source_view(
            row.source_id,
            row.title,
            row.origin,
            row.source_date,
            row.content_sha256,
            row.line_count,
            row.version,
        )

    async def sources(self, limit: int, offset: int) -> SourcePage:
        """Every source, in id order."""
        async with self._reads.connect() as conn:
            rows, total = await sources.page(conn, limit, min(offset, MAX_OFFSET))
        return SourcePage(items=[self._source_view(r) for r in rows], total=total, limit=limit, offset=offset)

    async def source(self, source_id: str) -> SourceView:
        """One source."""
        if _unmatchable(source_id):
            raise NotFound(f"source {source_id!r} does not exist")
        async with self._reads.connect() as conn:
            row = await sources.get(conn, source_id)
        if row is None:
            raise NotFound(f"source {source_id!r} does not exist")
        return self._source_view(row)

    async def source_text(self, source_id: str) -> tuple[SourceView, list[str]]:
        """One source and its lines."""
        if _unmatchable(source_id):
            raise NotFound(f"source {source_id!r} does not exist")
        async with self._reads.connect() as conn:
            row = await sources.get(conn, source_id)
        if row is None:
            raise NotFound(f"source {source_id!r} does not exist")
        return self._source_view(row), list(split_lines(row.text))

    async def source_line(self, source_id: str, line: int) -> SourceLineView:
        """One line and the facts citing it (NotFound for a line out of range)."""
        _, lines = await self.source_text(source_id)
        if not 1 <= line <= len(lines):
            raise NotFound(f"line {line} is out of range: source {source_id!r} has lines 1..{len(lines)}")
        async with self._reads.connect() as conn:
            fact_ids = await citations_by_line.facts_citing(conn, source_id, line)
            rows = (
                await conn.execute(
                    select(fact_versions_table).where(
                        fact_versions_table.c.fact_id.in_(fact_ids),
                        fact_versions_table.c.recorded_to.is_(None),
                    )
                )
            ).all()
            facts = await self._fact_views(conn, rows, None)
        summaries = []
        for fact in facts:
            for c in fact.citations:
                start, end = c.current_line_start, c.current_line_end
                if (
                    c.source_id == source_id
                    and start is not None
                    and end is not None
                    and start <= line <= end
                ):
                    summaries.append(
                        FactSummary(
                            id=fact.id,
                            subject=fact.subject,
                            predicate=fact.predicate,
                            object=fact.object,
                            value=fact.value,
                            rank=fact.rank,
                            status=fact.status,
                            modality=fact.modality,
                            line_start=start,
                            line_end=end,
                            quote=c.quote,
                        )
                    )
        summaries.sort(key=lambda s: (s.id, s.line_start))
        explaining = [
            MarkView(m.line_start, m.line_end, m.mark.quote, m.mark.reason, m.state)
            for m in self._followed_marks(source_id, lines)
            if m.line_start is not None and m.line_end is not None and m.line_start <= line <= m.line_end
        ]
        return SourceLineView(
            source_id=source_id, line=line, text=lines[line - 1], facts=summaries, marks=explaining
        )

    def _followed_marks(self, source_id: str, lines: Sequence[str]) -> list[FollowedMark]:
        return [follow_mark(lines, mark) for mark in self._marks().get(source_id, ())]

    async def source_coverage(self, source_id: str) -> SourceCoverage:
        """The sentences of a source that no active fact's citation quotes and no mark explains.

        A citation counts at its current lines (an orphaned one counts nowhere); a mark counts where its
        words are now, and one whose words are gone is listed in ``orphaned_marks``.
        """
        _, lines = await self.source_text(source_id)
        c = citations.citations_table
        current = fact_versions_table
        query = (
            select(c.c.current_line_start, c.c.current_line_end, c.c.quote)
            .join(current, current.c.fact_id == c.c.fact_id)
            .where(
                c.c.source_id == source_id,
                c.c.current_line_start.is_not(None),
                current.c.recorded_to.is_(None),
                current.c.status == "active",
            )
        )
        async with self._reads.connect() as conn:
            cited = [QuotedSpan(start, end, quote) for start, end, quote in await conn.execute(query)]
        return coverage_of(source_id, lines, cited, self._followed_marks(source_id, lines))

    def mark_sources(self) -> set[str]:
        """The source ids the marks name (a mark may name a source the archive does not hold)."""
        return set(self._marks())

    async def entities(self, q: str | None, kind: str | None, limit: int, offset: int) -> EntityPage:
        """Entities whose label or an alias contains `q`, of `kind` when given."""
        if _unmatchable(q, kind):
            return EntityPage(items=[], total=0, limit=limit, offset=offset)
        async with self._reads.connect() as conn:
            rows, total = await entities.search(conn, q, kind, limit, min(offset, MAX_OFFSET))
        items = [EntityView(r.entity_id, r.kind, r.label, list(r.aliases)) for r in rows]
        return EntityPage(items=items, total=total, limit=limit, offset=offset)

    async def entity(self, entity_id: str) -> EntityView:
        """One entity."""
        if _unmatchable(entity_id):
            raise NotFound(f"entity {entity_id!r} does not exist")
        async with self._reads.connect() as conn:
            row = await entities.get(conn, entity_id)
        if row is None:
            raise NotFound(f"entity {entity_id!r} does not exist")
        return EntityView(row.entity_id, row.kind, row.label, list(row.aliases))

    async def citations_in_state(self, state: str, limit: int, offset: int) -> CitationPage:
        """Citations in one state (drifted or orphaned ones are for an archivist to resolve)."""
        async with self._reads.connect() as conn:
            rows, total = await citations.by_state(conn, state, limit, min(offset, MAX_OFFSET))
        items = [
            CitationStateView(
                r.fact_id,
                r.source_id,
                r.line_start,
                r.line_end,
                r.quote,
                r.content_sha256,
                r.state,
                r.current_line_start,
                r.current_line_end,
            )
            for r in rows
        ]
        return CitationPage(items=items, total=total, limit=limit, offset=offset)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def _page(
    conn: AsyncConnection, query: Select[Any], limit: int, offset: int
) -> tuple[list[Row[Any]], int]:
    """One page of an ordered query, and the size of the whole result.

    A page that starts at or past the end is empty without being read: finding that out can cost as
    much as the count did (for a year no role reaches, a walk of ix_roles_current_valid_time).
    """
    total = (
        await conn.execute(select(func.count()).select_from(query.order_by(None).subquery()))
    ).scalar_one()
    start = min(offset, MAX_OFFSET)
    if start >= total:
        return [], int(total)
    rows = (await conn.execute(query.limit(limit).offset(start))).all()
    return list(rows), int(total)
