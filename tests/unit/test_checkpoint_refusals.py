"""Keys, signed notes and checkpoints that are not what they claim, refused word for word: the CLI and
an auditor's tools show these messages as they are, and each says which part of which key or note is
wrong. The signed-note rules are c2sp.org/signed-note's; the checkpoint's, c2sp.org/tlog-checkpoint's."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from archive.eventstore.checkpoint import (
    CheckpointKeyError,
    checkpoint_text,
    generate_signer,
    load_signer,
    open_note,
    parse_checkpoint,
    parse_signer_key,
    parse_verifier_key,
)

from .test_entity_refusal_texts import exactly
from .test_signed_note import GO_NOTE, GO_SIGNATURE, GO_SIGNER, GO_TEXT, GO_VERIFIER, seeded_signer

GO_PUBLIC = base64.b64decode(GO_VERIFIER.split("+")[2])[1:]
GO_SEED = base64.b64decode(GO_SIGNER.split("+", 4)[4])[1:]
SIGNATURE_LINE = f"\u2014 PeterNeumann {GO_SIGNATURE}"
EMPTY_ROOT = hashlib.sha256(b"").digest()


def verifier_text(name: str, typed_key: bytes) -> str:
    """A verifier key for `typed_key` (type byte and key) whose key id is right for an Ed25519 key of
    those bytes, as the signed-note specification computes it, so that only the key itself is wrong."""
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + typed_key[1:]).digest()[:4]
    return f"{name}+{key_id.hex()}+{base64.b64encode(typed_key).decode()}"


# -- keys ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["log+1", "two words", "tab\there", "nbsp\u00a0here", ""])
def test_a_key_name_with_a_plus_a_space_or_nothing_in_it_is_refused(name: str) -> None:
    message = f"key name {name!r} must be non-empty, without spaces or '+'"
    with pytest.raises(CheckpointKeyError, match=exactly(message)):
        generate_signer(name)
    if name and "+" not in name:
        with pytest.raises(CheckpointKeyError, match=exactly(message)):
            parse_verifier_key(verifier_text(name, b"\x01" + GO_PUBLIC))


KEY_SHAPES = {
    "another type byte": lambda key: b"\x02" + key,
    "31 bytes": lambda key: b"\x01" + key[:31],
    "33 bytes": lambda key: b"\x01" + key + b"\x00",
    "no type byte": lambda key: key,
}


@pytest.mark.parametrize("shape", KEY_SHAPES.values(), ids=KEY_SHAPES.keys())
def test_a_key_that_is_not_a_type_byte_and_32_ed25519_bytes_is_refused(
    shape: Callable[[bytes], bytes],
) -> None:
    message = "the {} key is not an Ed25519 key (0x01 and 32 bytes)"
    with pytest.raises(CheckpointKeyError, match=exactly(message.format("verifier"))):
        parse_verifier_key(verifier_text("PeterNeumann", shape(GO_PUBLIC)))
    signer = f"PRIVATE+KEY+PeterNeumann+c74f20a3+{base64.b64encode(shape(GO_SEED)).decode()}"
    with pytest.raises(CheckpointKeyError, match=exactly(message.format("signer"))):
        parse_signer_key(signer)


def test_a_key_with_a_character_outside_base64_is_refused_not_skipped() -> None:
    # Decoding without validation would drop the '!' and read the very same key.
    with pytest.raises(CheckpointKeyError, match=exactly("the verifier key's key is not base64")):
        parse_verifier_key(GO_VERIFIER.replace("+ARpc", "+AR!pc"))
    with pytest.raises(CheckpointKeyError, match=exactly("the signer key's key is not base64")):
        parse_signer_key(GO_SIGNER.replace("+AYEK", "+AY!EK"))


@pytest.mark.parametrize(
    "text", ["PeterNeumann+c74f20a3", "PeterNeumann", ""], ids=["no key", "a name alone", "nothing"]
)
def test_text_without_three_fields_is_not_a_verifier_key(text: str) -> None:
    with pytest.raises(
        CheckpointKeyError, match=exactly("not a signed-note verifier key (<name>+<key id>+<key>)")
    ):
        parse_verifier_key(text)


@pytest.mark.parametrize(
    "text",
    [GO_SIGNER.replace("PRIVATE+KEY+", "SECRET+KEY+"), GO_VERIFIER, "PRIVATE+KEY+PeterNeumann+c74f20a3"],
    ids=["another prefix, five fields", "a verifier key", "no key"],
)
def test_text_without_the_prefix_and_five_fields_is_not_a_signer_key(text: str) -> None:
    message = "not a signed-note signer key (PRIVATE+KEY+<name>+<key id>+<key>)"
    with pytest.raises(CheckpointKeyError, match=exactly(message)):
        parse_signer_key(text)


def test_a_key_id_that_does_not_match_the_name_and_key_is_refused() -> None:
    message = "the verifier key's key id does not match its name and key"
    with pytest.raises(CheckpointKeyError, match=exactly(message)):
        parse_verifier_key(GO_VERIFIER.replace("c74f20a3", "c74f20a4"))
    with pytest.raises(CheckpointKeyError, match=exactly(message)):
        parse_verifier_key(GO_VERIFIER.replace("PeterNeumann", "PeterNeuman"))
    with pytest.raises(
        CheckpointKeyError, match=exactly("the signer key's key id does not match its name and key")
    ):
        parse_signer_key(GO_SIGNER.replace("c74f20a3", "00000000"))


def test_a_key_whose_base64_holds_a_plus_is_read_whole() -> None:
    # '+' separates the fields and is a base64 digit too: the key is everything after the last separator.
    signer = next(
        s
        for s in (seeded_signer("archive.test/log", i) for i in range(64))
        if "+" in s.verifier_key.split("+", 2)[2]
    )
    verifier = parse_verifier_key(signer.verifier_key)
    assert (verifier.name, verifier.key_id) == ("archive.test/log", signer.key_id)
    assert open_note(signer.sign(GO_TEXT), verifier) == GO_TEXT
    assert parse_signer_key(signer.signer_key()).public_key == signer.public_key


def test_a_key_file_is_read_as_ascii_and_an_unreadable_one_is_named(tmp_path: Path) -> None:
    path = tmp_path / "log-signing.key"
    path.write_text(GO_SIGNER + "\n", encoding="ascii")
    assert load_signer(path).verifier_key == GO_VERIFIER
    assert load_signer(str(path)).verifier_key == GO_VERIFIER
    missing = tmp_path / "missing.key"
    with pytest.raises(
        CheckpointKeyError,
        match=exactly(
            f"cannot read the log signing key {str(missing)!r}: "
            f"[Errno 2] No such file or directory: {str(missing)!r}"
        ),
    ):
        load_signer(missing)
    # A key name outside ASCII is refused as unreadable, not read as UTF-8 and refused for its key id.
    path.write_text(GO_SIGNER.replace("PeterNeumann", "PeterNe\u00fcmann") + "\n", encoding="utf-8")
    with pytest.raises(
        CheckpointKeyError,
        match=exactly(
            f"cannot read the log signing key {str(path)!r}: "
            "'ascii' codec can't decode byte 0xc3 in position 19: ordinal not in range(128)"
        ),
    ):
        load_signer(path)


def test_text_to_sign_must_end_with_a_newline() -> None:
    with pytest.raises(CheckpointKeyError, match=exactly("a note's text must end with a newline")):
        parse_signer_key(GO_SIGNER).sign(GO_TEXT.rstrip("\n"))


# -- signed notes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "note",
    [GO_TEXT, GO_NOTE.rstrip("\n"), ""],
    ids=["text alone", "no newline after the signatures", "nothing"],
)
def test_a_note_without_a_blank_line_and_newline_ended_signatures_is_refused(note: str) -> None:
    with pytest.raises(
        CheckpointKeyError, match=exactly("not a signed note: no blank line before the signatures")
    ):
        open_note(note, parse_verifier_key(GO_VERIFIER))


@pytest.mark.parametrize(
    "line",
    [
        SIGNATURE_LINE.replace("\u2014", "-"),
        SIGNATURE_LINE.replace("\u2014 ", "\u2014"),
        "\u2014 PeterNeumann",
        "   ",
    ],
    ids=["a hyphen for the em dash", "no space after the dash", "no signature", "spaces"],
)
def test_a_malformed_signature_line_is_refused_quoting_it(line: str) -> None:
    with pytest.raises(CheckpointKeyError, match=exactly(f"malformed signature line {line!r}")):
        open_note(f"{GO_TEXT}\n{line}\n", parse_verifier_key(GO_VERIFIER))


@pytest.mark.parametrize(
    "signature",
    [GO_SIGNATURE.replace("go/", "go!/"), f"{GO_SIGNATURE} extra", GO_SIGNATURE[:-1]],
    ids=["a character outside base64", "a field after the signature", "cut short"],
)
def test_a_signature_by_the_key_that_is_not_base64_is_refused(signature: str) -> None:
    with pytest.raises(CheckpointKeyError, match=exactly("the signature of PeterNeumann is not base64")):
        open_note(f"{GO_TEXT}\n\u2014 PeterNeumann {signature}\n", parse_verifier_key(GO_VERIFIER))


def test_a_signature_that_does_not_verify_or_no_signature_by_the_key_is_refused() -> None:
    verifier = parse_verifier_key(GO_VERIFIER)
    with pytest.raises(CheckpointKeyError, match=exactly("the signature of PeterNeumann does not verify")):
        open_note(GO_NOTE.replace("answer", "Answer"), verifier)
    other = seeded_signer("archive.test/log", 1)
    with pytest.raises(
        CheckpointKeyError, match=exactly("no signature by PeterNeumann with key id c74f20a3")
    ):
        open_note(other.sign(GO_TEXT), verifier)


# -- checkpoints -----------------------------------------------------------------------------------------


def test_a_checkpoint_of_the_empty_log_has_size_zero() -> None:
    opened = parse_checkpoint(checkpoint_text("archive.test/log", 0, EMPTY_ROOT))
    assert (opened.origin, opened.tree_size, opened.root_hash) == ("archive.test/log", 0, EMPTY_ROOT)
    assert parse_checkpoint(f"archive.test/log\n0\n{base64.b64encode(EMPTY_ROOT).decode()}\n").tree_size == 0


def test_a_checkpoint_keeps_its_origin_line_and_allows_extension_lines() -> None:
    root_hash = bytes(range(32))
    text = f"other.example/log\n10\n{base64.b64encode(root_hash).decode()}\nextension line\n"
    opened = parse_checkpoint(text)
    assert (opened.origin, opened.tree_size, opened.root_hash) == ("other.example/log", 10, root_hash)


# Root hashes whose base64 starts with 'A' and with '0': the leading-zero rule is the size line's alone.
ROOT_LINES = [base64.b64encode(bytes(range(32))).decode(), base64.b64encode(b"\xd0" + bytes(31)).decode()]


@pytest.mark.parametrize("root_line", ROOT_LINES, ids=["root from A", "root from 0"])
@pytest.mark.parametrize("size", ["012", "00", "-1", "+5", "1e3", " 5", ""], ids=lambda s: repr(s))
def test_a_tree_size_that_is_not_decimal_without_leading_zeros_is_refused(size: str, root_line: str) -> None:
    with pytest.raises(
        CheckpointKeyError, match=exactly("not a checkpoint: <origin>, <tree size>, <base64 root hash>")
    ):
        parse_checkpoint(f"archive.test/log\n{size}\n{root_line}\n")


@pytest.mark.parametrize("root_line", ROOT_LINES, ids=["root from A", "root from 0"])
def test_a_decimal_tree_size_is_read_whatever_the_root_line_starts_with(root_line: str) -> None:
    assert root_line[0] in "A0"
    opened = parse_checkpoint(f"archive.test/log\n120\n{root_line}\n")
    assert (opened.tree_size, opened.root_hash) == (120, base64.b64decode(root_line))


@pytest.mark.parametrize(
    "text",
    ["archive.test/log\n5\n", "archive.test/log\n5", "archive.test/log\n"],
    ids=["no root line", "no newline", "no size"],
)
def test_a_checkpoint_without_its_three_lines_is_refused(text: str) -> None:
    with pytest.raises(
        CheckpointKeyError, match=exactly("not a checkpoint: <origin>, <tree size>, <base64 root hash>")
    ):
        parse_checkpoint(text)


def test_a_root_hash_with_a_character_outside_base64_is_refused_not_skipped() -> None:
    encoded = base64.b64encode(bytes(range(32))).decode()
    with pytest.raises(CheckpointKeyError, match=exactly("the checkpoint's root hash is not base64")):
        parse_checkpoint(f"archive.test/log\n5\n{encoded[:8]}*{encoded[8:]}\n")
