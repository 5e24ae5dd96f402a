"""The log as an RFC 9162 (Certificate Transparency v2) Merkle tree: roots, proofs and their verifiers.

Pure functions over a list of leaf hashes; no database. The leaves are the events in position order, and
each leaf's *bytes* are the event's 32-byte chain hash (the raw bytes of the hex `hash` that `GET /events`
returns). Since a chain hash already covers the event's canonical bytes and the hash before it, a leaf
commits to the event and the whole history up to it, and anyone holding the hashes can rebuild the tree
with any RFC 9162 implementation:

    leaf hash = SHA-256(0x00 || event hash bytes)
    node hash = SHA-256(0x01 || left || right)

The tree of n leaves splits at the largest power of two below n (RFC 9162 §2.1.1). Proofs are generated
as §2.1.3.1 and §2.1.4.1 define them and checked by the algorithms of §2.1.3.2 and §2.1.4.2, which
live in `archive.audit.verify_evidence` (re-exported here).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

# The verifiers live in the offline verifier, which an auditor runs without the archive's code; the
# tree is built here, and checked there with the same functions.
from archive.audit.verify_evidence import (
    HASH_SIZE,
    event_leaf_hash,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "consistency_proof",
    "event_leaf_hash",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
]

#: The root of the empty tree: SHA-256 of no bytes.
EMPTY_ROOT = hashlib.sha256(b"").digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1): where RFC 9162 splits a tree of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree_root(leaves: Sequence[bytes], start: int, end: int) -> bytes:
    """MTH of leaves[start:end] (non-empty), bottom up: pairing each level and carrying a lone last node
    up unchanged gives the same tree as splitting at powers of two, without recursion or slices."""
    level = list(leaves[start:end])
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def root(leaves: Sequence[bytes]) -> bytes:
    """The Merkle tree hash (MTH) of the leaf hashes `leaves`; the empty tree's is SHA-256 of nothing."""
    return _subtree_root(leaves, 0, len(leaves)) if leaves else EMPTY_ROOT


def _check_size(name: str, size: int, available: int) -> None:
    if not 0 <= size <= available:
        raise ValueError(f"{name}={size} is outside 0..{available}")


def inclusion_proof(leaves: Sequence[bytes], index: int, tree_size: int | None = None) -> list[bytes]:
    """The audit path (RFC 9162 §2.1.3.1) of leaf `index` in the tree of the first `tree_size` leaves."""
    size = len(leaves) if tree_size is None else tree_size
    _check_size("tree_size", size, len(leaves))
    if not 0 <= index < size:
        raise ValueError(f"index={index} is outside 0..{size - 1}")
    path: list[bytes] = []
    start, end = 0, size
    # Walk down from the root; each step's sibling is the other half. Collected top-down, the path
    # is given leaf-up, as the verifier reads it.
    while end - start > 1:
        k = _split(end - start)
        if index - start < k:
            path.append(_subtree_root(leaves, start + k, end))
            end = start + k
        else:
            path.append(_subtree_root(leaves, start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(leaves: Sequence[bytes], first: int, second: int | None = None) -> list[bytes]:
    """The proof (RFC 9162 §2.1.4.1) that the tree of `first` leaves is a prefix of the tree of `second`
    (all of `leaves` by default). Empty when first is 0 or equal to second: nothing needs proving."""
    size = len(leaves) if second is None else second
    _check_size("second", size, len(leaves))
    _check_size("first", first, size)
    if first in (0, size):
        return []
    path: list[bytes] = []
    start, end, whole_first_subtree = 0, size, True
    # SUBPROOF(m, D[start:end], b), iteratively; m counts the old tree's leaves inside [start, end).
    m = first
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            path.append(_subtree_root(leaves, start + k, end))
            end = start + k
        else:
            path.append(_subtree_root(leaves, start, start + k))
            start += k
            m -= k
            whole_first_subtree = False
    if not whole_first_subtree:
        path.append(_subtree_root(leaves, start, end))
    path.reverse()
    return path
