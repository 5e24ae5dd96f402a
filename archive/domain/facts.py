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
    EvidenceRequired,
    FactNotFound,
    InvalidCommand,
    SourceHashMismatch,
    UnknownEntity,
    UnknownSource,
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
from archive.domain.ids import derived_id
from archive.domain.sources import SourceSnapshot, verify_quote
from archive.domain.time import as_utc, make_valid_time
from archive.domain.versions import require_expected_version
from archive.domain.vocabulary import Predicate, Vocabulary

MODALITIES: tuple[str, ...] = get_args(Modality)
RANKS: tuple[str, ...] = get_args(Rank)
REASON_CODES: tuple[str, ...] = get_args(ReasonCode)
LINK_RELATIONS: tuple[str, ...] = get_args(LinkRelation)

QUALIFIER_ENTITY_FIELDS: tuple[str, ...] = ("role", "place", "organization")


class FactContext(msgspec.Struct, frozen=True):
    """What a fact command is checked against, supplied by the service.

    ``entities`` maps entity id to kind for the ids the command references (for a correction, the
    ids its changes introduce); an id missing here is unknown. ``sources`` holds the current version
    of each cited source.
    """

    vocabulary: Vocabulary
    entities: dict[str, str] = msgspec.field(default_factory=dict)
    sources: dict[str, SourceSnapshot] = msgspec.field(default_factory=dict)


class FactContent(msgspec.Struct, frozen=True):
    """What a fact states; its natural key (all but the note) gives the fact id."""

    subject: str
    predicate: str
    object: str | None = None
    value: str | None = None
    qualifiers: Qualifiers = msgspec.field(default_factory=Qualifiers)
    valid_from: str | None = None
    valid_to: str | None = None
    point_in_time: str | None = None
    modality: Modality = "asserted"


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
    content = _checked_content(cmd.content, cmd.context, previous=None)
    _require_choice(cmd.rank, RANKS, "rank")
    citations = _checked_citations(cmd.citations, cmd.context, "a fact")
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
    _require_choice(cmd.reason_code, REASON_CODES, "reason_code")
    _require_justification(cmd.justification)
    current = state.content
    proposed = msgspec.structs.replace(
        current, **{name: getattr(cmd.changes, name) for name in changed_fields(cmd.changes)}
    )
    try:
        corrected = _checked_content(proposed, cmd.context, previous=current)
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
    citations = _checked_citations(cmd.citations, cmd.context, "a correction")
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
    _require_choice(cmd.reason_code, REASON_CODES, "reason_code")
    _require_justification(cmd.justification)
    citations = _checked_citations(cmd.citations, cmd.context, "a retraction")
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
    _require_choice(cmd.rank, RANKS, "rank")
    _require_choice(cmd.reason_code, REASON_CODES, "reason_code")
    _require_justification(cmd.justification)
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
    _require_choice(cmd.relation, LINK_RELATIONS, "relation")
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


def _require_choice(value: str, allowed: tuple[str, ...], field: str) -> None:
    # Commands built in Python bypass msgspec's Literal checks, so the decider checks again.
    if value not in allowed:
        raise InvalidCommand(
            f"{field} {value!r} is not one of {', '.join(allowed)}", field=field, choices=allowed
        )


def _require_justification(justification: str) -> None:
    if not justification.strip():
        raise InvalidCommand(
            "a justification is required: say why the archive should change its view", field="justification"
        )


