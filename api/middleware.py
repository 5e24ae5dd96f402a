"""Request ids and access logs, and complete `Allow` headers.

Neither request bodies nor headers (so no tokens) are ever logged.
"""

from __future__ import annotations

import time
import uuid

import structlog
from litestar import Litestar
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = b"x-request-id"
log = structlog.get_logger("api.access")


def _incoming_request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER:
            candidate = value.decode("latin-1")[:64]
            if candidate.replace("-", "").isalnum():
                return candidate
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Give every request an id (the client's `X-Request-ID` when sane), echo it, and log the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER, request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            except HTTPException as error:
                # Refused before the router (the CSRF check): the exception handler outside this
                # middleware answers it with its own status, which is what the client gets.
                status = error.status_code
                raise
            finally:
                log.info(
                    "request",
                    method=scope.get("method"),
                    path=scope.get("path"),
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                )


class AllowHeaderMiddleware:
    """Answer `OPTIONS` with every method of the path in `Allow`.

    Litestar 2 builds a path's automatic OPTIONS handler when the path's first handler is registered,
    and that handler keeps listing only the methods known then (litestar-org/litestar#4169, fixed in v3):
    `/sources` said `GET, OPTIONS` without its POST. This rewrites the header from the final route.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope.get("method") != "OPTIONS":
            await self.app(scope, receive, send)
            return
        methods = _route_methods(scope)

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and methods:
                headers = [
                    (name, value) for name, value in message.get("headers", []) if name.lower() != b"allow"
                ]
                headers.append((b"allow", ", ".join(methods).encode("latin-1")))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_allow)


def _route_methods(scope: Scope) -> list[str]:
    """The methods of the route whose handler answers this request, sorted; empty if none is found."""
    handler = scope.get("route_handler")
    for route in Litestar.from_scope(scope).routes:
        if isinstance(route, HTTPRoute) and handler in route.route_handlers:
            return sorted(route.methods)
    return []
