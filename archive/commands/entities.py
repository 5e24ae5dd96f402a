"""Entities: register one, or bring its kind, label and aliases up to date."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from archive.commands.unit import CommandBase, CommandMeta, Written, decoded
from archive.domain.entities import RegisterEntity, decide_entity, evolve_entity, initial_entity_state
from archive.domain.streams import entity_stream


class EntityCommands(CommandBase):
    """The entity handler."""

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
    ) -> Written:
        """Register an entity, or bring its kind, label and aliases up to date (with `expected_version`)."""
        async with self._in(conn) as tx:
            stream = entity_stream(entity_id)
            state = initial_entity_state()
            for recorded in await self.store.read_stream(stream, conn=tx):
                state = evolve_entity(state, decoded(recorded))
            command = RegisterEntity(
                entity_id, kind, label, tuple(aliases), self._clock(), expected_version=expected_version
            )
            appended = await self._commit(tx, stream, state.version, decide_entity(command, state), meta)
            return Written(stream, state.version + len(appended), appended)
