"""Sources: the documents, their hashes, and each line with the facts that cite it."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter

from api.auth import reads_guard
from api.commands import ARCHIVIST, SourceWritten, command_meta, rechecks_of
from api.errors import ITEM_PROBLEMS, READ_PROBLEMS, WRITE_PROBLEMS
from api.etags import NOT_MODIFIED, IfNoneMatch, answer_unless_unchanged
from api.params import Limit, Offset
from api.requests import SourceRequest
from archive.commands import Archive
from archive.coverage import SourceCoverage
from archive.domain.sources import MAX_LINE_CHARS, MAX_SOURCE_LINES
from archive.reads import (
    Reads,
    SourceLineView,
    SourcePage,
    SourceText,
    SourceVersions,
    SourceVersionText,
    SourceView,
    source_view,
)
from archive.tokens import Principal

SOURCE_WRITE_RESPONSES = {
    **WRITE_PROBLEMS,
    200: ResponseSpec(
        SourceWritten, description="A new version of the source (each citation re-checked), or the same text."
    ),
}


class SourcesController(Controller):
    """Reads: GET /sources, /sources/{id}, /sources/{id}/lines/{n}, /sources/{id}/coverage. Write
    (archivist): POST /sources."""

    path = "/sources"
    tags = ["sources"]
    guards = [reads_guard]

    @get(operation_id="listSources", responses=READ_PROBLEMS, summary="Every source document")
    async def list_sources(
        self, queries: NamedDependency[Reads], limit: Limit = 50, offset: Offset = 0
    ) -> SourcePage:
        """Sources in id order, with title, date, sha256 of their bytes and line count."""
        return await queries.sources(limit, offset)

    @get(
        "/{source_id:str}",
        operation_id="getSource",
        responses={**ITEM_PROBLEMS, **NOT_MODIFIED},
        summary="One source document",
    )
    async def get_source(
        self,
        queries: NamedDependency[Reads],
        source_id: FromPath[str],
        text: Annotated[
            bool, QueryParameter(description="With its whole text: {source, text} instead of the record.")
        ] = False,
        if_none_match: IfNoneMatch = None,
    ) -> Response[SourceView | SourceText]:
        """A source's record, including the sha256 of its bytes and its version; with `text`, its text too."""
        source = await (queries.source_with_text(source_id) if text else queries.source(source_id))
        return answer_unless_unchanged(if_none_match, source)

    @get(
        "/{source_id:str}/versions",
        operation_id="listSourceVersions",
        responses=ITEM_PROBLEMS,
        summary="Every version of a source",
    )
    async def versions(self, queries: NamedDependency[Reads], source_id: FromPath[str]) -> SourceVersions:
        """Each version, oldest first: what changed (text, record), the sha256, who, when and why."""
        return await queries.source_versions(source_id)

    @get(
        "/{source_id:str}/versions/{version:int}",
        operation_id="getSourceVersion",
        responses=ITEM_PROBLEMS,
        summary="One version of a source, with its text",
    )
    async def version(
        self,
        queries: NamedDependency[Reads],
        source_id: FromPath[str],
        version: Annotated[int, PathParameter(ge=1, description="The 1-based version.")],
    ) -> SourceVersionText:
        """The version's record and its whole text as it stood then."""
        return await queries.source_version(source_id, version)

    @get(
        "/{source_id:str}/lines/{n:int}",
        operation_id="getSourceLine",
        responses=ITEM_PROBLEMS,
        summary="A line, the facts citing it and the marks explaining it",
    )
    async def get_line(
        self,
        queries: NamedDependency[Reads],
        source_id: FromPath[str],
        n: Annotated[int, PathParameter(ge=1, description="The 1-based line number.")],
    ) -> SourceLineView:
        """The line's exact text, every fact whose citation covers it (with that citation's span), and every
        "no fact here" mark whose words are on it (with its reason and its state against this text)."""
        return await queries.source_line(source_id, n)

    @get(
        "/{source_id:str}/coverage",
        operation_id="getSourceCoverage",
        responses=ITEM_PROBLEMS,
        summary="The sentences no fact cites and no mark explains",
    )
    async def get_coverage(self, queries: NamedDependency[Reads], source_id: FromPath[str]) -> SourceCoverage:
        """Every sentence of the source that no active fact's citation quotes and no "no fact here" mark
        explains (the same answer as `archive coverage`), and the marks whose words are gone."""
        return await queries.source_coverage(source_id)

    @post(
        operation_id="registerSource",
        responses=SOURCE_WRITE_RESPONSES,
        guards=ARCHIVIST,
        summary="Register a source or a new version of it",
        description=(
            "201 for a new source. A new text for an existing source needs the source's `expected_version` "
            "(428 without it, 409 with a stale one) and is recorded as a new version, each citation into "
            "it re-checked (200); the same text again changes nothing (200). A source holds at most "
            f"{MAX_SOURCE_LINES:,} lines of at most {MAX_LINE_CHARS:,} characters."
        ),
        status_code=201,
    )
    async def register(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[SourceRequest],
        archive: NamedDependency[Archive],
        queries: NamedDependency[Reads],
        principal: NamedDependency[Principal],
    ) -> Response[SourceWritten]:
        """201 for a new source; 200 for a new version (with each citation re-checked) or the same text."""
        written = await archive.register_source(
            source_id=data.source_id,
            title=data.title,
            origin=data.origin,
            source_date=data.source_date,
            content=data.text.encode("utf-8"),
            meta=command_meta(request, principal, data.reason),
            expected_version=data.expected_version,
        )
        rechecks = [r for e in written.events for r in rechecks_of(e.data)]
        created = any(e.event_type == "source.registered" for e in written.events)
        state = written.state
        # The source as this write left it: by now the current version may be another writer's.
        source = source_view(
            state.source_id,
            state.title,
            state.origin,
            state.source_date,
            state.content_sha256,
            len(state.lines),
            state.version,
        )
        return Response(
            SourceWritten(
                source, len(written.events) + len(written.proposals), rechecks, len(written.proposals)
            ),
            status_code=201 if created else 200,
        )
