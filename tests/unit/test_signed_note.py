"""Signed notes and checkpoints, against the reference example of golang.org/x/mod/sumdb/note."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from archive.eventstore.checkpoint import (
    CheckpointKeyError,
    LogSigner,
    checkpoint_text,
    generate_signer,
    open_note,
    parse_checkpoint,
    parse_signer_key,
    parse_verifier_key,
)

# The example key and note of golang.org/x/mod/sumdb/note's documentation (note.go, "Example").
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
GO_SIGNATURE = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
GO_NOTE = f"{GO_TEXT}\n\u2014 PeterNeumann {GO_SIGNATURE}\n"


def test_signing_the_reference_text_gives_the_reference_note_byte_for_byte() -> None:
    signer = parse_signer_key(GO_SIGNER)
    assert signer.verifier_key == GO_VERIFIER
    assert signer.signer_key() == GO_SIGNER
    assert signer.sign(GO_TEXT) == GO_NOTE  # Ed25519 is deterministic


def test_the_reference_note_opens_with_the_reference_verifier_key() -> None:
    assert open_note(GO_NOTE, parse_verifier_key(GO_VERIFIER)) == GO_TEXT


def test_a_changed_text_or_an_unknown_key_does_not_open() -> None:
    verifier = parse_verifier_key(GO_VERIFIER)
    with pytest.raises(CheckpointKeyError, match="does not verify"):
        open_note(GO_NOTE.replace("answer", "Answer"), verifier)
    other = parse_verifier_key(generate_signer("PeterNeumann").verifier_key)
    with pytest.raises(CheckpointKeyError, match="no signature by PeterNeumann"):
        open_note(GO_NOTE, other)


def test_keys_whose_id_does_not_match_are_refused() -> None:
    with pytest.raises(CheckpointKeyError, match="key id"):
        parse_verifier_key(GO_VERIFIER.replace("c74f20a3", "c74f20a4"))
    with pytest.raises(CheckpointKeyError, match="key id"):
        parse_signer_key(GO_SIGNER.replace("+PeterNeumann+", "+PeterNeuman+"))
    with pytest.raises(CheckpointKeyError, match="key name"):
        generate_signer("two words")


def test_a_checkpoint_round_trips_through_a_signed_note() -> None:
    signer = generate_signer("archive.test/log")
    root_hash = bytes(range(32))
    note = signer.sign(checkpoint_text("archive.test/log", 390, root_hash))
    opened = parse_checkpoint(open_note(note, parse_verifier_key(signer.verifier_key)))
    assert (opened.origin, opened.tree_size, opened.root_hash) == ("archive.test/log", 390, root_hash)


def _signed_by(text: str, *signers: LogSigner) -> str:
    """`text` with one signature line per signer, in that order (a checkpoint a witness cosigned)."""
    lines = [signer.sign(text).rpartition("\n\n")[2] for signer in signers]
    return f"{text}\n{''.join(lines)}"


def seeded_signer(name: str, seed_byte: int) -> LogSigner:
    """A signer with a fixed key, so that a test's keys (and their ids) are the same on every run."""
    return LogSigner(name, Ed25519PrivateKey.from_private_bytes(bytes([seed_byte]) * 32))


def test_a_note_signed_by_several_keys_opens_with_each_of_them_whatever_comes_first() -> None:
    log, witness = seeded_signer("archive.test/log", 1), seeded_signer("witness.test/w1", 2)
    text = checkpoint_text("archive.test/log", 7, bytes(32))
    note = _signed_by(text, log, witness)
    assert note.count("\n\u2014 ") == 2
    assert open_note(note, parse_verifier_key(witness.verifier_key)) == text
    assert open_note(note, parse_verifier_key(log.verifier_key)) == text


def test_a_signature_by_another_key_of_the_same_name_is_skipped_not_fatal() -> None:
    # c2sp.org/signed-note: a verifier ignores signatures by unknown keys, even ones sharing its name.
    ours, impostor = seeded_signer("archive.test/log", 1), seeded_signer("archive.test/log", 3)
    assert ours.key_id != impostor.key_id
    text = checkpoint_text("archive.test/log", 7, bytes(32))
    assert open_note(_signed_by(text, impostor, ours), parse_verifier_key(ours.verifier_key)) == text


def test_the_signatures_follow_the_last_blank_line_so_the_text_may_hold_blank_ones() -> None:
    signer = seeded_signer("archive.test/log", 1)
    text = "first paragraph\n\nsecond paragraph\n"
    assert open_note(signer.sign(text), parse_verifier_key(signer.verifier_key)) == text
