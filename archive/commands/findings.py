"""Findings: dismiss one with a reason (an event, so the log shows who looked at what and why).

A finding is computed by the read model (archive/projections/findings.py); its dismissal has a stream of
its own, `finding:<id>`. The handler loads inside the write transaction (which holds the append lock):
whether the finding stands now is a row of a read model, which no stream version covers.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.commands.unit import CommandBase, CommandMeta, Written
from archive.domain.events import DismissalReason
from archive.domain.findings import DismissFinding, FindingState, decide_dismissal, finding_stream
from archive.projections.findings import findings_table
from archive.reads.errors import NotFound


class FindingCommands(CommandBase):
    """The finding handler."""

    async def dismiss_finding(
        self,
        *,
        finding_id: str,
        expected_version: int,
        reason_code: DismissalReason,
        justification: str,
        meta: CommandMeta,
        conn: AsyncConnection | None = None,
    ) -> Written:
        """Dismiss a finding that stands now, naming the version of its stream read (0: never dismissed)."""
        async with self._in(conn) as tx:
            # What stands now: the findings of writes whose catch-up has not run yet included.
            await self.findings.catch_up_in(tx)
            kind = (
                await tx.execute(
                    select(findings_table.c.kind).where(findings_table.c.finding_id == finding_id)
                )
            ).scalar_one_or_none()
            if kind is None:
                raise NotFound(
                    f"no finding {finding_id} stands now: it was never found, or what made it changed"
                )
            stream = finding_stream(finding_id)
            version = await self.store.stream_version(stream, conn=tx)
            command = DismissFinding(finding_id, expected_version, reason_code, justification, self._clock())
            events = decide_dismissal(command, FindingState(exists=True, version=version, kind=str(kind)))
            appended = await self._commit(tx, stream, version, events, meta)
            return Written(stream, version + len(appended), appended)
