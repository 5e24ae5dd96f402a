"""RFC 9457 problem details for every error the API returns.

Each known error type maps to a status code here, in one table; anything else is a 500 that is logged
with its traceback (a 500 is a bug).
"""

from __future__ import annotations

import re
from typing import Any, Literal, get_args, get_origin, get_type_hints

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError

from api.etags import etag, precondition_from_header
from archive.domain.errors import (
    AlreadyDecided,
    AlreadyMerged,
    AlreadyRetracted,
    DomainError,
    EntityExists,
    EntityNotFound,
    FactNotFound,
    StaleVersion,
    VersionRequired,
)
from archive.eventstore import ConcurrencyError, LockTimeoutError
from archive.reads import NotFound
from archive.reads.errors import Redacted
from archive.storage.engine import is_lock_timeout

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("api.errors")


class ProblemDetails(msgspec.Struct, frozen=True):
    """The body of every error response (RFC 9457), as the OpenAPI schema documents it.

    `code` names a domain refusal; `parameter` the query parameter or body field at fault (as the
    request spells it: `valid_from`, `changes.valid_to`, `citations[0].quote`), `allowed` what a choice
    accepts, and `errors` every offending input; `expected_version` and `current_version` come with a
    409 on a stale version, `current_version` with a 428 for a missing one.
    """

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str | None = None
    parameter: str | None = None
    allowed: list[str] | None = None
    errors: list[dict[str, Any]] | None = None
    expected_version: int | None = None
    current_version: int | None = None


_PROBLEM_MEANINGS = {
    400: "Malformed JSON, or a body or parameter that does not fit the schema; the offending one is named.",
    401: "No live bearer token (a WWW-Authenticate challenge is sent).",
    403: "The token's role may not do this.",
    404: "No such resource.",
    406: "Accept names no media type the operation answers in (`allowed` lists those it does).",
    409: (
        "A stale expected_version (current_version is given), a retracted fact, an entity id that is "
        "taken, or a merged entity."
    ),
    412: "If-Match names a version that is no longer the current one (current_version given, and its ETag).",
    413: "The body is larger than ARCHIVE_MAX_BODY_BYTES.",
    422: "The command breaks a rule of the archive (unknown entity, quote not in its lines, bad date).",
    428: "The write would change an existing stream but names no expected_version (current_version given).",
    503: "Another writer held the write lock past ARCHIVE_LOCK_TIMEOUT_MS; retry after Retry-After seconds.",
}


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem+json responses an operation may give besides its success."""
    return {
        status: ResponseSpec(
            data_container=ProblemDetails,
            media_type=PROBLEM_JSON,
            description=_PROBLEM_MEANINGS[status],
            generate_examples=False,
        )
        for status in statuses
    }


#: The problems of each kind of operation: reads (401 only when reads need a token), reads of one
#: resource, writes, and the auditor's views.
READ_PROBLEMS = problem_responses(400, 401)
ITEM_PROBLEMS = problem_responses(400, 401, 404)
WRITE_PROBLEMS = problem_responses(400, 401, 403, 404, 409, 412, 413, 422, 428, 503)
AUDIT_PROBLEMS = problem_responses(400, 401, 403)


class ApiProblem(Exception):
    """An error an endpoint raises on purpose: a status, a title, a detail and optional extra members."""

    def __init__(
        self, status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers
        self.extra = extra


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    """A problem+json response; `type` stays `about:blank`, so `title` is the status's meaning."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _on_api_problem(request: Request[Any, Any, Any], exc: ApiProblem) -> Response[dict[str, Any]]:
    return problem_response(request, exc.status, exc.title, exc.detail, headers=exc.headers, **exc.extra)


#: msgspec's "Object missing required field `x`" and "Object contains unknown field `x`", reported by
#: Litestar against the object that lacks or holds the field (the whole body: `data`).
_MISSING_FIELD = re.compile(r"Object (?:missing required|contains unknown) field `([^`]+)`")
_INDEX = re.compile(r"\[\d+\]")


def _choices(annotation: Any) -> list[str] | None:
    """The values a Literal (or an optional Literal) accepts, or None for any other type."""
    if get_origin(annotation) is Literal:
        return [str(value) for value in get_args(annotation)]
    for member in get_args(annotation):
        found = _choices(member)
        if found is not None:
            return found
    return None


def _body_field_type(root: Any, path: str) -> Any:
    """The declared type of `path` ("changes.qualifiers.role", "citations[0].quote") inside `root`."""
    current = root
    for name in _INDEX.sub("", path).split("."):
        struct = next((t for t in (current, *get_args(current)) if isinstance(t, type)), None)
        hints = get_type_hints(struct) if struct is not None and hasattr(struct, "__struct_fields__") else {}
        if name not in hints:
            return None
        current = hints[name]
        if get_origin(current) is list:
            current = get_args(current)[0]
    return current


def _located(request: Request[Any, Any, Any], error: dict[str, Any]) -> dict[str, Any]:
    """A Litestar validation error named as the client spells it, with the choices when it is a choice.

    Litestar names a query parameter by the handler's argument (`citation_state` for `?state=`) and a
    missing body field as the whole body (`data`); clients know neither name.
    """
    key, source, message = error.get("key"), error.get("source"), str(error.get("message", ""))
    parameters = request.route_handler.parsed_fn_signature.parameters
    declared: Any = None
    if source == "body":
        missing = _MISSING_FIELD.search(message)
        if missing:
            key = missing.group(1) if key in (None, "data") else f"{key}.{missing.group(1)}"
        data = parameters.get("data")
        if data is not None and key:
            declared = _body_field_type(data.annotation, key)
    elif key in parameters:
        field = parameters[key]
        declared = field.annotation
        alias = getattr(field.kwarg_definition, "name", None)
        key = alias or key
    located = {**error, "key": key}
    choices = _choices(declared) if message.startswith("Invalid enum value") else None
    if choices is not None:
        located["allowed"] = choices
    return located


