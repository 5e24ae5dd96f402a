"""Decide and evolve an entity of the registry: its id (a slug), kind, label and aliases, and its merge.

A name used at some time is a fact (``known_as``), not an edit of the entity; the label here is the
name in use today.

Four commands write an entity's stream. ``RegisterEntity`` is the seeder's: it registers an entity or
brings it up to date with its seed file, quietly doing nothing when nothing changed. The archivist's
are ``CreateEntity`` (a new entity only: an id that is taken is refused, naming what holds it),
``ReviseEntity`` (new kind, label or aliases, with a reason code and a justification) and
``MergeEntity``. A merge says that two entities are one, as Wikidata's merge does: the merged entity's
stream gets ``entity.merged_into`` and ends there, a redirect to the entity it was merged into, and
the target's stream gets ``entity.merged_from`` (what its id answers changed: it takes in the other's
facts), so both streams keep their whole history and each records its side. A merged entity cannot be
revised or merged again, nothing can be merged into it (the redirects never chain or loop), and only
entities of one kind can be the same.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeAlias

import msgspec
from msgspec import UNSET, UnsetType

from archive.domain.errors import (
    AlreadyMerged,
    DomainError,
    EntityExists,
    EntityNotFound,
    InvalidCommand,
    UnknownEntity,
)
from archive.domain.events import (
    EntityMerged,
    EntityMergedFrom,
    EntityRegistered,
    EntityRevised,
    Event,
    ReasonCode,
)
from archive.domain.fact_checks import require_choice, require_justification
from archive.domain.facts import REASON_CODES
from archive.domain.ids import require_slug
from archive.domain.time import as_utc
from archive.domain.versions import require_expected_version
from archive.domain.vocabulary import ENTITY_KINDS


class EntityState(msgspec.Struct, frozen=True):
    """An entity stream folded from its events; ``exists`` is False before registration.

    ``merged_into`` is the entity this one was merged into (its stream ends there), or None.
    """

    exists: bool = False
    entity_id: str = ""
    kind: str = ""
    label: str = ""
    aliases: tuple[str, ...] = ()
    version: int = 0
    merged_into: str | None = None


def initial_entity_state() -> EntityState:
    """The state of an entity stream with no events."""
    return EntityState()


class RegisterEntity(msgspec.Struct, frozen=True):
    """Register an entity, or bring its kind, label and aliases up to date (the seeder's command)."""

    entity_id: str
    kind: str
    label: str
    aliases: tuple[str, ...]
    recorded_at: dt.datetime
    expected_version: int | None = None


class CreateEntity(msgspec.Struct, frozen=True):
    """Create a new entity: an id the registry holds already is refused (unless with the same values)."""

    entity_id: str
    kind: str
    label: str
    aliases: tuple[str, ...]
    recorded_at: dt.datetime


class EntityChanges(msgspec.Struct, frozen=True):
    """The new values a revision sets; ``UNSET`` leaves a value as it is."""

    kind: str | UnsetType = UNSET
    label: str | UnsetType = UNSET
    aliases: tuple[str, ...] | UnsetType = UNSET


class ReviseEntity(msgspec.Struct, frozen=True):
    """Change an entity's kind, label or aliases, with the reason; ``expected_version`` is required."""

    entity_id: str
    changes: EntityChanges
    reason_code: ReasonCode
    justification: str
    recorded_at: dt.datetime
    expected_version: int | None = None


class MergeEntity(msgspec.Struct, frozen=True):
    """Mark ``entity_id`` as the same as ``into``, with the reason.

    ``target`` is the state of ``into``'s stream, loaded by the service; both streams' versions are
    required, since the decision is made on what both entities were.
    """

    entity_id: str
    into: str
    justification: str
    recorded_at: dt.datetime
    target: EntityState
    expected_version: int | None = None
    into_expected_version: int | None = None


EntityCommand: TypeAlias = RegisterEntity | CreateEntity | ReviseEntity | MergeEntity
#: The events of entity streams; each names the entity whose stream it belongs to.
EntityEvent: TypeAlias = EntityRegistered | EntityRevised | EntityMerged | EntityMergedFrom


def _check_record(entity_id: str, kind: str, label: str, aliases: tuple[str, ...]) -> None:
    """Refuse an unknown kind, or an empty label or alias (each error names its field)."""
    if kind not in ENTITY_KINDS:
        raise InvalidCommand(
            f"entity {entity_id!r} has kind {kind!r}; known kinds are {', '.join(ENTITY_KINDS)}",
            field="kind",
            choices=tuple(ENTITY_KINDS),
        )
    if not label.strip():
        raise InvalidCommand(f"entity {entity_id!r} needs a label", field="label")
    if any(not alias.strip() for alias in aliases):
        raise InvalidCommand(f"entity {entity_id!r} has an empty alias", field="aliases")


def _stream(entity_id: str) -> str:
    return f"entity {entity_id}"


def decide_entity(cmd: EntityCommand, state: EntityState) -> list[Event]:
    """The events a command appends (none when it changes nothing): to the entity's stream, and for a
    merge to the target's too (each event's ``entity_id`` names its stream).

    Raises ``InvalidCommand`` for an id that is not a slug, an unknown kind, an empty label, alias or
    justification, a revision that changes nothing, or a merge into itself or into an entity of
    another kind or that was itself merged; ``UnknownEntity`` for a merge into an unregistered entity;
    ``EntityNotFound`` for a revision or merge of one; ``EntityExists`` for a create of an id that is
    taken; ``AlreadyMerged`` for a change to a merged entity; and the version rule's ``StaleVersion``
    and ``VersionRequired``.
    """
    match cmd:
        case RegisterEntity():
            return _register(cmd, state)
        case CreateEntity():
            return _create(cmd, state)
        case ReviseEntity():
            return _revise(cmd, state)
        case MergeEntity():
            return _merge(cmd, state)


def _register(cmd: RegisterEntity, state: EntityState) -> list[Event]:
    require_slug(cmd.entity_id, "entity id", field="entity_id")
    _check_record(cmd.entity_id, cmd.kind, cmd.label, cmd.aliases)
    recorded_at = as_utc(cmd.recorded_at)
    unchanged = (cmd.kind, cmd.label, cmd.aliases) == (state.kind, state.label, state.aliases)
    if state.merged_into is not None and not unchanged:
        raise _merged(state, "change its kind, label or aliases")
    require_expected_version(
        _stream(cmd.entity_id),
        state.version,
        cmd.expected_version,
        "change its kind, label or aliases" if state.exists and not unchanged else None,
    )
    if not state.exists:
        return [
            EntityRegistered(
                entity_id=cmd.entity_id,
                kind=cmd.kind,
                label=cmd.label,
                aliases=cmd.aliases,
                recorded_at=recorded_at,
            )
        ]
    if unchanged:
        return []
    return [
        EntityRevised(
            entity_id=cmd.entity_id,
            kind=cmd.kind,
            label=cmd.label,
            aliases=cmd.aliases,
            recorded_at=recorded_at,
        )
    ]


def _create(cmd: CreateEntity, state: EntityState) -> list[Event]:
    require_slug(cmd.entity_id, "entity id", field="entity_id")
    _check_record(cmd.entity_id, cmd.kind, cmd.label, cmd.aliases)
    recorded_at = as_utc(cmd.recorded_at)
    if state.exists:
        if state.merged_into is not None:
            raise EntityExists(
                f"entity {cmd.entity_id!r} exists and was merged into {state.merged_into!r}: "
                "choose another id, or use the entity it was merged into",
                field="entity_id",
            )
        if (cmd.kind, cmd.label, cmd.aliases) == (state.kind, state.label, state.aliases):
            return []  # a retried create: what it asks for is what the registry holds
        raise EntityExists(
            f"entity {cmd.entity_id!r} exists ({state.kind} {state.label!r}, version {state.version}): "
            "choose another id, or revise that entity with the version you read",
            field="entity_id",
        )
    return [
        EntityRegistered(
            entity_id=cmd.entity_id,
            kind=cmd.kind,
            label=cmd.label,
            aliases=cmd.aliases,
            recorded_at=recorded_at,
        )
    ]


def _existing(entity_id: str, state: EntityState, change: str) -> None:
    """Refuse a change to an entity that was never registered, or that was merged into another."""
    if not state.exists:
        raise EntityNotFound(f"entity {entity_id!r} does not exist", field="entity_id")
    if state.merged_into is not None:
        raise _merged(state, change)


def _merged(state: EntityState, change: str) -> AlreadyMerged:
    return AlreadyMerged(
        f"entity {state.entity_id!r} was merged into {state.merged_into!r} and only redirects there: "
        f"to {change}, change {state.merged_into!r}",
        field="entity_id",
    )


def _revise(cmd: ReviseEntity, state: EntityState) -> list[Event]:
    _existing(cmd.entity_id, state, "change its kind, label or aliases")
    require_expected_version(
        _stream(cmd.entity_id), state.version, cmd.expected_version, "change its kind, label or aliases"
    )
    require_choice(cmd.reason_code, REASON_CODES, "reason_code")
    require_justification(cmd.justification)
    changes = cmd.changes
    kind = state.kind if isinstance(changes.kind, UnsetType) else changes.kind
    label = state.label if isinstance(changes.label, UnsetType) else changes.label
    aliases = state.aliases if isinstance(changes.aliases, UnsetType) else changes.aliases
    try:
        _check_record(cmd.entity_id, kind, label, aliases)
    except DomainError as error:
        raise error.within("changes") from None
    if (kind, label, aliases) == (state.kind, state.label, state.aliases):
        raise InvalidCommand(
            f"the revision changes nothing: entity {cmd.entity_id!r} already has that kind, label and "
            "aliases",
            field="changes",
        )
    return [
        EntityRevised(
            entity_id=cmd.entity_id,
            kind=kind,
            label=label,
            aliases=aliases,
            reason_code=cmd.reason_code,
            justification=cmd.justification,
            recorded_at=as_utc(cmd.recorded_at),
        )
    ]


def _merge(cmd: MergeEntity, state: EntityState) -> list[Event]:
    into, target = cmd.into, cmd.target
    _existing(cmd.entity_id, state, "merge it")
    require_expected_version(
        _stream(cmd.entity_id), state.version, cmd.expected_version, f"merge it into {into!r}"
    )
    require_justification(cmd.justification)
    if into == cmd.entity_id:
        raise InvalidCommand(f"entity {into!r} cannot be merged into itself", field="into")
    if not target.exists:
        raise UnknownEntity(f"cannot merge into {into!r}: it is not a registered entity", field="into")
    if target.merged_into is not None:
        # Only entities that are not redirects take others in: a redirect never leads to a redirect,
        # so no chain of them can form, nor a cycle (A into B, then B into A).
        raise InvalidCommand(
            f"{into!r} was itself merged into {target.merged_into!r}: merge into {target.merged_into!r}",
            field="into",
        )
    if target.kind != state.kind:
        raise InvalidCommand(
            f"{cmd.entity_id!r} is of kind {state.kind} and {into!r} of kind {target.kind}: only entities "
            "of one kind can be the same; revise the kind of one of them first",
            field="into",
        )
    require_expected_version(
        _stream(into),
        target.version,
        cmd.into_expected_version,
        f"take in {cmd.entity_id!r}",
        field="into_expected_version",
    )
    recorded_at = as_utc(cmd.recorded_at)
    return [
        EntityMerged(
            entity_id=cmd.entity_id, into=into, justification=cmd.justification, recorded_at=recorded_at
        ),
        EntityMergedFrom(
            entity_id=into, merged=cmd.entity_id, justification=cmd.justification, recorded_at=recorded_at
        ),
    ]


def evolve_entity(state: EntityState, event: Event) -> EntityState:
    """Apply an event of the entity's own stream; events of other streams leave the state as it is."""
    if isinstance(event, EntityMerged | EntityMergedFrom) and event.entity_id != state.entity_id:
        return state  # the other side of a merge
    if isinstance(event, EntityRegistered | EntityRevised):
        return EntityState(
            exists=True,
            entity_id=event.entity_id,
            kind=event.kind,
            label=event.label,
            aliases=event.aliases,
            version=state.version + 1,
            merged_into=state.merged_into,
        )
    if isinstance(event, EntityMerged):
        return msgspec.structs.replace(state, merged_into=event.into, version=state.version + 1)
    if isinstance(event, EntityMergedFrom):
        return msgspec.structs.replace(state, version=state.version + 1)
    return state
