"""Each refusal of the entity and fact deciders names the request field at fault, exactly as a client
spells it, and says what was wrong in its own words. (Mutation testing found these fields and messages
checked only over HTTP, never by the fast tests.)"""

from __future__ import annotations

from typing import Any

import pytest

from archive.domain.entities import ENTITY_KINDS
from archive.domain.errors import FactNotFound, InvalidCommand, StaleVersion, VersionRequired

from .test_entities import REGISTERED, entity, register
from .test_facts import MEMBERSHIP_ID, MEMBERSHIP_RECORDED, OTHER_FACT_ID, fact, link


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
