"""The entity decider: register, ignore repeats, revise."""

from __future__ import annotations

import datetime as dt

import pytest

from archive.domain.entities import (
    EntityState,
    RegisterEntity,
    decide_entity,
    evolve_entity,
    initial_entity_state,
)
from archive.domain.errors import InvalidCommand, StaleVersion, VersionRequired
from archive.domain.events import EntityRegistered, EntityRevised

from .examples import AT, LATER, SOURCE_REGISTERED
from .scenario import Scenario

entity = Scenario(decide_entity, evolve_entity, initial_entity_state)

REGISTERED = EntityRegistered(
    entity_id="example-organisation",
    kind="organisation",
    label="Example Organisation",
    aliases=("EO", "Example Conference"),
    recorded_at=AT,
)


def register(**overrides: object) -> RegisterEntity:
    fields: dict[str, object] = {
        "entity_id": "example-organisation",
        "kind": "organisation",
        "label": "Example Organisation",
        "aliases": ("EO", "Example Conference"),
        "recorded_at": AT,
        **overrides,
    }
    return RegisterEntity(**fields)  # type: ignore[arg-type]


def test_a_new_entity_is_registered() -> None:
    entity.when(register()).then(REGISTERED)


def test_registering_the_same_entity_again_changes_nothing() -> None:
    entity.given(REGISTERED).when(register(recorded_at=LATER)).then()


@pytest.mark.parametrize(
    "change",
    [{"label": "Example Organisation for Cooperation"}, {"aliases": ("EO",)}, {"kind": "body"}],
)
def test_a_changed_entity_is_revised_with_the_new_values(change: dict[str, object]) -> None:
    command = register(recorded_at=LATER, expected_version=1, **change)
    entity.given(REGISTERED).when(command).then(
        EntityRevised(
            entity_id="example-organisation",
            kind=command.kind,
            label=command.label,
            aliases=command.aliases,
            recorded_at=LATER,
        )
    )


def test_a_change_to_an_existing_entity_needs_the_version_it_replaces() -> None:
    entity.given(REGISTERED).when(register(recorded_at=LATER, label="Another Label")).then_raises(
        VersionRequired, match="entity example-organisation exists \\(version 1\\)"
    )
    command = register(recorded_at=LATER, label="Another Label", expected_version=2)
    entity.given(REGISTERED).when(command).then_raises(StaleVersion, match="at version 1, not 2")


def test_the_state_follows_the_latest_revision() -> None:
    revised = EntityRevised(
        entity_id="example-organisation", kind="body", label="Example Body", aliases=(), recorded_at=LATER
    )
    assert entity.given(REGISTERED, revised).state == EntityState(
        exists=True,
        entity_id="example-organisation",
        kind="body",
        label="Example Body",
        aliases=(),
        version=2,
    )


@pytest.mark.parametrize(
    "entity_id", ["Example", "example organisation", "example_organisation", "ex--ample"]
)
def test_an_entity_id_must_be_a_slug(entity_id: str) -> None:
    entity.when(register(entity_id=entity_id)).then_raises(InvalidCommand, match="entity id .* is not a slug")


def test_the_kind_must_be_a_registry_kind() -> None:
    error = entity.when(register(kind="planet")).then_raises(InvalidCommand)
    assert error.message == (
        "entity 'example-organisation' has kind 'planet'; known kinds are "
        "person, country, organisation, body, office, place, event, document"
    )


def test_an_entity_needs_a_label() -> None:
    entity.when(register(label="")).then_raises(InvalidCommand, match="needs a label")


def test_an_alias_cannot_be_empty() -> None:
    entity.when(register(aliases=("EO", " "))).then_raises(InvalidCommand, match="has an empty alias")


def test_a_naive_recorded_at_is_refused() -> None:
    entity.when(register(recorded_at=dt.datetime(2024, 1, 1))).then_raises(InvalidCommand, match="naive")


def test_events_of_other_streams_leave_an_entity_alone() -> None:
    assert evolve_entity(initial_entity_state(), SOURCE_REGISTERED) == initial_entity_state()
