"""A fact's past as Memento (RFC 7089): each version at its own URL, the TimeMap listing them, and HEAD on
the fact's URLs (api/memento.py says how they link up). `FactsController` inherits these routes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, head
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, PathParameter

from api.errors import ITEM_PROBLEMS
from api.etags import etag
from api.memento import LINK_FORMAT, base_url, memento_headers, timegate_headers, timemap
from api.params import AcceptDatetime, AsOf, record_time
from archive.reads import FactView, NotFound, Reads

Version = Annotated[int, PathParameter(ge=1, le=2**31 - 1, description="A version of the fact, from 1.")]
TIMEMAP_RESPONSES = {
    **ITEM_PROBLEMS,
    200: ResponseSpec(
        str,
        media_type=LINK_FORMAT,
        description="Each version as a memento with its datetime (RFC 7089 §5).",
        generate_examples=False,
    ),
}
HEAD_RESPONSES = {
    **ITEM_PROBLEMS,
    200: ResponseSpec(
        None, description="The headers GET would send, without its body.", generate_examples=False
    ),
}


async def _versions(queries: Reads, fact_id: str) -> list[tuple[int, datetime]]:
    """Each version of the fact with its record time, oldest first (404 for an unknown fact)."""
    return [(event.version, event.recorded_at) for event in (await queries.fact_history(fact_id)).events]


async def _memento(queries: Reads, fact_id: str, version: int) -> FactView:
    """Version `version` of the fact; a 404 saying which versions it has when it has not this one."""
    known = await _versions(queries, fact_id)
    if version > len(known):
        raise NotFound(f"fact {fact_id} has versions 1..{len(known)}, not {version}")
    return await queries.fact(fact_id, version=version)


async def fact_at(
    request: Request[Any, Any, Any],
    queries: Reads,
    fact_id: str,
    as_of: str | None,
    accept_datetime: str | None,
) -> Response[FactView]:
    """The fact's answer as its TimeGate gives it: the version believed at `as_of` or `Accept-Datetime`,
    as a Memento; without either, the current version, linking its TimeMap."""
    moment = record_time(as_of, accept_datetime)
    fact = await queries.fact(fact_id, moment)
    base = base_url(request)
    if moment is None:
        return Response(fact, headers=timegate_headers(base, fact_id))
    return Response(fact, headers=memento_headers(base, fact_id, fact.version, fact.recorded_at))


async def memento_at(
    request: Request[Any, Any, Any], queries: Reads, fact_id: str, version: int
) -> Response[FactView]:
    """Version `version` of the fact as a Memento: its `Memento-Datetime`, and links to the fact, its
    TimeGate and its TimeMap."""
    fact = await _memento(queries, fact_id, version)
    return Response(fact, headers=memento_headers(base_url(request), fact_id, fact.version, fact.recorded_at))


def _headers_only(headers: Mapping[str, str], body: bytes, media_type: str) -> Response[None]:
    """A HEAD answer: the headers GET sends with `body`, its type and length among them, but no body.

    Type and length are set here: Litestar would describe the empty answer's own (`null`) body.
    """
    return Response(None, headers={**headers, "Content-Type": media_type, "Content-Length": str(len(body))})


def _fact_headers_only(answer: Response[FactView]) -> Response[None]:
    """The HEAD answer of a fact's GET answer, with its version's ETag (GET gets it after the handler)."""
    fact = answer.content
    headers = {**answer.headers, "ETag": etag(fact.version)}
    return _headers_only(headers, msgspec.json.encode(fact), "application/json")


class FactMementos:
    """GET /facts/{id}/versions/{n} (a Memento), GET /facts/{id}/timemap, and HEAD on each fact URL: the
    routes `FactsController` takes from here (with its path, tags and guards)."""

    @get(
        "/{fact_id:str}/versions/{version:int}",
        operation_id="getFactVersion",
        responses=ITEM_PROBLEMS,
        summary="One version of a fact (a Memento)",
    )
    async def version(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        fact_id: FromPath[str],
        version: Version,
    ) -> Response[FactView]:
        """The fact as version `version` left it, with its `Memento-Datetime` and links to the fact, its
        TimeGate and its TimeMap."""
        return await memento_at(request, queries, fact_id, version)

    @get(
        "/{fact_id:str}/timemap",
        operation_id="getFactTimeMap",
        responses=TIMEMAP_RESPONSES,
        summary="Every version of a fact, as an RFC 7089 TimeMap",
        media_type=LINK_FORMAT,
    )
    async def timemap(
        self, request: Request[Any, Any, Any], queries: NamedDependency[Reads], fact_id: FromPath[str]
    ) -> Response[str]:
        """`application/link-format`: the fact (original and TimeGate), this TimeMap, and each version's
        URL with its datetime, oldest first."""
        return Response(
            timemap(base_url(request), fact_id, await _versions(queries, fact_id)), media_type=LINK_FORMAT
        )

    @head(
        "/{fact_id:str}",
        operation_id="headFact",
        responses=HEAD_RESPONSES,
        summary="The headers of a fact's answer (its TimeGate)",
    )
    async def head_fact(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        fact_id: FromPath[str],
        as_of: AsOf = None,
        accept_datetime: AcceptDatetime = None,
    ) -> Response[None]:
        """What GET /facts/{id} would send, without the body: `Link`, and with a date `Memento-Datetime`
        and `Content-Location` (the version's URL)."""
        return _fact_headers_only(await fact_at(request, queries, fact_id, as_of, accept_datetime))

    @head(
        "/{fact_id:str}/versions/{version:int}",
        operation_id="headFactVersion",
        responses=HEAD_RESPONSES,
        summary="The headers of one version of a fact",
    )
    async def head_version(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        fact_id: FromPath[str],
        version: Version,
    ) -> Response[None]:
        """What GET /facts/{id}/versions/{n} would send, without the body."""
        return _fact_headers_only(await memento_at(request, queries, fact_id, version))

    @head(
        "/{fact_id:str}/timemap",
        operation_id="headFactTimeMap",
        responses=HEAD_RESPONSES,
        summary="The headers of a fact's TimeMap",
    )
    async def head_timemap(
        self, request: Request[Any, Any, Any], queries: NamedDependency[Reads], fact_id: FromPath[str]
    ) -> Response[None]:
        """What GET /facts/{id}/timemap would send, without the body (a 404 for an unknown fact)."""
        document = timemap(base_url(request), fact_id, await _versions(queries, fact_id))
        return _headers_only({}, document.encode(), LINK_FORMAT)
