"""Proposals under review: what the archive proposes from a source version, and an archivist's decision.

The extraction itself (which rules read what from a text) is archive/domain/proposals.py; this module
turns its output into `proposal.made` events and decides an acceptance or a rejection on a proposal's
state. Each proposal has a stream of its own, `proposal:<id>`: version 1 is its making, version 2 its
decision, so an archivist names version 1 to decide it and a second decision is refused.

A proposal's id is derived from the source, its version, the rule, the content and the lines, so proposing
again over the same version yields the same ids and appends nothing new.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

import msgspec

from archive.domain.errors import AlreadyDecided, DomainError, InvalidCommand
from archive.domain.events import (
    Event,
    ProposalAccepted,
    ProposalMade,
    ProposalRejected,
)
from archive.domain.facts import FactContent, fact_id_for
from archive.domain.ids import derived_id
from archive.domain.proposals import ProposedFact
from archive.domain.time import as_utc
from archive.domain.versions import require_expected_version

ProposalStatus = Literal["pending", "accepted", "rejected"]


def proposal_stream(proposal_id: str) -> str:
    """The stream of one proposal: its making, then its decision."""
    return f"proposal:{proposal_id}"


def proposal_id(
    source_id: str, source_version: int, rule: str, content: FactContent, line_start: int, line_end: int
) -> str:
    """The proposal's id: uuid5 of the source version, the rule, the content and the lines it came from."""
    key = msgspec.json.encode(
        [source_id, source_version, rule, msgspec.to_builtins(content), line_start, line_end]
    )
    return derived_id("proposal", key.decode("utf-8"))


def _fact_id(content: FactContent) -> str | None:
    """The fact the content would be, or None when its valid time cannot make one (an archivist edits it)."""
    try:
        return fact_id_for(content)
    except DomainError:
        return None


def proposals_made(
    source_id: str,
    source_version: int,
    content_sha256: str,
    proposed: Iterable[ProposedFact],
    recorded_at: dt.datetime,
) -> list[ProposalMade]:
    """One `proposal.made` per distinct proposal of a source version (a proposal found twice is one)."""
    made: dict[str, ProposalMade] = {}
    for fact in proposed:
        content = fact.content
        pid = proposal_id(source_id, source_version, fact.rule, content, fact.line_start, fact.line_end)
        made.setdefault(
            pid,
            ProposalMade(
                proposal_id=pid,
                source_id=source_id,
                source_version=source_version,
                content_sha256=content_sha256,
                rule=fact.rule,
                content=content,
                fact_id=_fact_id(content),
                line_start=fact.line_start,
                line_end=fact.line_end,
                quote=fact.quote,
                matched=tuple(fact.matched),
                unmatched=tuple(fact.unmatched),
                recorded_at=as_utc(recorded_at),
            ),
        )
    return list(made.values())


class ProposalState(msgspec.Struct, frozen=True):
    """A proposal as a decision sees it: its stream's version, what was proposed, and whether decided."""

    version: int = 0
    made: ProposalMade | None = None
    status: ProposalStatus = "pending"


def evolve_proposal(state: ProposalState, event: Event) -> ProposalState:
    """The proposal's state after one event of its stream."""
    version = state.version + 1
    if isinstance(event, ProposalMade):
        return ProposalState(version=version, made=event)
    if isinstance(event, ProposalAccepted):
        return msgspec.structs.replace(state, version=version, status="accepted")
    if isinstance(event, ProposalRejected):
        return msgspec.structs.replace(state, version=version, status="rejected")
    return msgspec.structs.replace(state, version=version)


class AcceptProposal(msgspec.Struct, frozen=True):
    """Accept a proposal: its content as proposed (`edited` None) or as the archivist edited it."""

    proposal_id: str
    expected_version: int
    edited: FactContent | None
    decided_by: str
    recorded_at: dt.datetime


class RejectProposal(msgspec.Struct, frozen=True):
    """Reject a proposal, saying why."""

    proposal_id: str
    expected_version: int
    reason: str
    decided_by: str
    recorded_at: dt.datetime


def _undecided(state: ProposalState, proposal_id: str, expected_version: int) -> ProposalMade:
    if state.made is None:
        # The service answers an unknown proposal before deciding (404); this guards other callers.
        raise InvalidCommand(f"no proposal {proposal_id}", field="proposal_id")
    if state.status != "pending":
        raise AlreadyDecided(
            f"proposal {proposal_id} is already {state.status}: a proposal is decided once",
            field="proposal_id",
        )
    require_expected_version(f"proposal {proposal_id}", state.version, expected_version, "decide it")
    return state.made


def entity_slots(content: FactContent) -> tuple[tuple[str, str | None], ...]:
    """The fields of a content that name an entity, with their values, as a request spells them."""
    q = content.qualifiers
    return (
        ("subject", content.subject),
        ("object", content.object),
        ("qualifiers.role", q.role),
        ("qualifiers.place", q.place),
        ("qualifiers.organization", q.organization),
    )


def accepted_content(cmd: AcceptProposal, state: ProposalState) -> FactContent:
    """The content the fact is recorded with, once the proposal may be accepted: undecided, at the version
    named, and with no name the rules left unmatched still standing where an entity id goes.

    The extraction writes the text's own words in a slot no entity matched (and lists them as unmatched):
    accepting them as they are would name no entity, so the archivist edits them away first (registering
    the entity if the archive has none). The fact command then checks the content like any other.
    """
    made = _undecided(state, cmd.proposal_id, cmd.expected_version)
    content = made.content if cmd.edited is None else cmd.edited
    for field, value in entity_slots(content):
        if value is not None and value in made.unmatched:
            raise InvalidCommand(
                f"{value!r} is a name no entity's label or alias matched: edit content.{field} to name the "
                "entity's id (registering the entity first if the archive has none)",
                field=f"content.{field}",
            )
    return content


def decide_acceptance(cmd: AcceptProposal, state: ProposalState, fact_id: str) -> list[ProposalAccepted]:
    """The acceptance event, once `fact_id` (the fact recorded from `accepted_content`) is known."""
    made = _undecided(state, cmd.proposal_id, cmd.expected_version)
    edited = cmd.edited if cmd.edited != made.content else None
    return [
        ProposalAccepted(
            proposal_id=cmd.proposal_id,
            fact_id=fact_id,
            edited=edited,
            decided_by=cmd.decided_by,
            recorded_at=as_utc(cmd.recorded_at),
        )
    ]


def decide_rejection(cmd: RejectProposal, state: ProposalState) -> list[ProposalRejected]:
    """The rejection event, or the error refusing it: unknown, decided, stale, or no reason given."""
    _undecided(state, cmd.proposal_id, cmd.expected_version)
    if not cmd.reason.strip():
        raise InvalidCommand("a reason is required: say why the proposal is wrong", field="reason")
    return [
        ProposalRejected(
            proposal_id=cmd.proposal_id,
            reason=cmd.reason,
            decided_by=cmd.decided_by,
            recorded_at=as_utc(cmd.recorded_at),
        )
    ]
