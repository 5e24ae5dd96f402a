"""Liveness: the service answers and its database answers."""

from __future__ import annotations

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from sqlalchemy.exc import SQLAlchemyError

from api.errors import ApiProblem, problem_responses
from archive.reads import Reads


class Health(msgspec.Struct, frozen=True):
    """The service is up and its database reachable."""

    status: str
    database: str


class HealthController(Controller):
    """GET /health."""

    path = "/health"
    tags = ["health"]

    @get(
        operation_id="health",
        responses=problem_responses(503),
        summary="Liveness, with the database reachable",
    )
    async def health(self, queries: NamedDependency[Reads]) -> Health:
        """Answer 200 when the database answers a query, 503 otherwise."""
        try:
            database = await queries.ping()
        except (SQLAlchemyError, OSError) as error:
            raise ApiProblem(
                503, "Service Unavailable", f"the database does not answer: {type(error).__name__}"
            ) from error
        return Health(status="ok", database=database)
