"""Signing in to the pages: the API token is kept in an HttpOnly cookie, never in a URL.

The cookie's token is checked exactly like a bearer token: `archive.tokens.authenticate`, then the same
roles (`archivist` for writes, `auditor` for the log, `admin` for all; reads public unless the settings
say otherwise). The cookie is scoped to the pages' path, so the JSON API never sees it: the API stays
bearer-only, and only cookie-authenticated requests need (and get) CSRF protection.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

import structlog
from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.handlers.base import BaseRouteHandler
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template
from litestar.types import Guard

from api.web.rendering import TOKEN_COOKIE, page
from archive.settings import Settings
from archive.tokens import Principal, Role, authenticate

log = structlog.get_logger("api.web.auth")

WEB_PREFIX = "/ui"
MAX_TOKEN_LENGTH = 200
#: Pages anyone may open even when reads need a token: signing in and out.
PUBLIC_PATHS = frozenset({f"{WEB_PREFIX}/sign-in", f"{WEB_PREFIX}/sign-out"})


class SignInRequired(Exception):
    """The page needs a signed-in user (401)."""


class NotAllowed(Exception):
    """The signed-in user's role does not allow this page (403)."""


async def viewer_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """Who is signed in, from the cookie's token (None when nobody is, or the token is not live)."""
    if "web_viewer" in connection.state:
        cached = connection.state["web_viewer"]
        return cached if isinstance(cached, Principal) else None
    token = connection.cookies.get(TOKEN_COOKIE)
    principal = None
    if token and len(token) <= MAX_TOKEN_LENGTH:
        principal = await authenticate(connection.app.state.engine, token)
    connection.state["web_viewer"] = principal
    return principal


def _refuse(connection: ASGIConnection[Any, Any, Any, Any], status: int, reason: str) -> Exception:
    log.warning(
        "access refused",
        status=status,
        why=reason,
        method=connection.scope.get("method"),
        path=connection.url.path,
    )
    return SignInRequired(reason) if status == 401 else NotAllowed(reason)


async def pages_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Every page: know who is signed in; reads need a token when the settings say so (as the API)."""
    viewer = await viewer_of(connection)
    settings: Settings = connection.app.state.settings
    if viewer is None and settings.require_token_for_reads and connection.url.path not in PUBLIC_PATHS:
        raise _refuse(connection, 401, "reading needs a token: sign in")


def page_requires(*roles: Role) -> Guard:
    """A guard letting through signed-in users with one of `roles` (or admin), like `api.auth.requires`."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        viewer = await viewer_of(connection)
        if viewer is None:
            raise _refuse(connection, 401, f"this page needs the {' or '.join(roles)} role: sign in")
        if not viewer.has_role(*roles):
            raise _refuse(
                connection,
                403,
                f"this page needs the {' or '.join(roles)} role; you are signed in as {viewer.role}",
            )

    return guard


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a page of this site only (never another host)."""
    if not target:
        return f"{WEB_PREFIX}/search"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(WEB_PREFIX) or "\\" in target:
        return f"{WEB_PREFIX}/search"
    return target


def _token_cookie(request: Request[Any, Any, Any], value: str, max_age: int | None) -> Cookie:
    return Cookie(
        key=TOKEN_COOKIE,
        value=value,
        path=WEB_PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=max_age,
    )


class SignInController(Controller):
    """GET and POST /ui/sign-in, POST /ui/sign-out."""

    path = "/"

    @get("/sign-in", name="web:sign-in")
    async def sign_in_form(
        self,
        request: Request[Any, Any, Any],
        next_: Annotated[str | None, QueryParameter(name="next", max_length=2000)] = None,
    ) -> Template:
        """The sign-in form: paste an API token (created with `archive tokens create`)."""
        return page(request, "sign_in.html", next=safe_next(next_))

    @post("/sign-in", status_code=303)
    async def sign_in(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Redirect | Template:
        """Check the token like a bearer token; on success keep it in an HttpOnly cookie."""
        token = (data.get("token") or "").strip()
        target = safe_next(data.get("next"))
        principal = None
        if token and len(token) <= MAX_TOKEN_LENGTH:
            principal = await authenticate(request.app.state.engine, token)
        if principal is None:
            log.warning("sign-in refused", why="the token is unknown or revoked", path=request.url.path)
            return page(
                request,
                "sign_in.html",
                status_code=401,
                next=target,
                error="That token is unknown or revoked. Check it and try again.",
            )
        log.info("signed in", token_id=principal.token_id, role=principal.role)
        redirect = Redirect(target, status_code=303)
        redirect.set_cookie(_token_cookie(request, token, max_age=None))
        return redirect

    @post("/sign-out", status_code=303)
    async def sign_out(self, request: Request[Any, Any, Any]) -> Redirect:
        """Forget the token cookie."""
        redirect = Redirect(f"{WEB_PREFIX}/search", status_code=303)
        redirect.set_cookie(_token_cookie(request, "", max_age=0))
        return redirect
