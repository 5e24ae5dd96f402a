"""The web interface: HTML pages for archivists and auditors, served by the API's own app.

`create_app` registers what this package exposes: the page routes (under `/ui`, plus `/` leading there),
the static files (`/static`: CSS, the vendored htmx, the quote-selection script), the Jinja2 template
config (autoescaping on), and the CSRF config, which protects the pages' forms and leaves the JSON API
(bearer tokens, never cookies) alone.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from litestar import Router
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import HTTPException
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from api.errors import ApiProblem
from api.web.archivist import EditController, RecordController
from api.web.auditor import AuditController
from api.web.auth import WEB_PREFIX, NotAllowed, SignInController, SignInRequired, pages_guard
from api.web.entity_forms import EntityFormsController
from api.web.findings_pages import FindingPagesController
from api.web.pages import (
    EntityPagesController,
    FactPageController,
    SearchController,
    root,
)
from api.web.proposal_pages import ProposalPagesController
from api.web.rendering import (
    on_api_problem,
    on_domain_error,
    on_http_exception,
    on_not_allowed,
    on_not_found,
    on_redacted,
    on_sign_in_required,
    on_unexpected,
    template_config,
)
from api.web.source_pages import SourcePagesController
from archive.domain.errors import DomainError
from archive.reads import NotFound
from archive.reads.errors import Redacted

STATIC = Path(__file__).resolve().parents[1] / "static"

#: Error pages instead of problem+json, for the page routes only.
PAGE_EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    NotFound: on_not_found,
    # Without it the app's problem+json handler for Redacted, a closer match than NotFound, answers a page.
    Redacted: on_redacted,
    ApiProblem: on_api_problem,
    HTTPException: on_http_exception,
    SignInRequired: on_sign_in_required,
    NotAllowed: on_not_allowed,
    DomainError: on_domain_error,
    Exception: on_unexpected,
}


def web_route_handlers() -> list[ControllerRouterHandler]:
    """The pages (one router under /ui) and the static files."""
    pages = Router(
        path=WEB_PREFIX,
        route_handlers=[
            SearchController,
            FactPageController,
            EditController,
            EntityFormsController,
            EntityPagesController,
            SourcePagesController,
            FindingPagesController,
            ProposalPagesController,
            RecordController,
            AuditController,
            SignInController,
        ],
        guards=[pages_guard],
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )
    static = create_static_files_router(path="/static", directories=[STATIC], name="web:static")
    return [pages, root, static]


def web_csrf_config(secret: str | None) -> CSRFConfig:
    """CSRF protection for every form of the pages; the JSON API paths are excluded.

    The secret comes from the settings (ARCHIVE_CSRF_SECRET), or is drawn at start-up (a form opened
    before a restart then fails once, with a page that says to reload it; several workers need it set).
    """
    secret = secret or secrets.token_hex(32)
    return CSRFConfig(
        secret=secret,
        cookie_httponly=True,
        cookie_samesite="strict",
        # Every path but the pages' (and the bare root, a redirect): the JSON API authenticates by bearer
        # token, never by cookie, so there is no cross-site request to forge there.
        exclude=[rf"^/(?!{WEB_PREFIX.strip('/')}(?:/|$))."],
    )


__all__ = ["template_config", "web_csrf_config", "web_route_handlers"]
