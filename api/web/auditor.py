"""The auditor's page: the hash-chain check with its head hash, the event log, and what changed in belief
between two record times. It reads through the same services as GET /audit/verify, /events and /diff."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template

from api.web.auth import page_requires
from api.web.pages import read_controls
from api.web.rendering import page
from archive.reads import Diff, Reads

LOG_PAGE = 50
DIFF_PAGE = 100

Stamp = Annotated[str | None, QueryParameter(max_length=64)]


class AuditController(Controller):
    """GET /ui/audit (auditor)."""

    path = "/audit"
    guards = [page_requires("auditor")]

    @get("/", name="web:audit")
    async def audit(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        after: Annotated[int, QueryParameter(ge=0)] = 0,
        from_: Annotated[str | None, QueryParameter(name="from", max_length=64)] = None,
        to: Stamp = None,
    ) -> Template:
        """Verification, the log from `after`, and the diff between `from` and `to` when both are given."""
        log = await queries.events(after, LOG_PAGE)
        start, end = read_controls(None, from_), read_controls(None, to)
        errors = {
            name: controls.errors["as_of"]
            for name, controls in (("from", start), ("to", end))
            if "as_of" in controls.errors
        }
        changes: Diff | None = None
        if start.as_of is not None and end.as_of is not None and not errors:
            if end.as_of < start.as_of:
                errors["to"] = "is before from"
            else:
                changes = await queries.changes(start.as_of, end.as_of, DIFF_PAGE, 0)
        elif (from_ or to) and not errors:
            errors["from" if not from_ else "to"] = "give both times"
        return page(
            request,
            "audit.html",
            verification=await queries.verify(),
            log=log,
            changes=changes,
            errors=errors,
            from_=from_ or "",
            to=to or "",
        )
