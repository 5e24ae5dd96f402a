"""Proposals: made when a source version is recorded; accepted (the fact recorded through the fact command,
with the proposal's citation) or rejected with a reason by an archivist. Each step is an event of the
proposal's stream, `proposal:<id>` (archive/domain/proposal_reviews.py).

Where proposing runs. The extraction (archive/domain/proposals.py) reads the whole text and may take a
while for a long one, so a source command given no transaction runs it *before* it takes the append lock,
over the names the registry holds then; inside the lock only the proposals' ids are derived and their
events appended, in the same transaction as the source's new version, so a version is never recorded
without its proposals or the reverse. An entity registered between that read and the append is not
matched: the proposal lists its name as unmatched, as if the entity had come a moment later. A caller's
transaction (the seeder's) already holds the lock: there the extraction runs inside it, over the names
that transaction sees (the seed's own entities, registered just before).

Accepting records the fact and the acceptance in one locked transaction: the fact command (its decider,
its checks of the content and of the citation against the source's current text) and the
`proposal.accepted` event commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from archive.commands.facts import FactCommands
from archive.commands.unit import CommandBase, CommandMeta, FactWritten, Written, decoded
from archive.domain.errors import DomainError
from archive.domain.events import (
    Citation,
    Event,
    ProposalMade,
    Rank,
    SourceRegistered,
    SourceRevised,
    encode_event,
    event_type_of,
)
from archive.domain.facts import FactContent, fact_id_for
from archive.domain.proposal_reviews import (
    AcceptProposal,
    ProposalState,
    RejectProposal,
    accepted_content,
    decide_acceptance,
    decide_rejection,
    evolve_proposal,
    proposal_stream,
    proposals_made,
)
from archive.domain.proposals import KnownName, ProposedFact, propose
from archive.domain.streams import fact_stream
from archive.eventstore import NewEvent, RecordedEvent
from archive.eventstore.store import StreamWrite
from archive.projections import entities, proposals
from archive.projections import sources as source_rows
from archive.reads.errors import NotFound


class AcceptedProposal(Written, frozen=True):
    """An acceptance's outcome: the proposal stream's version, and the fact as the fact command wrote it."""

    fact: FactWritten


async def known_names(conn: AsyncConnection) -> list[KnownName]:
    """Every label and alias of the registry, as the extraction matches them."""
    return [KnownName(entity_id, name) for entity_id, name in await entities.names(conn)]


class ProposingCommands(CommandBase):
    """What a source command does to propose facts from a version it records."""

    async def _proposals_before_lock(
        self, source_id: str, sha256: str, text: str
    ) -> list[ProposedFact] | None:
        """The proposals of `text`, read outside the append lock; None when the source holds that text
        already (recording it again records no version, so there is nothing to propose)."""
        async with self._reads() as reads:
            current = await source_rows.get(reads, source_id)
            if current is not None and current.content_sha256 == sha256:
                return None
            names = await known_names(reads)
        return propose(text, names)

    async def _propose_in(
        self,
        conn: AsyncConnection,
        events: Sequence[Event],
        proposed: list[ProposedFact] | None,
        meta: CommandMeta,
    ) -> list[RecordedEvent]:
        """Append a `proposal.made` for each proposal of the text version `events` record (none when they
        record no new text), in the caller's transaction; those already made are left as they are."""
        version = next((e for e in events if isinstance(e, SourceRegistered | SourceRevised)), None)
        if version is None:
            return []
        if proposed is None:  # not read before the lock (a caller's transaction, or the text moved since)
            proposed = propose(version.text, await known_names(conn))
        made = proposals_made(
            version.source_id, version.version, version.content_sha256, proposed, self._clock()
        )
        new_ids = {m.proposal_id for m in made} - await proposals.existing(
            conn, [m.proposal_id for m in made]
        )
        writes = [_made_write(m) for m in made if m.proposal_id in new_ids]
        if not writes:
            return []
        recorded = await self.store.append_streams_in(conn, writes, meta.as_metadata())
        await self.projector.apply(conn, recorded)
        return recorded


def _made_write(made: ProposalMade) -> StreamWrite:
    """A proposal's first event, on its own new stream."""
    return StreamWrite(
        proposal_stream(made.proposal_id), 0, [NewEvent(event_type_of(made), encode_event(made))]
    )


class ProposalCommands(FactCommands):
    """The archivist's decisions on a proposal: accept (recording the fact) or reject."""

    async def _proposal_state(
        self, conn: AsyncConnection, proposal_id: str
    ) -> tuple[ProposalState, ProposalMade]:
        """The proposal's state folded from its stream, and what was proposed (404 when never made)."""
        state = ProposalState()
        for recorded in await self.store.read_stream(proposal_stream(proposal_id), conn=conn):
            state = evolve_proposal(state, decoded(recorded))
        if state.made is None:
            raise NotFound(f"no proposal {proposal_id}")
        return state, state.made

    async def accept_proposal(
        self,
        *,
        proposal_id: str,
        expected_version: int,
        edited: FactContent | None,
        rank: Rank,
        meta: CommandMeta,
    ) -> AcceptedProposal:
        """Record the proposal's fact (as proposed, or as edited) with its citation, and the acceptance.

        The fact goes through the same command as `POST /facts`; when it exists already, the proposal's
        citation is added to it (the fact's version is read under the lock this transaction holds, so
        nothing another writer did is overwritten: a citation only adds).
        """
        async with self.transaction() as tx:
            state, made = await self._proposal_state(tx, proposal_id)
            command = AcceptProposal(proposal_id, expected_version, edited, meta.actor, self._clock())
            content = accepted_content(command, state)
            try:
                fact_id = fact_id_for(content)
            except DomainError as error:
                raise error.within("content") from None
            citation = Citation(
                made.source_id, made.content_sha256, made.line_start, made.line_end, made.quote
            )
            try:
                fact = await self.record_fact(
                    content=content,
                    rank=rank,
                    citations=[citation],
                    meta=meta,
                    expected_version=await self.store.stream_version(fact_stream(fact_id), conn=tx),
                    conn=tx,
                )
            except DomainError as error:
                raise _as_proposal_field(error) from None
            events = decide_acceptance(command, state, fact.fact_id)
            stream = proposal_stream(proposal_id)
            appended = await self._commit(tx, stream, state.version, events, meta)
            return AcceptedProposal(stream, state.version + len(appended), appended, fact=fact)

    async def reject_proposal(
        self, *, proposal_id: str, expected_version: int, reason: str, meta: CommandMeta
    ) -> Written:
        """Reject the proposal with a reason."""
        async with self.transaction() as tx:
            state, _ = await self._proposal_state(tx, proposal_id)
            command = RejectProposal(proposal_id, expected_version, reason, meta.actor, self._clock())
            events = decide_rejection(command, state)
            stream = proposal_stream(proposal_id)
            appended = await self._commit(tx, stream, state.version, events, meta)
            return Written(stream, state.version + len(appended), appended)


def _as_proposal_field(error: DomainError) -> DomainError:
    """The fact command's error with its field as an acceptance spells it: `content.subject`, `rank`, or
    `citation.quote` for the proposal's own citation (an acceptance passes exactly one citation, and
    the fact command names each citation's errors inside `citations[index]`)."""
    field = error.field
    if field is None or field == "rank":
        return error
    if field.startswith("citations[0]"):
        error.field = "citation" + field.removeprefix("citations[0]")
    elif field != "expected_version":
        error.field = f"content.{field}"
    return error


__all__ = ["AcceptedProposal", "ProposalCommands", "ProposingCommands", "known_names"]
