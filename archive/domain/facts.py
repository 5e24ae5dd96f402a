"""Decide and evolve an assertion: record, cite, correct, retract, rerank and link a fact.

A fact's stream id is derived from its content (``fact_id_for``), so recording the same content twice,
from the same or another document, lands on the same stream: the second time only adds citations.
Corrections never edit: they are new events carrying the reason and the evidence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TypeAlias, get_args

import msgspec

from archive.domain.errors import (
    AlreadyRetracted,
    DomainError,
    FactNotFound,
    InvalidCommand,
)
from archive.domain.events import (
    CHANGEABLE_FIELDS,
    Citation,
    Event,
    FactChanges,
    FactCited,
    FactCorrected,
    FactLinked,
    FactRecorded,
    FactReranked,
    FactRetracted,
    FactStatus,
    LinkRelation,
    Modality,
    Qualifiers,
    Rank,
    ReasonCode,
    changed_fields,
    citation_id,
)

# Defined beside the events that carry it (a proposal's too); a fact's content is this module's to decide on.
from archive.domain.events import FactContent as FactContent
from archive.domain.fact_checks import (
    checked_citations,
    checked_content,
    require_choice,
    require_justification,
    without_repeats,
)
from archive.domain.ids import derived_id
from archive.domain.sources import SourceSnapshot
from archive.domain.time import as_utc, make_valid_time
from archive.domain.versions import require_expected_version
from archive.domain.vocabulary import Vocabulary

RANKS: tuple[str, ...] = get_args(Rank)
REASON_CODES: tuple[str, ...] = get_args(ReasonCode)
LINK_RELATIONS: tuple[str, ...] = get_args(LinkRelation)


class FactContext(msgspec.Struct, frozen=True):
    """What a fact command is checked against, supplied by the service.

    ``entities`` maps entity id to kind for the ids the command references (for a correction, the
    ids its changes introduce); an id missing here is unknown. ``merged_into`` maps those of them that
    were merged to the entity each redirects to: a new reference to one is refused, naming its target.
    ``sources`` holds the current version of each cited source.
    """

    vocabulary: Vocabulary
    entities: dict[str, str] = msgspec.field(default_factory=dict)
    merged_into: dict[str, str] = msgspec.field(default_factory=dict)
    sources: dict[str, SourceSnapshot] = msgspec.field(default_factory=dict)


def fact_id_for(content: FactContent) -> str:
    """The fact id: uuid5 of the natural key, with valid time in canonical form.

    The note is left out, so rewording a note does not make a new fact. Raises ``InvalidDate`` /
    ``InvalidCommand`` for a valid time that cannot be read.
    """
    valid_time = make_valid_time(content.valid_from, content.valid_to, content.point_in_time)
    qualifiers = content.qualifiers
    key = msgspec.json.encode(
        [
            content.subject,
            content.predicate,
            content.object,
            content.value,
            qualifiers.role,
            qualifiers.place,
            qualifiers.organization,
            *valid_time.canonical(),
            content.modality,
        ]
    )
    return derived_id("fact", key.decode("utf-8"))


class FactLink(msgspec.Struct, frozen=True):
    """A relation from this fact to another one."""

    relation: LinkRelation
    target_fact_id: str


class FactState(msgspec.Struct, frozen=True):
    """A fact stream folded from its events; ``version`` counts the events applied.

    ``citations`` are the supporting citations: those recorded, added, and given as evidence for a
    correction. A retraction's evidence stays on its event.
    """

    exists: bool = False
    fact_id: str = ""
    version: int = 0
    subject: str = ""
    predicate: str = ""
    object: str | None = None
    value: str | None = None
    qualifiers: Qualifiers = msgspec.field(default_factory=Qualifiers)
    valid_from: str | None = None
    valid_to: str | None = None
    point_in_time: str | None = None
    modality: Modality = "asserted"
    rank: Rank = "normal"
    status: FactStatus = "active"
    citations: tuple[Citation, ...] = ()
    links: tuple[FactLink, ...] = ()

    @property
    def content(self) -> FactContent:
        """What the fact currently states."""
        return FactContent(
            subject=self.subject,
            predicate=self.predicate,
            object=self.object,
            value=self.value,
            qualifiers=self.qualifiers,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            point_in_time=self.point_in_time,
            modality=self.modality,
        )


def initial_fact_state() -> FactState:
    """The state of a fact stream with no events."""
    return FactState()


class RecordFact(msgspec.Struct, frozen=True):
    """Record a fact with its citations; on an existing fact, add the citations it lacks.

    Adding citations to an existing fact needs ``expected_version`` (0 asks for a new fact).
    """

    content: FactContent
    rank: Rank
    citations: tuple[Citation, ...]
    context: FactContext
    recorded_at: dt.datetime
    expected_version: int | None = None


class CorrectFact(msgspec.Struct, frozen=True):
    """Set new values on a fact, with a reason, a justification and supporting citations."""

    fact_id: str
    expected_version: int
    changes: FactChanges
    reason_code: ReasonCode
    justification: str
    citations: tuple[Citation, ...]
    context: FactContext
    recorded_at: dt.datetime


class RetractFact(msgspec.Struct, frozen=True):
    """Stop asserting a fact, with a reason, a justification and citations showing why."""

    fact_id: str
    expected_version: int
    reason_code: ReasonCode
    justification: str
    citations: tuple[Citation, ...]
    context: FactContext
    recorded_at: dt.datetime


class RerankFact(msgspec.Struct, frozen=True):
    """Change a fact's rank, with a reason and a justification."""

    fact_id: str
    expected_version: int
    rank: Rank
    reason_code: ReasonCode
    justification: str
    recorded_at: dt.datetime


