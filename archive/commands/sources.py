"""Sources: register a document, or a new version of its text (every citation into it re-checked), and
propose facts from each new text (archive/commands/proposals.py says where that runs and why)."""

from __future__ import annotations

import hashlib

from sqlalchemy.ext.asyncio import AsyncConnection

from archive.commands.proposals import ProposingCommands
from archive.commands.unit import CommandMeta, RegisteredSource, decoded
from archive.domain.sources import RegisterSource, decide_source, evolve_source, initial_source_state
from archive.domain.streams import source_stream
from archive.projections import citations


class SourceCommands(ProposingCommands):
    """The source handler."""

    async def register_source(
        self,
        *,
        source_id: str,
        title: str,
        origin: str,
        source_date: str,
        content: bytes,
        meta: CommandMeta,
        expected_version: int | None = None,
        conn: AsyncConnection | None = None,
    ) -> RegisteredSource:
        """Register a source document, or a new version of it (re-checking every citation into it).

        With `expected_version`, the source's stream must be at that version (0: a new source); a new
        version of an existing source needs it.
        """
        text = content.decode("utf-8")
        sha256 = hashlib.sha256(content).hexdigest()
        proposed = None if conn is not None else await self._proposals_before_lock(source_id, sha256, text)
        async with self._in(conn) as tx:
            stream = source_stream(source_id)
            state = initial_source_state()
            for recorded in await self.store.read_stream(stream, conn=tx):
                state = evolve_source(state, decoded(recorded))
            command = RegisterSource(
                source_id=source_id,
                title=title,
                origin=origin,
                source_date=source_date,
                text=text,
                content_sha256=sha256,
                recorded_at=self._clock(),
                citations=await citations.refs_into(tx, source_id) if state.exists else (),
                expected_version=expected_version,
            )
            events = decide_source(command, state)
            appended = await self._commit(tx, stream, state.version, events, meta)
            made = await self._propose_in(tx, events, proposed, meta)
            for event in events:
                state = evolve_source(state, event)
            return RegisteredSource(stream, state.version, appended, state=state, proposals=made)
