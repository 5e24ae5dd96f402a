"""The checks every fact command passes before it is decided: choices, justifications, an entity's kind,
a predicate's object, valid time, and each citation's quote in the current text of its source.

Pure like the deciders that call them: what they check against arrives in the command's `FactContext`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, get_args

import msgspec

from archive.domain.errors import (
    DomainError,
    EvidenceRequired,
    InvalidCommand,
    SourceHashMismatch,
    UnknownEntity,
    UnknownSource,
)
from archive.domain.events import Citation, Modality, citation_id
from archive.domain.sources import SourceSnapshot, verify_quote
from archive.domain.time import make_valid_time
from archive.domain.vocabulary import Predicate

if TYPE_CHECKING:
    from archive.domain.facts import FactContent, FactContext

MODALITIES: tuple[str, ...] = get_args(Modality)
QUALIFIER_ENTITY_FIELDS: tuple[str, ...] = ("role", "place", "organization")


def require_choice(value: str, allowed: tuple[str, ...], field: str) -> None:
    # Commands built in Python bypass msgspec's Literal checks, so the decider checks again.
    if value not in allowed:
        raise InvalidCommand(
            f"{field} {value!r} is not one of {', '.join(allowed)}", field=field, choices=allowed
        )


def require_justification(justification: str) -> None:
    if not justification.strip():
        raise InvalidCommand(
            "a justification is required: say why the archive should change its view", field="justification"
        )


def checked_content(content: FactContent, context: FactContext, previous: FactContent | None) -> FactContent:
    """The content with canonical valid-time texts, once every rule of the vocabulary holds.

    With ``previous`` (a correction), only entity ids that differ from it are looked up, since the
    service supplies kinds only for the ids a correction introduces.
    """
    predicate = context.vocabulary.get(content.predicate)
    require_choice(content.modality, MODALITIES, "modality")
    check_object_shape(predicate, content)
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
            check_entity(predicate, role, entity_id, kinds, context)
    valid_from, valid_to, point_in_time = make_valid_time(
        content.valid_from, content.valid_to, content.point_in_time
    ).canonical()
    return msgspec.structs.replace(
        content, valid_from=valid_from, valid_to=valid_to, point_in_time=point_in_time
    )


def check_object_shape(predicate: Predicate, content: FactContent) -> None:
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


def check_entity(
    predicate: Predicate, role: str, entity_id: str, kinds: tuple[str, ...], context: FactContext
) -> None:
    field = role.replace("qualifier ", "qualifiers.")
    kind = context.entities.get(entity_id)
    if kind is None:
        raise UnknownEntity(f"the {role} {entity_id!r} is not a registered entity", field=field)
    target = context.merged_into.get(entity_id)
    if target is not None:
        # Recorded against the target instead, the fact would get another id than the one its content
        # gives, and the archivist would not see what was stored: say where the entity went instead.
        raise UnknownEntity(
            f"the {role} {entity_id!r} was merged into {target!r}: name {target!r} instead", field=field
        )
    if kinds and kind not in kinds:
        raise InvalidCommand(
            f"predicate {predicate.name!r} accepts as {role} only entities of kind {' or '.join(kinds)}; "
            f"{entity_id!r} is of kind {kind}",
            field=field,
            choices=kinds,
        )


def checked_citations(citations: Iterable[Citation], context: FactContext, what: str) -> tuple[Citation, ...]:
    """The citations without repeats, each checked against the current version of its source."""
    unique = without_repeats(citations)
    if not unique:
        raise EvidenceRequired(
            f"{what} needs at least one citation: a source line and its exact quote", field="citations"
        )
    for index, citation in enumerate(citations):
        try:
            check_citation(citation, context.sources)
        except DomainError as error:
            raise error.within(f"citations[{index}]") from None
    return unique


def check_citation(citation: Citation, sources: dict[str, SourceSnapshot]) -> None:
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


def without_repeats(citations: Iterable[Citation]) -> tuple[Citation, ...]:
    seen: set[str] = set()
    unique: list[Citation] = []
    for citation in citations:
        cid = citation_id(citation)
        if cid not in seen:
            seen.add(cid)
            unique.append(citation)
    return tuple(unique)