def _on_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    extra: dict[str, Any] = {}
    detail = exc.detail
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list) and exc.extra:
        # Name each offending parameter in the detail, not only in `errors`.
        errors = [_located(request, e) if isinstance(e, dict) else e for e in exc.extra]
        extra["errors"] = errors
        named = [
            f"{e.get('key')}: {e.get('message')}" for e in errors if isinstance(e, dict) and e.get("key")
        ]
        if named:
            detail = "; ".join(named)
            first = next(e for e in errors if isinstance(e, dict) and e.get("key"))
            extra["parameter"] = first["key"]
            if "allowed" in first:
                extra["allowed"] = first["allowed"]
    title = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        405: "Method Not Allowed",
        413: "Content Too Large",
    }.get(exc.status_code, "Error")
    return problem_response(request, exc.status_code, title, detail, headers=exc.headers, **extra)


def _stale(
    request: Request[Any, Any, Any], detail: str, expected: int | None, current: int | None, **extra: Any
) -> Response[dict[str, Any]]:
    """A write decided against an old version: 412 when `If-Match` named it (RFC 9110), else 409."""
    extra |= {"expected_version": expected, "current_version": current}
    if precondition_from_header(request):
        headers = {"ETag": etag(current)} if current is not None else None
        return problem_response(request, 412, "Precondition Failed", detail, headers=headers, **extra)
    return problem_response(request, 409, "Conflict", detail, **extra)


def _on_concurrency(request: Request[Any, Any, Any], exc: ConcurrencyError) -> Response[dict[str, Any]]:
    return _stale(request, str(exc), exc.expected_version, exc.current_version)


def _on_not_found(request: Request[Any, Any, Any], exc: NotFound) -> Response[dict[str, Any]]:
    return problem_response(request, 404, "Not Found", str(exc))


def _on_redacted(request: Request[Any, Any, Any], exc: Redacted) -> Response[dict[str, Any]]:
    """Withdrawn by a redaction: gone on purpose, and for good (RFC 9110 §15.5.11)."""
    return problem_response(request, 410, "Gone", str(exc))


#: Domain errors that are not "this input is invalid" (422), by status.
_DOMAIN_STATUS: dict[type[DomainError], tuple[int, str]] = {
    FactNotFound: (404, "Not Found"),
    EntityNotFound: (404, "Not Found"),
    StaleVersion: (409, "Conflict"),
    AlreadyRetracted: (409, "Conflict"),
    EntityExists: (409, "Conflict"),
    AlreadyMerged: (409, "Conflict"),
    AlreadyDecided: (409, "Conflict"),
    VersionRequired: (428, "Precondition Required"),
}


def _on_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    status, title = next(
        (found for kind, found in _DOMAIN_STATUS.items() if isinstance(exc, kind)),
        (422, "Unprocessable Content"),
    )
    extra: dict[str, Any] = {"code": exc.code}
    if exc.field is not None:
        extra["parameter"] = exc.field
    if exc.choices:
        extra["allowed"] = list(exc.choices)
    if isinstance(exc, StaleVersion):
        if exc.field == "expected_version" and precondition_from_header(request):
            extra["parameter"] = "If-Match"
        return _stale(request, exc.message, exc.expected_version, exc.current_version, **extra)
    if isinstance(exc, VersionRequired):
        extra["current_version"] = exc.current_version
    return problem_response(request, status, title, exc.message, **extra)


#: How long a client should wait before retrying a write that found the lock taken.
RETRY_AFTER_SECONDS = 1


def _busy(request: Request[Any, Any, Any], detail: str) -> Response[dict[str, Any]]:
    log.warning("lock timeout", path=request.url.path, method=request.method)
    return problem_response(
        request,
        503,
        "Service Unavailable",
        detail,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _on_lock_timeout(request: Request[Any, Any, Any], exc: LockTimeoutError) -> Response[dict[str, Any]]:
    return _busy(request, str(exc))


def _on_database_error(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[dict[str, Any]]:
    if is_lock_timeout(exc):
        return _busy(request, "the database is busy with another writer; nothing was changed: try again")
    return _on_unexpected(request, exc)


def _on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error", path=request.url.path, method=request.method)
    return problem_response(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "Internal Server Error",
        "an unexpected error; it has been logged",
    )


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    ApiProblem: _on_api_problem,
    HTTPException: _on_http_exception,
    ConcurrencyError: _on_concurrency,
    LockTimeoutError: _on_lock_timeout,
    DBAPIError: _on_database_error,
    NotFound: _on_not_found,
    Redacted: _on_redacted,
    DomainError: _on_domain_error,
    Exception: _on_unexpected,
}

__all__ = [
    "AUDIT_PROBLEMS",
    "EXCEPTION_HANDLERS",
    "ITEM_PROBLEMS",
    "PROBLEM_JSON",
    "READ_PROBLEMS",
    "WRITE_PROBLEMS",
    "ApiProblem",
    "ProblemDetails",
    "problem_response",
    "problem_responses",
]
