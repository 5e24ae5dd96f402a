"""Facts: a search, one fact at any record time or version, its history and its provenance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

import msgspec
from sqlalchemy import ColumnElement, Select, Text, and_, bindparam, cast, false, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.events import citation_id, decode_event
from archive.domain.facts import FactState, evolve_fact, initial_fact_state
from archive.domain.sources import evolve_source, initial_source_state, split_lines
from archive.domain.streams import fact_stream, source_stream
from archive.domain.time import PartialDate
from archive.eventstore import RecordedEvent
from archive.eventstore.redaction import REDACTION_EVENT_TYPE, is_redacted
from archive.projections import citations, entities, fact_versions, links, sources
from archive.projections.citations_by_line import citations_by_line_table
from archive.projections.fact_versions import fact_versions_table, state_of
from archive.projections.links import LinkedFrom, linked_from_text, parse_linked_from
from archive.projections.versioning import believed_at
from archive.reads.base import ReadBase
from archive.reads.changes import fact_changes
from archive.reads.citations import citation_states_at
from archive.reads.errors import NotFound, Redacted
from archive.reads.filters import (
    MAX_LINE,
    FactFilter,
    held_page,
    page,
    rank_condition,
    unmatchable,
    valid_condition,
)
from archive.reads.names import names_for
from archive.reads.search import fact_matches, ranked_facts, search_phrases
from archive.reads.views import (
    CitationProvenance,
    CitationView,
    EntityRef,
    FactEventView,
    FactHistory,
    FactPage,
    FactView,
    LineText,
    LinkedFromView,
    LinkView,
    Provenance,
    QualifiersView,
    certainty_of,
    date_value,
    event_view,
)
from archive.storage.engine import stored_utc

_VALID_ORDER = (
    fact_versions_table.c.valid_earliest.is_(None),
    fact_versions_table.c.valid_earliest,
    fact_versions_table.c.fact_id,
)

#: A citation's state by citation id: (state, current line start, current line end).
_CitationStates = Mapping[str, tuple[str, int | None, int | None]]


def _fact_at_statement(believed: Literal["current", "as_of", "version"]) -> Select[Any]:
    """One fact's version believed at `:as_of` (or the current one, or version `:version`), in one
    statement: the stored state as JSON text, the labels of the entities it names, the links other facts
    had made to it by `:as_of` (all of them for the other shapes: they are not part of its versions), and
    one row per citation with its state.

    One statement is one snapshot, so the version, its labels and its citation states agree without a
    transaction. Built once per shape (current or as of), so a request only binds `fact_id` and `as_of`.

    The version is a materialized CTE, so the qualifiers' entity ids are read out of the state's JSON once.
    Named inside the label subqueries, PostgreSQL evaluated the JSON path for every entity row it
    scanned, most of the read (docs/decisions/0005-fact-read-version-as-cte.md).
    """
    fv = fact_versions_table
    cited = citations.citations_table
    entity = entities.entities_table
    source = sources.sources_table

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
            linked_from_text(fv.c.fact_id, as_of if believed == "as_of" else None).label("linked_from"),
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
        version.c.linked_from,
        label(version.c.subject).label("subject_label"),
        label(version.c.object).label("object_label"),
        label(version.c.role).label("role_label"),
        label(version.c.place).label("place_label"),
        label(version.c.organization).label("organization_label"),
        cited.c.citation_id,
        cited.c.source_id.label("cited_source_id"),
        select(source.c.version)
        .where(source.c.source_id == cited.c.source_id)
        .scalar_subquery()
        .label("cited_source_version"),
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
    linked_from: Sequence[LinkedFrom] = (),
    names: Mapping[str, str] | None = None,
) -> FactView:
    """A fact's version as the API shows it: entities labelled (by the `names` they bore at `valid_at`
    where those differ from today's labels), each citation with its current state, and the links made
    to it."""

    def named(entity_id: str) -> EntityRef:
        label = labels.get(entity_id, entity_id)
        then = None if names is None else names.get(entity_id)
        return (
            EntityRef(entity_id, label) if then is None else EntityRef(entity_id, then, current_label=label)
        )

    def ref(entity_id: str | None) -> EntityRef | None:
        return None if entity_id is None else named(entity_id)

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
        subject=named(s.subject),
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
        recorded_at=stored_utc(recorded_from),
        superseded_at=None if recorded_to is None else stored_utc(recorded_to),
        certainty=certainty_of(s, valid_at),
        citations=citation_views,
        links=[LinkView(link.relation, link.target_fact_id) for link in s.links],
        linked_from=[LinkedFromView(relation, fact_id, status) for relation, fact_id, status in linked_from],
    )


def _redactions(recorded: Sequence[RecordedEvent]) -> list[RecordedEvent]:
    """The redaction events among a stream's events."""
    return [e for e in recorded if e.event_type == REDACTION_EVENT_TYPE]


