"""Bearer-token access control, as Litestar guards.

Writes need `archivist`; the log and the audit endpoints need `auditor`; `admin` may do everything.
Reads are public unless the settings require a token. Every refusal is logged with the method, the path
and the reason, never with the token.
"""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from api.errors import ApiProblem
from archive.settings import Settings
from archive.tokens import Principal, Role, authenticate

log = structlog.get_logger("api.auth")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="archive"'}


def _bearer(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else ""


def _refuse(
    connection: ASGIConnection[Any, Any, Any, Any], status: int, reason: str, **context: Any
) -> ApiProblem:
    log.warning(
        "access refused",
        status=status,
        why=reason,
        method=connection.scope.get("method"),
        path=connection.url.path,
        **context,
    )
    if status == 401:
        return ApiProblem(401, "Unauthorized", reason, headers=CHALLENGE)
    return ApiProblem(403, "Forbidden", reason)


async def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The caller's principal, from a live bearer token; 401 otherwise."""
    cached = connection.state.get("principal")
    if isinstance(cached, Principal):
        return cached
    token = _bearer(connection)
    if token is None:
        raise _refuse(connection, 401, "a bearer token is required: Authorization: Bearer <token>")
    if not token:
        raise _refuse(connection, 401, "the Authorization header is not a bearer token")
    principal = await authenticate(connection.app.state.engine, token)
    if principal is None:
        raise _refuse(connection, 401, "the token is unknown or revoked")
    connection.state.principal = principal
    return principal


class RoleGuard:
    """A guard letting through principals with one of `roles` (or admin).

    It keeps its roles so that the OpenAPI document can say, operation by operation, which role the
    server requires (`api.openapi`).
    """

    def __init__(self, roles: tuple[Role, ...]) -> None:
        self.roles = roles

    async def __call__(self, connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = await principal_of(connection)
        if not principal.has_role(*self.roles):
            raise _refuse(
                connection,
                403,
                f"this needs the {' or '.join(self.roles)} role; the token has {principal.role}",
                token_id=principal.token_id,
            )


def requires(*roles: Role) -> Guard:
    """A guard letting through principals with one of `roles` (or admin)."""
    return RoleGuard(roles)


async def reads_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Reads are public unless the settings require a token for them too."""
    settings: Settings = connection.app.state.settings
    if settings.require_token_for_reads:
        await principal_of(connection)


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """The principal a guard has already authenticated."""
    principal = request.state.get("principal")
    if not isinstance(principal, Principal):
        raise ApiProblem(401, "Unauthorized", "a bearer token is required", headers=CHALLENGE)
    return principal
