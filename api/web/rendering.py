"""How pages are rendered: the Jinja2 environment (autoescaping everything), the common page context and
headers, and the HTML error pages the page routes use instead of the API's problem+json."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import msgspec
import structlog
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request
from litestar.exceptions import HTTPException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template import TemplateConfig

from api.web.timeline_svg import date_text, valid_time_text
from archive.domain.errors import DomainError
from archive.domain.vocabulary import Vocabulary
from archive.reads.errors import Redacted

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
#: The cookie that keeps a signed-in user's API token (HttpOnly, SameSite=Strict, path /ui).
TOKEN_COOKIE = "archive_token"
log = structlog.get_logger("api.web")

#: Scripts and styles only from this site: an injected `<script>` could not run even if it escaped.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def iso(moment: datetime | None) -> str:
    """An RFC 3339 timestamp in UTC with microseconds, as `as_of` takes it (exactly a record time)."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def when(moment: datetime | None) -> str:
    """A record time for people: UTC to the second."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def pretty_json(data: Any) -> str:
    """Event data as indented JSON text (escaped by the template like any other text)."""
    return msgspec.json.format(msgspec.json.encode(data), indent=2).decode("utf-8")


def query(**params: Any) -> str:
    """A query string from the parameters that have a value."""
    kept = {k.rstrip("_"): v for k, v in params.items() if v is not None and v is not False and v != ""}
    return urlencode(kept)


def environment() -> Environment:
    """The pages' Jinja2 environment: autoescape on for every template, undefined names are errors."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(iso=iso, when=when, query=query, date_text=date_text, valid_time_text=valid_time_text)
    env.filters.update(pretty_json=pretty_json, iso=iso, when=when)
    return env


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """The app's template configuration."""
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment()))


def page_headers(request: Request[Any, Any, Any]) -> dict[str, str]:
    """Headers every page carries."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Vary": "Cookie, HX-Request",
    }
    if request.cookies.get(TOKEN_COOKIE):
        headers["Cache-Control"] = "no-store"
    return headers


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """Whether htmx asked for a fragment of the page (the pages work without it)."""
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )


def page(
    request: Request[Any, Any, Any], template: str, *, status_code: int = 200, **context: Any
) -> Template:
    """A page: the template with the common context (who is signed in, predicate labels) and headers."""
    vocabulary: Vocabulary = request.app.state.queries.vocabulary
    viewer = request.state.get("web_viewer")
    common = {
        "viewer": viewer,
        "predicate_labels": {name: p.label for name, p in vocabulary.predicates.items()},
        "path": request.url.path,
        "request_query": request.url.query,
    }
    return Template(
        template_name=template,
        context={**common, **context},
        status_code=status_code,
        headers=page_headers(request),
    )


def error_page(
    request: Request[Any, Any, Any], status: int, title: str, detail: str, **extra: Any
) -> Template:
    """An HTML error page."""
    return page(request, "error.html", status_code=status, title=title, detail=detail, **extra)


def on_not_found(request: Request[Any, Any, Any], exc: Exception) -> Template:
    """404 for a fact, entity or source that does not exist (or did not yet at `as_of`)."""
    return error_page(request, 404, "Not found", str(exc))


def on_redacted(request: Request[Any, Any, Any], exc: Redacted) -> Template:
    """410, as the API answers: the fact was withdrawn by a redaction, with links to the redaction events
    in the log (an auditor's page), where its reason and the redacted event's hash are kept."""
    return page(
        request,
        "redacted.html",
        status_code=410,
        detail=str(exc),
        redaction_positions=exc.redaction_positions,
    )


def on_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Template:
    """4xx raised by the framework: a bad parameter, a refused CSRF token, a body too large."""
    if exc.status_code == 403 and "CSRF" in str(exc.detail):
        response = error_page(
            request,
            403,
            "The form has expired",
            "This form's security token is missing or no longer valid (for instance after the server "
            "restarted). Nothing was changed. Go back, reload the page and submit the form again.",
        )
        # Forget the stale token so that the reloaded page gets a fresh one.
        response.delete_cookie("csrftoken", path="/")
        return response
    titles = {400: "Bad request", 404: "Not found", 405: "Method not allowed", 413: "Too large"}
    return error_page(request, exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail))


def on_api_problem(request: Request[Any, Any, Any], exc: Any) -> Template:
    """An `ApiProblem` (e.g. a bad `valid_at` a page did not catch itself), as a page."""
    return error_page(request, exc.status, exc.title, exc.detail)


def on_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Template:
    """A command the archive refused, when a page did not catch it itself."""
    return error_page(request, 422, "Not accepted", exc.message)


def on_sign_in_required(request: Request[Any, Any, Any], exc: Exception) -> Template:
    """401: the sign-in form, coming back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return page(request, "sign_in.html", status_code=401, next=target, error=str(exc))


def on_not_allowed(request: Request[Any, Any, Any], exc: Exception) -> Template:
    """403: signed in, but with a role that does not allow this page."""
    return error_page(request, 403, "Not allowed", str(exc))


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Template:
    """500: logged with its traceback (a 500 is a bug)."""
    log.exception("unhandled error on a page", path=request.url.path, method=request.method)
    return error_page(request, 500, "Internal error", "An unexpected error; it has been logged.")
