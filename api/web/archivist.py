"""The archivist's forms: record a fact by selecting a quote in a source; correct, retract or re-rank a fact.

Every write goes through `Archive`, the same command handlers as the JSON API's POSTs, with the same
metadata (`api.commands.command_meta`: the actor is the token's name). A refusal is shown on the form,
with what was typed kept; a stale version shows the conflict and the current value, and writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from api.commands import changes_of, command_meta, record_fact, resolve_citations
from api.web.auth import page_requires
from api.web.forms import FormError, correction_request, rank_request, record_request, retraction_request
from api.web.pages import entity_choices
from api.web.quotes import segments
from api.web.rendering import page
from api.web.windows import AroundLine, FirstLine, line_window
from archive.commands import Archive, FactWritten
from archive.domain.errors import DomainError, StaleVersion
from archive.domain.events import Modality, Rank, ReasonCode
from archive.eventstore import ConcurrencyError
from archive.reads import FactView, NotFound, Reads
from archive.tokens import Principal

ARCHIVIST = [page_requires("archivist")]
REASON_CODES: tuple[str, ...] = get_args(ReasonCode)
RANKS: tuple[str, ...] = get_args(Rank)
MODALITIES: tuple[str, ...] = get_args(Modality)


def _principal(request: Request[Any, Any, Any]) -> Principal:
    viewer = request.state.get("web_viewer")
    if not isinstance(viewer, Principal):  # the guard has already refused anyone else
        raise PermissionError("no signed-in archivist")
    return viewer


def _form_dict(form: Mapping[str, Any]) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "_csrf_token"}


def _outcome(written: FactWritten) -> str:
    kinds = {e.event_type for e in written.events}
    if "fact.recorded" in kinds:
        return "recorded"
    return "cited" if kinds else "unchanged"


class RecordController(Controller):
    """GET and POST /ui/sources/{source_id}/record (archivist)."""

    path = "/sources"
    guards = ARCHIVIST

    @get("/{source_id:str}/record", name="web:record")
    async def form(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        source_id: FromPath[str],
        from_: FirstLine = None,
        line: AroundLine = None,
    ) -> Template:
        """A window of the source beside the form; selecting words in it fills in the lines and the quote."""
        return await self._render(request, queries, source_id, {}, None, 200, from_, line)

    @post("/{source_id:str}/record", name="web:record-submit")
    async def record(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        archive: NamedDependency[Archive],
        source_id: FromPath[str],
    ) -> Redirect | Template:
        """Record the fact through the archive's command handler, exactly as POST /facts does."""
        form = _form_dict(await request.form())
        form["source_id"] = source_id
        try:
            data = record_request(form)
            written = await record_fact(request, data, archive, queries, _principal(request))
        except (FormError, DomainError, ConcurrencyError, NotFound) as error:
            status = 409 if isinstance(error, StaleVersion | ConcurrencyError) else 422
            typed = form.get("line_start", "")
            around = int(typed) if typed.isdigit() else None
            return await self._render(
                request, queries, source_id, form, _message(error), status, None, around
            )
        return Redirect(f"/ui/facts/{written.fact_id}?done={_outcome(written)}", status_code=303)

    @staticmethod
    async def _render(
        request: Request[Any, Any, Any],
        queries: Reads,
        source_id: str,
        form: dict[str, str],
        error: str | None,
        status: int,
        first: int | None,
        line: int | None,
    ) -> Template:
        source, lines = await queries.source_text(source_id)
        window = line_window(len(lines), first, line)
        return page(
            request,
            "record.html",
            status_code=status,
            source=source,
            window=window,
            lines=[(n, segments(lines[n - 1], [])) for n in range(window.first, window.last + 1)],
            form=form,
            error=error,
            entities=await entity_choices(queries),
            modalities=MODALITIES,
            ranks=RANKS,
        )


def _message(error: Exception) -> str:
    if isinstance(error, DomainError):
        return error.message
    if isinstance(error, ConcurrencyError):
        return f"another change was written at the same moment: {error}. Reload and try again."
    return str(error)


