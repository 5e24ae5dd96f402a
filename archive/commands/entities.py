"""Entities: register one from a seed file; create, revise or merge one as an archivist."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from archive.commands.unit import CommandBase, CommandMeta, Written, decoded
from archive.domain.entities import (
    CreateEntity,
    EntityChanges,
    EntityCommand,
    EntityEvent,
    EntityState,
    MergeEntity,
    RegisterEntity,
    ReviseEntity,
    decide_entity,
    evolve_entity,
    initial_entity_state,
)
from archive.domain.events import Event, ReasonCode
from archive.domain.streams import entity_stream


class EntityWritten(Written, frozen=True):
    """An entity command's outcome, with the entity's state after it."""

    state: EntityState = EntityState()


class EntityCommands(CommandBase):
    """The entity handlers."""

    async def _entity_state(self, conn: AsyncConnection, entity_id: str) -> EntityState:
        state = initial_entity_state()
        for recorded in await self.store.read_stream(entity_stream(entity_id), conn=conn):
            state = evolve_entity(state, decoded(recorded))
        return state

    async def _decide_entity(
        self,
        conn: AsyncConnection,
        entity_id: str,
        state: EntityState,
        command: EntityCommand,
        meta: CommandMeta,
        others: tuple[EntityState, ...] = (),
    ) -> EntityWritten:
        """Decide on `state` (and the `others` a merge reads), then append each event to its entity's
        stream, this entity's first, and project them, in the caller's transaction."""
        by_owner: dict[str, list[Event]] = {}
        for event in decide_entity(command, state):
            owner = event.entity_id if isinstance(event, EntityEvent) else entity_id
            by_owner.setdefault(owner, []).append(event)
        states = {s.entity_id: s for s in others} | {entity_id: state}
        appended = []
        for owner, events in by_owner.items():
            before = states[owner]
            appended += await self._commit(conn, entity_stream(owner), before.version, events, meta)
            for event in events:
                before = evolve_entity(before, event)
            states[owner] = before
        after = states[entity_id]
        return EntityWritten(entity_stream(entity_id), after.version, appended, state=after)

    async def register_entity(
        self,
        *,
        entity_id: str,
        kind: str,
        label: str,
        aliases: Sequence[str] = (),
        meta: CommandMeta,
        expected_version: int | None = None,
        conn: AsyncConnection | None = None,
    ) -> EntityWritten:
        """Register an entity, or bring its kind, label and aliases up to date (with `expected_version`)."""
        async with self._in(conn) as tx:
            state = await self._entity_state(tx, entity_id)
            command = RegisterEntity(
                entity_id, kind, label, tuple(aliases), self._clock(), expected_version=expected_version
            )
            return await self._decide_entity(tx, entity_id, state, command, meta)

    async def create_entity(
        self,
        *,
        entity_id: str,
        kind: str,
        label: str,
        aliases: Sequence[str] = (),
        meta: CommandMeta,
        conn: AsyncConnection | None = None,
    ) -> EntityWritten:
        """Create an entity; an id that is taken is refused (the same values again change nothing)."""
        async with self._in(conn) as tx:
            state = await self._entity_state(tx, entity_id)
            command = CreateEntity(entity_id, kind, label, tuple(aliases), self._clock())
            return await self._decide_entity(tx, entity_id, state, command, meta)

    async def revise_entity(
        self,
        *,
        entity_id: str,
        changes: EntityChanges,
        reason_code: ReasonCode,
        justification: str,
        meta: CommandMeta,
        expected_version: int | None = None,
        conn: AsyncConnection | None = None,
    ) -> EntityWritten:
        """Change an entity's kind, label or aliases, with the reason, on the version the caller read."""
        async with self._in(conn) as tx:
            state = await self._entity_state(tx, entity_id)
            command = ReviseEntity(
                entity_id, changes, reason_code, justification, self._clock(), expected_version
            )
            return await self._decide_entity(tx, entity_id, state, command, meta)

    async def merge_entity(
        self,
        *,
        entity_id: str,
        into: str,
        justification: str,
        meta: CommandMeta,
        expected_version: int | None = None,
        into_expected_version: int | None = None,
        conn: AsyncConnection | None = None,
    ) -> EntityWritten:
        """Mark `entity_id` as the same as `into`: an event on `entity_id`'s stream, checked on both.

        Both streams are read inside the write transaction, which holds the append lock, so neither can
        change between the check and the append.
        """
        async with self._in(conn) as tx:
            state = await self._entity_state(tx, entity_id)
            target = await self._entity_state(tx, into) if into != entity_id else state
            command = MergeEntity(
                entity_id,
                into,
                justification,
                self._clock(),
                target,
                expected_version=expected_version,
                into_expected_version=into_expected_version,
            )
            return await self._decide_entity(tx, entity_id, state, command, meta, others=(target,))
