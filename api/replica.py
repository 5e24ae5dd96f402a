"""Reads on a read-only replica, with read-your-writes.

Writes go to the primary, the one sequencer of the log. With `ARCHIVE_READ_DATABASE_URL` set, the API's
reads (GET and HEAD) go to a streaming replica instead, which may be a little behind. So that a client
reads what it has just written:

- every successful write answers `Archive-Position: N`, the log position of its last event (the log's
  head when it appended nothing);
- a read sending `Archive-Min-Position: N` is answered by the replica once its log holds position N
  (asked after 10, 20, 40... ms, for at most `ARCHIVE_READ_WAIT_MS`), and by the primary after that.
  The answer is never older than what was asked: a lagging replica costs time, never freshness;
- `Archive-Read-From: replica` or `primary` says which one answered;
- a browser sends no headers of its own, so with a replica a write also sets the cookie
  `archive_position` (for `POSITION_COOKIE_S`): the page a form redirects to is read as if it named the
  position, and shows the change it made.

A replica that does not answer (down, or its connection broken) never makes a read fail: the read is
answered by the primary, a warning is logged, and the replica is left alone for `REPLICA_RETRY_S` before
it is tried again. A host that never answers costs the first read `ARCHIVE_READ_CONNECT_TIMEOUT_MS`
(the replica engine's connect timeout), not the driver's 60 s. Positions are compared with the
replica's own log (`max(position)` of its events), so none of this knows which database it runs on.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any, Literal, TypeVar

import msgspec
import structlog
from litestar import Litestar, Request
from litestar.datastructures import Cookie, MutableScopeHeaders, State
from litestar.enums import ScopeType
from litestar.exceptions import ValidationException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.commands import Archive
from archive.reads import Reads

#: The response header of a write: the log position a later read may name.
POSITION_HEADER = "Archive-Position"
#: The request header of a read: answer from a log holding at least this position.
MIN_POSITION_HEADER = "Archive-Min-Position"
#: The response header of a read when a replica is configured: which database answered.
READ_FROM_HEADER = "Archive-Read-From"
#: With a replica, a write's position is also kept in this cookie, for the pages a browser reads next.
POSITION_COOKIE = "archive_position"
#: How long the cookie lives: long past any lag a replica should have, short enough to stop costing a check.
POSITION_COOKIE_S = 60
#: After a replica failed, how long reads go straight to the primary before it is tried again.
REPLICA_RETRY_S = 5.0
#: How soon a read naming a position asks the replica again how far it has replayed; each wait doubles,
#: up to `POLL_MAX_S`, so a replica a few milliseconds behind is caught at once and one far behind is
#: asked a handful of times per wait, not fifty.
POLL_S = 0.01
POLL_MAX_S = 0.1
#: Request state keys: the position a write reached, and which database answered a read.
_POSITION_KEY = "archive_position"
_READ_FROM_KEY = "archive_read_from"
#: Methods whose reads may be answered by the replica; a write reads what it decides on from the primary.
_READ_METHODS = frozenset({"GET", "HEAD"})
#: A position as a client sends it: ASCII digits only (`str.isdigit` takes "²", which `int` refuses).
_POSITION = re.compile(r"[0-9]{1,19}")
#: The largest position a client may name (the events table's BIGINT).
_MAX_POSITION = (1 << 63) - 1

ReadFrom = Literal["replica", "primary"]
T = TypeVar("T")
log = structlog.get_logger("api.replica")


class ReplicaHealth(msgspec.Struct, frozen=True, omit_defaults=True):
    """The replica as /health sees it: whether it answers, how far its log goes and how far behind it is."""

    state: Literal["up", "down"]
    #: The newest position in the replica's log (None when it does not answer).
    position: int | None = None
    #: How many events of the primary's log the replica has not replayed yet.
    events_behind: int | None = None
    #: How long ago the primary recorded the oldest event the replica has not replayed (0 when none).
    lag_seconds: float | None = None
    #: Why it is down: the error's type, never its text (which may hold the URL).
    error: str | None = None


class ReadRouting:
    """Chooses the database that answers each read, and answers for the replica's health."""

    def __init__(
        self,
        primary: Reads,
        replica: Reads | None,
        wait_ms: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary = primary
        self.replica = replica
        self.wait_s = wait_ms / 1000
        self._clock = clock
        #: Until when (by `clock`) the replica is left alone after it failed.
        self._down_until = 0.0

    def _replica_is_resting(self) -> bool:
        return self._clock() < self._down_until

    def replica_failed(self, error: BaseException, during: str) -> None:
        """Log that the replica failed and send reads to the primary for `REPLICA_RETRY_S`."""
        self._down_until = self._clock() + REPLICA_RETRY_S
        log.warning(
            "read replica unavailable, reading from the primary",
            during=during,
            error=type(error).__name__,
            retry_in_s=REPLICA_RETRY_S,
        )

    async def choose(self, min_position: int | None) -> tuple[Reads, ReadFrom]:
        """The replica when it answers and holds `min_position` within the wait; the primary otherwise."""
        replica = self.replica
        if replica is None or self._replica_is_resting():
            return self.primary, "primary"
        if min_position is None:
            return replica, "replica"
        deadline = self._clock() + self.wait_s
        poll = POLL_S
        while True:
            try:
                reached = await replica.store.head_position()
            except (SQLAlchemyError, OSError) as error:
                self.replica_failed(error, "position check")
                return self.primary, "primary"
            if reached >= min_position:
                return replica, "replica"
            remaining = deadline - self._clock()
            if remaining <= 0:
                log.info("read replica behind the position asked, reading from the primary",
                         asked=min_position, replica_position=reached, waited_s=self.wait_s)  # fmt: skip
                return self.primary, "primary"
            await asyncio.sleep(min(poll, remaining))
            poll = min(poll * 2, POLL_MAX_S)

    async def health(self) -> ReplicaHealth | None:
        """The replica's state and lag behind the primary (None without a replica).

        Asks the replica even while reads rest from it, so that /health shows it back as soon as it is.
        """
        if self.replica is None:
            return None
        try:
            position = await self.replica.store.head_position()
        except (SQLAlchemyError, OSError) as error:
            return ReplicaHealth(state="down", error=type(error).__name__)
        self._down_until = 0.0
        head = await self.primary.store.head_position()
        behind = max(head - position, 0)
        lag = 0.0
        if behind:
            oldest_missing = await self.primary.store.read_all(position, 1, upcast=False)
            if oldest_missing:
                lag = max((datetime.now(UTC) - oldest_missing[0].recorded_at).total_seconds(), 0.0)
        return ReplicaHealth(state="up", position=position, events_behind=behind, lag_seconds=round(lag, 3))


def min_position_of(request: Request[Any, Any, Any]) -> int | None:
    """The position `Archive-Min-Position` names; a 400 naming the header when it is not one."""
    raw = request.headers.get(MIN_POSITION_HEADER)
    if raw is None:
        return None
    value = raw.strip()
    if _POSITION.fullmatch(value) and int(value) <= _MAX_POSITION:
        return int(value)
    raise ValidationException(
        extra=[
            {
                "key": MIN_POSITION_HEADER,
                "message": "is not a log position: send the Archive-Position a write answered, e.g. 42",
                "source": "header",
            }
        ]
    )


def _cookie_position(request: Request[Any, Any, Any]) -> int | None:
    """The position the `archive_position` cookie holds; a cookie that holds none is ignored (this
    server set it: it is a hint, not a client's request to refuse)."""
    value = request.cookies.get(POSITION_COOKIE, "")
    return int(value) if _POSITION.fullmatch(value) and int(value) <= _MAX_POSITION else None


def _request_state(request: Request[Any, Any, Any]) -> dict[str, Any]:
    state: dict[str, Any] = request.scope.setdefault("state", {})
    return state


async def _replica_then_primary(
    routing: ReadRouting,
    state: dict[str, Any],
    what: str,
    on_replica: Callable[[], Awaitable[T]],
    on_primary: Callable[[], Awaitable[T]],
) -> T:
    """`on_replica()`, or `on_primary()` when the replica fails it."""
    try:
        return await on_replica()
    except (SQLAlchemyError, OSError) as error:
        # A read only reads: asked again of the primary, it answers what the replica would have.
        routing.replica_failed(error, what)
        state[_READ_FROM_KEY] = "primary"
        return await on_primary()


class _FallingBackReads(Reads):
    """The replica's read side for one request: a read it fails is answered by the primary instead.

    A `Reads` (handlers' dependencies are checked to be one) that forwards every attribute to the
    replica's: only the handler's own call is wrapped, the reads it makes inside run on the replica alone.
    """

    def __init__(self, routing: ReadRouting, replica: Reads, state: dict[str, Any]) -> None:
        # Not Reads.__init__: this holds no engines of its own, it forwards to the replica's read side.
        object.__setattr__(self, "_forwarded", (routing, replica, state))

    def __getattribute__(self, name: str) -> Any:
        routing, replica, state = object.__getattribute__(self, "_forwarded")
        attribute = getattr(replica, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute  # the vocabulary, the predicates: the same on both
        read: Callable[..., Awaitable[Any]] = attribute

        @wraps(read)
        async def read_or_fall_back(*args: Any, **kwargs: Any) -> Any:
            return await _replica_then_primary(
                routing,
                state,
                name,
                lambda: read(*args, **kwargs),
                lambda: getattr(routing.primary, name)(*args, **kwargs),
            )

        return read_or_fall_back


async def read_on_engine(queries: Reads, read: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    """`read` on the engine of `queries`, for reads made on an engine rather than through `Reads`' own
    methods: on the replica's, with the primary's behind it when `queries` is a routed read side."""
    if not isinstance(queries, _FallingBackReads):
        return await read(queries.engine)
    routing, replica, state = object.__getattribute__(queries, "_forwarded")
    return await _replica_then_primary(
        routing,
        state,
        "a read on the engine",
        lambda: read(replica.engine),
        lambda: read(routing.primary.engine),
    )


async def provide_routed_queries(state: State, request: Request[Any, Any, Any]) -> Reads:
    """The read side for this request: the primary's for a write, else the one `ReadRouting` chooses."""
    routing: ReadRouting = state.read_routing
    if request.method not in _READ_METHODS:
        return routing.primary
    min_position = min_position_of(request)  # refused alike with or without a replica
    if routing.replica is None:
        return routing.primary
    named = [p for p in (min_position, _cookie_position(request)) if p is not None]
    reads, read_from = await routing.choose(max(named, default=None))
    request_state = _request_state(request)
    request_state[_READ_FROM_KEY] = read_from
    if read_from == "primary":
        return reads
    return _FallingBackReads(routing, reads, request_state)


class _PositionRecordingArchive(Archive):
    """The command side for one request: each command's log position is kept for the response.

    An `Archive` that forwards every attribute to the app's one command side, its commands wrapped.
    """

    def __init__(self, archive: Archive, state: dict[str, Any]) -> None:
        # Not Archive.__init__: the store, the vocabulary and the caches stay the app's one command side's.
        object.__setattr__(self, "_forwarded", (archive, state))

    def __getattribute__(self, name: str) -> Any:
        archive, state = object.__getattribute__(self, "_forwarded")
        attribute = getattr(archive, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute
        command: Callable[..., Awaitable[Any]] = attribute

        @wraps(command)
        async def command_then_position(*args: Any, **kwargs: Any) -> Any:
            result = await command(*args, **kwargs)
            events = getattr(result, "events", None)
            if events:
                position = max(event.position for event in events)
            else:
                # Nothing appended (it was already so): the head covers whatever made it so.
                position = await archive.store.head_position()
            state[_POSITION_KEY] = max(position, state.get(_POSITION_KEY, 0))
            return result

        return command_then_position


def provide_positioned_archive(state: State, request: Request[Any, Any, Any]) -> Archive:
    """The command side, reporting the log position of what this request writes."""
    archive: Archive = state.archive
    return _PositionRecordingArchive(archive, _request_state(request))


class ReadYourWritesMiddleware(ASGIMiddleware):
    """Adds `Archive-Position` to a write's answer and `Archive-Read-From` to a routed read's."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Pass the request on; add the headers its handler's dependencies left in the request state."""

        async def send_with_position(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state", {})
                headers = MutableScopeHeaders.from_message(message)
                if _POSITION_KEY in state:
                    position = str(state[_POSITION_KEY])
                    headers.add(POSITION_HEADER, position)
                    if Litestar.from_scope(scope).state.read_routing.replica is not None:
                        cookie = Cookie(
                            key=POSITION_COOKIE, value=position, max_age=POSITION_COOKIE_S, httponly=True
                        )
                        headers.add("Set-Cookie", cookie.to_header(header=""))
                if _READ_FROM_KEY in state:
                    headers.add(READ_FROM_HEADER, state[_READ_FROM_KEY])
            await send(message)

        await next_app(scope, receive, send_with_position)
