"""Each refusal of the entity and fact deciders names the request field at fault, exactly as a client
spells it, and says what was wrong in its own words. (Mutation testing found these fields and messages
checked only over HTTP, never by the fast tests.)"""

from __future__ import annotations

from typing import Any

import pytest
from msgspec.structs import replace

from archive.domain.entities import ENTITY_KINDS
from archive.domain.errors import DomainError, FactNotFound, InvalidCommand, StaleVersion, VersionRequired
from archive.domain.events import FactChanges, FactLinked, Qualifiers
from archive.domain.facts import FactContent, FactLink, RecordFact, fact_id_for

from .examples import AT, CONTEXT, LATER, MEMBERSHIP, MEMBERSHIP_CITATION, recorded
from .test_entities import REGISTERED, entity, register
from .test_facts import (
    MEMBERSHIP_ID,
    MEMBERSHIP_RECORDED,
    OTHER_FACT_ID,
    SECOND_CITATION,
    correct,
    fact,
    link,
    record,
    rerank,
    retract,
)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"entity_id": "Not A Slug"}, "entity_id", None),
        ({"kind": "planet"}, "kind", None),
        ({"label": "  "}, "label", "entity 'example-organisation' needs a label"),
        ({"aliases": ("EO", " ")}, "aliases", "entity 'example-organisation' has an empty alias"),
    ],
)
def test_an_entity_refusal_names_its_field(
    overrides: dict[str, Any], field: str, message: str | None
) -> None:
    error = entity.when(register(**overrides)).then_raises(InvalidCommand)
    assert error.field == field
    if message is not None:
        assert error.message == message
    if field == "kind":
        assert error.choices == tuple(ENTITY_KINDS)


def test_revising_an_entity_without_its_version_says_what_it_would_change() -> None:
    error = entity.given(REGISTERED).when(register(label="Renamed")).then_raises(VersionRequired)
    assert (error.stream_id, error.current_version, error.field) == (
        "entity example-organisation",
        1,
        "expected_version",
    )
    assert error.message == (
        "entity example-organisation exists (version 1) and this request would change its kind, label "
        "or aliases: send expected_version 1 to say which version you decided on"
    )


def test_a_stale_entity_revision_names_the_stream_and_both_versions() -> None:
    error = (
        entity.given(REGISTERED).when(register(label="Renamed", expected_version=2)).then_raises(StaleVersion)
    )
    assert (error.stream_id, error.expected_version, error.current_version, error.field) == (
        "entity example-organisation",
        2,
        1,
        "expected_version",
    )
    assert error.message == (
        "entity example-organisation is at version 1, not 2: "
        "reload it, check what changed, and resubmit with the current version"
    )


@pytest.mark.parametrize(
    ("overrides", "error_type", "message"),
    [
        ({"target_fact_id": " "}, InvalidCommand, "a link needs a target_fact_id"),
        (
            {"target_fact_id": MEMBERSHIP_ID},
            InvalidCommand,
            f"fact {MEMBERSHIP_ID} cannot be linked to itself",
        ),
        ({"target_exists": False}, FactNotFound, f"the target fact {OTHER_FACT_ID} does not exist"),
        (
            {"relation": "supersedes", "target_supersedes": frozenset({MEMBERSHIP_ID})},
            InvalidCommand,
            f"fact {OTHER_FACT_ID} already supersedes fact {MEMBERSHIP_ID} (directly or down a chain): "
            f"{MEMBERSHIP_ID} superseding it too would make a cycle in which each replaces the other",
        ),
    ],
)
def test_a_link_refusal_names_the_target_field(
    overrides: dict[str, Any], error_type: type[Exception], message: str
) -> None:
    error = fact.given(MEMBERSHIP_RECORDED).when(link(**overrides)).then_raises(error_type)  # type: ignore[type-var]
    assert (error.message, error.field) == (message, "target_fact_id")  # type: ignore[attr-defined]


def test_linking_a_fact_that_does_not_exist_names_it() -> None:
    error = fact.when(link()).then_raises(FactNotFound)
    assert error.message == f"fact {MEMBERSHIP_ID} does not exist"


def test_an_error_within_a_part_of_the_request_is_named_inside_it() -> None:
    bare = InvalidCommand("m")
    assert bare.within("citations[0]").field == "citations[0]"
    named = InvalidCommand("m", field="quote")
    assert named.within("citations[2]").field == "citations[2].quote"


# -- the fact decider's refusals -------------------------------------------------------------------

KNOWN_AS = FactContent(subject="example-country", predicate="known_as", value="Example Land")


def _refusal(given: tuple[Any, ...], command: Any) -> DomainError:
    return fact.given(*given).when(command).then_raises(DomainError)


