"""Every answer the read side gives, as msgspec Structs: the API's response bodies and the pages' data.

A list is a `Page` of its items. Each named page (`FactPage`, ...) pins its items' type, which is what
gives the OpenAPI document one schema per page.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, Generic, TypeVar

import msgspec
from sqlalchemy.engine import Row

from archive.domain.events import CitationState, FactContent, FactStatus
from archive.domain.facts import FactState
from archive.domain.time import Certainty, PartialDate, holds_at, make_valid_time, parse_partial_date
from archive.eventstore import RecordedEvent
from archive.projections.links import InverseRelation

T = TypeVar("T")


class Page(msgspec.Struct, Generic[T], frozen=True):
    """One page of a longer list: its items, how many there are in all, and where the page starts."""

    items: list[T]
    total: int
    limit: int
    offset: int


class DateValue(msgspec.Struct, frozen=True):
    """A partial date as given: its text and its precision (never padded)."""

    value: str
    precision: str
    circa: bool = False
    # The text implies the date without stating it (an anniversary, "this year"): an inference.
    derived: bool = False


class EntityRef(msgspec.Struct, frozen=True, omit_defaults=True):
    """An entity named in an answer. When the question asks about a date (`valid_at`) and the archive's
    facts give the name the entity bore then, `label` is that name and `current_label` today's."""

    id: str
    label: str
    current_label: str | None = None


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


class LinkedFromView(msgspec.Struct, frozen=True):
    """Another fact's link to this one, named from this end: the other fact fulfils, contradicts or
    supersedes this one. `status` is the other fact's at the time asked: a retracted fact's link is
    still shown (it was made), marked as no longer standing."""

    relation: InverseRelation
    fact_id: str
    status: FactStatus


class FactView(msgspec.Struct, frozen=True):
    """A fact as it stood in one version, with the links other facts had made to it by the time asked
    (`linked_from`: they are theirs, so they change no version of this one)."""

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
    linked_from: list[LinkedFromView] = msgspec.field(default_factory=list)


class SearchMatch(msgspec.Struct, frozen=True):
    """Why an answer matched a text search: its score (higher is better; comparable only within one
    answer) and the fields in which the words were found (`subject`, `object`, `value`, `qualifiers.note`,
    `citations.quote` for a fact; `label`, `aliases` for an entity)."""

    score: float
    fields: list[str]


class FactPage(Page[FactView], frozen=True, omit_defaults=True):
    """A page of facts; with a text search (`q`), ranked, and `matches` says why each fact matched."""

    items: list[FactView]
    matches: dict[str, SearchMatch] | None = None


class SourceView(msgspec.Struct, frozen=True):
    """A source document (without its text)."""

    id: str
    title: str
    origin: str
    source_date: DateValue
    content_sha256: str
    line_count: int
    version: int


class SourceText(msgspec.Struct, frozen=True):
    """A source document with its whole text."""

    source: SourceView
    text: str


class SourceVersionView(msgspec.Struct, frozen=True):
    """One version of a source: what changed (its text, its record, or both at registration), the record
    and the text's sha256 as they stood after it, and who recorded it, when and why."""

    version: int
    change: str
    title: str
    origin: str
    source_date: DateValue
    content_sha256: str
    line_count: int
    recorded_at: datetime
    actor: str | None
    reason: str | None


class SourceVersions(msgspec.Struct, frozen=True):
    """Every version of a source, oldest first."""

    source_id: str
    items: list[SourceVersionView]


class SourceVersionText(msgspec.Struct, frozen=True):
    """One version of a source with its whole text as it stood then."""

    version: SourceVersionView
    text: str


class SourcePage(Page[SourceView], frozen=True):
    """A page of sources."""

    items: list[SourceView]


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
    """An entity of the registry: `version` is what a revision or a merge names as `expected_version`;
    `merged_from` the entities merged into it. Asked for by the id of an entity merged into it, the
    answer is this entity with that id in `redirected_from`."""

    id: str
    kind: str
    label: str
    aliases: list[str]
    version: int
    merged_from: list[str] = []
    redirected_from: str | None = None


class EntityPage(Page[EntityView], frozen=True, omit_defaults=True):
    """A page of entities; with a text search (`q`), ranked, and `matches` says why each entity matched."""

    items: list[EntityView]
    matches: dict[str, SearchMatch] | None = None


class LabelledRef(msgspec.Struct, frozen=True, omit_defaults=True):
    """An office or organisation in a role: an entity, or only a label; named as an `EntityRef` is."""

    id: str | None
    label: str
    current_label: str | None = None


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


class RolePage(Page[RoleView], frozen=True):
    """A page of roles."""

    items: list[RoleView]


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


class FieldChange(msgspec.Struct, frozen=True):
    """One field's value before and after an event or a window (None where it had none)."""

    field: str
    old: str | None
    new: str | None


class FactEventView(EventView, frozen=True):
    """An event of a fact's stream, with what it changed in the fact, old → new; a redacted one has its
    payload replaced by a marker and names the position of the redaction that did it (`redacted_by`).
    A fact's history also lists the redactions of its events, in log order."""

    changes: list[FieldChange] = []
    redacted_by: int | None = None


