"""Evidence packs: one fact with everything an auditor needs to check it offline.

A pack holds the fact as the read model states it (now, or as believed at a record time), the events of
its stream up to that version with every field their hashes cover, each cited source version's sha256
with the cited lines and quotes, an RFC 9162 inclusion proof of each event, and the signed checkpoint
those proofs lead to. `archive/audit/verify_evidence.py` checks one with no database and no server; its
docstring lists the checks.

The fact is taken from the read model (`fact_versions`), not folded here from the events, so that a
verifier folding the events checks the read model too. The checkpoint is signed after the events are
read: the log only grows, so every event of the pack is inside the tree it signs. Each proof recomputes
the tree from the log's hashes, as `GET /log/proofs/inclusion` does (one pass per event and one for the
checkpoint; decision 0009 gives the cost and the next step).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select

from archive.audit.verify_evidence import PACK_FORMAT
from archive.domain.events import Citation, FactStatus, Modality, Qualifiers, Rank
from archive.domain.facts import FactLink
from archive.domain.sources import split_lines
from archive.domain.streams import fact_stream
from archive.eventstore import events_table
from archive.eventstore.checkpoint import LogSigner
from archive.eventstore.hashing import canonical_time
from archive.projections.fact_versions import fact_versions_table, state_of
from archive.reads import Reads, log_proofs
from archive.reads.log_proofs import SignedCheckpoint
from archive.reads.views import LineText
from archive.storage.engine import stored_utc


class EvidenceFact(msgspec.Struct, frozen=True, kw_only=True):
    """The fact's fields as its events make them (entity ids, not labels: labels are not in its events),
    and the record time of the version."""

    fact_id: str
    version: int
    subject: str
    predicate: str
    object: str | None
    value: str | None
    qualifiers: Qualifiers
    valid_from: str | None
    valid_to: str | None
    point_in_time: str | None
    modality: Modality
    rank: Rank
    status: FactStatus
    citations: list[Citation]
    links: list[FactLink]
    #: The record time of this version's event, as its hash covers it.
    recorded_at: str


class EvidenceEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One event of the fact's stream as stored: every field its hash covers, its hash and the hash before
    it, and its inclusion proof in the pack's checkpoint."""

    position: int
    #: The event's leaf in the Merkle tree (position - 1 while positions have no gaps).
    leaf_index: int
    stream_id: str
    stream_version: int
    event_type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    #: The record time as hashed: fixed-width UTC text.
    recorded_at: str
    prev_hash: str
    hash: str
    #: The RFC 9162 audit path, leaf side first, in hex.
    inclusion_proof: list[str]


class CitedPassage(msgspec.Struct, frozen=True, kw_only=True):
    """One citation into a source version: its lines as they stand in that version, and the quote."""

    line_start: int
    line_end: int
    quote: str
    lines: list[LineText]


class CitedSource(msgspec.Struct, frozen=True, kw_only=True):
    """A source version the fact cites, named by the sha256 of its bytes, with each passage it cites."""

    source_id: str
    content_sha256: str
    #: The source's first version with these bytes (None if the log holds no such version).
    version: int | None
    citations: list[CitedPassage]


class EvidencePack(msgspec.Struct, frozen=True, kw_only=True):
    """A fact and its proofs, to check offline with `archive verify-evidence` (or the standalone
    archive/audit/verify_evidence.py)."""

    format: str = PACK_FORMAT
    fact_id: str
    #: The record time asked for; None for the fact as it stands.
    as_of: datetime | None
    fact: EvidenceFact
    events: list[EvidenceEvent]
    sources: list[CitedSource]
    checkpoint: SignedCheckpoint
    #: The log's signed-note verifier key, for convenience: check against the key you hold.
    verifier_key: str


async def _cited_sources(reads: Reads, citations: list[Citation]) -> list[CitedSource]:
    """Each cited source version with the lines its citations name, in the order first cited."""
    passages: dict[tuple[str, str], list[Citation]] = {}
    for citation in citations:
        passages.setdefault((citation.source_id, citation.content_sha256), []).append(citation)
    cited = []
    for (source_id, sha), held in passages.items():
        versions = (await reads.source_versions(source_id)).items
        version = next((v.version for v in versions if v.content_sha256 == sha), None)
        lines = () if version is None else split_lines((await reads.source_version(source_id, version)).text)
        cited.append(
            CitedSource(
                source_id=source_id,
                content_sha256=sha,
                version=version,
                citations=[
                    CitedPassage(
                        line_start=c.line_start,
                        line_end=c.line_end,
                        quote=c.quote,
                        lines=[
                            LineText(n, lines[n - 1])
                            for n in range(c.line_start, c.line_end + 1)
                            if n <= len(lines)
                        ],
                    )
                    for c in held
                ],
            )
        )
    return cited


async def evidence_pack(
    reads: Reads, signer: LogSigner, fact_id: str, as_of: datetime | None
) -> EvidencePack:
    """The evidence pack of fact `fact_id` as it stands (or as believed at `as_of`); `NotFound` when the
    fact does not exist (or was not yet recorded then)."""
    version = (await reads.fact(fact_id, as_of)).version
    fv, e = fact_versions_table, events_table
    async with reads.engine.connect() as conn:
        row = (await conn.execute(select(fv).where(fv.c.fact_id == fact_id, fv.c.version == version))).one()
        # As stored, not upcast: the hash covers the stored schema version and payload.
        stored = (
            await conn.execute(
                select(e)
                .where(e.c.stream_id == fact_stream(fact_id), e.c.stream_version <= version)
                .order_by(e.c.stream_version)
            )
        ).all()
    state = state_of(row)
    signed = await log_proofs.checkpoint(reads.engine, signer)
    events = []
    for event in stored:
        proof = await log_proofs.inclusion(reads.engine, event.position, signed.tree_size)
        events.append(
            EvidenceEvent(
                position=event.position,
                leaf_index=proof.leaf_index,
                stream_id=event.stream_id,
                stream_version=event.stream_version,
                event_type=event.event_type,
                schema_version=event.schema_version,
                data=dict(event.data),
                metadata=dict(event.event_metadata),
                recorded_at=canonical_time(stored_utc(event.recorded_at)),
                prev_hash=event.prev_hash,
                hash=event.hash,
                inclusion_proof=proof.proof,
            )
        )
    fact = EvidenceFact(
        fact_id=state.fact_id,
        version=state.version,
        subject=state.subject,
        predicate=state.predicate,
        object=state.object,
        value=state.value,
        qualifiers=state.qualifiers,
        valid_from=state.valid_from,
        valid_to=state.valid_to,
        point_in_time=state.point_in_time,
        modality=state.modality,
        rank=state.rank,
        status=state.status,
        citations=list(state.citations),
        links=list(state.links),
        recorded_at=canonical_time(stored_utc(row.recorded_from)),
    )
    return EvidencePack(
        fact_id=fact_id,
        as_of=as_of,
        fact=fact,
        events=events,
        sources=await _cited_sources(reads, list(state.citations)),
        checkpoint=signed,
        verifier_key=signer.verifier_key,
    )
