"""Query parameters a read does not take are refused, naming them: `/facts?predicat=member_of` is a 400
with the parameters the operation accepts, not the whole archive with the misspelt filter ignored."""

from __future__ import annotations

from functools import cache
from typing import Any

from litestar import Request
from litestar.enums import ParamType
from litestar.exceptions import ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.params import BodyKwarg, ParameterKwarg

#: Parameter names Litestar fills itself, never from the query string.
_RESERVED = frozenset({"request", "scope", "state", "socket", "headers", "cookies", "query", "body", "data"})


@cache
def accepted_query_parameters(handler: HTTPRouteHandler) -> frozenset[str]:
    """The query parameters `handler` declares, by the names clients send."""
    dependencies = set(handler.resolve_dependencies())
    path = set((handler.paths and {name for p in handler.paths for name in _path_names(p)}) or ())
    names = set()
    for name, field in handler.parsed_fn_signature.parameters.items():
        if (
            name in _RESERVED
            or name in dependencies
            or name in path
            or isinstance(field.kwarg_definition, BodyKwarg)
        ):
            continue
        kwarg = field.kwarg_definition
        if isinstance(kwarg, ParameterKwarg):
            if kwarg.param_type != ParamType.QUERY:
                continue
            names.add(kwarg.query or kwarg.name or name)
        else:
            names.add(name)
    return frozenset(names)


def _path_names(path: str) -> list[str]:
    return [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{")]


async def refuse_unknown_query_parameters(request: Request[Any, Any, Any]) -> None:
    """Before a JSON read runs: a 400 naming each query parameter the operation does not take."""
    handler = request.route_handler
    if not isinstance(handler, HTTPRouteHandler) or not handler.resolve_include_in_schema():
        return  # the web pages and the documentation's own routes keep their lenient forms
    accepted = accepted_query_parameters(handler)
    unknown = sorted(set(request.query_params) - accepted)
    if unknown:
        choices = ", ".join(sorted(accepted)) or "none"
        raise ValidationException(
            extra=[
                {
                    "key": name,
                    "message": f"not a parameter of this operation; it takes {choices}",
                    "source": "query",
                }
                for name in unknown
            ]
        )
