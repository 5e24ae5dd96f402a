"""Sources: the documents, their hashes, and each line with the facts that cite it."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, PathParameter

from api.params import Limit, Offset
from archive.queries import ArchiveQueries, SourceLineView, SourcePage, SourceView


class SourcesController(Controller):
    """GET /sources, /sources/{source_id}, /sources/{source_id}/lines/{n}."""

    path = "/sources"
    tags = ["sources"]

    @get(operation_id="listSources", summary="Every source document")
    async def list_sources(
        self, queries: NamedDependency[ArchiveQueries], limit: Limit = 50, offset: Offset = 0
    ) -> SourcePage:
        """Sources in id order, with title, date, sha256 of their bytes and line count."""
        return await queries.sources(limit, offset)

    @get("/{source_id:str}", operation_id="getSource", summary="One source document")
    async def get_source(self, queries: NamedDependency[ArchiveQueries], source_id: str) -> SourceView:
        """A source's record, including the sha256 of its bytes and its version."""
        return await queries.source(source_id)

    @get(
        "/{source_id:str}/lines/{n:int}",
        operation_id="getSourceLine",
        summary="A line and the facts citing it",
    )
    async def get_line(
        self,
        queries: NamedDependency[ArchiveQueries],
        source_id: FromPath[str],
        n: Annotated[int, PathParameter(ge=1, description="The 1-based line number.")],
    ) -> SourceLineView:
        """The line's exact text and every fact whose citation covers it (with that citation's span)."""
        return await queries.source_line(source_id, n)
