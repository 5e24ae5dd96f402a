"""The domain events: what happened, as stored in the event log.

Each event is a frozen msgspec Struct with a stable ``event_type`` tag (never a Python import path),
the id of its stream's subject, and ``recorded_at`` (UTC) taken from the command. The event store
boundary uses ``event_type_of``, ``encode_event`` and ``decode_event`` only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, Literal, TypeAlias

import msgspec
from msgspec import UNSET, UnsetType

Modality = Literal["asserted", "planned"]
Rank = Literal["preferred", "normal", "deprecated"]
FactStatus = Literal["active", "retracted"]
ReasonCode = Literal[
    "transcription_error",
    "misattribution",
    "better_source",
    "precision_refinement",
    "valid_time_shift",
    "other",
]
LinkRelation = Literal["fulfils", "contradicts", "supersedes"]
#: Why a payload may be redacted: never to correct a fact (a correction is an event of its own).
RedactionReasonCode = Literal["privacy", "legal_order"]
CitationState = Literal["verified", "drifted", "orphaned"]
#: Why an archivist dismisses a finding (archive/domain/findings.py): the rule does not fit this case, the
#: plan did not happen (the note the plan rule asks for), or another reason the justification gives.
DismissalReason = Literal["not_a_problem", "did_not_happen", "other"]


class Citation(msgspec.Struct, frozen=True):
    """Where a fact comes from: a span of lines in one version of a source, and the exact quote."""

    source_id: str
    content_sha256: str
    line_start: int
    line_end: int
    quote: str


def citation_id(citation: Citation) -> str:
    """A deterministic id for a citation: sha256 of source, lines and quote.

    The content hash is left out on purpose: the same quote at the same lines of a new version of
    the source is the same citation, so re-seeding after a revision adds nothing.
    """
    key = "\x1f".join((citation.source_id, str(citation.line_start), str(citation.line_end), citation.quote))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class CitationRecheck(msgspec.Struct, frozen=True):
    """The outcome for one citation when its source gets a new version.

    Lines are the new ones for ``drifted``, the unchanged ones for ``verified``, ``None`` for
    ``orphaned``.
    """

    fact_id: str
    citation_id: str
    state: CitationState
    line_start: int | None
    line_end: int | None


class Qualifiers(msgspec.Struct, frozen=True):
    """Optional refinements of a fact: entity ids for role, place and organization; a free note."""

    role: str | None = None
    place: str | None = None
    organization: str | None = None
    note: str | None = None


class FactChanges(msgspec.Struct, frozen=True):
    """The new values a correction sets. ``UNSET`` leaves a field alone; ``None`` clears it."""

    object: str | UnsetType | None = UNSET
    value: str | UnsetType | None = UNSET
    qualifiers: Qualifiers | UnsetType = UNSET
    valid_from: str | UnsetType | None = UNSET
    valid_to: str | UnsetType | None = UNSET
    point_in_time: str | UnsetType | None = UNSET


CHANGEABLE_FIELDS: tuple[str, ...] = FactChanges.__struct_fields__


class FactContent(msgspec.Struct, frozen=True):
    """What a fact states; its natural key (all but the note) gives the fact id (`archive.domain.facts`,
    which decides on it; it is here because a proposal's events carry one too)."""

    subject: str
    predicate: str
    object: str | None = None
    value: str | None = None
    qualifiers: Qualifiers = msgspec.field(default_factory=Qualifiers)
    valid_from: str | None = None
    valid_to: str | None = None
    point_in_time: str | None = None
    modality: Modality = "asserted"


def changed_fields(changes: FactChanges) -> tuple[str, ...]:
    """The names of the fields a ``FactChanges`` sets, in declaration order."""
    return tuple(name for name in CHANGEABLE_FIELDS if getattr(changes, name) is not UNSET)


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="event_type"):
    """Base of every domain event; the subclass's ``tag`` is its stable ``event_type``."""

    recorded_at: dt.datetime


class SourceRegistered(Event, frozen=True, tag="source.registered"):
    """A source document entered the archive (its first version)."""

    source_id: str
    title: str
    origin: str
    source_date: str
    content_sha256: str
    text: str
    line_count: int
    version: int = 1


class SourceRevised(Event, frozen=True, tag="source.revised"):
    """A new version of a source's text, with the re-check of every citation into it."""

    source_id: str
    content_sha256: str
    text: str
    line_count: int
    version: int
    rechecks: tuple[CitationRecheck, ...] = ()


class SourceDescribed(Event, frozen=True, tag="source.described"):
    """A source's record changed: its title, origin or date (its text did not, or changed beside it)."""

    source_id: str
    title: str
    origin: str
    source_date: str
    version: int


class EntityRegistered(Event, frozen=True, tag="entity.registered"):
    """An entity entered the registry."""

    entity_id: str
    kind: str
    label: str
    aliases: tuple[str, ...] = ()


class EntityRevised(Event, frozen=True, tag="entity.revised"):
    """An entity's kind, label or aliases changed (the new values), with the reason when an archivist
    revised it (a seed file's new values carry none: the file is the reason)."""

    entity_id: str
    kind: str
    label: str
    aliases: tuple[str, ...] = ()
    reason_code: ReasonCode | None = None
    justification: str | None = None


class EntityMerged(Event, frozen=True, tag="entity.merged_into"):
    """The entity is the same as ``into``: from now on its id redirects there, its own history kept."""

    entity_id: str
    into: str
    justification: str


class EntityMergedFrom(Event, frozen=True, tag="entity.merged_from"):
    """The other side of a merge, on the target's stream: ``merged`` now redirects to this entity."""

    entity_id: str
    merged: str
    justification: str


