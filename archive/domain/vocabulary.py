"""The controlled vocabulary of predicates a fact may use.

The vocabulary is part of the product and lives in ``archive/vocabulary.yaml``; this module turns the
already-parsed mapping into checked Structs. Reading the file is the caller's job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

import msgspec

from archive.domain.errors import InvalidVocabulary, UnknownPredicate

VOCABULARY_LOCATION = "archive/vocabulary.yaml"

ENTITY_KINDS: tuple[str, ...] = (
    "person",
    "country",
    "organisation",
    "body",
    "office",
    "place",
    "event",
    "document",
)

ObjectType = Literal["entity", "literal", "none"]

ROLE_SLOTS: tuple[str, ...] = ("object", "qualifier:role", "qualifier:organization", "subject")
LABEL_PREFIX = "label:"

_PREDICATE_NAME = re.compile(r"[a-z][a-z0-9_]*")


class RoleMapping(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How a role-bearing fact maps onto (office, organisation) for the roles read model.

    Each field is a slot of the fact (``"object"``, ``"subject"``, ``"qualifier:role"``,
    ``"qualifier:organization"``) or a fixed label written ``"label:Chair"``.
    """

    office: str
    organization: str


class Predicate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One predicate: what its object is, and which entity kinds it accepts (empty means any).

    ``single_holder``: an office (with its organisation) this predicate's role mapping names has one
    holder at a time, so two holders over overlapping valid time are a finding for an archivist.
    ``begins``: the slot (subject or object) naming the entity whose beginning the fact dates.
    """

    name: str
    label: str
    description: str
    object: ObjectType
    subject_kinds: tuple[str, ...] = ()
    object_kinds: tuple[str, ...] = ()
    role: RoleMapping | None = None
    single_holder: bool = False
    begins: Literal["subject", "object"] | None = None


class Vocabulary(msgspec.Struct, frozen=True):
    """The predicates by name."""

    predicates: dict[str, Predicate]

    def get(self, name: str) -> Predicate:
        """The predicate called ``name``; ``UnknownPredicate`` if the vocabulary has none."""
        try:
            return self.predicates[name]
        except KeyError:
            raise UnknownPredicate(
                f"unknown predicate {name!r}: it is not defined in {VOCABULARY_LOCATION}",
                field="predicate",
                choices=tuple(sorted(self.predicates)),
            ) from None


class _PredicateBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A predicate as written in the file, where its name is the mapping key."""

    label: str
    description: str
    object: ObjectType
    subject_kinds: tuple[str, ...] = ()
    object_kinds: tuple[str, ...] = ()
    role: RoleMapping | None = None
    single_holder: bool = False
    begins: Literal["subject", "object"] | None = None


def parse_vocabulary(raw: Mapping[str, Any]) -> Vocabulary:
    """Check and convert ``{"predicates": {name: {label, description, object, ...}}}``.

    Raises ``InvalidVocabulary`` naming the predicate and the field at fault.
    """
    if not isinstance(raw, Mapping) or set(raw) != {"predicates"}:
        raise InvalidVocabulary(f"{VOCABULARY_LOCATION} must be a mapping with the single key 'predicates'")
    entries = raw["predicates"]
    if not isinstance(entries, Mapping) or not entries:
        raise InvalidVocabulary(
            f"{VOCABULARY_LOCATION}: 'predicates' must be a non-empty mapping of name to predicate"
        )
    predicates: dict[str, Predicate] = {}
    for name, body in entries.items():
        predicates[name] = _parse_predicate(name, body)
    return Vocabulary(predicates=predicates)


def _parse_predicate(name: object, body: object) -> Predicate:
    if not isinstance(name, str) or not _PREDICATE_NAME.fullmatch(name):
        raise InvalidVocabulary(
            f"{VOCABULARY_LOCATION}: predicate name {name!r} must be snake_case (e.g. 'member_of')"
        )
    where = f"{VOCABULARY_LOCATION}: predicate {name!r}"
    try:
        parsed = msgspec.convert(body, _PredicateBody)
    except msgspec.ValidationError as error:
        raise InvalidVocabulary(f"{where}: {error}") from None
    if not parsed.label.strip():
        raise InvalidVocabulary(f"{where}: label is empty")
    for field, kinds in (("subject_kinds", parsed.subject_kinds), ("object_kinds", parsed.object_kinds)):
        unknown = [kind for kind in kinds if kind not in ENTITY_KINDS]
        if unknown:
            raise InvalidVocabulary(
                f"{where}: {field} has unknown kinds {unknown}; known kinds are {', '.join(ENTITY_KINDS)}"
            )
    if parsed.object != "entity" and parsed.object_kinds:
        raise InvalidVocabulary(f"{where}: object_kinds only applies to predicates whose object is 'entity'")
    if parsed.single_holder and parsed.role is None:
        # Who holds what is read from the role mapping: without one there is no office to hold.
        raise InvalidVocabulary(f"{where}: single_holder needs a role mapping, which names the office held")
    if parsed.begins == "object" and parsed.object != "entity":
        raise InvalidVocabulary(f"{where}: begins 'object' needs an entity object, whose beginning it dates")
    if parsed.role is not None:
        for field, slot in (("office", parsed.role.office), ("organization", parsed.role.organization)):
            _check_role_slot(where, field, slot, parsed.object)
    return Predicate(name=name, **msgspec.structs.asdict(parsed))


def _check_role_slot(where: str, field: str, slot: str, object_type: ObjectType) -> None:
    if slot.startswith(LABEL_PREFIX):
        if not slot[len(LABEL_PREFIX) :].strip():
            raise InvalidVocabulary(f"{where}: role.{field} {slot!r} needs a label after 'label:'")
        return
    if slot not in ROLE_SLOTS:
        raise InvalidVocabulary(
            f"{where}: role.{field} is {slot!r}; expected one of {', '.join(ROLE_SLOTS)} or 'label:<text>'"
        )
    if slot == "object" and object_type != "entity":
        raise InvalidVocabulary(
            f"{where}: role.{field} is 'object', but the predicate's object is not an entity"
        )
