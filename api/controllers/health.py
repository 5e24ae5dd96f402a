"""Liveness: the service answers and its database answers; with a read replica, the replica's state."""

from __future__ import annotations

import msgspec
from litestar import Controller, get
from litestar.datastructures import State
from sqlalchemy.exc import SQLAlchemyError

from api.errors import ApiProblem, problem_responses
from api.replica import ReadRouting, ReplicaHealth
from archive.reads import Reads


class Health(msgspec.Struct, frozen=True, omit_defaults=True):
    """The service is up and its database reachable; `replica` only when one is configured."""

    status: str
    database: str
    #: A replica that is down leaves the service up: its reads are answered by the primary.
    replica: ReplicaHealth | None = None


class HealthController(Controller):
    """GET /health."""

    path = "/health"
    tags = ["health"]

    @get(
        operation_id="health",
        responses=problem_responses(503),
        summary="Liveness, with the database reachable (and the read replica's state and lag)",
    )
    async def health(self, state: State) -> Health:
        """Answer 200 when the (primary) database answers a query, 503 otherwise; with a read replica,
        whether it answers, its log position, and how far behind the primary it is."""
        routing: ReadRouting = state.read_routing
        primary: Reads = routing.primary
        try:
            database = await primary.ping()
            replica = await routing.health()
        except (SQLAlchemyError, OSError) as error:
            raise ApiProblem(
                503, "Service Unavailable", f"the database does not answer: {type(error).__name__}"
            ) from error
        return Health(status="ok", database=database, replica=replica)