class LinkFact(msgspec.Struct, frozen=True):
    """Relate a fact to another one: it fulfils, contradicts or supersedes it.

    ``target_exists`` and ``target_supersedes`` (every fact the target supersedes, directly or down a
    chain) are supplied by the service: a link needs a target, and a supersedes link may not close a
    cycle, where each fact would replace the other.
    """

    fact_id: str
    relation: LinkRelation
    target_fact_id: str
    recorded_at: dt.datetime
    expected_version: int | None = None
    target_exists: bool = True
    target_supersedes: frozenset[str] = frozenset()


FactCommand: TypeAlias = RecordFact | CorrectFact | RetractFact | RerankFact | LinkFact


def decide_fact(cmd: FactCommand, state: FactState) -> list[Event]:
    """Decide the events a fact command produces, or raise the ``DomainError`` that refuses it."""
    if isinstance(cmd, RecordFact):
        return _record(cmd, state)
    if isinstance(cmd, CorrectFact):
        return _correct(cmd, state)
    if isinstance(cmd, RetractFact):
        return _retract(cmd, state)
    if isinstance(cmd, RerankFact):
        return _rerank(cmd, state)
    return _link(cmd, state)


def _record(cmd: RecordFact, state: FactState) -> list[Event]:
    content = checked_content(cmd.content, cmd.context, previous=None)
    require_choice(cmd.rank, RANKS, "rank")
    citations = checked_citations(cmd.citations, cmd.context, "a fact")
    recorded_at = as_utc(cmd.recorded_at)
    fact_id = fact_id_for(content)
    if not state.exists:
        require_expected_version(f"fact {fact_id}", state.version, cmd.expected_version, None)
        return [
            FactRecorded(
                fact_id=fact_id,
                subject=content.subject,
                predicate=content.predicate,
                object=content.object,
                value=content.value,
                qualifiers=content.qualifiers,
                valid_from=content.valid_from,
                valid_to=content.valid_to,
                point_in_time=content.point_in_time,
                modality=content.modality,
                rank=cmd.rank,
                citations=citations,
                recorded_at=recorded_at,
            )
        ]
    if state.fact_id != fact_id:
        raise InvalidCommand(
            f"the content derives fact id {fact_id}, but the stream holds fact {state.fact_id}"
        )
    present = {citation_id(citation) for citation in state.citations}
    cited: list[Event] = [
        FactCited(fact_id=fact_id, citation=citation, recorded_at=recorded_at)
        for citation in citations
        if citation_id(citation) not in present
    ]
    require_expected_version(
        f"fact {fact_id}", state.version, cmd.expected_version, "add citations to it" if cited else None
    )
    return cited


def _correct(cmd: CorrectFact, state: FactState) -> list[Event]:
    _require_active_at_version(state, cmd.fact_id, cmd.expected_version, "corrected")
    require_choice(cmd.reason_code, REASON_CODES, "reason_code")
    require_justification(cmd.justification)
    current = state.content
    proposed = msgspec.structs.replace(
        current, **{name: getattr(cmd.changes, name) for name in changed_fields(cmd.changes)}
    )
    try:
        corrected = checked_content(proposed, cmd.context, previous=current)
    except DomainError as error:
        raise error.within("changes") from None
    actual = {
        name: getattr(corrected, name)
        for name in CHANGEABLE_FIELDS
        if getattr(corrected, name) != getattr(current, name)
    }
    if not actual:
        raise InvalidCommand(
            f"the correction changes nothing: fact {cmd.fact_id} already has those values", field="changes"
        )
    citations = checked_citations(cmd.citations, cmd.context, "a correction")
    return [
        FactCorrected(
            fact_id=cmd.fact_id,
            changes=FactChanges(**actual),
            reason_code=cmd.reason_code,
            justification=cmd.justification,
            citations=citations,
            recorded_at=as_utc(cmd.recorded_at),
        )
    ]


