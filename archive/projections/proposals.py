"""Read model `proposals`: the facts the archive proposed from each source version, and their decision.

One row per proposal (archive/domain/proposal_reviews.py): what was proposed, from which lines, by which
rule, with the entities it matched and the names it did not; then `accepted` (with the fact recorded and
the content as edited) or `rejected` (with the reason), by whom. `version` is the proposal stream's
version, what a decision names as its `expected_version`.

Whether a pending proposal's fact is already recorded (the seeded corpus' curated facts, or a fact an
archivist recorded by hand) is not stored here: a read asks `fact_versions` for the proposal's `fact_id`,
so the answer follows every fact write without this table being touched by one.
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    select,
)
from sqlalchemy.engine import Connection, Row
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import Insert, Update

from archive.domain.events import ProposalAccepted, ProposalMade, ProposalRejected, decode_event
from archive.eventstore import Logged
from archive.eventstore.table import events_table
from archive.storage.engine import metadata

NAME = "proposals"

ProposalEvent = ProposalMade | ProposalAccepted | ProposalRejected
#: The event types that write this read model.
EVENT_TYPES = ("proposal.made", "proposal.accepted", "proposal.rejected")

proposals_table = Table(
    NAME,
    metadata,
    Column("proposal_id", String(36), primary_key=True),
    Column("source_id", String(200), nullable=False),
    Column("source_version", Integer, nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("rule", String(100), nullable=False),
    Column("content", JSON, nullable=False),
    # The fact the content would be (None: its dates cannot make one until an archivist edits them).
    Column("fact_id", String(36), nullable=True),
    Column("line_start", Integer, nullable=False),
    Column("line_end", Integer, nullable=False),
    Column("quote", Text, nullable=False),
    Column("matched", JSON, nullable=False),
    Column("unmatched", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("made_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("decided_by", Text, nullable=True),
    # The fact recorded on acceptance, and the content as accepted when the archivist edited it.
    Column("accepted_fact_id", String(36), nullable=True),
    Column("edited", JSON, nullable=True),
    Column("reason", Text, nullable=True),
    Column("position", BigInteger().with_variant(Integer(), "sqlite"), nullable=False),
    Index("ix_proposals_source_lines", "source_id", "line_start"),
    Index("ix_proposals_status", "status"),
)


def statement(event: ProposalEvent, recorded: Logged) -> Insert | Update:
    """The row a proposal's event writes: its insert, or its decision."""
    table = proposals_table
    if isinstance(event, ProposalMade):
        return table.insert().values(
            proposal_id=event.proposal_id,
            source_id=event.source_id,
            source_version=event.source_version,
            content_sha256=event.content_sha256,
            rule=event.rule,
            content=msgspec.to_builtins(event.content),
            fact_id=event.fact_id,
            line_start=event.line_start,
            line_end=event.line_end,
            quote=event.quote,
            matched=[list(pair) for pair in event.matched],
            unmatched=list(event.unmatched),
            status="pending",
            version=1,
            made_at=recorded.recorded_at,
            position=recorded.position,
        )
    decided: dict[str, Any] = {
        "version": table.c.version + 1,
        "decided_at": recorded.recorded_at,
        "decided_by": event.decided_by,
        "position": recorded.position,
    }
    if isinstance(event, ProposalAccepted):
        decided |= {
            "status": "accepted",
            "accepted_fact_id": event.fact_id,
            "edited": None if event.edited is None else msgspec.to_builtins(event.edited),
        }
    else:
        decided |= {"status": "rejected", "reason": event.reason}
    return table.update().where(table.c.proposal_id == event.proposal_id).values(**decided)


async def apply(conn: AsyncConnection, event: ProposalEvent, recorded: Logged) -> None:
    """Insert a proposal, or record its decision."""
    await conn.execute(statement(event, recorded))


def fill_synchronously(conn: Connection) -> None:
    """Write the rows of every proposal event the log holds, in log order, as a replay would (for the
    migration that makes the table: a log migrated down and up again holds proposals already)."""
    log = events_table
    query = (
        select(log.c.position, log.c.event_type, log.c.data, log.c.recorded_at)
        .where(log.c.event_type.in_(EVENT_TYPES))
        .order_by(log.c.position)
    )
    for recorded in conn.execute(query).all():
        event = decode_event(recorded.event_type, recorded.data)
        if isinstance(event, ProposalMade | ProposalAccepted | ProposalRejected):
            conn.execute(statement(event, recorded))


async def existing(conn: AsyncConnection, proposal_ids: list[str]) -> set[str]:
    """Those of `proposal_ids` already made."""
    found: set[str] = set()
    for offset in range(0, len(proposal_ids), 900):
        chunk = proposal_ids[offset : offset + 900]
        query = select(proposals_table.c.proposal_id).where(proposals_table.c.proposal_id.in_(chunk))
        found |= {str(pid) for pid in (await conn.execute(query)).scalars()}
    return found


async def get(conn: AsyncConnection, proposal_id: str) -> Row[Any] | None:
    """One proposal's row, or None."""
    query = select(proposals_table).where(proposals_table.c.proposal_id == proposal_id)
    return (await conn.execute(query)).first()