class RedactionView(msgspec.Struct, frozen=True):
    """A redaction: which event's payload was replaced by its hash, why, by whom, and where it is logged."""

    position: int
    stream_id: str
    event_type: str
    content_sha256: str
    reason_code: str
    justification: str
    redacted_at: datetime
    actor: str | None
    redaction_position: int


def redaction_view(recorded: RecordedEvent) -> RedactionView:
    """A redaction event (`log.redacted`) as the API shows it."""
    data = recorded.data
    return RedactionView(
        position=data["position"],
        stream_id=data["stream_id"],
        event_type=data["redacted_event_type"],
        content_sha256=data["content_sha256"],
        reason_code=data["reason_code"],
        justification=data["justification"],
        redacted_at=recorded.recorded_at,
        actor=recorded.metadata.get("actor"),
        redaction_position=recorded.position,
    )


class FactHistory(msgspec.Struct, frozen=True):
    """Every event of one fact, oldest first, each with what it changed."""

    fact_id: str
    events: list[FactEventView]


class EntityHistory(msgspec.Struct, frozen=True):
    """Every event of one entity's own stream, oldest first (a merged entity's ends with its merge)."""

    entity_id: str
    merged_into: str | None
    events: list[EventView]


class LineText(msgspec.Struct, frozen=True):
    """One line of a source."""

    line: int
    text: str


class CitationProvenance(msgspec.Struct, frozen=True):
    """One citation traced to its source: the document, the version it cites (`cited_version`, whose
    text has `cited_sha256`), the cited lines as that version has them, and the quote. When the source
    has a newer text, `current_lines` are the lines where the quote stands now (empty if orphaned).

    `source_version` and `source_sha256` are the source's current ones.
    """

    source_id: str
    source_title: str
    source_version: int
    source_sha256: str
    cited_sha256: str
    cited_version: int | None
    line_start: int
    line_end: int
    lines: list[LineText]
    quote: str
    state: str
    current_line_start: int | None
    current_line_end: int | None
    current_lines: list[LineText] = []


class Provenance(msgspec.Struct, frozen=True):
    """The chain from a fact to its events, its citations and the source lines behind them."""

    fact: FactView
    citations: list[CitationProvenance]
    events: list[FactEventView]


class HashedFields(msgspec.Struct, frozen=True, omit_defaults=True):
    """What an event's hash covers beyond the fields shown with it, so that anyone can recompute the chain
    from the log's pages alone: sha256(prev_hash ‖ the JSON of {stream_id, stream_version, event_type,
    schema_version, data, metadata, recorded_at} with sorted keys and no spaces, UTF-8).

    `metadata` is as stored (who, why, the request and the token's id); `recorded_at` is the time as
    hashed; `schema_version` is the stored one, and `data` is given only where upcasting changed the
    stored payload (otherwise it is the event's `data`).
    """

    metadata: dict[str, Any]
    recorded_at: str
    schema_version: int
    data: dict[str, Any] | None = None


class LogEventView(EventView, frozen=True):
    """An event of the global log, with what its hash covers."""

    hashed: HashedFields | None = None


class EventPage(msgspec.Struct, frozen=True):
    """A page of the global log; pass `next_after` as `after` for the next page."""

    items: list[LogEventView]
    limit: int
    after: int
    next_after: int | None


class DiffEvent(msgspec.Struct, frozen=True):
    """One event behind a change in a diff: where it is in the log, who made it and why."""

    position: int
    event_type: str
    version: int
    recorded_at: datetime
    actor: str | None
    reason_code: str | None
    justification: str | None


class FactChange(msgspec.Struct, frozen=True):
    """The net change of one fact over a window: its versions before and after, the fields that differ
    (old → new), and the events that made the change.

    ``change`` is ``added``, ``added_retracted`` (added and retracted within the window), ``retracted``,
    ``changed`` or ``unchanged`` (edits that cancelled out).
    """

    fact_id: str
    change: str
    version_before: int | None
    version_after: int
    changes: list[FieldChange]
    events: list[DiffEvent]


class CitationChange(msgspec.Struct, frozen=True):
    """A citation whose state against its source differs at the end of a window from at its start
    (``old_state`` is None for a citation the window added)."""

    fact_id: str
    line_start: int
    line_end: int
    quote: str
    old_state: str | None
    new_state: str
    current_line_start: int | None
    current_line_end: int | None


class SourceChange(msgspec.Struct, frozen=True):
    """The net change of one source over a window: record and text fields old → new, and the citations
    into it that a new text drifted or orphaned."""

    source_id: str
    version_before: int | None
    version_after: int
    changes: list[FieldChange]
    citations: list[CitationChange]
    events: list[DiffEvent]


class EntityChange(msgspec.Struct, frozen=True):
    """The net change of one entity over a window."""

    entity_id: str
    version_before: int | None
    version_after: int
    changes: list[FieldChange]
    events: list[DiffEvent]