@pytest.mark.parametrize(
    ("given", "command", "field", "message"),
    [
        ((), record(MEMBERSHIP, expected_version=1), "expected_version", None),
        (
            (),
            RecordFact(MEMBERSHIP, "normal", (), CONTEXT, AT),
            "citations",
            "a fact needs at least one citation: a source line and its exact quote",
        ),
        (
            (),
            record(MEMBERSHIP, replace(MEMBERSHIP_CITATION, source_id="nowhere")),
            "citations[0].source_id",
            "the citation names source 'nowhere', which is not registered",
        ),
        (
            (),
            record(replace(MEMBERSHIP, object=None)),
            "object",
            "predicate 'member_of' needs an entity object",
        ),
        (
            (),
            record(replace(MEMBERSHIP, value="x")),
            "value",
            "predicate 'member_of' takes an entity object, not a literal value",
        ),
        ((), record(replace(KNOWN_AS, value=None)), "value", "predicate 'known_as' needs a literal value"),
        (
            (),
            record(replace(KNOWN_AS, object="example-organisation")),
            "object",
            "predicate 'known_as' takes a literal value, not an entity object",
        ),
        (
            (),
            record(replace(MEMBERSHIP, subject="nobody")),
            "subject",
            "the subject 'nobody' is not a registered entity",
        ),
        (
            (),
            record(replace(MEMBERSHIP, qualifiers=Qualifiers(role="nobody"))),
            "qualifiers.role",
            "the qualifier role 'nobody' is not a registered entity",
        ),
        (
            (MEMBERSHIP_RECORDED,),
            rerank(rank="normal"),
            "rank",
            f"fact {MEMBERSHIP_ID} already has rank 'normal'",
        ),
        ((MEMBERSHIP_RECORDED,), rerank(reason_code="whim"), "reason_code", None),
        ((MEMBERSHIP_RECORDED,), retract(reason_code="whim"), "reason_code", None),
        (
            (MEMBERSHIP_RECORDED,),
            retract(justification=" "),
            "justification",
            "a justification is required: say why the archive should change its view",
        ),
        (
            (MEMBERSHIP_RECORDED,),
            correct(FactChanges(valid_from="1992-01")),
            "changes",
            f"the correction changes nothing: fact {MEMBERSHIP_ID} already has those values",
        ),
        ((MEMBERSHIP_RECORDED,), correct(FactChanges(valid_from="1992-13")), "changes.valid_from", None),
    ],
)
def test_a_fact_refusal_names_its_field(
    given: tuple[Any, ...], command: Any, field: str, message: str | None
) -> None:
    error = _refusal(given, command)
    assert error.field == field, error.message
    if message is not None:
        assert error.message == message
    if field == "reason_code":
        assert "other" in error.choices


@pytest.mark.parametrize(
    ("command", "stream"),
    [
        (retract(fact_id=OTHER_FACT_ID), OTHER_FACT_ID),
        (rerank(fact_id=OTHER_FACT_ID), OTHER_FACT_ID),
    ],
)
def test_a_command_on_a_missing_fact_names_that_fact(command: Any, stream: str) -> None:
    error = fact.when(command).then_raises(FactNotFound)
    assert error.message == f"fact {stream} does not exist"


def test_a_version_refusal_names_the_fact_stream_and_the_change() -> None:
    cite_more = record(MEMBERSHIP, SECOND_CITATION)
    error = fact.given(MEMBERSHIP_RECORDED).when(cite_more).then_raises(VersionRequired)
    assert error.message.startswith(
        f"fact {MEMBERSHIP_ID} exists (version 1) and this request would add citations"
    )
    linking = fact.given(MEMBERSHIP_RECORDED).when(link(expected_version=None)).then_raises(VersionRequired)
    assert linking.message.startswith(
        f"fact {MEMBERSHIP_ID} exists (version 1) and this request would link it"
    )
    stale = (
        fact.given(MEMBERSHIP_RECORDED).when(record(MEMBERSHIP, expected_version=0)).then_raises(StaleVersion)
    )
    assert stale.stream_id == f"fact {MEMBERSHIP_ID}"


def test_evolving_a_literal_fact_keeps_its_value_and_qualifiers() -> None:
    content = replace(KNOWN_AS, qualifiers=Qualifiers(place="example-city", note="n"))
    state = fact.given(recorded(content, fact_id_for(content), MEMBERSHIP_CITATION)).state
    assert (state.value, state.qualifiers) == ("Example Land", Qualifiers(place="example-city", note="n"))


def test_linking_twice_keeps_one_link() -> None:
    linked = FactLinked(
        fact_id=MEMBERSHIP_ID, relation="fulfils", target_fact_id=OTHER_FACT_ID, recorded_at=LATER
    )
    state = fact.given(MEMBERSHIP_RECORDED, linked, linked).state
    assert state.links == (FactLink("fulfils", OTHER_FACT_ID),)
