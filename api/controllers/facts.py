"""Facts: search, one fact as it stood at any record time, its history and its provenance."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter

from api.auth import reads_guard
from api.commands import (
    ARCHIVIST,
    changes_of,
    command_meta,
    record_fact,
    resolve_citations,
)
from api.controllers.fact_mementos import FactMementos, fact_at
from api.errors import ITEM_PROBLEMS, READ_PROBLEMS, WRITE_PROBLEMS, problem_responses
from api.memento import base_url
from api.negotiation import negotiated
from api.params import (
    AcceptDatetime,
    AsOf,
    Certainty,
    Limit,
    Offset,
    SearchText,
    Undated,
    ValidAt,
    bad_parameter,
    held_filters,
    memento_headers,
    partial_date,
    record_time,
    search_text,
)
from api.requests import (
    NO_NUL,
    CorrectionRequest,
    LinkRequest,
    RankRequest,
    RecordFactRequest,
    RetractionRequest,
)
from archive.commands import Archive
from archive.reads import (
    FactFilter,
    FactHistory,
    FactPage,
    FactView,
    ModalityFilter,
    Provenance,
    RankFilter,
    Reads,
    RecordedFactView,
)
from archive.reads.prov import fact_prov_document, prov_n, prov_o_jsonld
from archive.tokens import Principal

EntityId = Annotated[str | None, QueryParameter(max_length=200)]
FactId = Annotated[str, PathParameter(max_length=64, pattern=NO_NUL)]
#: What GET /facts/{id}/provenance answers in, the first by default.
PROVENANCE_TYPES = ("application/json", "application/ld+json", "text/provenance-notation")
PROVENANCE_RESPONSES = {
    **ITEM_PROBLEMS,
    **problem_responses(406),
    200: ResponseSpec(
        Provenance,
        description=(
            "JSON by default; with Accept: application/ld+json, PROV-O in JSON-LD; with Accept: "
            "text/provenance-notation, PROV-N."
        ),
    ),
}
RECORD_RESPONSES = {
    **WRITE_PROBLEMS,
    200: ResponseSpec(RecordedFactView, description="The fact existed: any new citation is added to it."),
}


class FactsController(FactMementos, Controller):
    """Reads: GET /facts, /facts/{id}, /history, /provenance (and, from `FactMementos`, /versions/{n},
    /timemap and HEAD). Writes (archivist): POST /facts, /facts/{id}/corrections, /retractions, /rank,
    /links."""

    path = "/facts"
    tags = ["facts"]
    guards = [reads_guard]

    @get(operation_id="searchFacts", responses=READ_PROBLEMS, summary="Search facts")
    async def search(
        self,
        queries: NamedDependency[Reads],
        q: SearchText = None,
        subject: EntityId = None,
        object: EntityId = None,
        entity: EntityId = None,
        predicate: Annotated[str | None, QueryParameter(max_length=100)] = None,
        source: Annotated[
            str | None, QueryParameter(max_length=200, description="Facts citing this source.")
        ] = None,
        line: Annotated[
            int | None, QueryParameter(ge=1, description="With source: facts citing this line.")
        ] = None,
        valid_at: ValidAt = None,
        as_of: AsOf = None,
        accept_datetime: AcceptDatetime = None,
        rank: Annotated[
            RankFilter, QueryParameter(description="best hides deprecated and retracted facts.")
        ] = "best",
        modality: Annotated[ModalityFilter, QueryParameter(description="asserted, planned, or all.")] = "all",
        certainty: Certainty = "possible",
        undated: Undated = False,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Response[FactPage]:
        """Facts matching every given filter; with `valid_at`, each says `definite` or `possible`; with
        `q`, the best matches of its words first (in the names of subject and object, the value, the note
        and the quotes of the version read), and `matches` says why each matched."""
        if line is not None and source is None:
            raise bad_parameter("line", "needs source: a line number means nothing without its document")
        if predicate is not None and queries.predicates and predicate not in queries.predicates:
            problem = bad_parameter("predicate", f"{predicate!r} is not a predicate of the vocabulary")
            problem.extra["allowed"] = list(queries.predicates)
            raise problem
        moment = record_time(as_of, accept_datetime)
        when = partial_date("valid_at", valid_at)
        held_filters(when, certainty, undated)
        criteria = FactFilter(
            subject=subject,
            object=object,
            entity=entity,
            predicate=predicate,
            source=source,
            line=line,
            valid_at=when,
            as_of=moment,
            rank=rank,
            modality=modality,
            text=search_text(q),
            certainty=certainty,
            undated=undated,
        )
        return Response(await queries.search_facts(criteria, limit, offset), headers=memento_headers(moment))

    @get(
        "/{fact_id:str}",
        operation_id="getFact",
        responses=ITEM_PROBLEMS,
        summary="One fact, as it stood at a record time",
    )
    async def get_fact(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        fact_id: FromPath[str],
        as_of: AsOf = None,
        accept_datetime: AcceptDatetime = None,
    ) -> Response[FactView]:
        """The fact's version believed at `as_of` (the current one by default), with its citations. The
        fact is its own RFC 7089 TimeGate: `Link` names its TimeMap, and an answer at a date carries the
        version's `Memento-Datetime` and `Content-Location`."""
        return await fact_at(request, queries, fact_id, as_of, accept_datetime)

    @get(
        "/{fact_id:str}/history",
        operation_id="getFactHistory",
        responses=ITEM_PROBLEMS,
        summary="Every event of a fact",
    )
    async def history(self, queries: NamedDependency[Reads], fact_id: FromPath[str]) -> FactHistory:
        """Each event: position, type, version, record time, actor, reason and data."""
        return await queries.fact_history(fact_id)

    @get(
        "/{fact_id:str}/provenance",
        operation_id="getFactProvenance",
        responses=PROVENANCE_RESPONSES,
        summary="Where a fact comes from",
    )
    async def provenance(
        self, request: Request[Any, Any, Any], queries: NamedDependency[Reads], fact_id: FromPath[str]
    ) -> Response[Provenance | bytes]:
        """Fact → events → citations → the source's lines, its sha256 and each citation's state. By
        `Accept`: this JSON (the default), PROV-O in JSON-LD (`application/ld+json`) or PROV-N
        (`text/provenance-notation`), built with the W3C `prov` library; any other type is a 406."""
        media_type = negotiated(request, PROVENANCE_TYPES)
        chosen_by_accept = {"Vary": "Accept"}  # so that a cache keeps each format apart
        if media_type == "application/json":
            return Response(await queries.provenance(fact_id), headers=chosen_by_accept)
        document = await fact_prov_document(queries, fact_id, base_url(request))
        text = prov_o_jsonld(document) if media_type == "application/ld+json" else prov_n(document)
        return Response(text.encode(), media_type=media_type, headers=chosen_by_accept)

    @post(
        operation_id="recordFact",
        responses=RECORD_RESPONSES,
        guards=ARCHIVIST,
        summary="Record a fact with at least one citation",
        description=(
            "201 with a new fact. Recording a fact that exists adds the citations it lacks and needs the "
            "fact's `expected_version` (428 without it, 409 with a stale one); the same fact and citations "
            "again change nothing (200)."
        ),
        status_code=201,
    )
    async def record(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[RecordFactRequest],
        archive: NamedDependency[Archive],
        queries: NamedDependency[Reads],
        principal: NamedDependency[Principal],
    ) -> Response[RecordedFactView]:
        """201 with a new fact; 200 when it existed (a new citation is added; a known one changes nothing).
        `findings` names what now stands about the fact for an archivist to look at (GET /findings)."""
        written = await record_fact(request, data, archive, queries, principal)
        created = any(e.event_type == "fact.recorded" for e in written.events)
        fact = await queries.fact(written.fact_id, version=written.version)
        answer = await queries.with_findings(fact, datetime.now(UTC).date())
        return Response(answer, status_code=201 if created else 200)

    @post(
        "/{fact_id:str}/corrections",
        guards=ARCHIVIST,
        operation_id="correctFact",
        responses=WRITE_PROBLEMS,
        summary="Correct a fact",
        status_code=200,
    )
    async def correct(
        self,
        request: Request[Any, Any, Any],
        fact_id: FactId,
        data: JSONBody[CorrectionRequest],
        archive: NamedDependency[Archive],
        queries: NamedDependency[Reads],
        principal: NamedDependency[Principal],
    ) -> FactView:
        """New values with a reason code, a justification and evidence citations (needed for any value)."""
        written = await archive.correct_fact(
            fact_id=fact_id,
            expected_version=data.expected_version,
            changes=changes_of(data.changes),
            reason_code=data.reason_code,
            justification=data.justification,
            citations=await resolve_citations(queries, data.citations),
            meta=command_meta(request, principal, data.justification),
        )
        return await queries.fact(written.fact_id, version=written.version)

    @post(
        "/{fact_id:str}/retractions",
        guards=ARCHIVIST,
        operation_id="retractFact",
        responses=WRITE_PROBLEMS,
        summary="Retract a fact",
        status_code=200,
    )
    async def retract(
        self,
        request: Request[Any, Any, Any],
        fact_id: FactId,
        data: JSONBody[RetractionRequest],
        archive: NamedDependency[Archive],
        queries: NamedDependency[Reads],
        principal: NamedDependency[Principal],
    ) -> FactView:
        """The archive stops asserting the fact; it stays visible with rank=all, status retracted."""
        written = await archive.retract_fact(
            fact_id=fact_id,
            expected_version=data.expected_version,
            reason_code=data.reason_code,
            justification=data.justification,
            citations=await resolve_citations(queries, data.citations),
            meta=command_meta(request, principal, data.justification),
        )
        return await queries.fact(written.fact_id, version=written.version)

    @post(
        "/{fact_id:str}/rank",
        guards=ARCHIVIST,
        operation_id="rerankFact",
        responses=WRITE_PROBLEMS,
        summary="Change a fact's rank",
        status_code=200,
    )
    async def rerank(
        self,
        request: Request[Any, Any, Any],
        fact_id: FactId,
        data: JSONBody[RankRequest],
        archive: NamedDependency[Archive],
        queries: NamedDependency[Reads],
        principal: NamedDependency[Principal],
    ) -> FactView:
        """preferred, normal or deprecated, with a justification."""
        written = await archive.rerank_fact(
            fact_id=fact_id,
            expected_version=data.expected_version,
            rank=data.rank,
            reason_code=data.reason_code,
            justification=data.justification,
            meta=command_meta(request, principal, data.justification),
        )
        return await queries.fact(written.fact_id, version=written.version)

    @post(
        "/{fact_id:str}/links",
        guards=ARCHIVIST,
        operation_id="linkFact",
        responses=WRITE_PROBLEMS,
        summary="Link a fact to another",
        status_code=200,
    )
    async def link(
        self,
        request: Request[Any, Any, Any],
        fact_id: FactId,
        data: JSONBody[LinkRequest],
        archive: NamedDependency[Archive],
        queries: NamedDependency[Reads],
        principal: NamedDependency[Principal],
    ) -> FactView:
        """This fact fulfils, contradicts or supersedes the target fact; a supersedes cycle is refused."""
        written = await archive.link_fact(
            fact_id=fact_id,
            relation=data.relation,
            target_fact_id=data.target_fact_id,
            meta=command_meta(request, principal, data.reason),
            expected_version=data.expected_version,
        )
        return await queries.fact(written.fact_id, version=written.version)
