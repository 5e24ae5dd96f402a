"""Entities: the registry, and the facts each entity takes part in."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter

from api.auth import reads_guard
from api.errors import ITEM_PROBLEMS, READ_PROBLEMS
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
from archive.domain.vocabulary import ENTITY_KINDS
from archive.reads import EntityPage, EntityView, FactPage, RankFilter, Reads


class EntitiesController(Controller):
    """GET /entities, /entities/{entity_id}, /entities/{entity_id}/relations."""

    path = "/entities"
    tags = ["entities"]
    guards = [reads_guard]

    @get(operation_id="listEntities", responses=READ_PROBLEMS, summary="Search the entity registry")
    async def list_entities(
        self,
        queries: NamedDependency[Reads],
        q: Annotated[
            str | None, QueryParameter(max_length=200, description="Part of a label or alias.")
        ] = None,
        kind: Annotated[str | None, QueryParameter(description=f"One of: {', '.join(ENTITY_KINDS)}.")] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> EntityPage:
        """Entities whose label or an alias contains `q` (case-insensitive), of `kind` when given."""
        if kind is not None and kind not in ENTITY_KINDS:
            raise bad_parameter("kind", f"{kind!r} is not a kind; use one of {', '.join(ENTITY_KINDS)}")
        return await queries.entities(q, kind, limit, offset)

    @get("/{entity_id:str}", operation_id="getEntity", responses=ITEM_PROBLEMS, summary="One entity")
    async def get_entity(self, queries: NamedDependency[Reads], entity_id: FromPath[str]) -> EntityView:
        """An entity's kind, label and aliases."""
        return await queries.entity(entity_id)

    @get(
        "/{entity_id:str}/relations",
        operation_id="getEntityRelations",
        responses=ITEM_PROBLEMS,
        summary="Facts about an entity",
    )
    async def relations(
        self,
        queries: NamedDependency[Reads],
        entity_id: FromPath[str],
        valid_at: ValidAt = None,
        as_of: AsOf = None,
        accept_datetime: AcceptDatetime = None,
        rank: FromQuery[RankFilter] = "best",
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Response[FactPage]:
        """Facts in which the entity is subject or object, held at `valid_at`, as believed at `as_of`."""
        moment = record_time(as_of, accept_datetime)
        page = await queries.relations(
            entity_id, partial_date("valid_at", valid_at), moment, rank, limit, offset
        )
        return Response(page, headers=memento_headers(moment))