def _retract(cmd: RetractFact, state: FactState) -> list[Event]:
    _require_active_at_version(state, cmd.fact_id, cmd.expected_version, "retracted again")
    require_choice(cmd.reason_code, REASON_CODES, "reason_code")
    require_justification(cmd.justification)
    citations = checked_citations(cmd.citations, cmd.context, "a retraction")
    return [
        FactRetracted(
            fact_id=cmd.fact_id,
            reason_code=cmd.reason_code,
            justification=cmd.justification,
            citations=citations,
            recorded_at=as_utc(cmd.recorded_at),
        )
    ]


def _rerank(cmd: RerankFact, state: FactState) -> list[Event]:
    _require_active_at_version(state, cmd.fact_id, cmd.expected_version, "reranked")
    require_choice(cmd.rank, RANKS, "rank")
    require_choice(cmd.reason_code, REASON_CODES, "reason_code")
    require_justification(cmd.justification)
    if cmd.rank == state.rank:
        raise InvalidCommand(f"fact {cmd.fact_id} already has rank {cmd.rank!r}", field="rank")
    return [
        FactReranked(
            fact_id=cmd.fact_id,
            rank=cmd.rank,
            reason_code=cmd.reason_code,
            justification=cmd.justification,
            recorded_at=as_utc(cmd.recorded_at),
        )
    ]


def _link(cmd: LinkFact, state: FactState) -> list[Event]:
    _require_existing(state, cmd.fact_id)
    require_choice(cmd.relation, LINK_RELATIONS, "relation")
    if not cmd.target_fact_id.strip():
        raise InvalidCommand("a link needs a target_fact_id", field="target_fact_id")
    if cmd.target_fact_id == cmd.fact_id:
        raise InvalidCommand(f"fact {cmd.fact_id} cannot be linked to itself", field="target_fact_id")
    if not cmd.target_exists:
        raise FactNotFound(f"the target fact {cmd.target_fact_id} does not exist", field="target_fact_id")
    if cmd.relation == "supersedes" and cmd.fact_id in cmd.target_supersedes:
        raise InvalidCommand(
            f"fact {cmd.target_fact_id} already supersedes fact {cmd.fact_id} (directly or down a chain): "
            f"{cmd.fact_id} superseding it too would make a cycle in which each replaces the other",
            field="target_fact_id",
        )
    new = FactLink(cmd.relation, cmd.target_fact_id) not in state.links
    require_expected_version(
        f"fact {cmd.fact_id}", state.version, cmd.expected_version, "link it" if new else None
    )
    if not new:
        return []
    return [
        FactLinked(
            fact_id=cmd.fact_id,
            relation=cmd.relation,
            target_fact_id=cmd.target_fact_id,
            recorded_at=as_utc(cmd.recorded_at),
        )
    ]


def _require_existing(state: FactState, fact_id: str) -> None:
    if not state.exists:
        raise FactNotFound(f"fact {fact_id} does not exist")


def _require_active_at_version(state: FactState, fact_id: str, expected_version: int, verb: str) -> None:
    """Existence, then the optimistic version check, then the status: the order the client fixes them."""
    _require_existing(state, fact_id)
    require_expected_version(f"fact {fact_id}", state.version, expected_version, verb)
    if state.status == "retracted":
        raise AlreadyRetracted(f"fact {fact_id} is retracted and cannot be {verb}")


def _with_citations(state: FactState, citations: Iterable[Citation]) -> tuple[Citation, ...]:
    return without_repeats((*state.citations, *citations))


def evolve_fact(state: FactState, event: Event) -> FactState:
    """Apply a fact event; events of other streams leave the state as it is."""
    version = state.version + 1
    if isinstance(event, FactRecorded):
        return FactState(
            exists=True,
            fact_id=event.fact_id,
            version=version,
            subject=event.subject,
            predicate=event.predicate,
            object=event.object,
            value=event.value,
            qualifiers=event.qualifiers,
            valid_from=event.valid_from,
            valid_to=event.valid_to,
            point_in_time=event.point_in_time,
            modality=event.modality,
            rank=event.rank,
            citations=without_repeats(event.citations),
        )
    if isinstance(event, FactCited):
        return msgspec.structs.replace(
            state, version=version, citations=_with_citations(state, (event.citation,))
        )
    if isinstance(event, FactCorrected):
        changes = {name: getattr(event.changes, name) for name in changed_fields(event.changes)}
        return msgspec.structs.replace(
            state, version=version, citations=_with_citations(state, event.citations), **changes
        )
    if isinstance(event, FactRetracted):
        return msgspec.structs.replace(state, version=version, status="retracted")
    if isinstance(event, FactReranked):
        return msgspec.structs.replace(state, version=version, rank=event.rank)
    if isinstance(event, FactLinked):
        link = FactLink(event.relation, event.target_fact_id)
        links = state.links if link in state.links else (*state.links, link)
        return msgspec.structs.replace(state, version=version, links=links)
    return state
