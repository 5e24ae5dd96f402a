"""Entity tags: a fact's, a source's or an entity's version as its `ETag`, and `If-Match` as the
`expected_version` of a write.

The tag is the version of the resource's stream (`"3"`), the number every write of it names. A write may
name it as `If-Match: "3"` instead of (or as well as) the body's `expected_version`: the header is taken
into the body before the body is checked, so every write whose body has `expected_version` accepts it,
and the command sees one number whichever way it came. A stale `If-Match` is 412 Precondition Failed
(RFC 9110 §13.1.1); a stale body `expected_version` stays 409 Conflict, as the project's other writes.

`If-None-Match` answers 304 only where the answer follows from the version alone (a source, an entity).
A fact's answer also carries what its version does not fix (each citation's state against the source's
current text, the entities' labels), so a 304 there could hide a change; it is always answered whole.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter
from litestar.status_codes import HTTP_304_NOT_MODIFIED

from api.bodies import ArchiveRequest
from archive.reads import EntityView, FactView, SourceView

#: The request state key saying that this request's expected version came from `If-Match`.
PRECONDITION_HEADER = "expected_version_from_if_match"
#: A strong entity tag holding a version: the only kind this API issues (and so can match).
_VERSION_TAG = re.compile(r'"(0|[1-9][0-9]{0,17})"')
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: A conditional read: the ETags the client holds (RFC 9110 §13.1.2).
IfNoneMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-None-Match",
        required=False,
        max_length=2000,
        description='ETags you hold, e.g. "3": a 304 without a body while the version is still one of them.',
    ),
]
NOT_MODIFIED = {
    304: ResponseSpec(
        None,
        description="If-None-Match named the current ETag: nothing changed since (ETag sent, no body).",
        generate_examples=False,
    )
}


def etag(version: int) -> str:
    """The entity tag of a version."""
    return f'"{version}"'


def version_of(content: Any) -> int | None:
    """The version an answer shows, when it is one versioned resource (a fact, a source, an entity)."""
    if isinstance(content, FactView | SourceView | EntityView):
        return content.version
    source = getattr(content, "source", None)
    if isinstance(content, msgspec.Struct) and isinstance(source, SourceView):
        # A source with its text, or a source as a write left it.
        return source.version
    return None


async def tag_versioned_answer(response: Response[Any]) -> Response[Any]:
    """`after_request`: an answer showing one versioned resource carries its version as `ETag`.

    Static files and other ready-made ASGI responses pass through as they are (they have no content).
    """
    version = version_of(getattr(response, "content", None))
    status = response.status_code or 200
    if version is not None and 200 <= status < 300 and "etag" not in map(str.lower, response.headers):
        response.headers["ETag"] = etag(version)
    return response


def _refuse(*errors: tuple[str, str, str]) -> ValidationException:
    """A 400 naming each (key, message, where: header or body)."""
    return ValidationException(
        extra=[{"key": key, "message": message, "source": source} for key, message, source in errors]
    )


def if_match_version(header: str) -> int:
    """The version an `If-Match` header names; a 400 naming the header for anything but one strong tag."""
    value = header.strip()
    match = _VERSION_TAG.fullmatch(value)
    if match is not None:
        return int(match.group(1))
    if value == "*":
        why = '* does not say which version you read; send the ETag of the version you read, e.g. "3"'
    elif value.startswith("W/"):
        why = (
            'a weak tag never matches (RFC 9110 compares If-Match strongly); send the ETag as given, e.g. "3"'
        )
    elif "," in value:
        why = "names more than one version; a write is decided against one: send the ETag you read"
    else:
        why = f'{value[:40]!r} is not an ETag of this API; send the ETag of the version you read, e.g. "3"'
    raise _refuse(("If-Match", why, "header"))


def _takes_expected_version(request: Request[Any, Any, Any]) -> bool:
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    fields = getattr(data.annotation, "__struct_fields__", ()) if data is not None else ()
    return "expected_version" in fields


def merge_if_match(request: Request[Any, Any, Any], body: Any) -> Any:
    """The decoded JSON body of a write, with `If-Match` as its `expected_version`.

    A body giving another `expected_version` than the header is a 400 naming both: the write could be
    decided against either, and guessing would risk the lost update the version is there to prevent.
    So is `If-Match` on a write that names no version (a create): a precondition is never dropped unread.
    """
    header = request.headers.get("if-match")
    if header is None or request.method not in _WRITE_METHODS or not isinstance(body, dict):
        return body
    if not _takes_expected_version(request):
        raise _refuse(
            ("If-Match", "this write names no version of anything (it creates); leave it out", "header")
        )
    version = if_match_version(header)
    given = body.get("expected_version")
    if given is not None and given != version:
        raise _refuse(
            ("If-Match", f"names version {version}, but the body's expected_version is {given!r}", "header"),
            ("expected_version", f"is {given!r}, but If-Match names version {version}: send one", "body"),
        )
    body["expected_version"] = version
    request.scope.setdefault("state", {})[PRECONDITION_HEADER] = True
    return body


class ConditionalRequest(ArchiveRequest):
    """The API's request: a write's JSON body takes `If-Match` as its `expected_version`."""

    async def json(self) -> Any:
        """The decoded JSON body, with `If-Match` merged in (a 400 when the two disagree)."""
        return merge_if_match(self, await super().json())


def precondition_from_header(request: Request[Any, Any, Any]) -> bool:
    """Whether this request's expected version came from `If-Match` (a stale one is then a 412)."""
    return bool(request.scope.get("state", {}).get(PRECONDITION_HEADER))


def _tags(header: str) -> list[str]:
    """The entity tags of an `If-None-Match` list, weak ones compared as strong (RFC 9110 weak comparison)."""
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def answer_unless_unchanged(if_none_match: str | None, content: Any) -> Response[Any]:
    """`content`, or 304 Not Modified when `If-None-Match` names its current version (or is `*`)."""
    version = version_of(content)
    if if_none_match and version is not None:
        tags = _tags(if_none_match)
        if "*" in tags or etag(version) in tags:
            return Response(None, status_code=HTTP_304_NOT_MODIFIED, headers={"ETag": etag(version)})
    return Response(content)
