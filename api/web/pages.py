"""The reading pages: search, a fact, an entity (with its timeline), a source. Every read goes through
`Reads`, the same read service as the JSON API."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from api.errors import ApiProblem
from api.params import partial_date, record_time
from api.web.quotes import Segment, quote_ranges, segments
from api.web.rendering import is_htmx, page
from api.web.timeline_svg import TimelineChart, contested_groups, layout, valid_time_order
from archive.domain.time import PartialDate
from archive.reads import (
    CitationView,
    EntityView,
    FactFilter,
    FactPage,
    FactView,
    ModalityFilter,
    NotFound,
    RankFilter,
    Reads,
    SourceView,
)
from archive.reads.filters import CertaintyFilter
from archive.reads.search import search_phrases

PAGE_SIZE = 50
MAX_CHART_ROWS = 80
#: The largest page the read service serves; longer lists are read page by page.
READ_PAGE = 500
#: The vocabulary's predicates for an entity's names over time: a name with its valid time, and the
#: renamings or transformations into another entity.
NAME_PREDICATE = "known_as"
RENAME_PREDICATES = ("renamed_to", "transformed_into")

Text = Annotated[str | None, QueryParameter(max_length=200)]
Offset = Annotated[int, QueryParameter(ge=0, le=10_000_000)]


class Controls(msgspec.Struct):
    """The time controls of a page as typed, parsed, and the message for each one that is wrong."""

    valid_at_text: str = ""
    as_of_text: str = ""
    valid_at: PartialDate | None = None
    as_of: datetime | None = None
    errors: dict[str, str] = msgspec.field(default_factory=dict)


def read_controls(valid_at: str | None, as_of: str | None) -> Controls:
    """Parse `valid_at` and `as_of` as the API does; a bad value is a message on the page, not an error."""
    controls = Controls(valid_at_text=(valid_at or "").strip(), as_of_text=(as_of or "").strip())
    try:
        controls.valid_at = partial_date("valid_at", controls.valid_at_text)
    except ApiProblem as problem:
        controls.errors["valid_at"] = problem.detail
    try:
        controls.as_of = record_time(controls.as_of_text or None, None)
    except ApiProblem as problem:
        controls.errors["as_of"] = problem.detail
    return controls


class CitedLine(msgspec.Struct, frozen=True):
    """A source line shown under a citation, cut into plain and highlighted runs."""

    number: int
    segments: list[Segment]


class CitationDisplay(msgspec.Struct, frozen=True):
    """A citation with its source and the lines it points to in the current version."""

    citation: CitationView
    source: SourceView | None
    lines: list[CitedLine]
    quote_found: bool


async def cited_lines(queries: Reads, fact: FactView) -> list[CitationDisplay]:
    """Each citation of `fact` with its source lines, the quote highlighted."""
    texts: dict[str, tuple[SourceView, list[str]] | None] = {}
    shown = []
    for c in fact.citations:
        if c.source_id not in texts:
            try:
                texts[c.source_id] = await queries.source_text(c.source_id)
            except NotFound:
                texts[c.source_id] = None
        found = texts[c.source_id]
        if found is None or c.current_line_start is None or c.current_line_end is None:
            shown.append(CitationDisplay(c, found[0] if found else None, [], False))
            continue
        source, lines = found
        start, end = c.current_line_start, min(c.current_line_end, len(lines))
        ranges = quote_ranges(lines, start, end, c.quote)
        shown.append(
            CitationDisplay(
                c,
                source,
                [CitedLine(n, segments(lines[n - 1], ranges.get(n, []))) for n in range(start, end + 1)],
                bool(ranges),
            )
        )
    return shown


async def all_facts(queries: Reads, criteria: FactFilter) -> list[FactView]:
    """Every fact matching `criteria`, read page by page."""
    found: list[FactView] = []
    while True:
        batch = await queries.search_facts(criteria, READ_PAGE, len(found))
        found += batch.items
        if not batch.items or len(found) >= batch.total:
            return found


async def entity_choices(queries: Reads) -> list[EntityView]:
    """Entities offered as suggestions in entity fields (the first page of the registry)."""
    return (await queries.entities(None, None, READ_PAGE, 0)).items


@get("/", name="web:root", include_in_schema=False)
async def root() -> Redirect:
    """The site's root leads to the pages."""
    return Redirect("/ui/search", status_code=303)


