"""The auditor's views: the global log, the hash-chain check, what changed between two record times,
and the citations a new source version left drifted or orphaned."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.auth import reads_guard, requires
from api.errors import AUDIT_PROBLEMS, READ_PROBLEMS
from api.params import Limit, Offset, bad_parameter, record_time
from archive.eventstore import VerifyReport
from archive.reads import CitationPage, Diff, EventPage, Reads

AUDITOR = [requires("auditor")]


class AuditController(Controller):
    """GET /events and /audit/verify (auditor)."""

    path = "/"
    tags = ["audit (auditor)"]
    guards = AUDITOR

    @get(
        "/events",
        operation_id="listEvents",
        responses=AUDIT_PROBLEMS,
        summary="The global log, in commit order",
    )
    async def events(
        self,
        queries: NamedDependency[Reads],
        after: Annotated[int, QueryParameter(ge=0, description="Events after this position.")] = 0,
        limit: Limit = 100,
    ) -> EventPage:
        """Each event with its position, stream, version, type, time, actor, reason, data and hashes."""
        return await queries.events(after, limit)

    @get(
        "/audit/verify",
        operation_id="verifyLog",
        responses=AUDIT_PROBLEMS,
        summary="Recompute the hash chain",
    )
    async def verify(self, queries: NamedDependency[Reads]) -> VerifyReport:
        """`ok`, how many events were checked, the head hash, and the first bad position if any."""
        return await queries.verify()


class DiffController(Controller):
    """GET /diff."""

    path = "/diff"
    tags = ["audit"]
    guards = [reads_guard]

    @get(
        operation_id="diff",
        responses=READ_PROBLEMS,
        summary="What changed in belief between two record times",
    )
    async def diff(
        self,
        queries: NamedDependency[Reads],
        from_: Annotated[str, QueryParameter(name="from", description="RFC 3339; changes after it.")],
        to: Annotated[str, QueryParameter(description="RFC 3339; changes up to it.")],
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Diff:
        """Net of the window: each fact's change (added, added then retracted, retracted, changed) with
        its fields old → new and the events, who and why; each source and entity changed, likewise."""
        start, end = record_time(from_, None, "from"), record_time(to, None, "to")
        if start is None or end is None:
            raise bad_parameter("from", "both from and to are needed")
        if end < start:
            raise bad_parameter("to", "is before from")
        return await queries.changes(start, end, limit, offset)


class CitationsController(Controller):
    """GET /citations."""

    path = "/citations"
    tags = ["citations"]
    guards = [reads_guard]

    @get(
        operation_id="listCitations",
        responses=READ_PROBLEMS,
        summary="Citations by state, e.g. drifted or orphaned",
    )
    async def citations(
        self,
        queries: NamedDependency[Reads],
        citation_state: Annotated[
            Literal["verified", "drifted", "orphaned"], QueryParameter(name="state", description="The state.")
        ] = "drifted",
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> CitationPage:
        """Citations in one state against the current sources, for an archivist to resolve."""
        return await queries.citations_in_state(citation_state, limit, offset)
