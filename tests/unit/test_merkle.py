"""The RFC 9162 Merkle tree: the published test vectors, and a naive recursive reference under hypothesis."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.eventstore.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    event_leaf_hash,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

from .test_entity_refusal_texts import exactly

# -- test vectors --------------------------------------------------------------------------------------
# Copied from transparency-dev/merkle, proof/verify_test.go (Apache-2.0; the same vectors the
# google/certificate-transparency C++ and Go code used for RFC 6962). Leaf indices there are 1-based.

LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f")]  # fmt: skip
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
INCLUSION = [  # (1-based leaf, tree size, proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CONSISTENCY = [  # (size1, size2, proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip
HASHED = [leaf_hash(leaf) for leaf in LEAVES]


def test_the_empty_tree_root_is_the_hash_of_nothing() -> None:
    assert root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_published_vectors(size: int) -> None:
    assert root(HASHED[:size]) == ROOTS[size - 1]


@pytest.mark.parametrize(("leaf", "size", "proof"), INCLUSION)
def test_inclusion_proofs_match_and_verify_against_the_published_vectors(
    leaf: int, size: int, proof: list[str]
) -> None:
    expected = [bytes.fromhex(p) for p in proof]
    assert inclusion_proof(HASHED, leaf - 1, size) == expected
    assert verify_inclusion(leaf - 1, size, HASHED[leaf - 1], expected, ROOTS[size - 1])


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY)
def test_consistency_proofs_match_and_verify_against_the_published_vectors(
    first: int, second: int, proof: list[str]
) -> None:
    expected = [bytes.fromhex(p) for p in proof]
    assert consistency_proof(HASHED, first, second) == expected
    assert verify_consistency(first, second, ROOTS[first - 1], ROOTS[second - 1], expected)


@pytest.mark.parametrize(("leaf", "size", "proof"), INCLUSION[1:])
def test_a_corrupted_inclusion_proof_is_refused(leaf: int, size: int, proof: list[str]) -> None:
    # The probes of transparency-dev's corruptInclusionProof.
    good = [bytes.fromhex(p) for p in proof]
    index, root_hash, leaf_h = leaf - 1, ROOTS[size - 1], HASHED[leaf - 1]
    probes = [
        (index - 1, size, leaf_h, good, root_hash),
        (index + 1, size, leaf_h, good, root_hash),
        (index ^ 2, size, leaf_h, good, root_hash),
        (index, size * 2, leaf_h, good, root_hash),
        (index, size // 2, leaf_h, good, root_hash),
        (index, size, b"WrongLeaf", good, root_hash),
        (index, size, leaf_h, good, EMPTY_ROOT),
        (index, size, leaf_h, [*good, b""], root_hash),
        (index, size, leaf_h, [*good, root_hash], root_hash),
        (index, size, leaf_h, [b"", *good], root_hash),
        (index, size, leaf_h, [root_hash, *good], root_hash),
        (index, size, leaf_h, good[:-1], root_hash),
    ]
    for i in range(len(good)):
        flipped = list(good)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes.append((index, size, leaf_h, flipped, root_hash))
    for probe in probes:
        assert not verify_inclusion(*probe), probe


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY[1:])
def test_a_corrupted_consistency_proof_is_refused(first: int, second: int, proof: list[str]) -> None:
    # The probes of transparency-dev's corruptConsistencyProof.
    good = [bytes.fromhex(p) for p in proof]
    r1, r2 = ROOTS[first - 1], ROOTS[second - 1]
    probes = [
        (first - 1, second, r1, r2, good),
        (first + 1, second, r1, r2, good),
        (first ^ 2, second, r1, r2, good),
        (first, second * 2, r1, r2, good),
        (first, second // 2, r1, r2, good),
        (first, second, b"WrongRoot", r2, good),
        (first, second, r1, b"WrongRoot", good),
        (first, second, r2, r1, good),
        (first, second, r1, r2, []),
        (first, second, r1, r2, [*good, b""]),
        (first, second, r1, r2, [*good, r1]),
        (first, second, r1, r2, [*good, r2]),
        (first, second, r1, r2, [b"", *good]),
        (first, second, r1, r2, [r1, *good]),
        (first, second, r1, r2, [r2, *good]),
        (first, second, r1, r2, [good[0], *good]),
        (first, second, r1, r2, good[:-1]),
    ]
    for i in range(len(good)):
        flipped = list(good)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes.append((first, second, r1, r2, flipped))
    for probe in probes:
        assert not verify_consistency(*probe), probe


def test_trivial_consistency_needs_an_empty_proof_and_equal_roots() -> None:
    r1, r2 = ROOTS[0], ROOTS[1]
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(0, 5, EMPTY_ROOT, r2, [])
    assert verify_consistency(1, 1, r1, r1, [])
    assert not verify_consistency(1, 1, r1, r2, [])
    assert not verify_consistency(1, 1, r1, r1, [EMPTY_ROOT])
    assert not verify_consistency(0, 1, EMPTY_ROOT, r1, [EMPTY_ROOT])
    assert not verify_consistency(2, 1, r2, r1, [])


def test_sizes_outside_the_leaves_are_refused() -> None:
    with pytest.raises(ValueError, match="index"):
        inclusion_proof(HASHED, 8)
    with pytest.raises(ValueError, match="tree_size"):
        inclusion_proof(HASHED, 0, 9)
    with pytest.raises(ValueError, match="first"):
        consistency_proof(HASHED, 6, 5)
    with pytest.raises(ValueError, match="second"):
        consistency_proof(HASHED, 1, 9)


# -- a naive reference: RFC 9162's recursive definitions, with slices ----------------------------------


def _ref_root(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = 1
    while k * 2 < len(d):
        k *= 2
    return hashlib.sha256(b"\x01" + _ref_root(d[:k]) + _ref_root(d[k:])).digest()


def _ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = 1
    while k * 2 < len(d):
        k *= 2
    if m < k:
        return [*_ref_path(m, d[:k]), _ref_root(d[k:])]
    return [*_ref_path(m - k, d[k:]), _ref_root(d[:k])]


def _ref_subproof(m: int, d: list[bytes], whole: bool) -> list[bytes]:
    if m == len(d):
        return [] if whole else [_ref_root(d)]
    k = 1
    while k * 2 < len(d):
        k *= 2
    if m <= k:
        return [*_ref_subproof(m, d[:k], whole), _ref_root(d[k:])]
    return [*_ref_subproof(m - k, d[k:], False), _ref_root(d[:k])]


leaf_lists = st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=70).map(
    lambda raw: [leaf_hash(b) for b in raw]
)


@given(leaf_lists, st.data())
def test_inclusion_proofs_equal_the_naive_definition_and_verify(
    leaves: list[bytes], data: st.DataObject
) -> None:
    size = data.draw(st.integers(1, len(leaves)))
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(leaves, index, size)
    assert root(leaves[:size]) == _ref_root(leaves[:size])
    assert proof == _ref_path(index, leaves[:size])
    assert verify_inclusion(index, size, leaves[index], proof, _ref_root(leaves[:size]))
    other = data.draw(st.integers(0, size - 1))
    if leaves[other] != leaves[index]:
        assert not verify_inclusion(index, size, leaves[other], proof, _ref_root(leaves[:size]))


@given(leaf_lists, st.data())
def test_consistency_proofs_equal_the_naive_definition_and_verify(
    leaves: list[bytes], data: st.DataObject
) -> None:
    second = data.draw(st.integers(1, len(leaves)))
    first = data.draw(st.integers(1, second))
    proof = consistency_proof(leaves, first, second)
    expected = [] if first == second else _ref_subproof(first, leaves[:second], True)
    assert proof == expected
    r1, r2 = _ref_root(leaves[:first]), _ref_root(leaves[:second])
    assert verify_consistency(first, second, r1, r2, proof)
    if first < second:
        # An old tree whose last leaf was rewritten is not a prefix of the new one.
        rewritten = [*leaves[: first - 1], leaf_hash(b"rewritten")]
        assert not verify_consistency(first, second, _ref_root(rewritten), r2, proof)


# -- every size up to 33, against the naive reference ------------------------------------------------
# Hypothesis draws a few sizes at random; the branches that only some shapes reach (an old tree whose
# size splits twice to the right, the last leaf of a tree of 2^k·odd+1 leaves) are walked for every
# size, powers of two and their neighbours included.

ALL_LEAVES = [leaf_hash(i.to_bytes(2, "big")) for i in range(34)]  # one more, for the longer tree


@pytest.mark.parametrize("size", range(1, 34))
def test_every_inclusion_proof_up_to_33_leaves_is_the_naive_path_and_verifies(size: int) -> None:
    leaves = ALL_LEAVES[:size]
    root_hash = _ref_root(leaves)
    assert root(leaves) == root_hash
    for index in range(size):
        proof = inclusion_proof(ALL_LEAVES, index, size)
        assert proof == _ref_path(index, leaves), index
        assert root_from_inclusion_proof(index, size, leaves[index], proof) == root_hash, index
        assert verify_inclusion(index, size, leaves[index], proof, root_hash), index


@pytest.mark.parametrize("second", range(1, 34))
def test_every_consistency_proof_up_to_33_leaves_is_the_naive_subproof_and_verifies(second: int) -> None:
    second_root = _ref_root(ALL_LEAVES[:second])
    for first in range(1, second + 1):
        proof = consistency_proof(ALL_LEAVES, first, second)
        assert proof == ([] if first == second else _ref_subproof(first, ALL_LEAVES[:second], True)), first
        first_root = _ref_root(ALL_LEAVES[:first])
        assert verify_consistency(first, second, first_root, second_root, proof), first
        if first < second:
            # The same proof does not prove the tree one leaf shorter or longer.
            shorter, longer = _ref_root(ALL_LEAVES[: first - 1]), _ref_root(ALL_LEAVES[: second + 1])
            assert not verify_consistency(first, second, shorter, second_root, proof)
            assert not verify_consistency(first, second, first_root, longer, proof)


# -- the hashes themselves, and the edges of the inputs ------------------------------------------------


def test_a_leaf_and_a_node_hash_are_sha256_with_their_rfc_prefix() -> None:
    # The size-1 root of the published vectors is the leaf hash of the empty leaf.
    assert leaf_hash(b"") == ROOTS[0]
    assert leaf_hash(b"\x00") == hashlib.sha256(b"\x00\x00").digest()
    assert node_hash(ROOTS[0], ROOTS[1]) == hashlib.sha256(b"\x01" + ROOTS[0] + ROOTS[1]).digest()


def test_an_events_leaf_is_the_leaf_hash_of_its_chain_hash_bytes() -> None:
    chain_hash = "9f" * 32
    assert event_leaf_hash(chain_hash) == hashlib.sha256(b"\x00" + b"\x9f" * 32).digest()
    with pytest.raises(ValueError, match="non-hexadecimal"):
        event_leaf_hash("zz" * 32)


def test_proofs_default_to_all_the_leaves() -> None:
    assert inclusion_proof(HASHED, 5) == inclusion_proof(HASHED, 5, 8)
    assert consistency_proof(HASHED, 3) == consistency_proof(HASHED, 3, 8)


def test_the_empty_tree_is_a_size_a_proof_may_start_from() -> None:
    assert consistency_proof(HASHED, 0) == []
    assert consistency_proof(HASHED, 0, 0) == []
    assert consistency_proof([], 0) == []
    # A tree of no leaves has no index to prove: the index is what is wrong, not the size.
    with pytest.raises(ValueError, match=exactly("index=0 is outside 0..-1")):
        inclusion_proof(HASHED, 0, 0)


def test_out_of_range_sizes_and_indices_are_refused_naming_the_argument_and_its_range() -> None:
    with pytest.raises(ValueError, match=exactly("index=8 is outside 0..7")):
        inclusion_proof(HASHED, 8)
    with pytest.raises(ValueError, match=exactly("index=-1 is outside 0..4")):
        inclusion_proof(HASHED, -1, 5)
    with pytest.raises(ValueError, match=exactly("tree_size=9 is outside 0..8")):
        inclusion_proof(HASHED, 0, 9)
    with pytest.raises(ValueError, match=exactly("tree_size=-1 is outside 0..8")):
        inclusion_proof(HASHED, 0, -1)
    with pytest.raises(ValueError, match=exactly("first=6 is outside 0..5")):
        consistency_proof(HASHED, 6, 5)
    with pytest.raises(ValueError, match=exactly("first=-1 is outside 0..8")):
        consistency_proof(HASHED, -1)
    with pytest.raises(ValueError, match=exactly("second=9 is outside 0..8")):
        consistency_proof(HASHED, 1, 9)


def test_an_index_outside_the_tree_leads_to_no_root_even_with_a_fitting_proof() -> None:
    # With an empty proof the leaf itself would be "the root" of any one-leaf tree.
    leaf = HASHED[0]
    assert root_from_inclusion_proof(0, 1, leaf, []) == leaf
    assert root_from_inclusion_proof(1, 1, leaf, []) is None
    assert root_from_inclusion_proof(-1, 1, leaf, []) is None
    assert not verify_inclusion(1, 1, leaf, [], leaf)
    assert not verify_inclusion(-1, 1, leaf, [], leaf)


def test_hashes_that_are_not_32_bytes_are_no_proof_even_where_they_would_hash_to_the_root() -> None:
    short = b"not a sha-256 hash"
    assert root_from_inclusion_proof(0, 1, short, []) is None
    assert not verify_inclusion(0, 1, short, [], short)
    leaf = HASHED[0]
    assert root_from_inclusion_proof(0, 2, leaf, [short]) is None
    assert not verify_inclusion(0, 2, leaf, [short], node_hash(leaf, short))
    # Consistency from one leaf to two: the proof is the second leaf.
    assert verify_consistency(1, 2, leaf, node_hash(leaf, HASHED[1]), [HASHED[1]])
    assert not verify_consistency(1, 2, leaf, node_hash(leaf, short), [short])


def test_an_old_tree_larger_than_the_new_one_is_refused_even_where_the_hashes_line_up() -> None:
    a, b = HASHED[0], HASHED[1]
    # Read as sizes 3 -> 2, the path [a, b] ends at node_hash(a, b) with the counters at zero.
    assert not verify_consistency(3, 2, a, node_hash(a, b), [a, b])
