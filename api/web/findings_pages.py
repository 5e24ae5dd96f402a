"""The findings page: what an archivist should look at, each with a link to what resolves it, and a form to
dismiss it with a reason. It reads GET /findings's service and writes through the same command handler."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, get_args

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from api.commands import command_meta
from api.requests import DismissalRequest
from api.web.archivist import _form_dict, _principal
from api.web.auth import page_requires
from api.web.forms import FormError, _convert, _integer, text
from api.web.rendering import page
from archive.commands import Archive
from archive.domain.errors import DomainError, StaleVersion
from archive.domain.events import DismissalReason
from archive.domain.findings import FINDING_KINDS
from archive.eventstore import ConcurrencyError
from archive.reads import NotFound, Reads

PAGE_SIZE = 50
DISMISSAL_REASONS: tuple[str, ...] = get_args(DismissalReason)
Text = Annotated[str | None, QueryParameter(max_length=200)]
Offset = Annotated[int, QueryParameter(ge=0, le=10_000_000)]


def dismissal_request(form: dict[str, str]) -> DismissalRequest:
    """POST /findings/{id}/dismissals's body from the form: the reason code and justification required."""
    missing = {
        name: asked
        for name, asked in (("reason_code", "choose a reason"), ("justification", "say why"))
        if text(form, name) is None
    }
    if missing:
        raise FormError.naming(missing)
    payload = {
        "expected_version": _integer(form, "expected_version"),
        "reason_code": text(form, "reason_code"),
        "justification": text(form, "justification"),
    }
    return _convert(payload, DismissalRequest)


class FindingPagesController(Controller):
    """GET /ui/findings; POST /ui/findings/{id}/dismissals (archivist)."""

    path = "/findings"

    @get("/", name="web:findings")
    async def findings(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        kind: Text = None,
        entity: Text = None,
        source: Text = None,
        dismissed: Annotated[bool, QueryParameter()] = False,
        offset: Offset = 0,
    ) -> Template:
        """The findings standing today, by kind, entity or source."""
        return await self._render(request, queries, kind, entity, source, dismissed, offset)

    async def _render(
        self,
        request: Request[Any, Any, Any],
        queries: Reads,
        kind: str | None,
        entity: str | None,
        source: str | None,
        dismissed: bool,
        offset: int,
        *,
        refused: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> Template:
        errors: dict[str, str] = {}
        kind = (kind or "").strip() or None
        if kind is not None and kind not in FINDING_KINDS:
            errors["kind"] = f"{kind!r} is not a kind of finding"
        results = None
        if not errors:
            results = await queries.findings(
                on=datetime.now(UTC).date(),
                kind=kind,
                entity=(entity or "").strip() or None,
                source=(source or "").strip() or None,
                dismissed=dismissed,
                limit=PAGE_SIZE,
                offset=offset,
            )
        return page(
            request,
            "findings.html",
            status_code=status_code,
            results=results,
            errors=errors,
            form={"kind": kind or "", "entity": entity or "", "source": source or "", "dismissed": dismissed},
            kinds=FINDING_KINDS,
            reason_codes=DISMISSAL_REASONS,
            refused=refused or {},
            offset=offset,
            page_size=PAGE_SIZE,
        )

    @post("/{finding_id:str}/dismissals", name="web:dismiss", guards=[page_requires("archivist")])
    async def dismiss(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        archive: NamedDependency[Archive],
        finding_id: FromPath[str],
    ) -> Redirect | Template:
        """Dismiss the finding; a refusal shows the page again with the message on its form."""
        form = _form_dict(await request.form())
        try:
            data = dismissal_request(form)
            await archive.dismiss_finding(
                finding_id=finding_id,
                expected_version=data.expected_version,
                reason_code=data.reason_code,
                justification=data.justification,
                meta=command_meta(request, _principal(request), data.justification),
            )
        except (FormError, DomainError, ConcurrencyError, NotFound) as error:
            stale = isinstance(error, StaleVersion | ConcurrencyError)
            fields = getattr(error, "fields", None) or (
                {error.field: error.message} if isinstance(error, DomainError) and error.field else {}
            )
            refused = {"finding_id": finding_id, "message": str(error), "fields": fields, "values": form}
            status = 409 if stale else 404 if isinstance(error, NotFound) else 422
            return await self._render(
                request, queries, None, None, None, False, 0, refused=refused, status_code=status
            )
        return Redirect("/ui/findings/?done=dismissed", status_code=303)
