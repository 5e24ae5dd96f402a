"""The log's Merkle tree as answers: inclusion and consistency proofs, and signed checkpoints.

The tree's leaves are the events' chain hashes in position order (`archive.eventstore.merkle`); leaf
index i is the (i + 1)-th event, which is position i + 1 as long as positions have no gaps. Hashes are
given in hex, like the events' own hashes in `GET /events`; the signed note carries the root in base64,
as its format says.

The tree is recomputed from every hash on each request; what that costs, and the next step:
docs/decisions/0009-merkle-tree-recomputed-per-request.md.
"""

from __future__ import annotations

import base64
from bisect import bisect_left

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.eventstore import events_table
from archive.eventstore.checkpoint import LogSigner, checkpoint_text
from archive.eventstore.merkle import consistency_proof, event_leaf_hash, inclusion_proof, root


class ProofRequestError(ValueError):
    """A proof asked for sizes or a position the log cannot answer; `parameter` names the culprit."""

    def __init__(self, parameter: str, detail: str) -> None:
        super().__init__(f"{parameter}: {detail}")
        self.parameter = parameter
        self.detail = detail


class InclusionProof(msgspec.Struct, kw_only=True):
    """RFC 9162 inclusion proof of one event in the tree of the first `tree_size` events."""

    position: int
    leaf_index: int
    tree_size: int
    #: The event's chain hash (the leaf's bytes) and its leaf hash SHA-256(0x00 || those bytes).
    event_hash: str
    leaf_hash: str
    root_hash: str
    #: The audit path, leaf side first.
    proof: list[str]


class ConsistencyProof(msgspec.Struct, kw_only=True):
    """RFC 9162 consistency proof that the tree of `from_size` events is a prefix of the tree of `to_size`."""

    from_size: int
    to_size: int
    from_root: str
    to_root: str
    proof: list[str]


class SignedCheckpoint(msgspec.Struct, kw_only=True):
    """The log's size and root, and the C2SP signed note that carries them."""

    origin: str
    tree_size: int
    root_hash: str
    #: The tlog-checkpoint text signed with the log's Ed25519 key (c2sp.org/signed-note): keep it.
    note: str


class LogPublicKey(msgspec.Struct, kw_only=True):
    """The log's checkpoint-signing public key."""

    origin: str
    key_id: str
    #: The signed-note verifier key: <name>+<key id>+<base64(0x01 || Ed25519 public key)>.
    verifier_key: str
    #: The raw 32-byte Ed25519 public key, base64.
    public_key: str


async def _first_events(engine: AsyncEngine, limit: int | None) -> tuple[int, list[tuple[int, str]]]:
    """The log's size now, and the position and chain hash of its first `limit` events (all by default).
    Capping the rows at the size counted first keeps the two in agreement even if an append commits in
    between: events are only ever added after the newest."""
    e = events_table.c
    async with engine.connect() as conn:
        size = int((await conn.execute(select(func.count()).select_from(events_table))).scalar_one())
        query = (
            select(e.position, e.hash).order_by(e.position).limit(size if limit is None else min(limit, size))
        )
        rows = [(int(position), str(hash_)) for position, hash_ in await conn.execute(query)]
    return size, rows


def _size(parameter: str, value: int | None, log_size: int) -> int:
    if value is None:
        return log_size
    if value < 1:
        raise ProofRequestError(parameter, f"must be a tree size of at least 1, not {value}")
    if value > log_size:
        raise ProofRequestError(parameter, f"{value} is beyond the log, which holds {log_size} events")
    return value


async def inclusion(engine: AsyncEngine, position: int, tree_size: int | None) -> InclusionProof:
    """The inclusion proof of the event at `position` in the tree of `tree_size` events (the whole log by
    default)."""
    if position < 1:
        raise ProofRequestError("position", f"must be an event's position (1 or more), not {position}")
    log_size, events = await _first_events(engine, tree_size)
    size = _size("tree_size", tree_size, log_size)
    positions = [p for p, _ in events]
    index = bisect_left(positions, position)
    if index == len(positions) or positions[index] != position:
        where = f"the tree of {size} events" if tree_size is not None else "the log"
        raise ProofRequestError("position", f"no event at position {position} in {where}")
    leaves = [event_leaf_hash(hash_) for _, hash_ in events]
    return InclusionProof(
        position=position,
        leaf_index=index,
        tree_size=size,
        event_hash=events[index][1],
        leaf_hash=leaves[index].hex(),
        root_hash=root(leaves).hex(),
        proof=[p.hex() for p in inclusion_proof(leaves, index)],
    )


async def consistency(engine: AsyncEngine, from_size: int, to_size: int | None) -> ConsistencyProof:
    """The proof that the tree of `from_size` events is a prefix of the tree of `to_size` (the whole log by
    default)."""
    log_size, events = await _first_events(engine, to_size)
    leaves = [event_leaf_hash(hash_) for _, hash_ in events]
    size = _size("to", to_size, log_size)
    first = _size("from", from_size, log_size)
    if first > size:
        raise ProofRequestError("from", f"{first} is larger than to ({size})")
    return ConsistencyProof(
        from_size=first,
        to_size=size,
        from_root=root(leaves[:first]).hex(),
        to_root=root(leaves).hex(),
        proof=[p.hex() for p in consistency_proof(leaves, first)],
    )


async def checkpoint(engine: AsyncEngine, signer: LogSigner) -> SignedCheckpoint:
    """The log's size and root now, signed by `signer` (its name is the origin line)."""
    size, events = await _first_events(engine, None)
    leaves = [event_leaf_hash(hash_) for _, hash_ in events]
    root_hash = root(leaves)
    note = signer.sign(checkpoint_text(signer.name, size, root_hash))
    return SignedCheckpoint(origin=signer.name, tree_size=size, root_hash=root_hash.hex(), note=note)


def public_key(signer: LogSigner) -> LogPublicKey:
    """What an auditor needs to check the log's checkpoints."""
    return LogPublicKey(
        origin=signer.name,
        key_id=signer.key_id.hex(),
        verifier_key=signer.verifier_key,
        public_key=base64.b64encode(signer.public_key).decode(),
    )
