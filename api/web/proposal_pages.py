"""The proposals page: the facts the archive proposed from a source, each with its quote and lines, the
entities it matched and the names it did not, and forms to accept it, edit then accept it, or reject it
with a reason. It reads GET /proposals's service and writes through the same command handlers."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from api.commands import command_meta, content_of
from api.requests import AcceptanceRequest, RejectionRequest
from api.web.archivist import _form_dict, _principal
from api.web.auth import page_requires
from api.web.forms import QUALIFIER_FIELDS, FormError, _convert, _integer, text
from api.web.rendering import page
from archive.commands import Archive
from archive.domain.errors import DomainError, StaleVersion
from archive.eventstore import ConcurrencyError
from archive.reads import NotFound, Reads
from archive.reads.proposals import PROPOSAL_STATUSES

PAGE_SIZE = 50
Text = Annotated[str | None, QueryParameter(max_length=200)]
Offset = Annotated[int, QueryParameter(ge=0, le=10_000_000)]
#: The content fields of the edit form, as POST /proposals/{id}/acceptance's `content` names them.
CONTENT_FIELDS = ("subject", "predicate", "object", "value", "valid_from", "valid_to", "point_in_time")


def acceptance_request(form: dict[str, str]) -> AcceptanceRequest:
    """The acceptance's body from a form: as proposed, or with the edited content (`edited` set)."""
    payload: dict[str, Any] = {"expected_version": _integer(form, "expected_version")}
    if text(form, "edited"):
        missing = {
            name: asked
            for name, asked in (("subject", "name the subject's entity id"), ("predicate", "choose one"))
            if text(form, name) is None
        }
        if missing:
            raise FormError.naming(missing)
        payload["content"] = {
            **{name: text(form, name) for name in CONTENT_FIELDS},
            "qualifiers": {name: text(form, name) for name in QUALIFIER_FIELDS},
            "modality": text(form, "modality") or "asserted",
        }
    return _convert(payload, AcceptanceRequest)


def rejection_request(form: dict[str, str]) -> RejectionRequest:
    """The rejection's body from a form: the reason is required."""
    if text(form, "reason") is None:
        raise FormError.naming({"reason": "say why the proposal is wrong"})
    return _convert(
        {"expected_version": _integer(form, "expected_version"), "reason": text(form, "reason")},
        RejectionRequest,
    )


def form_field(field: str | None) -> str | None:
    """A request field (`content.qualifiers.role`) as the form names it (`role`)."""
    if field is None:
        return None
    return field.removeprefix("content.").removeprefix("qualifiers.")


class ProposalPagesController(Controller):
    """GET /ui/proposals; POST /ui/proposals/{id}/acceptance and /rejection (archivist)."""

    path = "/proposals"

    @get("/", name="web:proposals")
    async def proposals(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        source: Text = None,
        status: Text = "pending",
        rule: Text = None,
        offset: Offset = 0,
    ) -> Template:
        """The proposals of a source (or of all), pending ones by default."""
        return await self._render(request, queries, source, status, rule, offset)

    async def _render(
        self,
        request: Request[Any, Any, Any],
        queries: Reads,
        source: str | None,
        status: str | None,
        rule: str | None,
        offset: int,
        *,
        refused: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> Template:
        errors: dict[str, str] = {}
        status = (status or "").strip() or "any"
        if status != "any" and status not in PROPOSAL_STATUSES:
            errors["status"] = f"{status!r} is not a status: " + ", ".join(PROPOSAL_STATUSES)
        source = (source or "").strip() or None
        rule = (rule or "").strip() or None
        results = None
        if not errors:
            results = await queries.proposals(
                source=source,
                status=None if status == "any" else status,
                rule=rule,
                limit=PAGE_SIZE,
                offset=offset,
            )
        return page(
            request,
            "proposals.html",
            status_code=status_code,
            results=results,
            errors=errors,
            form={"source": source or "", "status": status, "rule": rule or ""},
            statuses=PROPOSAL_STATUSES,
            refused=refused or {},
            offset=offset,
            page_size=PAGE_SIZE,
        )

    @post("/{proposal_id:str}/acceptance", name="web:accept-proposal", guards=[page_requires("archivist")])
    async def accept(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        archive: NamedDependency[Archive],
        proposal_id: FromPath[str],
    ) -> Redirect | Template:
        """Accept the proposal (as proposed, or edited); a refusal shows the page again with the message on
        the proposal's form."""
        form = _form_dict(await request.form())
        try:
            data = acceptance_request(form)
            await archive.accept_proposal(
                proposal_id=proposal_id,
                expected_version=data.expected_version,
                edited=None if data.content is None else content_of(data.content),
                rank=data.rank,
                meta=command_meta(request, _principal(request), data.reason),
            )
        except (FormError, DomainError, ConcurrencyError, NotFound) as error:
            return await self._refused(request, queries, proposal_id, form, error, "accept")
        return Redirect(_back(form, "accepted"), status_code=303)

    @post("/{proposal_id:str}/rejection", name="web:reject-proposal", guards=[page_requires("archivist")])
    async def reject(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        archive: NamedDependency[Archive],
        proposal_id: FromPath[str],
    ) -> Redirect | Template:
        """Reject the proposal with a reason; a refusal shows the page again with the message."""
        form = _form_dict(await request.form())
        try:
            data = rejection_request(form)
            await archive.reject_proposal(
                proposal_id=proposal_id,
                expected_version=data.expected_version,
                reason=data.reason,
                meta=command_meta(request, _principal(request), data.reason),
            )
        except (FormError, DomainError, ConcurrencyError, NotFound) as error:
            return await self._refused(request, queries, proposal_id, form, error, "reject")
        return Redirect(_back(form, "rejected"), status_code=303)

    async def _refused(
        self,
        request: Request[Any, Any, Any],
        queries: Reads,
        proposal_id: str,
        form: dict[str, str],
        error: Exception,
        action: str,
    ) -> Template:
        stale = isinstance(error, StaleVersion | ConcurrencyError) or (
            isinstance(error, DomainError) and error.code == "already_decided"
        )
        fields = getattr(error, "fields", None) or {}
        if isinstance(error, DomainError) and error.field:
            fields = {form_field(error.field): error.message}
        refused = {
            "proposal_id": proposal_id,
            "action": action,
            "message": str(error),
            "fields": fields,
            "values": form,
        }
        status = 409 if stale else 404 if isinstance(error, NotFound) else 422
        return await self._render(
            request,
            queries,
            form.get("return_source"),
            form.get("return_status"),
            None,
            0,
            refused=refused,
            status_code=status,
        )


def _back(form: dict[str, str], done: str) -> str:
    """The page the form came from, saying what was done."""
    back = {"source": form.get("return_source", ""), "status": form.get("return_status", ""), "done": done}
    return "/ui/proposals/?" + urlencode({name: value for name, value in back.items() if value})
