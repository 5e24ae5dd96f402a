"""Roles and the timeline: who held what when, and dated facts in order."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from api.auth import reads_guard
from api.errors import ITEM_PROBLEMS, READ_PROBLEMS
from api.params import (
    AcceptDatetime,
    AsOf,
    Certainty,
    Limit,
    Offset,
    Undated,
    ValidAt,
    held_filters,
    memento_headers,
    partial_date,
    record_time,
)
from archive.reads import FactPage, ModalityFilter, RankFilter, Reads, RolePage

EntityId = Annotated[str | None, QueryParameter(max_length=200)]


class RolesController(Controller):
    """GET /roles."""

    path = "/roles"
    tags = ["roles"]
    guards = [reads_guard]

    @get(operation_id="listRoles", responses=READ_PROBLEMS, summary="Who held which office, when")
    async def roles(
        self,
        queries: NamedDependency[Reads],
        holder: EntityId = None,
        office: Annotated[
            str | None, QueryParameter(max_length=200, description="An office id or label.")
        ] = None,
        organization: EntityId = None,
        valid_at: ValidAt = None,
        as_of: AsOf = None,
        accept_datetime: AcceptDatetime = None,
        rank: FromQuery[RankFilter] = "best",
        modality: Annotated[
            ModalityFilter,
            QueryParameter(description="asserted (default): what happened; planned: what was planned."),
        ] = "asserted",
        certainty: Certainty = "possible",
        undated: Undated = False,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Response[RolePage]:
        """Role holders; with `valid_at`, each says whether the term `definite`ly or `possible` covers it
        (`undated` for a term with no date, listed only when asked)."""
        moment = record_time(as_of, accept_datetime)
        when = partial_date("valid_at", valid_at)
        held_filters(when, certainty, undated)
        page = await queries.roles(
            holder, office, organization, when, moment, rank, modality, limit, offset, certainty, undated
        )
        return Response(page, headers=memento_headers(moment))


class TimelineController(Controller):
    """GET /timeline."""

    path = "/timeline"
    tags = ["timeline"]
    guards = [reads_guard]

    @get(operation_id="getTimeline", responses=ITEM_PROBLEMS, summary="Dated facts in order of valid time")
    async def timeline(
        self,
        queries: NamedDependency[Reads],
        entity: EntityId = None,
        from_: Annotated[str | None, QueryParameter(name="from", description="A partial date.")] = None,
        to: Annotated[str | None, QueryParameter(description="A partial date.")] = None,
        as_of: AsOf = None,
        accept_datetime: AcceptDatetime = None,
        rank: FromQuery[RankFilter] = "best",
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Response[FactPage]:
        """Dated facts (of `entity`, or of all subjects) between `from` and `to`, earliest first."""
        moment = record_time(as_of, accept_datetime)
        page = await queries.timeline(
            entity, partial_date("from", from_), partial_date("to", to), moment, rank, limit, offset
        )
        return Response(page, headers=memento_headers(moment))
