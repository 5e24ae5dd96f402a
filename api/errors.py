"""RFC 9457 problem details for every error the API returns.

Each known error type maps to a status code here, in one table; anything else is a 500 that is logged
with its traceback (a 500 is a bug).
"""

from __future__ import annotations

from typing import Any

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from archive.domain.errors import (
    AlreadyRetracted,
    DomainError,
    FactNotFound,
    StaleVersion,
)
from archive.eventstore import ConcurrencyError
from archive.queries import NotFound

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("api.errors")


class ProblemDetails(msgspec.Struct, frozen=True):
    """The body of every error response (RFC 9457), as the OpenAPI schema documents it.

    `code` names a domain refusal; `parameter` and `errors` the offending input; `expected_version` and
    `current_version` come with a 409 on a stale version.
    """

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str | None = None
    parameter: str | None = None
    errors: list[dict[str, Any]] | None = None
    expected_version: int | None = None
    current_version: int | None = None


_PROBLEM_MEANINGS = {
    400: "Malformed JSON, or a body or parameter that does not fit the schema; the offending one is named.",
    401: "No live bearer token (a WWW-Authenticate challenge is sent).",
    403: "The token's role may not do this.",
    404: "No such resource.",
    409: "A stale expected_version (current_version is given), or the fact is retracted.",
    413: "The body is larger than ARCHIVE_MAX_BODY_BYTES.",
    422: "The command breaks a rule of the archive (unknown entity, quote not in its lines, bad date).",
    503: "The database does not answer.",
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
WRITE_PROBLEMS = problem_responses(400, 401, 403, 404, 409, 413, 422)
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


def _on_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    extra: dict[str, Any] = {}
    detail = exc.detail
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list) and exc.extra:
        # Name each offending parameter in the detail, not only in `errors`.
        extra["errors"] = exc.extra
        named = [
            f"{e.get('key')}: {e.get('message')}" for e in exc.extra if isinstance(e, dict) and e.get("key")
        ]
        if named:
            detail = "; ".join(named)
            extra["parameter"] = exc.extra[0].get("key")
    title = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        405: "Method Not Allowed",
        413: "Content Too Large",
    }.get(exc.status_code, "Error")
    return problem_response(request, exc.status_code, title, detail, headers=exc.headers, **extra)


def _on_concurrency(request: Request[Any, Any, Any], exc: ConcurrencyError) -> Response[dict[str, Any]]:
    return problem_response(
        request,
        409,
        "Conflict",
        str(exc),
        expected_version=exc.expected_version,
        current_version=exc.current_version,
    )


def _on_not_found(request: Request[Any, Any, Any], exc: NotFound) -> Response[dict[str, Any]]:
    return problem_response(request, 404, "Not Found", str(exc))


#: Domain errors that are not "this input is invalid" (422), by status.
_DOMAIN_STATUS: dict[type[DomainError], tuple[int, str]] = {
    FactNotFound: (404, "Not Found"),
    StaleVersion: (409, "Conflict"),
    AlreadyRetracted: (409, "Conflict"),
}


def _on_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    status, title = next(
        (found for kind, found in _DOMAIN_STATUS.items() if isinstance(exc, kind)),
        (422, "Unprocessable Content"),
    )
    extra: dict[str, Any] = {"code": exc.code}
    if isinstance(exc, StaleVersion):
        extra |= {"expected_version": exc.expected_version, "current_version": exc.current_version}
    return problem_response(request, status, title, exc.message, **extra)


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
    NotFound: _on_not_found,
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