class FactReads(ReadBase):
    """Reads of facts, and the fact views every other read module builds its answers from."""

    async def _cited_as_of(self, revised: set[str], as_of: datetime) -> Mapping[str, _CitationStates]:
        """The citation states the new versions of the `revised` sources had left at `as_of`, by fact id
        (a citation absent here was verified at its own lines then)."""
        at = await citation_states_at(self.store, revised, as_of)
        cited: dict[str, dict[str, tuple[str, int | None, int | None]]] = {}
        for (fact_id, cid), state in at.items():
            cited.setdefault(fact_id, {})[cid] = state
        return cited

    async def _fact_views(
        self,
        conn: AsyncConnection,
        rows: Sequence[Row[Any]],
        valid_at: PartialDate | None,
        as_of: datetime | None = None,
    ) -> list[FactView]:
        """The views of these stored versions, their citations' states as at `as_of` (now when None)."""
        states = [(row, state_of(row)) for row in rows]
        ids: set[str] = set()
        for _, s in states:
            q = s.qualifiers
            ids |= {e for e in (s.subject, s.object, q.role, q.place, q.organization) if e is not None}
        labels = await entities.labels(conn, ids)
        names = None if valid_at is None else await names_for(conn, ids, labels, valid_at, as_of)
        cited: Mapping[str, _CitationStates]
        if as_of is not None:
            revised = await sources.revised(conn, {c.source_id for _, s in states for c in s.citations})
            cited = await self._cited_as_of(revised, as_of)
        else:
            now: dict[str, dict[str, tuple[str, int | None, int | None]]] = {}
            rows_now = await citations.states_of(conn, [s.fact_id for _, s in states])
            for (fact_id, cid), c in rows_now.items():
                now.setdefault(fact_id, {})[cid] = (c.state, c.current_line_start, c.current_line_end)
            cited = now
        linked = await links.linked_from(conn, [s.fact_id for _, s in states], as_of)
        return [
            _fact_view(
                s,
                row.recorded_from,
                row.recorded_to,
                labels,
                cited.get(s.fact_id, {}),
                valid_at,
                linked.get(s.fact_id, ()),
                names,
            )
            for row, s in states
        ]

    def _fact_query(self, f: FactFilter, named: Mapping[str, list[str]]) -> Select[Any]:
        """The filters as one query; `named` holds, for each entity filter, every id naming that entity."""
        table = fact_versions_table
        conditions: list[ColumnElement[bool]] = [believed_at(table, f.as_of)]
        conditions += rank_condition(table, f.rank, f.as_of, self.backend.use_index)
        conditions += valid_condition(table, f.valid_at, f.undated)
        if f.modality != "all":
            conditions.append(table.c.modality == f.modality)
        if f.subject:
            conditions.append(table.c.subject.in_(named[f.subject]))
        if f.object:
            conditions.append(table.c.object.in_(named[f.object]))
        if f.predicate:
            conditions.append(table.c.predicate == f.predicate)
        if f.entity:
            ids = named[f.entity]
            conditions.append(or_(table.c.subject.in_(ids), table.c.object.in_(ids)))
        if f.source:
            cited = select(citations_by_line_table.c.fact_id).where(
                citations_by_line_table.c.source_id == f.source
            )
            if f.line is not None:
                cited = cited.where(
                    citations_by_line_table.c.line == f.line if f.line <= MAX_LINE else false()
                )
            conditions.append(table.c.fact_id.in_(cited))
        return select(table).where(and_(*conditions))

    async def search_facts(self, f: FactFilter, limit: int, offset: int) -> FactPage:
        """Facts matching every filter, as believed at `as_of`, in a stable order; with a text, the best
        matches first, and why each matched (archive/reads/search.py)."""
        phrases = search_phrases(f.text) if f.text else ()
        nothing_to_find = bool(f.text) and not phrases  # a text of punctuation only
        if unmatchable(f.subject, f.object, f.entity, f.predicate, f.source, f.text) or nothing_to_find:
            return FactPage(items=[], total=0, limit=limit, offset=offset, matches={} if f.text else None)
        async with self._reads.connect() as conn:
            named = {e: await entities.same_entity(conn, e) for e in {f.subject, f.object, f.entity} if e}
            query = self._fact_query(f, named)
            if phrases:
                query = ranked_facts(self.backend.search, query, phrases, _VALID_ORDER)
            else:
                query = query.order_by(*_VALID_ORDER)
            rows, total = await held_page(
                conn, query, fact_versions_table, f.valid_at, f.certainty, limit, offset
            )
            items = await self._fact_views(conn, rows, f.valid_at, f.as_of)
            matches = await fact_matches(conn, self.backend.search, phrases, rows) if phrases else None
        return FactPage(items=items, total=total, limit=limit, offset=offset, matches=matches)

    async def fact(self, fact_id: str, as_of: datetime | None = None, version: int | None = None) -> FactView:
        """One fact as it stood at `as_of` (now by default), or at its `version`.

        A write answers with the version it produced: the current one may already be another writer's.
        """
        if unmatchable(fact_id):
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
            if not known:
                await self._refuse_if_redacted(fact_id)
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
        cited: _CitationStates = {
            r.citation_id: (r.citation_state, r.current_line_start, r.current_line_end)
            for r in rows
            if r.citation_id is not None
        }
        revised = {r.cited_source_id for r in rows if (r.cited_source_version or 0) > 1}
        if as_of is not None and revised:
            cited = (await self._cited_as_of(revised, as_of)).get(state.fact_id, {})
        linked_from = parse_linked_from(first.linked_from)
        return _fact_view(state, first.recorded_from, first.recorded_to, labels, cited, None, linked_from)

    async def _refuse_if_redacted(self, fact_id: str) -> None:
        """`Redacted`, naming the redactions, for a fact withdrawn by one (they are on its own stream)."""
        redactions = _redactions(await self.store.read_stream(fact_stream(fact_id)))
        if redactions:
            named = "; ".join(
                f"the payload of its event at position {r.data['position']} was redacted on "
                f"{r.recorded_at.isoformat()} ({r.data['reason_code']}, "
                f"by the event at position {r.position})"
                for r in redactions
            )
            raise Redacted(
                f"fact {fact_id} is redacted: {named}. Its state can no longer be folded from the log, so "
                f"none of its fields are shown; its events and their hashes stay in the log "
                f"(GET /facts/{fact_id}/history)",
                redaction_positions=tuple(r.position for r in redactions),
            )

    async def fact_history(self, fact_id: str) -> FactHistory:
        """Every event of one fact, with who, when and why, and the redactions of its events.

        A redacted event shows its marker; from it on, what each event changed cannot be folded, and is
        left empty.
        """
        if unmatchable(fact_id):
            raise NotFound(f"fact {fact_id!r} does not exist")
        recorded = await self.store.read_stream(fact_stream(fact_id))
        if not recorded:
            raise NotFound(f"fact {fact_id} does not exist")
        redacted_by = {r.data["position"]: r.position for r in _redactions(recorded)}
        state, folding, events = initial_fact_state(), True, []
        for e in recorded:
            view = msgspec.structs.asdict(event_view(e))
            if e.event_type == REDACTION_EVENT_TYPE:
                events.append(FactEventView(**view))
                continue
            folding = folding and not is_redacted(e.data)
            changes = []
            if folding:
                before, state = state, evolve_fact(state, decode_event(e.event_type, e.data))
                changes = fact_changes(before if before.exists else None, state)
            events.append(FactEventView(**view, changes=changes, redacted_by=redacted_by.get(e.position)))
        return FactHistory(fact_id=fact_id, events=events)

    async def _cited_texts(self, source_id: str) -> dict[str, tuple[int, tuple[str, ...]]]:
        """A source's texts by sha256, each with the first version that had it (folded from its stream)."""
        texts: dict[str, tuple[int, tuple[str, ...]]] = {}
        state = initial_source_state()
        for recorded in await self.store.read_stream(source_stream(source_id)):
            state = evolve_source(state, decode_event(recorded.event_type, recorded.data))
            texts.setdefault(state.content_sha256, (state.version, state.lines))
        return texts

    async def provenance(self, fact_id: str) -> Provenance:
        """The fact, its events, and each citation down to the lines of the source version it cites (and
        where its words are in the current version, when that differs)."""
        fact = await self.fact(fact_id)
        history = await self.fact_history(fact_id)
        async with self._reads.connect() as conn:
            wanted = {c.source_id for c in fact.citations}
            rows = {sid: await sources.get(conn, sid) for sid in wanted}
        texts = {sid: await self._cited_texts(sid) for sid in wanted}

        def excerpt(lines: Sequence[str], start: int | None, end: int | None) -> list[LineText]:
            if start is None or end is None:
                return []
            return [LineText(n, lines[n - 1]) for n in range(start, end + 1) if n <= len(lines)]

        traced = []
        for c in fact.citations:
            row = rows.get(c.source_id)
            if row is None:
                continue
            cited_version, cited_lines = texts[c.source_id].get(c.content_sha256, (None, ()))
            current_lines = split_lines(row.text)
            moved = c.content_sha256 != row.content_sha256
            traced.append(
                CitationProvenance(
                    source_id=c.source_id,
                    source_title=row.title,
                    source_version=row.version,
                    source_sha256=row.content_sha256,
                    cited_sha256=c.content_sha256,
                    cited_version=cited_version,
                    line_start=c.line_start,
                    line_end=c.line_end,
                    lines=excerpt(cited_lines, c.line_start, c.line_end),
                    quote=c.quote,
                    state=c.state,
                    current_line_start=c.current_line_start,
                    current_line_end=c.current_line_end,
                    current_lines=(
                        excerpt(current_lines, c.current_line_start, c.current_line_end) if moved else []
                    ),
                )
            )
        return Provenance(fact=fact, citations=traced, events=history.events)

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
            rows, total = await page(conn, query, limit, offset)
            items = await self._fact_views(conn, rows, valid_at, as_of)
        return FactPage(items=items, total=total, limit=limit, offset=offset)
