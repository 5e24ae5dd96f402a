"""Proposals: the facts the archive proposed from each source version (GET /proposals), and an archivist's
decision on one: accept it (the fact recorded with the proposal's citation), edit then accept, or reject."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter

from api.auth import reads_guard
from api.commands import ARCHIVIST, command_meta, content_of
from api.errors import ITEM_PROBLEMS, READ_PROBLEMS, WRITE_PROBLEMS
from api.params import Limit, Offset
from api.requests import NO_NUL, AcceptanceRequest, RejectionRequest
from archive.commands import Archive
from archive.reads import AcceptedProposalView, ProposalPage, ProposalView, Reads
from archive.tokens import Principal

ProposalId = Annotated[str, PathParameter(max_length=64, pattern=NO_NUL)]
ProposalStatus = Literal["pending", "already_recorded", "accepted", "rejected"]


class ProposalsController(Controller):
    """GET /proposals, /proposals/{id}; POST /proposals/{id}/acceptance, /rejection (archivist)."""

    path = "/proposals"
    tags = ["proposals"]
    guards = [reads_guard]

    @get(operation_id="listProposals", responses=READ_PROBLEMS, summary="Facts proposed from the sources")
    async def proposals(
        self,
        queries: NamedDependency[Reads],
        source: Annotated[
            str | None, QueryParameter(max_length=200, description="Proposals from this source.")
        ] = None,
        status: Annotated[
            ProposalStatus | None,
            QueryParameter(
                description="pending (waiting for an archivist), already_recorded (pending, but the archive "
                "holds the fact), accepted or rejected."
            ),
        ] = None,
        rule: Annotated[
            str | None, QueryParameter(max_length=100, description="Proposals made by this rule.")
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> ProposalPage:
        """Proposals in source and line order, each with its quote and lines, the entities it matched and
        the names it did not; `counts` gives how many there are of each status with the same filters."""
        return await queries.proposals(source=source, status=status, rule=rule, limit=limit, offset=offset)

    @get(
        "/{proposal_id:str}",
        operation_id="getProposal",
        responses=ITEM_PROBLEMS,
        summary="One proposal, with its audit trail",
    )
    async def proposal(self, queries: NamedDependency[Reads], proposal_id: ProposalId) -> ProposalView:
        """The proposal, its status and decision, and `steps`: each event of its stream with its actor."""
        return await queries.proposal(proposal_id)

    @post(
        "/{proposal_id:str}/acceptance",
        guards=ARCHIVIST,
        operation_id="acceptProposal",
        responses=WRITE_PROBLEMS,
        summary="Accept a proposal: record its fact with its citation",
        status_code=201,
    )
    async def accept(
        self,
        request: Request[Any, Any, Any],
        proposal_id: ProposalId,
        data: JSONBody[AcceptanceRequest],
        archive: NamedDependency[Archive],
        queries: NamedDependency[Reads],
        principal: NamedDependency[Principal],
    ) -> AcceptedProposalView:
        """The fact is recorded through the same command as POST /facts, with the proposal's citation (its
        source version, lines and quote, checked like any citation), as proposed or, with `content`, as
        edited; the acceptance is an event of the same transaction. `expected_version` is the proposal's
        version as listed (409 when stale or already decided); a name no entity matched must be edited
        away (422 naming it)."""
        accepted = await archive.accept_proposal(
            proposal_id=proposal_id,
            expected_version=data.expected_version,
            edited=None if data.content is None else content_of(data.content),
            rank=data.rank,
            meta=command_meta(request, principal, data.reason),
        )
        return AcceptedProposalView(
            proposal=await queries.proposal(proposal_id),
            fact=await queries.fact(accepted.fact.fact_id, version=accepted.fact.version),
        )

    @post(
        "/{proposal_id:str}/rejection",
        guards=ARCHIVIST,
        operation_id="rejectProposal",
        responses=WRITE_PROBLEMS,
        summary="Reject a proposal with a reason",
        status_code=200,
    )
    async def reject(
        self,
        request: Request[Any, Any, Any],
        proposal_id: ProposalId,
        data: JSONBody[RejectionRequest],
        archive: NamedDependency[Archive],
        queries: NamedDependency[Reads],
        principal: NamedDependency[Principal],
    ) -> ProposalView:
        """The proposal, rejected: `expected_version` is its version as listed (409 when stale or already
        decided), and a reason is required (an event of the log, with who rejected it)."""
        await archive.reject_proposal(
            proposal_id=proposal_id,
            expected_version=data.expected_version,
            reason=data.reason,
            meta=command_meta(request, principal, data.reason),
        )
        return await queries.proposal(proposal_id)
