"""Async code run to its end over a synchronous connection, in one step.

The findings' rules are written against `AsyncConnection` and await only its `execute`, `scalars` and
`scalar`. Over a synchronous connection those awaits never suspend, so the coroutine runs to its end the
first time it is stepped: inside a migration (which has a synchronous connection), or inside SQLite's
driver thread, where a whole write is one trip (`Backend.follow_in_one_trip`).
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

from sqlalchemy.engine import Connection

T = TypeVar("T")


class AwaitableConnection:
    """A synchronous connection behind the three awaited methods the async code uses."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect
        self.sync_connection = conn  # as an async connection's, for `schema_of`

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        return self.conn.execute(statement, parameters)

    async def scalars(self, statement: Any, parameters: Any = None) -> Any:
        return self.conn.scalars(statement, parameters)

    async def scalar(self, statement: Any) -> Any:
        return self.conn.scalar(statement)


def run_to_end(step: Coroutine[Any, Any, T]) -> T:
    """The coroutine's result, stepped once: it must not wait on anything a synchronous connection
    cannot give (a lock, a sleep, another connection), or this raises."""
    try:
        step.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    step.close()
    raise RuntimeError("the work waited on something a synchronous connection cannot give")
