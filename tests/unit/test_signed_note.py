"""Signed notes and checkpoints, against the reference example of golang.org/x/mod/sumdb/note."""

from __future__ import annotations

import pytest

from archive.eventstore.checkpoint import (
    CheckpointKeyError,
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
