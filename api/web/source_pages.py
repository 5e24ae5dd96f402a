"""The source pages: every document, and one document a window of lines at a time, each cited line with
its facts, the citations a new version moved or lost, and one fact's quotes marked."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from api.web.pages import READ_PAGE, all_facts
from api.web.quotes import Segment, quote_ranges, segments
from api.web.rendering import page
from api.web.windows import AroundLine, FirstLine, LineWindow, line_window
from archive.reads import CitationStateView, CitationView, FactFilter, FactView, Reads


class LineFact(msgspec.Struct, frozen=True):
    """A fact citing a line."""

    fact: FactView
    citation: CitationView


class FlaggedCitation(msgspec.Struct, frozen=True):
    """A citation that drifted or was orphaned by a new version of its source, and its fact."""

    fact: FactView
    citation: CitationStateView


class DocumentLine(msgspec.Struct, frozen=True):
    """A line of a source document, with the facts citing it."""

    number: int
    segments: list[Segment]
    facts: list[LineFact]
    highlighted: bool


class SourcePagesController(Controller):
    """GET /ui/sources and /ui/sources/{source_id}."""

    path = "/sources"

    @get("/", name="web:sources")
    async def sources(self, request: Request[Any, Any, Any], queries: NamedDependency[Reads]) -> Template:
        """Every source document."""
        return page(request, "sources.html", sources=(await queries.sources(READ_PAGE, 0)).items)

    @get("/{source_id:str}", name="web:source")
    async def source(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        source_id: FromPath[str],
        fact: Annotated[str | None, QueryParameter(max_length=64)] = None,
        from_: FirstLine = None,
        line: AroundLine = None,
    ) -> Template:
        """A window of the document with line numbers, each cited line linked to its facts; `fact`'s
        quotes marked. The window opens at `from`, around `line`, or at `fact`'s first quote."""
        source, lines = await queries.source_text(source_id)
        citing = await all_facts(queries, FactFilter(source=source_id, rank="all"))
        cited = cited_line_numbers(source_id, citing)
        if from_ is None and line is None and fact is not None:
            line = next(iter(cited.get(fact, [])), None)
        window = line_window(len(lines), from_, line)
        document, highlighted = document_lines(source_id, lines, citing, fact, window)
        flagged = await flagged_citations(queries, source_id, {f.id: f for f in citing})
        versions = (await queries.source_versions(source_id)).items
        return page(
            request,
            "source.html",
            versions=versions,
            source=source,
            document=document,
            window=window,
            cited_lines=sorted({n for numbers in cited.values() for n in numbers}),
            flagged=flagged,
            # A retracted fact is shown (struck through) but no longer counts as citing the source.
            fact_count=sum(1 for f in citing if f.status != "retracted"),
            highlight_fact=highlighted,
            proposal_count=(await queries.proposals(source=source_id, status="pending", limit=1)).total,
        )


async def flagged_citations(
    queries: Reads, source_id: str, known: dict[str, FactView]
) -> list[FlaggedCitation]:
    """The citations into this source that a new version left drifted or orphaned, with their facts.

    An orphaned citation has no current line, so the facts citing the source by line do not include
    its fact: it is read from the `citations` read model by state.
    """
    flagged: list[FlaggedCitation] = []
    for state in ("drifted", "orphaned"):
        seen = 0
        while True:
            batch = await queries.citations_in_state(state, READ_PAGE, seen)
            seen += len(batch.items)
            for c in batch.items:
                if c.source_id != source_id:
                    continue
                if c.fact_id not in known:
                    known[c.fact_id] = await queries.fact(c.fact_id)
                flagged.append(FlaggedCitation(known[c.fact_id], c))
            if not batch.items or seen >= batch.total:
                break
    return flagged


def cited_line_numbers(source_id: str, citing: list[FactView]) -> dict[str, list[int]]:
    """Each citing fact's cited lines in the current version of the source, in order."""
    cited: dict[str, list[int]] = {}
    for f in citing:
        for c in f.citations:
            if (
                c.source_id == source_id
                and c.current_line_start is not None
                and c.current_line_end is not None
            ):
                cited.setdefault(f.id, []).extend(range(c.current_line_start, c.current_line_end + 1))
    return {fact_id: sorted(set(numbers)) for fact_id, numbers in cited.items()}


def document_lines(
    source_id: str, lines: list[str], citing: list[FactView], highlight: str | None, window: LineWindow
) -> tuple[list[DocumentLine], FactView | None]:
    """The window's lines with the facts citing each (at the cited lines of the current version), and
    the fact whose quotes are highlighted (when `highlight` names one citing this source)."""
    by_line: dict[int, list[LineFact]] = {}
    marks: dict[int, list[tuple[int, int]]] = {}
    highlighted: FactView | None = None
    for f in citing:
        for c in f.citations:
            if c.source_id != source_id:
                continue
            if c.current_line_start is None or c.current_line_end is None:
                continue
            if highlight is not None and f.id == highlight:
                highlighted = f
            start, end = max(c.current_line_start, window.first), min(c.current_line_end, window.last)
            if start > end:
                continue  # cited outside this window
            for n in range(start, end + 1):
                by_line.setdefault(n, []).append(LineFact(f, c))
            if highlight is not None and f.id == highlight:
                full_end = min(c.current_line_end, len(lines))
                for n, spans in quote_ranges(lines, c.current_line_start, full_end, c.quote).items():
                    marks.setdefault(n, []).extend(spans)
    document = [
        DocumentLine(
            number=n,
            segments=segments(lines[n - 1], marks.get(n, [])),
            facts=_unique_facts(by_line.get(n, [])),
            highlighted=n in marks,
        )
        for n in range(window.first, window.last + 1)
    ]
    return document, highlighted


def _unique_facts(found: list[LineFact]) -> list[LineFact]:
    seen: set[str] = set()
    unique = []
    for item in found:
        if item.fact.id not in seen:
            seen.add(item.fact.id)
            unique.append(item)
    return unique