class SearchController(Controller):
    """GET /ui/search (and / and /ui, which lead there)."""

    path = "/"

    @get("/", name="web:home")
    async def home(self) -> Redirect:
        """The pages start at the search."""
        return Redirect("/ui/search", status_code=303)

    @get("/search", name="web:search")
    async def search(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        q: Text = None,
        entity: Text = None,
        predicate: Text = None,
        source: Text = None,
        valid_at: Text = None,
        as_of: Text = None,
        rank: FromQuery[RankFilter] = "best",
        modality: FromQuery[ModalityFilter] = "all",
        certainty: FromQuery[CertaintyFilter] = "possible",
        undated: FromQuery[bool] = False,
        offset: Offset = 0,
    ) -> Template:
        """Facts by text (the API's full-text search: best matches first, and where each matched), entity,
        predicate or source, at a valid time, as believed at a record time."""
        controls = read_controls(valid_at, as_of)
        entity_id, entity_matches = await self._entity(queries, (entity or "").strip())
        if entity and entity_id is None:
            controls.errors["entity"] = (
                f"no entity is called {entity!r}"
                if not entity_matches
                else f"{entity!r} names several entities: choose one below"
            )
        text = (q or "").strip() or None
        if text is not None and not search_phrases(text):
            controls.errors["q"] = "holds no word to search for: give letters or digits"
        predicate = (predicate or "").strip() or None
        if predicate is not None and predicate not in queries.vocabulary.predicates:
            controls.errors["predicate"] = f"{predicate!r} is not a predicate of the vocabulary"
        if controls.valid_at is None and (certainty != "possible" or undated):
            controls.errors["certainty"] = "give a valid date: how surely a fact held needs one"
        results: FactPage | None = None
        if not controls.errors:
            criteria = FactFilter(
                entity=entity_id,
                predicate=predicate,
                source=(source or "").strip() or None,
                valid_at=controls.valid_at,
                as_of=controls.as_of,
                rank=rank,
                modality=modality,
                text=text,
                certainty=certainty,
                undated=undated,
            )
            results = await queries.search_facts(criteria, PAGE_SIZE, offset)
        context: dict[str, Any] = {
            "controls": controls,
            "results": results,
            "form": {
                "q": q or "",
                "entity": entity or "",
                "predicate": predicate or "",
                "source": source or "",
                "rank": rank,
                "modality": modality,
                "certainty": certainty,
                "undated": undated,
            },
            "entity_matches": entity_matches,
            "offset": offset,
            "page_size": PAGE_SIZE,
        }
        if is_htmx(request):
            return page(request, "_results.html", **context)
        sources = (await queries.sources(READ_PAGE, 0)).items
        # The home page says how many findings wait for an archivist (GET /findings lists them).
        findings = await queries.finding_count(datetime.now(UTC).date())
        return page(
            request,
            "search.html",
            sources=sources,
            entities=await entity_choices(queries),
            finding_count=findings,
            proposal_count=await queries.pending_proposal_count(),
            **context,
        )

    @staticmethod
    async def _entity(queries: Reads, text: str) -> tuple[str | None, list[EntityView]]:
        """An entity id for what was typed: an id, or a label or alias naming exactly one entity."""
        if not text:
            return None, []
        try:
            return (await queries.entity(text)).id, []
        except NotFound:
            pass
        matches = (await queries.entities(text, None, 20, 0)).items
        exact = [e for e in matches if e.label.casefold() == text.casefold()]
        if len(exact) == 1:
            return exact[0].id, []
        if len(matches) == 1:
            return matches[0].id, []
        return None, matches


class FactPageController(Controller):
    """GET /ui/facts/{fact_id}."""

    path = "/facts"

    @get("/{fact_id:str}", name="web:fact")
    async def fact(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        fact_id: FromPath[str],
        as_of: Text = None,
        done: Annotated[str | None, QueryParameter(max_length=40)] = None,
    ) -> Template:
        """A fact as it stands (or stood at `as_of`): value, rank, status, modality, its links both ways,
        citations, history."""
        controls = read_controls(None, as_of)
        if controls.errors:
            raise ApiProblem(400, "Bad request", controls.errors["as_of"])
        fact = await queries.fact(fact_id, controls.as_of)
        current = await queries.fact(fact_id) if controls.as_of is not None else fact
        history = await queries.fact_history(fact_id)
        linked = await self._linked(queries, fact)
        return page(
            request,
            "fact.html",
            fact=fact,
            current=current,
            as_of=controls.as_of,
            citations=await cited_lines(queries, fact),
            events=history.events,
            linked=linked,
            done=done,
        )

    @staticmethod
    async def _linked(queries: Reads, fact: FactView) -> dict[str, FactView]:
        """The facts this one links to and those linking to it, by id (a missing fact is shown as its id)."""
        linked = {}
        for fact_id in [link.fact_id for link in fact.links] + [link.fact_id for link in fact.linked_from]:
            if fact_id in linked:
                continue
            try:
                linked[fact_id] = await queries.fact(fact_id)
            except NotFound:
                continue
        return linked


