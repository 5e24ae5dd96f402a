"""The entity decider: register, ignore repeats, revise; an archivist's create, revision and merge."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from archive.domain.entities import (
    CreateEntity,
    EntityChanges,
    EntityState,
    MergeEntity,
    RegisterEntity,
    ReviseEntity,
    decide_entity,
    evolve_entity,
    initial_entity_state,
)
from archive.domain.errors import (
    AlreadyMerged,
    EntityExists,
    EntityNotFound,
    InvalidCommand,
    StaleVersion,
    UnknownEntity,
    VersionRequired,
)
from archive.domain.events import EntityMerged, EntityMergedFrom, EntityRegistered, EntityRevised

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


# -- an archivist's create, revision and merge ------------------------------------------------------


def create(**overrides: object) -> CreateEntity:
    fields: dict[str, object] = {
        "entity_id": "example-organisation",
        "kind": "organisation",
        "label": "Example Organisation",
        "aliases": ("EO", "Example Conference"),
        "recorded_at": LATER,
        **overrides,
    }
    return CreateEntity(**fields)  # type: ignore[arg-type]


def revise(expected_version: int | None = 1, **changes: object) -> ReviseEntity:
    return ReviseEntity(
        entity_id="example-organisation",
        changes=EntityChanges(**changes),  # type: ignore[arg-type]
        reason_code="transcription_error",
        justification="the label was misspelt",
        recorded_at=LATER,
        expected_version=expected_version,
    )


TARGET = EntityState(
    exists=True, entity_id="example-union", kind="organisation", label="Example Union", version=3
)
MERGED = EntityMerged(
    entity_id="example-organisation", into="example-union", justification="one body", recorded_at=LATER
)
MERGED_FROM = EntityMergedFrom(
    entity_id="example-union", merged="example-organisation", justification="one body", recorded_at=LATER
)


def merge(target: EntityState = TARGET, **overrides: object) -> MergeEntity:
    fields: dict[str, object] = {
        "entity_id": "example-organisation",
        "into": target.entity_id or "example-union",
        "justification": "one body",
        "recorded_at": LATER,
        "target": target,
        "expected_version": 1,
        "into_expected_version": target.version,
        **overrides,
    }
    return MergeEntity(**fields)  # type: ignore[arg-type]


def test_a_create_registers_a_new_entity() -> None:
    entity.when(create(recorded_at=AT)).then(REGISTERED)


def test_a_create_of_an_entity_with_the_same_values_changes_nothing() -> None:
    entity.given(REGISTERED).when(create()).then()


@pytest.mark.parametrize("change", [{"label": "Another"}, {"aliases": ()}, {"kind": "body"}])
def test_a_create_of_a_taken_id_is_refused_naming_what_holds_it(change: dict[str, object]) -> None:
    error = entity.given(REGISTERED).when(create(**change)).then_raises(EntityExists)
    assert error.field == "entity_id"
    assert error.message == (
        "entity 'example-organisation' exists (organisation 'Example Organisation', version 1): choose "
        "another id, or revise that entity with the version you read"
    )


def test_a_create_of_a_merged_id_names_where_it_went() -> None:
    entity.given(REGISTERED, MERGED).when(create()).then_raises(
        EntityExists, match="exists and was merged into 'example-union'"
    )


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"entity_id": "Example"}, "entity_id", "is not a slug"),
        ({"kind": "planet"}, "kind", "known kinds are"),
        ({"label": " "}, "label", "needs a label"),
        ({"aliases": ("EO", "")}, "aliases", "has an empty alias"),
    ],
)
def test_a_bad_create_names_its_field(change: dict[str, object], field: str, says: str) -> None:
    error = entity.when(create(**change)).then_raises(InvalidCommand, match=says)
    assert error.field == field


def test_a_revision_sets_the_given_values_and_keeps_the_others_with_its_reason() -> None:
    entity.given(REGISTERED).when(revise(label="Example Organization")).then(
        EntityRevised(
            entity_id="example-organisation",
            kind="organisation",
            label="Example Organization",
            aliases=("EO", "Example Conference"),
            reason_code="transcription_error",
            justification="the label was misspelt",
            recorded_at=LATER,
        )
    )
    entity.given(REGISTERED).when(revise(aliases=(), kind="body")).then_state(
        kind="body", label="Example Organisation", aliases=(), version=2
    )


def test_a_revision_needs_the_version_it_was_decided_on() -> None:
    error = entity.given(REGISTERED).when(revise(None, label="X")).then_raises(VersionRequired)
    assert (error.field, error.current_version) == ("expected_version", 1)
    entity.given(REGISTERED).when(revise(0, label="X")).then_raises(StaleVersion, match="at version 1, not 0")


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({}, "changes", "the revision changes nothing"),
        ({"label": "Example Organisation"}, "changes", "the revision changes nothing"),
        ({"kind": "planet"}, "changes.kind", "known kinds are"),
        ({"label": "  "}, "changes.label", "needs a label"),
        ({"aliases": (" ",)}, "changes.aliases", "has an empty alias"),
    ],
)
def test_a_bad_revision_names_its_field(changes: dict[str, object], field: str, says: str) -> None:
    error = entity.given(REGISTERED).when(revise(**changes)).then_raises(InvalidCommand, match=says)
    assert error.field == field


def test_a_revision_needs_a_known_reason_code_and_a_justification() -> None:
    bad_code = msgspec.structs.replace(revise(label="X"), reason_code="whim")
    entity.given(REGISTERED).when(bad_code).then_raises(InvalidCommand, match="reason_code 'whim'")
    empty = msgspec.structs.replace(revise(label="X"), justification=" ")
    error = (
        entity.given(REGISTERED).when(empty).then_raises(InvalidCommand, match="justification is required")
    )
    assert error.field == "justification"


def test_an_entity_never_registered_cannot_be_revised_or_merged() -> None:
    for command in (revise(label="X"), merge()):
        error = entity.when(command).then_raises(
            EntityNotFound, match="'example-organisation' does not exist"
        )
        assert error.field == "entity_id"


def test_a_merge_ends_the_stream_with_a_redirect_and_records_its_other_side_on_the_target() -> None:
    entity.given(REGISTERED).when(merge()).then(MERGED, MERGED_FROM)
    state = entity.given(REGISTERED, MERGED).state
    assert (state.merged_into, state.version, state.label) == ("example-union", 2, "Example Organisation")
    # Each side's state takes only its own stream's event.
    assert evolve_entity(state, MERGED_FROM) == state
    target = evolve_entity(evolve_entity(TARGET, MERGED), MERGED_FROM)
    assert target == msgspec.structs.replace(TARGET, version=4)


def test_a_merged_entity_is_not_revised_registered_anew_or_merged_again() -> None:
    merged = entity.given(REGISTERED, MERGED)
    for command in (revise(2, label="X"), merge(expected_version=2), register(label="X", expected_version=2)):
        error = merged.when(command).then_raises(AlreadyMerged, match="was merged into 'example-union'")
        assert error.field == "entity_id"
    merged.when(register()).then()  # the seed file unchanged: nothing to do


@pytest.mark.parametrize(
    ("target", "overrides", "error", "says"),
    [
        (TARGET, {"into": "example-organisation"}, InvalidCommand, "cannot be merged into itself"),
        (EntityState(), {"into": "nowhere"}, UnknownEntity, "'nowhere': it is not a registered entity"),
        (
            msgspec.structs.replace(TARGET, merged_into="example-league"),
            {},
            InvalidCommand,
            "'example-union' was itself merged into 'example-league': merge into 'example-league'",
        ),
        (
            msgspec.structs.replace(TARGET, kind="person"),
            {},
            InvalidCommand,
            "of kind organisation and 'example-union' of kind person",
        ),
    ],
    ids=["itself", "unknown", "into-a-redirect", "another-kind"],
)
def test_a_merge_only_into_another_live_entity_of_its_kind(
    target: EntityState, overrides: dict[str, object], error: type[Exception], says: str
) -> None:
    refused = entity.given(REGISTERED).when(merge(target, **overrides)).then_raises(error, match=says)
    assert getattr(refused, "field", None) == "into"


def test_a_merge_checks_both_versions() -> None:
    given = entity.given(REGISTERED)
    missing = given.when(merge(expected_version=None)).then_raises(VersionRequired)
    assert missing.field == "expected_version"
    given.when(merge(expected_version=2)).then_raises(
        StaleVersion, match="example-organisation is at version 1"
    )
    missing = given.when(merge(into_expected_version=None)).then_raises(
        VersionRequired, match="send into_expected_version 3"
    )
    assert missing.field == "into_expected_version"
    stale = given.when(merge(into_expected_version=2)).then_raises(
        StaleVersion, match="example-union is at version 3"
    )
    assert stale.field == "into_expected_version"


def test_a_merge_needs_a_justification() -> None:
    entity.given(REGISTERED).when(merge(justification="")).then_raises(InvalidCommand, match="justification")
