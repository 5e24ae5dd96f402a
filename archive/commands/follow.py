"""The findings follow the log: after a one-trip write, caught up in the background, or before a read.

A fact written in one trip (`EventStore.append_and_project`) is projected into every read model but the
findings, which are queried from the rows that trip wrote. Their catch-up (archive/projections/findings.py,
`catch_up`) computes again the scopes of every event after their checkpoint, in a transaction of its own
under the follow lock (on PostgreSQL not the append lock: writes go on meanwhile; decision 0018).
`FindingsFollower` decides when:

- with `delay=None`, at once, before the write's command returns (the library's default: a script, the
  CLI and the tests see the findings of what they wrote);
- with a delay (the server's: `Settings.findings_delay_ms`), in a task started by the first write after
  a catch-up and run `delay` seconds later, which takes every write made meanwhile in one catch-up. A
  write's answer no longer waits for its findings, and a steady writer pays one catch-up for many writes
  (docs/decisions/0018-findings-follow-the-log.md);
- and always before the findings are read (`settled`): a read that finds their checkpoint behind the log
  catches them up first, so a read never lists findings older than the log it reads.

Nothing is lost when a task is cancelled or fails (a crash, the server stopping): the checkpoint stays
behind and the next catch-up, of any process, makes it good.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.vocabulary import Vocabulary
from archive.eventstore import EventStore
from archive.eventstore.table import events_table
from archive.projections import findings

log = structlog.get_logger("archive.findings")


class FindingsFollower:
    """When the findings catch up with one-trip writes: at once, or `delay` seconds after the first."""

    def __init__(self, store: EventStore, vocabulary: Vocabulary, delay: float | None = None) -> None:
        self._store = store
        self._vocabulary = vocabulary
        self.delay = delay
        self._task: asyncio.Task[None] | None = None
        # A write committed that no catch-up begun yet has taken: the task goes round once more.
        self._behind = False

    async def wrote(self) -> None:
        """A one-trip write committed: catch its findings up now, or see that a task will."""
        if self.delay is None:
            await self.catch_up()
            return
        self._behind = True
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._follow(self.delay))

    async def _follow(self, delay: float) -> None:
        # A write that commits while a catch-up runs may come after what it read: it goes round again.
        while self._behind:
            await asyncio.sleep(delay)
            self._behind = False
            try:
                await self.catch_up()
            except Exception:  # the next catch-up makes it good; a task has no caller to raise to
                log.warning("findings catch-up failed; the next one will make it good", exc_info=True)

    async def catch_up(self) -> None:
        """Compute the findings of every event after their checkpoint (nothing when there is none)."""
        # Its statements are many and small: on SQLite they run as one trip to the driver's thread. On
        # PostgreSQL the writes go on meanwhile: a catch-up reads the log at each page, and a write that
        # commits during it is in a later page, whose scopes are computed again after it committed.
        await self._store.follow_in_one_trip(self.catch_up_in)

    async def catch_up_in(self, conn: AsyncConnection) -> None:
        """`catch_up` in the caller's write transaction, which holds the follow lock."""
        await findings.catch_up(conn, findings.read_after(self._store, conn), self._vocabulary)

    async def settled(self) -> None:
        """The findings as of the log's head: caught up first when their checkpoint is behind it (a write
        of this process whose task has not run yet, or one of another process)."""
        reads, _ = self._store.backend.read_engines(self._store.engine)
        async with reads.connect() as conn:
            done = await findings.refreshed_through(conn)
            head = await conn.scalar(select(func.max(events_table.c.position)))
        if head is not None and done < head:
            await self.catch_up()

    async def close(self) -> None:
        """Stop a waiting task (what it would have done is left to the next catch-up)."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