def chart_facts(facts: Iterable[FactView], role_predicates: set[str]) -> list[FactView]:
    """The facts an entity's timeline draws: dated roles, memberships and other terms, and whatever
    contests them. Retracted facts are left out; deprecated ones are drawn, greyed, beside their rival."""
    dated = [
        f
        for f in facts
        if f.status != "retracted"
        and (f.valid_from is not None or f.valid_to is not None or f.point_in_time is not None)
    ]
    contested = {fact_id for group in contested_groups(dated) for fact_id in group}
    return [
        f
        for f in dated
        if f.predicate in role_predicates
        or f.valid_from is not None
        or f.valid_to is not None
        or f.id in contested
    ]


class EntityPagesController(Controller):
    """GET /ui/entities and /ui/entities/{entity_id}."""

    path = "/entities"

    @get("/", name="web:entities")
    async def entities(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        q: Text = None,
        offset: Offset = 0,
    ) -> Template:
        """The entity registry, searchable by label or alias."""
        found = await queries.entities((q or "").strip() or None, None, PAGE_SIZE, offset)
        return page(request, "entities.html", found=found, q=q or "", offset=offset, page_size=PAGE_SIZE)

    @get("/{entity_id:str}", name="web:entity")
    async def entity(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        entity_id: FromPath[str],
        valid_at: Text = None,
        as_of: Text = None,
        rank: FromQuery[RankFilter] = "best",
        offset: Offset = 0,
        done: Annotated[str | None, QueryParameter(max_length=40)] = None,
        redirected_from: Text = None,
    ) -> Template | Redirect:
        """An entity: its names over time, its relations, and the timeline of its roles and memberships.

        A merged entity's page leads to the page of the entity it was merged into, saying so there.
        """
        entity = await queries.entity(entity_id)
        if entity.redirected_from is not None:
            target = f"/ui/entities/{quote(entity.id, safe='')}?{urlencode({'redirected_from': entity_id})}"
            return Redirect(target, status_code=303)
        controls = read_controls(valid_at, as_of)
        moment = controls.as_of if "as_of" not in controls.errors else None
        at = controls.valid_at if "valid_at" not in controls.errors else None
        names = await all_facts(
            queries, FactFilter(subject=entity_id, predicate=NAME_PREDICATE, as_of=moment, rank="best")
        )
        names.sort(key=valid_time_order)
        renames = [
            f
            for predicate in RENAME_PREDICATES
            for f in await all_facts(
                queries, FactFilter(entity=entity_id, predicate=predicate, as_of=moment, rank="best")
            )
        ]
        relations = await queries.relations(entity_id, at, moment, rank, PAGE_SIZE, offset)
        everything = await self._all_relations(queries, entity_id, moment)
        role_predicates = {n for n, p in queries.vocabulary.predicates.items() if p.role is not None}
        drawn = chart_facts(everything, role_predicates)
        labels = {n: p.label for n, p in queries.vocabulary.predicates.items()}
        chart: TimelineChart | None = layout(drawn[:MAX_CHART_ROWS], entity_id, labels, at)
        return page(
            request,
            "entity.html",
            entity=entity,
            controls=controls,
            rank=rank,
            names=names,
            renames=renames,
            relations=relations,
            chart=chart,
            chart_total=len(drawn),
            max_chart_rows=MAX_CHART_ROWS,
            offset=offset,
            page_size=PAGE_SIZE,
            done=done,
            redirected_from=redirected_from,
        )

    @staticmethod
    async def _all_relations(queries: Reads, entity_id: str, as_of: datetime | None) -> list[FactView]:
        found: list[FactView] = []
        while True:
            batch = await queries.relations(entity_id, None, as_of, "all", READ_PAGE, len(found))
            found += batch.items
            if not batch.items or len(found) >= batch.total:
                return found
