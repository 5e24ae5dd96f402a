"""Parsing and querying the predicate vocabulary."""

from __future__ import annotations

from typing import Any

import pytest

from archive.domain.errors import InvalidVocabulary, UnknownPredicate
from archive.domain.vocabulary import ENTITY_KINDS, Predicate, RoleMapping, parse_vocabulary

from .examples import VOCABULARY


def one_predicate(**body: Any) -> dict[str, Any]:
    base = {"label": "example", "description": "an example predicate", "object": "entity"}
    return {"predicates": {"example_of": {**base, **body}}}


def test_parses_a_predicate_with_kinds_and_a_role_mapping() -> None:
    assert VOCABULARY.get("holds_office") == Predicate(
        name="holds_office",
        label="holds office",
        description="the subject holds the office",
        object="entity",
        subject_kinds=("person",),
        object_kinds=("office",),
        role=RoleMapping(office="object", organization="qualifier:organization"),
    )


def test_optional_fields_default_to_any_kind_and_no_role() -> None:
    predicate = VOCABULARY.get("known_as")
    assert (predicate.object, predicate.subject_kinds, predicate.object_kinds, predicate.role) == (
        "literal",
        (),
        (),
        None,
    )


def test_a_fixed_label_is_a_valid_role_slot() -> None:
    assert VOCABULARY.get("chair_of").role == RoleMapping(office="label:Chair", organization="object")


def test_an_unknown_predicate_names_itself_and_the_vocabulary_file() -> None:
    with pytest.raises(UnknownPredicate) as caught:
        VOCABULARY.get("ruled_by")
    assert (
        caught.value.message == "unknown predicate 'ruled_by': it is not defined in archive/vocabulary.yaml"
    )
    assert caught.value.code == "unknown_predicate"


def test_entity_kinds_are_the_registry_kinds() -> None:
    assert ENTITY_KINDS == (
        "person",
        "country",
        "organisation",
        "body",
        "office",
        "place",
        "event",
        "document",
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "single key 'predicates'"),
        ({"predicates": {}, "extra": 1}, "single key 'predicates'"),
        ({"predicates": {}}, "non-empty mapping"),
        ({"predicates": ["member_of"]}, "non-empty mapping"),
        ({"predicates": {"Member-Of": {}}}, "'Member-Of' must be snake_case"),
        (one_predicate(object="entty"), r"predicate 'example_of': .*\$\.object"),
        (one_predicate(lable="typo"), r"predicate 'example_of': .*unknown field `lable`"),
        ({"predicates": {"example_of": {"label": "x", "object": "entity"}}}, "missing required field"),
        (one_predicate(label="  "), "label is empty"),
        (one_predicate(subject_kinds=["planet"]), r"subject_kinds has unknown kinds \['planet'\]"),
        (one_predicate(object="literal", object_kinds=["person"]), "object_kinds only applies"),
        (one_predicate(role={"office": "object", "organization": "boss"}), "role.organization is 'boss'"),
        (one_predicate(role={"office": "label:", "organization": "object"}), "needs a label after 'label:'"),
        (one_predicate(role={"office": "label:Chair"}), "missing required field `organization`"),
        (
            one_predicate(object="literal", role={"office": "object", "organization": "subject"}),
            "role.office is 'object', but the predicate's object is not an entity",
        ),
    ],
)
def test_refuses_a_malformed_vocabulary_and_says_where(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidVocabulary, match=message):
        parse_vocabulary(raw)


def test_every_parsed_predicate_carries_its_name() -> None:
    assert {name: predicate.name for name, predicate in VOCABULARY.predicates.items()} == {
        "member_of": "member_of",
        "chair_of": "chair_of",
        "holds_office": "holds_office",
        "takes_place": "takes_place",
        "known_as": "known_as",
    }