class EditController(Controller):
    """GET /ui/facts/{fact_id}/edit; POST its corrections, retractions and rank (archivist)."""

    path = "/facts"
    guards = ARCHIVIST

    @get("/{fact_id:str}/edit", name="web:edit")
    async def form(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        fact_id: FromPath[str],
    ) -> Template:
        """The fact as it stands, and the three forms, each naming the version it was decided against."""
        return await self._render(request, queries, fact_id)

    @post("/{fact_id:str}/corrections", name="web:correct")
    async def correct(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        archive: NamedDependency[Archive],
        fact_id: FromPath[str],
    ) -> Redirect | Template:
        """Correct values, with a reason code, a justification and evidence (as POST .../corrections)."""
        form = _form_dict(await request.form())
        try:
            data = correction_request(form)
            await archive.correct_fact(
                fact_id=fact_id,
                expected_version=data.expected_version,
                changes=changes_of(data.changes),
                reason_code=data.reason_code,
                justification=data.justification,
                citations=await resolve_citations(queries, data.citations),
                meta=command_meta(request, _principal(request), data.justification),
            )
        except (FormError, DomainError, ConcurrencyError, NotFound) as error:
            return await self._refused(request, queries, fact_id, "correct", form, error)
        return Redirect(f"/ui/facts/{fact_id}?done=corrected", status_code=303)

    @post("/{fact_id:str}/retractions", name="web:retract")
    async def retract(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        archive: NamedDependency[Archive],
        fact_id: FromPath[str],
    ) -> Redirect | Template:
        """Retract the fact, with a reason code, a justification and optional evidence."""
        form = _form_dict(await request.form())
        try:
            data = retraction_request(form)
            await archive.retract_fact(
                fact_id=fact_id,
                expected_version=data.expected_version,
                reason_code=data.reason_code,
                justification=data.justification,
                citations=await resolve_citations(queries, data.citations),
                meta=command_meta(request, _principal(request), data.justification),
            )
        except (FormError, DomainError, ConcurrencyError, NotFound) as error:
            return await self._refused(request, queries, fact_id, "retract", form, error)
        return Redirect(f"/ui/facts/{fact_id}?done=retracted", status_code=303)

    @post("/{fact_id:str}/rank", name="web:rerank")
    async def rerank(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        archive: NamedDependency[Archive],
        fact_id: FromPath[str],
    ) -> Redirect | Template:
        """Change the rank, with a reason code and a justification."""
        form = _form_dict(await request.form())
        try:
            data = rank_request(form)
            await archive.rerank_fact(
                fact_id=fact_id,
                expected_version=data.expected_version,
                rank=data.rank,
                reason_code=data.reason_code,
                justification=data.justification,
                meta=command_meta(request, _principal(request), data.justification),
            )
        except (FormError, DomainError, ConcurrencyError, NotFound) as error:
            return await self._refused(request, queries, fact_id, "rerank", form, error)
        return Redirect(f"/ui/facts/{fact_id}?done=reranked", status_code=303)

    async def _refused(
        self,
        request: Request[Any, Any, Any],
        queries: Reads,
        fact_id: str,
        action: str,
        form: dict[str, str],
        error: Exception,
    ) -> Template:
        """The edit page again: the message on the form that failed, what was typed kept."""
        if isinstance(error, StaleVersion | ConcurrencyError):
            expected = getattr(error, "expected_version", None)
            return await self._render(
                request,
                queries,
                fact_id,
                action=action,
                form=form,
                error=_message(error),
                status=409,
                stale_since=expected if isinstance(expected, int) else 0,
            )
        return await self._render(
            request, queries, fact_id, action=action, form=form, error=_message(error), status=422
        )

    @staticmethod
    async def _render(
        request: Request[Any, Any, Any],
        queries: Reads,
        fact_id: str,
        *,
        action: str | None = None,
        form: dict[str, str] | None = None,
        error: str | None = None,
        status: int = 200,
        stale_since: int | None = None,
    ) -> Template:
        fact: FactView = await queries.fact(fact_id)
        history = await queries.fact_history(fact_id)
        since = [e for e in history.events if stale_since is not None and e.version > stale_since]
        return page(
            request,
            "edit.html",
            status_code=status,
            fact=fact,
            action=action,
            form=form or {},
            error=error,
            conflict=stale_since is not None,
            stale_since=stale_since,
            changes_since=since,
            sources=(await queries.sources(500, 0)).items,
            entities=await entity_choices(queries),
            reason_codes=REASON_CODES,
            ranks=RANKS,
        )
