"""Decide and evolve an entity of the registry: its id (a slug), kind, label and aliases.

A name used at some time is a fact (``known_as``), not an edit of the entity; the label here is the
name in use today.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from archive.domain.errors import InvalidCommand
from archive.domain.events import EntityRegistered, EntityRevised, Event
from archive.domain.ids import require_slug
from archive.domain.time import as_utc
from archive.domain.versions import require_expected_version
from archive.domain.vocabulary import ENTITY_KINDS


class EntityState(msgspec.Struct, frozen=True):
    """An entity stream folded from its events; ``exists`` is False before registration."""

    exists: bool = False
    entity_id: str = ""
    kind: str = ""
    label: str = ""
    aliases: tuple[str, ...] = ()
    version: int = 0


def initial_entity_state() -> EntityState:
    """The state of an entity stream with no events."""
    return EntityState()


class RegisterEntity(msgspec.Struct, frozen=True):
    """Register an entity, or bring its kind, label and aliases up to date."""

    entity_id: str
    kind: str
    label: str
    aliases: tuple[str, ...]
    recorded_at: dt.datetime
    expected_version: int | None = None


def decide_entity(cmd: RegisterEntity, state: EntityState) -> list[Event]:
    """Register a new entity, do nothing if nothing changed, or revise it with the new values.

    Raises ``InvalidCommand`` for an id that is not a slug, an unknown kind, or an empty label or alias,
    and the version rule's ``StaleVersion`` and ``VersionRequired`` (a change to an existing entity needs
    ``expected_version``).
    """
    require_slug(cmd.entity_id, "entity id", field="entity_id")
    if cmd.kind not in ENTITY_KINDS:
        raise InvalidCommand(
            f"entity {cmd.entity_id!r} has kind {cmd.kind!r}; known kinds are {', '.join(ENTITY_KINDS)}",
            field="kind",
            choices=tuple(ENTITY_KINDS),
        )
    if not cmd.label.strip():
        raise InvalidCommand(f"entity {cmd.entity_id!r} needs a label", field="label")
    if any(not alias.strip() for alias in cmd.aliases):
        raise InvalidCommand(f"entity {cmd.entity_id!r} has an empty alias", field="aliases")
    recorded_at = as_utc(cmd.recorded_at)
    unchanged = (cmd.kind, cmd.label, cmd.aliases) == (state.kind, state.label, state.aliases)
    require_expected_version(
        f"entity {cmd.entity_id}",
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


def evolve_entity(state: EntityState, event: Event) -> EntityState:
    """Apply an entity event; events of other streams leave the state as it is."""
    if isinstance(event, EntityRegistered | EntityRevised):
        return EntityState(
            exists=True,
            entity_id=event.entity_id,
            kind=event.kind,
            label=event.label,
            aliases=event.aliases,
            version=state.version + 1,
        )
    return state
