"""Facts: search, one fact as it stood at any record time, its history and its provenance."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from api.params import (
    AcceptDatetime,
    AsOf,
    Limit,
    Offset,
    ValidAt,
    bad_parameter,
    memento_headers,
    partial_date,
    record_time,
)
from archive.queries import (
    ArchiveQueries,
    FactFilter,
    FactHistory,
    FactPage,
    FactView,
    ModalityFilter,
    Provenance,
    RankFilter,
)

EntityId = Annotated[str | None, QueryParameter(max_length=200)]


class FactsController(Controller):
    """GET /facts, /facts/{fact_id}, /facts/{fact_id}/history, /facts/{fact_id}/provenance."""

    path = "/facts"
    tags = ["facts"]

    @get(operation_id="searchFacts", summary="Search facts")
    async def search(
        self,
        queries: NamedDependency[ArchiveQueries],
        subject: EntityId = None,
        object: EntityId = None,
        entity: EntityId = None,
        predicate: Annotated[str | None, QueryParameter(max_length=100)] = None,
        source: Annotated[
            str | None, QueryParameter(max_length=200, description="Facts citing this source.")
        ] = None,
        line: Annotated[
            int | None, QueryParameter(ge=1, description="With source: facts citing this line.")
        ] = None,
        valid_at: ValidAt = None,
        as_of: AsOf = None,
        accept_datetime: AcceptDatetime = None,
        rank: Annotated[
            RankFilter, QueryParameter(description="best hides deprecated and retracted facts.")
        ] = "best",
        modality: Annotated[ModalityFilter, QueryParameter(description="asserted, planned, or all.")] = "all",
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Response[FactPage]:
        """Facts matching every given filter; with `valid_at`, each says `definite` or `possible`."""
        if line is not None and source is None:
            raise bad_parameter("line", "needs source: a line number means nothing without its document")
        moment = record_time(as_of, accept_datetime)
        criteria = FactFilter(
            subject=subject,
            object=object,
            entity=entity,
            predicate=predicate,
            source=source,
            line=line,
            valid_at=partial_date("valid_at", valid_at),
            as_of=moment,
            rank=rank,
            modality=modality,
        )
        return Response(await queries.search_facts(criteria, limit, offset), headers=memento_headers(moment))

    @get("/{fact_id:str}", operation_id="getFact", summary="One fact, as it stood at a record time")
    async def get_fact(
        self,
        queries: NamedDependency[ArchiveQueries],
        fact_id: FromPath[str],
        as_of: AsOf = None,
        accept_datetime: AcceptDatetime = None,
    ) -> Response[FactView]:
        """The fact's version believed at `as_of` (the current one by default), with its citations."""
        moment = record_time(as_of, accept_datetime)
        fact = await queries.fact(fact_id, moment)
        return Response(fact, headers=memento_headers(fact.recorded_at if moment else None))

    @get("/{fact_id:str}/history", operation_id="getFactHistory", summary="Every event of a fact")
    async def history(self, queries: NamedDependency[ArchiveQueries], fact_id: str) -> FactHistory:
        """Each event: position, type, version, record time, actor, reason and data."""
        return await queries.fact_history(fact_id)

    @get("/{fact_id:str}/provenance", operation_id="getFactProvenance", summary="Where a fact comes from")
    async def provenance(self, queries: NamedDependency[ArchiveQueries], fact_id: str) -> Provenance:
        """Fact → events → citations → the source's lines, its sha256 and each citation's state."""
        return await queries.provenance(fact_id)
