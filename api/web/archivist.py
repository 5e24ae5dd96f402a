"""The archivist's forms: record a fact by selecting a quote in a source; correct, retract or re-rank a fact.

Every write goes through `Archive`, the same command handlers as the JSON API's POSTs, with the same
metadata (`api.commands.command_meta`: the actor is the token's name). A refusal is shown on the form,
with what was typed kept and the fields at fault marked; a stale version shows the conflict and the
current value, and writes nothing. The evidence of a correction or a retraction is picked, like a new
fact's quote, by selecting it in a window of a source's lines shown beside the forms.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, get_args

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from api.commands import changes_of, command_meta, record_fact, resolve_citations
from api.web.auth import page_requires
from api.web.forms import (
    CHANGE_FIELDS,
    QUALIFIER_FIELDS,
    FormError,
    correction_request,
    rank_request,
    record_request,
    retraction_request,
)
from api.web.pages import entity_choices
from api.web.quotes import Segment, quote_marks, segments
from api.web.rendering import page
from api.web.windows import AroundLine, FirstLine, LineWindow, line_window
from archive.commands import Archive, FactWritten
from archive.domain.errors import DomainError, StaleVersion
from archive.domain.events import Modality, Rank, ReasonCode
from archive.eventstore import ConcurrencyError
from archive.reads import FactView, NotFound, Reads, SourceView
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


class EvidenceLine(msgspec.Struct, frozen=True):
    """A line of the text the evidence is picked from: its runs (the fact's own quotes marked), and
    whether it is among the lines of the evidence picked so far."""

    number: int
    segments: list[Segment]
    picked: bool


class EvidenceText(msgspec.Struct, frozen=True):
    """The window of a source's text shown beside the edit forms, to pick evidence in."""

    source: SourceView
    window: LineWindow
    lines: list[EvidenceLine]
    #: The first line of the window holding words the fact cites (they are marked), if any.
    cited_line: int | None


#: A domain field inside a command's citations (`citations[0].line_start`), and the form field it is.
_CITATION_FIELD = re.compile(r"^citations(?:\[\d+\])?(?:\.(source_id|line_start|line_end|quote))?")


def _fields_at_fault(error: Exception) -> dict[str, str]:
    """The form fields an error is about, as the forms name them, each with what is wrong."""
    if isinstance(error, FormError):
        return error.fields
    field = error.field if isinstance(error, DomainError) else None
    if field is None:
        return {}
    message = _message(error)
    cited = _CITATION_FIELD.match(field)
    if cited:
        return {f"evidence_{cited.group(1) or 'quote'}": message}
    name = field.removeprefix("changes.").removeprefix("qualifiers.")
    if name in (*CHANGE_FIELDS, *QUALIFIER_FIELDS, "reason_code", "justification", "rank"):
        return {name: message}
    return {}


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
        source: Annotated[
            str | None, QueryParameter(max_length=200, description="The source to pick evidence from.")
        ] = None,
        from_: FirstLine = None,
        line: AroundLine = None,
    ) -> Template:
        """The fact as it stands, and the three forms, each naming the version it was decided against.

        Beside them, a window of a source's lines (the fact's first citation's, or `source`) to select
        the evidence of a correction or a retraction in.
        """
        return await self._render(request, queries, fact_id, source=source, first=from_, line=line)

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
        """The edit page again: the message on the form that failed, what was typed kept; a stale version
        shows the conflict, the fields at fault of any other refusal are marked."""
        stale = isinstance(error, StaleVersion | ConcurrencyError)
        expected = getattr(error, "expected_version", None)
        return await self._render(
            request,
            queries,
            fact_id,
            action=action,
            form=form,
            error=_message(error),
            field_errors={} if stale else _fields_at_fault(error),
            status=409 if stale else 422,
            stale_since=(expected if isinstance(expected, int) else 0) if stale else None,
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
        field_errors: dict[str, str] | None = None,
        status: int = 200,
        stale_since: int | None = None,
        source: str | None = None,
        first: int | None = None,
        line: int | None = None,
    ) -> Template:
        fact: FactView = await queries.fact(fact_id)
        history = await queries.fact_history(fact_id)
        since = [e for e in history.events if stale_since is not None and e.version > stale_since]
        form = form or {}
        sources = (await queries.sources(500, 0)).items
        return page(
            request,
            "edit.html",
            status_code=status,
            fact=fact,
            action=action,
            form=form,
            error=error,
            field_errors=field_errors or {},
            conflict=stale_since is not None,
            stale_since=stale_since,
            changes_since=since,
            sources=sources,
            evidence=await _evidence_text(queries, fact, form, source, first, line),
            entities=await entity_choices(queries),
            reason_codes=REASON_CODES,
            ranks=RANKS,
        )


async def _evidence_text(
    queries: Reads,
    fact: FactView,
    form: Mapping[str, str],
    source: str | None,
    first: int | None,
    line: int | None,
) -> EvidenceText:
    """The window of text the evidence is picked from: the source the evidence a refused form kept was
    picked from, or the one asked for, or the one the fact cites first; opened at the lines concerned."""
    picked = _picked_lines(form)
    cited = fact.citations[0]  # a fact always has one: the decider records none without
    if form.get("evidence_source_id"):
        source, line = form["evidence_source_id"], picked.start if picked else None
    elif source is None:
        source, line = cited.source_id, line or cited.current_line_start or cited.line_start
    try:
        shown, lines = await queries.source_text(source)
    except NotFound:
        if not form:
            raise  # a source asked for by name that does not exist: the page is a 404
        # A refused form that named an unknown source: show the fact's own, keeping what was typed.
        shown, lines = await queries.source_text(cited.source_id)
    window = line_window(len(lines), first, line)
    marks = quote_marks(
        lines,
        [
            (c.current_line_start, c.current_line_end, c.quote)
            for c in fact.citations
            if c.source_id == shown.id and c.current_line_start and c.current_line_end
        ],
    )
    return EvidenceText(
        source=shown,
        window=window,
        lines=[
            EvidenceLine(n, segments(lines[n - 1], marks.get(n, [])), n in picked)
            for n in range(window.first, window.last + 1)
        ],
        cited_line=min((n for n in marks if n in window), default=None),
    )


def _picked_lines(form: Mapping[str, str]) -> range:
    """The lines of the evidence a refused form carried (empty when it gave none or nonsense)."""
    start, end = form.get("evidence_line_start", ""), form.get("evidence_line_end", "")
    if not start.isdigit():
        return range(0)
    return range(int(start), (int(end) if end.isdigit() else int(start)) + 1)
