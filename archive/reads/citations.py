"""Citations by state: the drifted and orphaned ones an archivist resolves, and their states as they
stood at an earlier record time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from archive.domain.events import SourceRevised, decode_event
from archive.domain.streams import source_stream
from archive.eventstore import EventStore, RecordedEvent
from archive.projections import citations
from archive.reads.base import ReadBase
from archive.reads.filters import MAX_OFFSET
from archive.reads.views import CitationPage, CitationStateView

#: A citation's state against its source: (state, current line start, current line end).
CitationAt = tuple[str, int | None, int | None]


def rechecks_until(recorded: Iterable[RecordedEvent], until: datetime) -> dict[tuple[str, str], CitationAt]:
    """Each citation's state after the last new text of its source recorded up to `until`, by
    (fact id, citation id). A citation no new text re-checked is verified at its own lines, and is absent.

    The re-checks are on the source's events, so this is the state the archive showed at that time,
    not one worked out again from the texts.
    """
    states: dict[tuple[str, str], CitationAt] = {}
    for event in recorded:
        if event.recorded_at > until or event.event_type != "source.revised":
            continue
        revised = decode_event(event.event_type, event.data)
        assert isinstance(revised, SourceRevised)
        for r in revised.rechecks:
            states[(r.fact_id, r.citation_id)] = (r.state, r.line_start, r.line_end)
    return states


async def citation_states_at(
    store: EventStore, source_ids: Iterable[str], as_of: datetime
) -> dict[tuple[str, str], CitationAt]:
    """`rechecks_until` over the streams of these sources."""
    states: dict[tuple[str, str], CitationAt] = {}
    for source_id in sorted(set(source_ids)):
        states |= rechecks_until(await store.read_stream(source_stream(source_id)), as_of)
    return states


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
