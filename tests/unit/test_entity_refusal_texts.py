"""The entity decider's refusals, word for word: a client shows them as they are, and each names the
entity, what the request would do and what to do instead (tests/unit/test_entities.py checks their
fields and a telling part of each)."""

from __future__ import annotations

import re

import msgspec
import pytest

from archive.domain.entities import EntityCommand
from archive.domain.errors import AlreadyMerged, EntityExists, InvalidCommand, VersionRequired

from .test_entities import MERGED, REGISTERED, TARGET, create, entity, merge, register, revise

MERGED_AWAY = "entity 'example-organisation' was merged into 'example-union' and only redirects there"


def exactly(message: str) -> str:
    """A `match` pattern for this whole message and nothing else."""
    return f"^{re.escape(message)}$"


def test_a_create_of_a_merged_id_says_where_it_went_and_what_to_do() -> None:
    error = (
        entity.given(REGISTERED, MERGED)
        .when(create())
        .then_raises(
            EntityExists,
            match=exactly(
                "entity 'example-organisation' exists and was merged into 'example-union': "
                "choose another id, or use the entity it was merged into"
            ),
        )
    )
    assert error.field == "entity_id"


def test_an_id_that_is_not_a_slug_is_named_as_an_entity_id() -> None:
    entity.when(create(entity_id="Example")).then_raises(
        InvalidCommand,
        match=exactly(
            "entity id 'Example' is not a slug: use lowercase letters and digits joined by single hyphens, "
            "e.g. 'example-country'"
        ),
    )


def test_an_unknown_kind_is_refused_naming_the_entity_in_a_create_and_in_a_revision() -> None:
    kinds = "person, country, organisation, body, office, place, event, document"
    says = exactly(f"entity 'example-organisation' has kind 'planet'; known kinds are {kinds}")
    entity.when(create(kind="planet")).then_raises(InvalidCommand, match=says)
    entity.given(REGISTERED).when(revise(kind="planet")).then_raises(InvalidCommand, match=says)


@pytest.mark.parametrize(
    ("command", "change"),
    [
        (revise(label="Another"), "change its kind, label or aliases"),
        (register(label="Another"), "change its kind, label or aliases"),
        (merge(), "merge it"),
    ],
    ids=["revise", "register", "merge"],
)
def test_a_change_to_a_merged_entity_says_what_to_change_instead(command: EntityCommand, change: str) -> None:
    error = (
        entity.given(REGISTERED, MERGED)
        .when(command)
        .then_raises(AlreadyMerged, match=exactly(f"{MERGED_AWAY}: to {change}, change 'example-union'"))
    )
    assert error.field == "entity_id"


def test_a_revision_without_a_version_says_what_it_would_do() -> None:
    entity.given(REGISTERED).when(revise(None, label="Another")).then_raises(
        VersionRequired,
        match=exactly(
            "entity example-organisation exists (version 1) and this request would change its kind, label or "
            "aliases: send expected_version 1 to say which version you decided on"
        ),
    )


def test_a_revision_that_changes_nothing_says_so_whole() -> None:
    entity.given(REGISTERED).when(revise(label="Example Organisation")).then_raises(
        InvalidCommand,
        match=exactly(
            "the revision changes nothing: entity 'example-organisation' already has that kind, label and "
            "aliases"
        ),
    )


def test_a_merge_into_another_kind_says_to_revise_one_of_them_first() -> None:
    other_kind = msgspec.structs.replace(TARGET, kind="body")
    entity.given(REGISTERED).when(merge(other_kind)).then_raises(
        InvalidCommand,
        match=exactly(
            "'example-organisation' is of kind organisation and 'example-union' of kind body: only entities "
            "of one kind can be the same; revise the kind of one of them first"
        ),
    )
