"""Citations by state: the drifted and orphaned ones an archivist resolves."""

from __future__ import annotations

from archive.projections import citations
from archive.reads.base import ReadBase
from archive.reads.filters import MAX_OFFSET
from archive.reads.views import CitationPage, CitationStateView


class CitationReads(ReadBase):
    """The citations read."""

    async def citations_in_state(self, state: str, limit: int, offset: int) -> CitationPage:
        """Citations in one state (drifted or orphaned ones are for an archivist to resolve)."""
        async with self._reads.connect() as conn:
            rows, total = await citations.by_state(conn, state, limit, min(offset, MAX_OFFSET))
        items = [
            CitationStateView(
                r.fact_id,
                r.source_id,
                r.line_start,
                r.line_end,
                r.quote,
                r.content_sha256,
                r.state,
                r.current_line_start,
                r.current_line_end,
            )
            for r in rows
        ]
        return CitationPage(items=items, total=total, limit=limit, offset=offset)
