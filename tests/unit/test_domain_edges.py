"""The domain's rules at their edges: what an event class must be to be stored, the vocabulary's checks
spelled out, a correction that keeps an entity the context does not list, and the source decider's
refusals and states. Messages are compared whole: a client shows them as they are.
"""

from __future__ import annotations

import re

import pytest

from archive.domain.errors import (
    InvalidCommand,
    InvalidVocabulary,
    SourceHashMismatch,
    StaleVersion,
    UnknownEntity,
    UnknownSource,
    VersionRequired,
)
from archive.domain.events import Event, FactChanges, Qualifiers, SourceDescribed, encode_event, event_type_of
from archive.domain.facts import (
    CorrectFact,
    FactContent,
    FactContext,
    RecordFact,
    decide_fact,
    evolve_fact,
    fact_id_for,
    initial_fact_state,
)
from archive.domain.sources import (
    decide_source,
    evolve_source,
    initial_source_state,
    snapshot,
)
from archive.domain.streams import stream_owner
from archive.domain.vocabulary import parse_vocabulary

from .examples import (
    AT,
    CONTEXT,
    ENTITIES,
    LATER,
    SOURCE_ID,
    SOURCE_REGISTERED,
    SOURCE_TEXT,
    VOCABULARY,
    cite,
    recorded,
)
from .test_sources import register


def exactly(message: str) -> str:
    """A `match` pattern for this whole message and nothing else."""
    return f"^{re.escape(message)}$"


# -- events --------------------------------------------------------------------------------------------


class Numbered(Event, frozen=True, tag=7):
    """Tagged with a number: msgspec allows it, the log's event types are text."""


class Flat(Event, frozen=True, tag="flat", array_like=True):
    """Encoded as an array: the log stores an event's data as an object."""


def test_an_event_class_tagged_with_a_number_has_no_event_type() -> None:
    with pytest.raises(TypeError, match=exactly("Numbered is not a concrete event type")):
        event_type_of(Numbered(recorded_at=AT))


def test_an_event_that_encodes_to_an_array_is_refused() -> None:
    with pytest.raises(TypeError, match=exactly("Flat did not encode to a mapping")):
        encode_event(Flat(recorded_at=AT))


# -- the vocabulary's checks -----------------------------------------------------------------------------


def predicate(**body: object) -> dict[str, object]:
    return {"predicates": {"p": {"label": "p", "description": "a test predicate", **body}}}


def test_an_entity_predicate_may_name_the_kinds_of_its_object() -> None:
    parsed = parse_vocabulary(predicate(object="entity", object_kinds=["person", "office"]))
    assert parsed.predicates["p"].object_kinds == ("person", "office")


@pytest.mark.parametrize("field", ["subject_kinds", "object_kinds"])
def test_unknown_kinds_are_named_with_every_kind_there_is(field: str) -> None:
    expected = (
        f"archive/vocabulary.yaml: predicate 'p': {field} has unknown kinds ['alien']; known kinds are "
        "person, country, organisation, body, office, place, event, document"
    )
    with pytest.raises(InvalidVocabulary, match=exactly(expected)):
        parse_vocabulary(predicate(object="entity", **{field: ["alien"]}))


def test_a_role_slot_that_is_no_slot_is_named_with_the_slots_there_are() -> None:
    expected = (
        "archive/vocabulary.yaml: predicate 'p': role.organization is 'nowhere'; expected one of object, "
        "qualifier:role, qualifier:organization, subject or 'label:<text>'"
    )
    with pytest.raises(InvalidVocabulary, match=exactly(expected)):
        parse_vocabulary(predicate(object="entity", role={"office": "object", "organization": "nowhere"}))


# -- facts ---------------------------------------------------------------------------------------------


def test_a_subject_of_none_of_several_kinds_is_refused_naming_them_all() -> None:
    vocabulary = parse_vocabulary(predicate(object="none", subject_kinds=["country", "organisation"]))
    context = FactContext(vocabulary=vocabulary, entities=ENTITIES, sources=CONTEXT.sources)
    command = RecordFact(
        FactContent(subject="jane-example", predicate="p"),
        "normal",
        (cite(7, 7, "Jane Example"),),
        context,
        AT,
    )
    expected = (
        "predicate 'p' accepts as subject only entities of kind country or organisation; "
        "'jane-example' is of kind person"
    )
    with pytest.raises(InvalidCommand, match=exactly(expected)):
        decide_fact(command, initial_fact_state())


