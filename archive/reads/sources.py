"""Sources: the documents, a line with what cites or explains it, and what no fact covers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row

from archive.coverage import FollowedMark, QuotedSpan, SourceCoverage, coverage_of, follow_mark
from archive.domain.events import decode_event
from archive.domain.sources import SourceState, evolve_source, initial_source_state, split_lines
from archive.domain.streams import source_stream
from archive.projections import citations, citations_by_line, sources
from archive.projections.fact_versions import fact_versions_table
from archive.reads.errors import NotFound
from archive.reads.facts import FactReads
from archive.reads.filters import MAX_OFFSET, unmatchable
from archive.reads.views import (
    FactSummary,
    MarkView,
    SourceLineView,
    SourcePage,
    SourceText,
    SourceVersions,
    SourceVersionText,
    SourceVersionView,
    SourceView,
    source_date_value,
    source_view,
)

#: How each event of a source's stream reads in its versions.
_CHANGE_OF_EVENT = {"source.registered": "registered", "source.revised": "text", "source.described": "record"}


class SourceReads(FactReads):
    """Reads of the source documents and their coverage."""

    @staticmethod
    def _source_view(row: Row[Any]) -> SourceView:
        return source_view(
            row.source_id,
            row.title,
            row.origin,
            row.source_date,
            row.content_sha256,
            row.line_count,
            row.version,
        )

    async def sources(self, limit: int, offset: int) -> SourcePage:
        """Every source, in id order."""
        async with self._reads.connect() as conn:
            rows, total = await sources.page(conn, limit, min(offset, MAX_OFFSET))
        return SourcePage(items=[self._source_view(r) for r in rows], total=total, limit=limit, offset=offset)

    async def source(self, source_id: str) -> SourceView:
        """One source."""
        if unmatchable(source_id):
            raise NotFound(f"source {source_id!r} does not exist")
        async with self._reads.connect() as conn:
            row = await sources.get(conn, source_id)
        if row is None:
            raise NotFound(f"source {source_id!r} does not exist")
        return self._source_view(row)

    async def source_text(self, source_id: str) -> tuple[SourceView, list[str]]:
        """One source and its lines."""
        if unmatchable(source_id):
            raise NotFound(f"source {source_id!r} does not exist")
        async with self._reads.connect() as conn:
            row = await sources.get(conn, source_id)
        if row is None:
            raise NotFound(f"source {source_id!r} does not exist")
        return self._source_view(row), list(split_lines(row.text))

    async def source_line(self, source_id: str, line: int) -> SourceLineView:
        """One line and the facts citing it (NotFound for a line out of range)."""
        _, lines = await self.source_text(source_id)
        if not 1 <= line <= len(lines):
            raise NotFound(f"line {line} is out of range: source {source_id!r} has lines 1..{len(lines)}")
        async with self._reads.connect() as conn:
            fact_ids = await citations_by_line.facts_citing(conn, source_id, line)
            rows = (
                await conn.execute(
                    select(fact_versions_table).where(
                        fact_versions_table.c.fact_id.in_(fact_ids),
                        fact_versions_table.c.recorded_to.is_(None),
                    )
                )
            ).all()
            facts = await self._fact_views(conn, rows, None)
        summaries = []
        for fact in facts:
            for c in fact.citations:
                start, end = c.current_line_start, c.current_line_end
                if (
                    c.source_id == source_id
                    and start is not None
                    and end is not None
                    and start <= line <= end
                ):
                    summaries.append(
                        FactSummary(
                            id=fact.id,
                            subject=fact.subject,
                            predicate=fact.predicate,
                            object=fact.object,
                            value=fact.value,
                            rank=fact.rank,
                            status=fact.status,
                            modality=fact.modality,
                            line_start=start,
                            line_end=end,
                            quote=c.quote,
                        )
                    )
        summaries.sort(key=lambda s: (s.id, s.line_start))
        explaining = [
            MarkView(m.line_start, m.line_end, m.mark.quote, m.mark.reason, m.state)
            for m in self._followed_marks(source_id, lines)
            if m.line_start is not None and m.line_end is not None and m.line_start <= line <= m.line_end
        ]
        return SourceLineView(
            source_id=source_id, line=line, text=lines[line - 1], facts=summaries, marks=explaining
        )

    def _followed_marks(self, source_id: str, lines: Sequence[str]) -> list[FollowedMark]:
        return [follow_mark(lines, mark) for mark in self._marks().get(source_id, ())]

    async def source_coverage(self, source_id: str) -> SourceCoverage:
        """The sentences of a source that no active fact's citation quotes and no mark explains.

        A citation counts at its current lines (an orphaned one counts nowhere); a mark counts where its
        words are now, and one whose words are gone is listed in ``orphaned_marks``.
        """
        _, lines = await self.source_text(source_id)
        c = citations.citations_table
        current = fact_versions_table
        query = (
            select(c.c.current_line_start, c.c.current_line_end, c.c.quote)
            .join(current, current.c.fact_id == c.c.fact_id)
            .where(
                c.c.source_id == source_id,
                c.c.current_line_start.is_not(None),
                current.c.recorded_to.is_(None),
                current.c.status == "active",
            )
        )
        async with self._reads.connect() as conn:
            cited = [QuotedSpan(start, end, quote) for start, end, quote in await conn.execute(query)]
        return coverage_of(source_id, lines, cited, self._followed_marks(source_id, lines))

    def mark_sources(self) -> set[str]:
        """The source ids the marks name (a mark may name a source the archive does not hold)."""
        return set(self._marks())

    async def source_with_text(self, source_id: str) -> SourceText:
        """One source with its whole text."""
        source, lines = await self.source_text(source_id)
        return SourceText(source, "\n".join(lines))

    async def _source_history(self, source_id: str) -> list[tuple[SourceVersionView, SourceState]]:
        """Each version of the source, folded from its stream (the log is the record of its versions)."""
        if unmatchable(source_id):
            raise NotFound(f"source {source_id!r} does not exist")
        recorded = await self.store.read_stream(source_stream(source_id))
        if not recorded:
            raise NotFound(f"source {source_id!r} does not exist")
        state, history = initial_source_state(), []
        for event in recorded:
            state = evolve_source(state, decode_event(event.event_type, event.data))
            view = SourceVersionView(
                version=state.version,
                change=_CHANGE_OF_EVENT[event.event_type],
                title=state.title,
                origin=state.origin,
                source_date=source_date_value(state.source_date),
                content_sha256=state.content_sha256,
                line_count=len(state.lines),
                recorded_at=event.recorded_at,
                actor=event.metadata.get("actor"),
                reason=event.metadata.get("reason"),
            )
            history.append((view, state))
        return history

    async def source_versions(self, source_id: str) -> SourceVersions:
        """Every version of a source, oldest first."""
        return SourceVersions(source_id, [view for view, _ in await self._source_history(source_id)])

    async def source_version(self, source_id: str, version: int) -> SourceVersionText:
        """One version of a source with its text as it stood then."""
        history = await self._source_history(source_id)
        if not 1 <= version <= len(history):
            raise NotFound(f"source {source_id!r} has versions 1..{len(history)}, not {version}")
        view, state = history[version - 1]
        return SourceVersionText(view, "\n".join(state.lines))