class FactRecorded(Event, frozen=True, tag="fact.recorded"):
    """An assertion entered the archive with its first citations."""

    fact_id: str
    subject: str
    predicate: str
    object: str | None
    value: str | None
    qualifiers: Qualifiers
    valid_from: str | None
    valid_to: str | None
    point_in_time: str | None
    modality: Modality
    rank: Rank
    citations: tuple[Citation, ...]


class FactCited(Event, frozen=True, tag="fact.cited"):
    """One more citation supports an existing fact."""

    fact_id: str
    citation: Citation


class FactCorrected(Event, frozen=True, tag="fact.corrected"):
    """New values for some fields of a fact, with the reason and the evidence."""

    fact_id: str
    changes: FactChanges
    reason_code: ReasonCode
    justification: str
    citations: tuple[Citation, ...]


class FactRetracted(Event, frozen=True, tag="fact.retracted"):
    """The archive no longer asserts the fact, with the reason and the evidence."""

    fact_id: str
    reason_code: ReasonCode
    justification: str
    citations: tuple[Citation, ...]


class FactReranked(Event, frozen=True, tag="fact.reranked"):
    """The fact's rank changed (preferred, normal, deprecated)."""

    fact_id: str
    rank: Rank
    reason_code: ReasonCode
    justification: str


class FactLinked(Event, frozen=True, tag="fact.linked"):
    """The fact fulfils, contradicts or supersedes another fact."""

    fact_id: str
    relation: LinkRelation
    target_fact_id: str


class FindingDismissed(Event, frozen=True, tag="finding.dismissed"):
    """An archivist looked at a finding and dismissed it, with the reason (archive/domain/findings.py)."""

    finding_id: str
    kind: str
    reason_code: DismissalReason
    justification: str


class ProposalMade(Event, frozen=True, tag="proposal.made"):
    """The archive read a source version's text and proposes a fact from it, by a named rule, with the
    quote and lines it came from, the entities it matched and the names it could not match
    (archive/domain/proposal_reviews.py). `fact_id` is the fact the content would be (None when its dates
    cannot make one)."""

    proposal_id: str
    source_id: str
    source_version: int
    content_sha256: str
    rule: str
    content: FactContent
    fact_id: str | None
    line_start: int
    line_end: int
    quote: str
    matched: tuple[tuple[str, str], ...] = ()
    unmatched: tuple[str, ...] = ()


class ProposalAccepted(Event, frozen=True, tag="proposal.accepted"):
    """An archivist accepted a proposal: the fact recorded from it in the same transaction, and the content
    as accepted when the archivist edited it (None: as proposed)."""

    proposal_id: str
    fact_id: str
    edited: FactContent | None
    decided_by: str


class ProposalRejected(Event, frozen=True, tag="proposal.rejected"):
    """An archivist rejected a proposal, with the reason."""

    proposal_id: str
    reason: str
    decided_by: str


class EventRedacted(Event, frozen=True, tag="log.redacted"):
    """The payload of the event at ``position`` was replaced by its sha256 (``content_sha256``), for
    privacy or a legal order; the event keeps its place and its hash in the chain."""

    position: int
    stream_id: str
    redacted_event_type: str
    content_sha256: str
    reason_code: RedactionReasonCode
    justification: str


DomainEvent: TypeAlias = (
    SourceRegistered
    | SourceRevised
    | SourceDescribed
    | EntityRegistered
    | EntityRevised
    | EntityMerged
    | EntityMergedFrom
    | FactRecorded
    | FactCited
    | FactCorrected
    | FactRetracted
    | FactReranked
    | FactLinked
    | EventRedacted
    | FindingDismissed
    | ProposalMade
    | ProposalAccepted
    | ProposalRejected
)

# A literal mapping rather than discovery, so that the routing is visible and greppable.
EVENT_TYPES: dict[str, type[Event]] = {
    "source.registered": SourceRegistered,
    "source.revised": SourceRevised,
    "source.described": SourceDescribed,
    "entity.registered": EntityRegistered,
    "entity.revised": EntityRevised,
    "entity.merged_into": EntityMerged,
    "entity.merged_from": EntityMergedFrom,
    "fact.recorded": FactRecorded,
    "fact.cited": FactCited,
    "fact.corrected": FactCorrected,
    "fact.retracted": FactRetracted,
    "fact.reranked": FactReranked,
    "fact.linked": FactLinked,
    "log.redacted": EventRedacted,
    "finding.dismissed": FindingDismissed,
    "proposal.made": ProposalMade,
    "proposal.accepted": ProposalAccepted,
    "proposal.rejected": ProposalRejected,
}

SCHEMA_VERSIONS: dict[str, int] = dict.fromkeys(EVENT_TYPES, 1)

TAG_FIELD = "event_type"


def event_type_of(event: Event) -> str:
    """The stable ``event_type`` string of an event."""
    tag = type(event).__struct_config__.tag
    if not isinstance(tag, str):
        raise TypeError(f"{type(event).__name__} is not a concrete event type")
    return tag


def encode_event(event: Event) -> dict[str, Any]:
    """The event's payload as JSON-ready builtins, without the ``event_type`` key (stored beside it)."""
    data = msgspec.to_builtins(event)
    if not isinstance(data, dict):
        raise TypeError(f"{type(event).__name__} did not encode to a mapping")
    data.pop(TAG_FIELD, None)
    return data


def decode_event(event_type: str, data: dict[str, Any]) -> Event:
    """Rebuild an event from its ``event_type`` and payload (as produced by ``encode_event``)."""
    try:
        event_class = EVENT_TYPES[event_type]
    except KeyError:
        known = ", ".join(EVENT_TYPES)
        raise ValueError(f"unknown event type {event_type!r}; known types: {known}") from None
    return msgspec.convert({**data, TAG_FIELD: event_type}, event_class)
