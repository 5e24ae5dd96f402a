"""A checkpoint's tree size is ASCII decimal and its root hash a SHA-256 hash, as c2sp.org/tlog-checkpoint
has them: digits of other scripts, superscripts and roots of another length are refused with the
checkpoint's own error, never read as something else."""

from __future__ import annotations

import base64

import pytest

from archive.eventstore.checkpoint import CheckpointKeyError, parse_checkpoint

from .test_entity_refusal_texts import exactly

ROOT_LINE = base64.b64encode(bytes(range(32))).decode()
NOT_A_CHECKPOINT = "not a checkpoint: <origin>, <tree size>, <base64 root hash>"


@pytest.mark.parametrize(
    "size",
    ["\u0661\u0662", "\u00b2", "1\u00b2", "\uff11", "\u0967\u0968", "\u2460"],
    ids=[
        "arabic-indic 12",
        "superscript two",
        "1 and a superscript",
        "fullwidth 1",
        "devanagari 12",
        "circled 1",
    ],
)
def test_a_tree_size_in_digits_other_than_ascii_is_refused(size: str) -> None:
    with pytest.raises(CheckpointKeyError, match=exactly(NOT_A_CHECKPOINT)):
        parse_checkpoint(f"archive.test/log\n{size}\n{ROOT_LINE}\n")


@pytest.mark.parametrize("length", [0, 3, 31, 33, 64])
def test_a_root_hash_that_is_not_32_bytes_is_refused(length: int) -> None:
    root_line = base64.b64encode(bytes(length)).decode()
    with pytest.raises(
        CheckpointKeyError,
        match=exactly(f"the checkpoint's root hash is {length} bytes, not 32 (a SHA-256 hash)"),
    ):
        parse_checkpoint(f"archive.test/log\n5\n{root_line}\n")


def test_aaaa_is_three_bytes_not_a_root() -> None:
    with pytest.raises(
        CheckpointKeyError, match=exactly("the checkpoint's root hash is 3 bytes, not 32 (a SHA-256 hash)")
    ):
        parse_checkpoint("archive.test/log\n5\nAAAA\n")


def test_the_largest_ascii_sizes_are_read_as_written() -> None:
    assert parse_checkpoint(f"o\n9876543210\n{ROOT_LINE}\n").tree_size == 9876543210
    assert parse_checkpoint(f"o\n0\n{ROOT_LINE}\n").root_hash == bytes(range(32))