def _checked_content(content: FactContent, context: FactContext, previous: FactContent | None) -> FactContent:
    """The content with canonical valid-time texts, once every rule of the vocabulary holds.

    With ``previous`` (a correction), only entity ids that differ from it are looked up, since the
    service supplies kinds only for the ids a correction introduces.
    """
    predicate = context.vocabulary.get(content.predicate)
    _require_choice(content.modality, MODALITIES, "modality")
    _check_object_shape(predicate, content)
    references: list[tuple[str, str | None, str | None, tuple[str, ...]]] = [
        ("subject", content.subject, previous.subject if previous else None, predicate.subject_kinds),
        ("object", content.object, previous.object if previous else None, predicate.object_kinds),
    ]
    for name in QUALIFIER_ENTITY_FIELDS:
        references.append(
            (
                f"qualifier {name}",
                getattr(content.qualifiers, name),
                getattr(previous.qualifiers, name) if previous else None,
                (),
            )
        )
    for role, entity_id, previous_id, kinds in references:
        if entity_id is not None and entity_id != previous_id:
            _check_entity(predicate, role, entity_id, kinds, context)
    valid_from, valid_to, point_in_time = make_valid_time(
        content.valid_from, content.valid_to, content.point_in_time
    ).canonical()
    return msgspec.structs.replace(
        content, valid_from=valid_from, valid_to=valid_to, point_in_time=point_in_time
    )


def _check_object_shape(predicate: Predicate, content: FactContent) -> None:
    name = predicate.name
    if predicate.object == "entity":
        if content.object is None:
            raise InvalidCommand(f"predicate {name!r} needs an entity object", field="object")
        if content.value is not None:
            raise InvalidCommand(
                f"predicate {name!r} takes an entity object, not a literal value", field="value"
            )
    elif predicate.object == "literal":
        if content.value is None or not content.value.strip():
            raise InvalidCommand(f"predicate {name!r} needs a literal value", field="value")
        if content.object is not None:
            raise InvalidCommand(
                f"predicate {name!r} takes a literal value, not an entity object", field="object"
            )
    elif content.object is not None or content.value is not None:
        raise InvalidCommand(
            f"predicate {name!r} takes neither an object nor a value",
            field="object" if content.object is not None else "value",
        )


def _check_entity(
    predicate: Predicate, role: str, entity_id: str, kinds: tuple[str, ...], context: FactContext
) -> None:
    field = role.replace("qualifier ", "qualifiers.")
    kind = context.entities.get(entity_id)
    if kind is None:
        raise UnknownEntity(f"the {role} {entity_id!r} is not a registered entity", field=field)
    if kinds and kind not in kinds:
        raise InvalidCommand(
            f"predicate {predicate.name!r} accepts as {role} only entities of kind {' or '.join(kinds)}; "
            f"{entity_id!r} is of kind {kind}",
            field=field,
            choices=kinds,
        )


def _checked_citations(
    citations: Iterable[Citation], context: FactContext, what: str
) -> tuple[Citation, ...]:
    """The citations without repeats, each checked against the current version of its source."""
    unique = _without_repeats(citations)
    if not unique:
        raise EvidenceRequired(
            f"{what} needs at least one citation: a source line and its exact quote", field="citations"
        )
    for index, citation in enumerate(citations):
        try:
            _check_citation(citation, context.sources)
        except DomainError as error:
            raise error.within(f"citations[{index}]") from None
    return unique


def _check_citation(citation: Citation, sources: dict[str, SourceSnapshot]) -> None:
    source = sources.get(citation.source_id)
    if source is None:
        raise UnknownSource(
            f"the citation names source {citation.source_id!r}, which is not registered", field="source_id"
        )
    if citation.content_sha256 != source.content_sha256:
        raise SourceHashMismatch(
            f"the citation of lines {citation.line_start}-{citation.line_end} cites source "
            f"{citation.source_id!r} with content_sha256 {citation.content_sha256}, an old or unknown "
            f"version; the current version {source.version} has {source.content_sha256}: "
            "check the quote against the current text and cite that",
            field="content_sha256",
        )
    verify_quote(citation.source_id, source.lines, citation.line_start, citation.line_end, citation.quote)


def _without_repeats(citations: Iterable[Citation]) -> tuple[Citation, ...]:
    seen: set[str] = set()
    unique: list[Citation] = []
    for citation in citations:
        cid = citation_id(citation)
        if cid not in seen:
            seen.add(cid)
            unique.append(citation)
    return tuple(unique)


def _with_citations(state: FactState, citations: Iterable[Citation]) -> tuple[Citation, ...]:
    return _without_repeats((*state.citations, *citations))


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
            citations=_without_repeats(event.citations),
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
