"""Entities: the registry, and the facts each entity takes part in; an archivist creates, revises and
merges them."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, PathParameter, QueryParameter

from api.auth import reads_guard
from api.commands import ARCHIVIST, command_meta, entity_changes_of
from api.errors import ITEM_PROBLEMS, READ_PROBLEMS, WRITE_PROBLEMS
from api.etags import NOT_MODIFIED, IfNoneMatch, answer_unless_unchanged
from api.params import (
    AcceptDatetime,
    AsOf,
    Limit,
    Offset,
    SearchText,
    ValidAt,
    bad_parameter,
    memento_headers,
    partial_date,
    record_time,
    search_text,
)
from api.requests import NO_NUL, EntityRequest, EntityRevisionRequest, MergeRequest
from archive.commands import Archive
from archive.commands.entities import EntityWritten
from archive.domain.vocabulary import ENTITY_KINDS
from archive.reads import EntityHistory, EntityPage, EntityView, FactPage, RankFilter, Reads
from archive.tokens import Principal

EntityId = Annotated[str, PathParameter(max_length=200, pattern=NO_NUL)]
CREATE_RESPONSES = {
    **WRITE_PROBLEMS,
    200: ResponseSpec(EntityView, description="The entity existed with these very values: nothing changed."),
}


async def _written_view(queries: Reads, written: EntityWritten) -> EntityView:
    """The entity as this write left it (by now the current version may be another writer's)."""
    state = written.state
    merged_from = (await queries.entity(state.entity_id)).merged_from
    return EntityView(
        state.entity_id, state.kind, state.label, list(state.aliases), state.version, merged_from=merged_from
    )


class EntitiesController(Controller):
    """Reads: GET /entities, /entities/{entity_id}, /history, /relations. Writes (archivist): POST
    /entities, /entities/{entity_id}/revisions, /merge."""

    path = "/entities"
    tags = ["entities"]
    guards = [reads_guard]

    @get(operation_id="listEntities", responses=READ_PROBLEMS, summary="Search the entity registry")
    async def list_entities(
        self,
        queries: NamedDependency[Reads],
        q: SearchText = None,
        kind: Annotated[str | None, QueryParameter(description=f"One of: {', '.join(ENTITY_KINDS)}.")] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> EntityPage:
        """Entities of `kind` when given; with `q`, those whose label or aliases hold its words, best
        first."""
        if kind is not None and kind not in ENTITY_KINDS:
            raise bad_parameter("kind", f"{kind!r} is not a kind; use one of {', '.join(ENTITY_KINDS)}")
        return await queries.entities(search_text(q), kind, limit, offset)

    @get(
        "/{entity_id:str}",
        operation_id="getEntity",
        responses={**ITEM_PROBLEMS, **NOT_MODIFIED},
        summary="One entity",
    )
    async def get_entity(
        self, queries: NamedDependency[Reads], entity_id: FromPath[str], if_none_match: IfNoneMatch = None
    ) -> Response[EntityView]:
        """An entity's kind, label and aliases; for a merged one, the entity it was merged into."""
        entity = await queries.entity(entity_id)
        if entity.redirected_from is not None:
            # Another entity's answer: a tag held for this id named this id's own versions, which a tag
            # of the target's could equal by chance. A redirect is always answered whole.
            return Response(entity)
        return answer_unless_unchanged(if_none_match, entity)

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

    @get(
        "/{entity_id:str}/history",
        operation_id="getEntityHistory",
        responses=ITEM_PROBLEMS,
        summary="Every event of an entity",
    )
    async def history(self, queries: NamedDependency[Reads], entity_id: FromPath[str]) -> EntityHistory:
        """The entity's own stream, even when it was merged (its merge is the last event); no redirect."""
        return await queries.entity_history(entity_id)

    @post(
        operation_id="createEntity",
        responses=CREATE_RESPONSES,
        guards=ARCHIVIST,
        summary="Create an entity",
        description=(
            "201 with the new entity. An id the registry holds is a 409 `entity_exists` naming it (revise "
            "it instead); the very same values again change nothing (200), so a retried create is safe."
        ),
        status_code=201,
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[EntityRequest],
        archive: NamedDependency[Archive],
        queries: NamedDependency[Reads],
        principal: NamedDependency[Principal],
    ) -> Response[EntityView]:
        """201 with the entity; 200 when it existed with these values; 409 when the id is taken."""
        written = await archive.create_entity(
            entity_id=data.entity_id,
            kind=data.kind,
            label=data.label,
            aliases=data.aliases,
            meta=command_meta(request, principal, data.reason),
        )
        return Response(await _written_view(queries, written), status_code=201 if written.events else 200)

    @post(
        "/{entity_id:str}/revisions",
        operation_id="reviseEntity",
        responses=WRITE_PROBLEMS,
        guards=ARCHIVIST,
        summary="Change an entity's kind, label or aliases",
        description=(
            "The fields of `changes` that are given replace the entity's (`aliases` the whole list), with "
            "a reason code and a justification. `expected_version` is required: 428 without it, 409 with "
            "a stale one; a merged entity is a 409 `already_merged` naming its target."
        ),
        status_code=200,
    )
    async def revise(
        self,
        request: Request[Any, Any, Any],
        entity_id: EntityId,
        data: JSONBody[EntityRevisionRequest],
        archive: NamedDependency[Archive],
        queries: NamedDependency[Reads],
        principal: NamedDependency[Principal],
    ) -> EntityView:
        """The entity with its new values and version."""
        written = await archive.revise_entity(
            entity_id=entity_id,
            changes=entity_changes_of(data.changes),
            reason_code=data.reason_code,
            justification=data.justification,
            meta=command_meta(request, principal, data.justification),
            expected_version=data.expected_version,
        )
        return await _written_view(queries, written)

    @post(
        "/{entity_id:str}/merge",
        operation_id="mergeEntity",
        responses=WRITE_PROBLEMS,
        guards=ARCHIVIST,
        summary="Mark an entity as the same as another",
        description=(
            "Appends `entity.merged_into` to this entity's stream: from then on its id redirects to `into` "
            "(GET answers `into` with `redirected_from`), its facts appear among `into`'s relations, and a "
            "new fact naming it is refused (422, naming `into`). Both histories are kept. Both versions "
            "are required (`expected_version` of this entity, `into_expected_version` of `into`: 428 "
            "without, 409 when stale). Refused: a merge into itself, into an entity of another kind, into "
            "a merged entity (no chains, no cycles), or of an entity merged already (409)."
        ),
        status_code=200,
    )
    async def merge(
        self,
        request: Request[Any, Any, Any],
        entity_id: EntityId,
        data: JSONBody[MergeRequest],
        archive: NamedDependency[Archive],
        queries: NamedDependency[Reads],
        principal: NamedDependency[Principal],
    ) -> EntityView:
        """The entity merged into, as GET /entities/{entity_id} now answers it (`redirected_from`)."""
        await archive.merge_entity(
            entity_id=entity_id,
            into=data.into,
            justification=data.justification,
            meta=command_meta(request, principal, data.justification),
            expected_version=data.expected_version,
            into_expected_version=data.into_expected_version,
        )
        return await queries.entity(entity_id)