class Diff(msgspec.Struct, frozen=True):
    """What changed in belief between two record times, (from, to], net of the edits in between: one
    entry per fact (paged, in the order each was first touched), and every source and entity changed.
    ``counts`` and ``total`` count the facts by their net change."""

    from_: datetime = msgspec.field(name="from")
    to: datetime = msgspec.field(name="to")
    counts: dict[str, int] = msgspec.field(default_factory=dict)
    facts: list[FactChange] = msgspec.field(default_factory=list)
    sources: list[SourceChange] = msgspec.field(default_factory=list)
    entities: list[EntityChange] = msgspec.field(default_factory=list)
    total: int = 0
    limit: int = 0
    offset: int = 0


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


class CitationPage(Page[CitationStateView], frozen=True):
    """A page of citations."""

    items: list[CitationStateView]


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


def source_date_value(text: str) -> DateValue:
    """A source's own date (one it cannot read is shown with precision unknown)."""
    date = date_value(text)
    return date if date is not None else DateValue(text, "unknown")


def source_view(
    source_id: str,
    title: str,
    origin: str,
    source_date: str,
    content_sha256: str,
    line_count: int,
    version: int,
) -> SourceView:
    """A source's record as the API shows it."""
    return SourceView(
        id=source_id,
        title=title,
        origin=origin,
        source_date=source_date_value(source_date),
        content_sha256=content_sha256,
        line_count=line_count,
        version=version,
    )


class FindingFact(msgspec.Struct, frozen=True):
    """A fact a finding is about, as it stands now, with the version a fix must name."""

    id: str
    subject: EntityRef
    predicate: str
    object: EntityRef | None
    value: str | None
    valid_from: DateValue | None
    valid_to: DateValue | None
    point_in_time: DateValue | None
    modality: str
    rank: str
    status: str
    version: int


class FindingAction(msgspec.Struct, frozen=True):
    """One way to resolve a finding: `rank`, `link`, `correct`, `retract`, `dismiss` (or, for an entity,
    `merge` / `revise`), and the request that does it (`method` and `href`)."""

    action: str
    method: str
    href: str
    fact_id: str | None = None
    entity_id: str | None = None


class DismissalView(msgspec.Struct, frozen=True):
    """Why an archivist dismissed a finding, and when."""

    reason_code: str
    justification: str
    recorded_at: datetime


class FindingView(msgspec.Struct, frozen=True):
    """Something an archivist should look at: its kind, what it is about, and how to resolve it.

    `version` is the finding's stream version (0 until dismissed), what a dismissal names as its
    `expected_version`. `due_on` is a plan's last possible day (kind `plan_passed`).
    """

    id: str
    kind: str
    summary: str
    facts: list[FindingFact]
    entities: list[EntityRef]
    sources: list[str]
    version: int
    resolve: list[FindingAction]
    due_on: str | None = None
    dismissed: DismissalView | None = None


class FindingPage(Page[FindingView], frozen=True):
    """A page of findings; `counts` gives the number of findings standing by kind (same filters)."""

    items: list[FindingView]
    counts: dict[str, int] = msgspec.field(default_factory=dict)


class RecordedFactView(FactView, frozen=True):
    """The answer of POST /facts: the fact, and the findings that now stand about it (a write that makes
    one still succeeds; the finding says what an archivist should look at)."""

    findings: list[FindingView] = []


class NameMatch(msgspec.Struct, frozen=True):
    """Words of a source that a proposal read as an entity's label or alias."""

    words: str
    entity_id: str


class ProposalStep(msgspec.Struct, frozen=True):
    """One event of a proposal's stream: its making, then its decision, and who made each."""

    position: int
    event_type: str
    version: int
    recorded_at: datetime
    actor: str | None


class ProposalView(msgspec.Struct, frozen=True):
    """A fact the archive proposed from a source version, and what an archivist decided.

    `status` is `pending`, `accepted`, `rejected`, or `already_recorded` for a pending proposal whose fact
    (`fact_id`) the archive holds already. `version` is the proposal's stream version, what a decision
    names as its `expected_version`. `unmatched` are names no entity matched: the content holds the
    text's words there until an archivist edits them. `steps` is its audit trail.
    """

    id: str
    source_id: str
    source_version: int
    content_sha256: str
    rule: str
    content: FactContent
    fact_id: str | None
    line_start: int
    line_end: int
    quote: str
    matched: list[NameMatch]
    unmatched: list[str]
    status: str
    version: int
    made_at: datetime
    steps: list[ProposalStep]
    decided_at: datetime | None = None
    decided_by: str | None = None
    accepted_fact_id: str | None = None
    edited: FactContent | None = None
    reason: str | None = None


class ProposalPage(Page[ProposalView], frozen=True):
    """A page of proposals; `counts` gives how many there are of each status (the same filters but status)."""

    items: list[ProposalView]
    counts: dict[str, int] = msgspec.field(default_factory=dict)


class AcceptedProposalView(msgspec.Struct, frozen=True):
    """The answer of an acceptance: the proposal as decided, and the fact recorded from it."""

    proposal: ProposalView
    fact: FactView