def test_a_correction_keeps_the_qualifier_entities_it_does_not_change_without_looking_them_up() -> None:
    # The command side supplies the kinds of the entities a correction introduces, and no others.
    content = FactContent(
        subject="example-country",
        predicate="member_of",
        object="example-organisation",
        qualifiers=Qualifiers(
            place="example-city", organization="other-organisation", role="example-officer"
        ),
        valid_from="1992",
    )
    fact_id = fact_id_for(content)
    state = evolve_fact(
        initial_fact_state(), recorded(content, fact_id, cite(3, 3, "Example Country joined"))
    )
    knows_nobody = FactContext(vocabulary=VOCABULARY, entities={}, sources=CONTEXT.sources)
    command = CorrectFact(
        fact_id,
        1,
        FactChanges(valid_from="1992-01"),
        "precision_refinement",
        "the month",
        (cite(3, 3, "In January 1992"),),
        knows_nobody,
        LATER,
    )
    [event] = decide_fact(command, state)
    assert evolve_fact(state, event).qualifiers == content.qualifiers


def test_a_new_fact_asked_for_at_a_version_it_is_not_at_names_its_stream() -> None:
    content = FactContent(subject="example-country", predicate="member_of", object="example-organisation")
    command = RecordFact(content, "normal", (cite(3, 3, "Example Country joined"),), CONTEXT, AT, 2)
    with pytest.raises(StaleVersion) as refused:
        decide_fact(command, initial_fact_state())
    assert (refused.value.stream_id, refused.value.expected_version, refused.value.current_version) == (
        f"fact {fact_id_for(content)}",
        2,
        0,
    )


# -- sources -------------------------------------------------------------------------------------------


def test_a_text_that_does_not_hash_to_its_declared_sha256_names_the_text() -> None:
    with pytest.raises(SourceHashMismatch) as refused:
        decide_source(register(content_sha256="0" * 64), initial_source_state())
    assert refused.value.field == "text"


def test_a_new_text_and_a_new_title_without_a_version_say_both_what_they_would_do() -> None:
    state = evolve_source(initial_source_state(), SOURCE_REGISTERED)
    expected = (
        f"source {SOURCE_ID} exists (version 1) and this request would replace its text with a new version "
        "and change its title, origin or date: send expected_version 1 to say which version you decided on"
    )
    with pytest.raises(VersionRequired, match=exactly(expected)):
        decide_source(register(SOURCE_TEXT + "More.\n", title="Example Report, second edition"), state)


def test_a_source_state_keeps_its_origin_and_date_from_registration_and_from_each_description() -> None:
    state = evolve_source(initial_source_state(), SOURCE_REGISTERED)
    assert (state.title, state.origin, state.source_date, state.version) == (
        "Example Report",
        "invented for tests",
        "2011",
        1,
    )
    described = SourceDescribed(
        source_id=SOURCE_ID,
        title="Renamed",
        origin="found again",
        source_date="2012",
        version=2,
        recorded_at=LATER,
    )
    state = evolve_source(state, described)
    assert (state.title, state.origin, state.source_date, state.version) == (
        "Renamed",
        "found again",
        "2012",
        2,
    )


def test_an_unregistered_source_has_no_snapshot() -> None:
    with pytest.raises(UnknownSource, match=exactly("the source is not registered")):
        snapshot(initial_source_state())


def test_an_entity_merged_into_another_is_refused_naming_where_it_went() -> None:
    context = FactContext(
        vocabulary=VOCABULARY,
        entities={**ENTITIES, "old-name": "organisation"},
        merged_into={"old-name": "example-organisation"},
        sources=CONTEXT.sources,
    )
    content = FactContent(subject="example-country", predicate="member_of", object="old-name")
    command = RecordFact(content, "normal", (cite(3, 3, "Example Country joined"),), context, AT)
    expected = (
        "the object 'old-name' was merged into 'example-organisation': name 'example-organisation' instead"
    )
    with pytest.raises(UnknownEntity, match=exactly(expected)) as refused:
        decide_fact(command, initial_fact_state())
    assert refused.value.field == "object"


def test_a_version_error_names_expected_version_unless_told_another_field() -> None:
    # Made here, not in a parametrize list: that would build them at import, before a mutant is switched on.
    assert StaleVersion("fact f", 1, 2).field == "expected_version"
    assert VersionRequired("fact f", 2, "correct it").field == "expected_version"
    assert StaleVersion("entity e", 1, 2, field="into_expected_version").field == "into_expected_version"


@pytest.mark.parametrize(
    ("stream_id", "owner"),
    [("fact:abc", ("fact", "abc")), ("entity:a:b", ("entity", "a:b")), ("source:", ("source", ""))],
)
def test_a_stream_name_says_whose_stream_it_is(stream_id: str, owner: tuple[str, str]) -> None:
    assert stream_owner(stream_id) == owner
