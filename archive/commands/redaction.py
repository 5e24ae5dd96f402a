"""Redaction: replace an event's payload by its hash, record why, and withdraw what the payload fed.

In one write transaction (which holds the append lock, so two redactions of one event cannot both pass):
read the event, decide, append the redaction event to the redacted event's own stream, replace the
payload with its marker (the `events` trigger checks the marker against the payload it replaces), and
project. On the fact's own stream, the redaction moves its version: a command decided on the fact
before it (outside the lock) is refused at its append and decided again, on a fact that is gone.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from archive.commands.unit import CommandBase, CommandMeta, Written
from archive.domain.redaction import LoggedEvent, RedactEvent, decide_redaction
from archive.eventstore.redaction import content_sha256, is_redacted


class RedactionCommands(CommandBase):
    """The redaction handler."""

    async def redact_event(
        self,
        *,
        position: int,
        reason_code: str,
        justification: str,
        meta: CommandMeta,
        conn: AsyncConnection | None = None,
    ) -> Written:
        """Redact the payload of the event at `position` (privacy or a legal order, with the reason)."""
        async with self._in(conn) as tx:
            stored = await self.store.read_position(tx, position)
            target = (
                None
                if stored is None
                else LoggedEvent(
                    position=stored.position,
                    stream_id=stored.stream_id,
                    event_type=stored.event_type,
                    content_sha256=None if is_redacted(stored.data) else content_sha256(stored.data),
                )
            )
            event = decide_redaction(RedactEvent(position, reason_code, justification, self._clock()), target)
            stream = event.stream_id
            version = await self.store.stream_version(stream, conn=tx)
            appended = await self._commit(tx, stream, version, [event], meta)
            await self.store.redact_in(tx, position)
            return Written(stream, version + len(appended), appended)
