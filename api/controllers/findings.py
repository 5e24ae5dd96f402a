"""Findings: what an archivist should look at (GET /findings), and dismissing one with a reason."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter

from api.auth import reads_guard
from api.commands import ARCHIVIST, command_meta
from api.errors import READ_PROBLEMS, WRITE_PROBLEMS
from api.params import Limit, Offset, bad_parameter
from api.requests import NO_NUL, DismissalRequest
from archive.commands import Archive
from archive.domain.findings import FindingKind
from archive.reads import FindingPage, FindingView, Reads
from archive.tokens import Principal

EntityId = Annotated[str | None, QueryParameter(max_length=200)]
FindingId = Annotated[str, PathParameter(max_length=64, pattern=NO_NUL)]


def day(name: str, raw: str | None) -> date:
    """A day parameter (YYYY-MM-DD), today (UTC) when absent; a 400 naming it when unreadable."""
    if raw is None or raw == "":
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise bad_parameter(name, f"{raw!r} is not a day: give YYYY-MM-DD, e.g. 2010-12-01") from None


class FindingsController(Controller):
    """GET /findings; POST /findings/{id}/dismissals (archivist)."""

    path = "/findings"
    tags = ["findings"]
    guards = [reads_guard]

    @get(operation_id="listFindings", responses=READ_PROBLEMS, summary="What an archivist should look at")
    async def findings(
        self,
        queries: NamedDependency[Reads],
        kind: Annotated[FindingKind | None, QueryParameter(description="One kind of finding.")] = None,
        entity: EntityId = None,
        source: EntityId = None,
        fact: Annotated[str | None, QueryParameter(max_length=64, description="A fact id.")] = None,
        on: Annotated[
            str | None,
            QueryParameter(
                description="The day a plan must have passed by (YYYY-MM-DD); today (UTC) when absent."
            ),
        ] = None,
        dismissed: Annotated[
            bool, QueryParameter(description="Also list the dismissed findings, each with its dismissal.")
        ] = False,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> FindingPage:
        """Findings standing now (a plan only once its day has passed `on`), by kind and id; `counts`
        gives how many of each kind stand with the same filters. Each says how to resolve it."""
        return await queries.findings(
            on=day("on", on),
            kind=kind,
            entity=entity,
            source=source,
            fact=fact,
            dismissed=dismissed,
            limit=limit,
            offset=offset,
        )

    @post(
        "/{finding_id:str}/dismissals",
        guards=ARCHIVIST,
        operation_id="dismissFinding",
        responses=WRITE_PROBLEMS,
        summary="Dismiss a finding with a reason",
        status_code=200,
    )
    async def dismiss(
        self,
        request: Request[Any, Any, Any],
        finding_id: FindingId,
        data: JSONBody[DismissalRequest],
        archive: NamedDependency[Archive],
        queries: NamedDependency[Reads],
        principal: NamedDependency[Principal],
    ) -> FindingView:
        """The finding, dismissed: `expected_version` is its version as listed (409 when stale), and a
        reason code and a justification are required (a dismissal is an event of the log)."""
        await archive.dismiss_finding(
            finding_id=finding_id,
            expected_version=data.expected_version,
            reason_code=data.reason_code,
            justification=data.justification,
            meta=command_meta(request, principal, data.justification),
        )
        page = await queries.findings(on=date.max, fact=None, dismissed=True, finding=finding_id, limit=1)
        return page.items[0]
