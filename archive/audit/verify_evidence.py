"""The offline verifier: RFC 9162 proofs and C2SP signed notes, checked with nothing but the standard
library and `cryptography`.

This module imports nothing from `archive`, so an auditor can copy this one file and run it as a script
on a machine that has never seen the archive's code or database. The archive's own Merkle tree
(`archive.eventstore.merkle`) and checkpoints (`archive.eventstore.checkpoint`) use the verification
functions defined here, so the server and the auditor check proofs and notes with the same code.

RFC 9162 (Certificate Transparency v2): a leaf's bytes are an event's 32-byte chain hash;

    leaf hash = SHA-256(0x00 || event hash bytes)
    node hash = SHA-256(0x01 || left || right)

and proofs are checked by the algorithms of §2.1.3.2 (inclusion) and §2.1.4.2 (consistency).

C2SP signed notes (c2sp.org/signed-note, c2sp.org/tlog-checkpoint; Go's golang.org/x/mod/sumdb/note is
the reference implementation):

    checkpoint text   <origin>\\n<tree size>\\n<base64 root hash>\\n
    signed note       text, a blank line, then one line per signature:
                      — <key name> <base64(key id (4 bytes) || Ed25519 signature (64 bytes))>\\n
    key id            the first 4 bytes of SHA-256(<key name> || "\\n" || 0x01 || public key)
    verifier key      <key name>+<key id, 8 hex digits>+<base64(0x01 || public key)>
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

# -- RFC 9162 Merkle tree --------------------------------------------------------------------------------

HASH_SIZE = 32


def leaf_hash(leaf: bytes) -> bytes:
    """SHA-256(0x00 || leaf): a leaf's hash, domain-separated from interior nodes."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): an interior node's hash."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def event_leaf_hash(event_hash_hex: str) -> bytes:
    """The leaf hash of an event, from its chain hash as the log stores it (64 hex characters)."""
    return leaf_hash(bytes.fromhex(event_hash_hex))


def root_from_inclusion_proof(
    index: int, tree_size: int, leaf: bytes, proof: Sequence[bytes]
) -> bytes | None:
    """The root that `proof` leads to from leaf hash `leaf` at `index` (RFC 9162 §2.1.3.2), or None
    when the proof cannot be a proof for that index and size."""
    if not 0 <= index < tree_size or len(leaf) != HASH_SIZE:
        return None
    fn, sn, r = index, tree_size - 1, leaf
    for p in proof:
        if sn == 0 or len(p) != HASH_SIZE:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(
    index: int, tree_size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes
) -> bool:
    """True when `proof` shows the leaf hash `leaf` at `index` in the tree of `tree_size` with `root_hash`."""
    return root_from_inclusion_proof(index, tree_size, leaf, proof) == root_hash


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True when `proof` shows the tree of `first` leaves with `first_root` is a prefix of the tree of
    `second` leaves with `second_root` (RFC 9162 §2.1.4.2)."""
    if not 0 <= first <= second or any(len(p) != HASH_SIZE for p in proof):
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        # Every tree extends the empty one; a non-empty proof here is not a proof of anything.
        return not proof
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two: the old root is a node of the new tree
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


# -- C2SP signed notes and checkpoints -------------------------------------------------------------------

#: The signed-note type byte of Ed25519 keys and signatures.
ED25519 = b"\x01"
EM_DASH = "\u2014"


class CheckpointKeyError(ValueError):
    """A signing or verifier key that cannot be used, or a note that does not verify."""


def check_key_name(name: str) -> None:
    """Refuse a key name the signed-note rules forbid: empty, with whitespace, or with '+' (the key
    fields' separator)."""
    if not name or any(c.isspace() or c == "+" for c in name):
        raise CheckpointKeyError(f"key name {name!r} must be non-empty, without spaces or '+'")


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key id that starts each signature: SHA-256(name || '\\n' || 0x01 || key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public_key).digest()[:4]


def ed25519_key_bytes(name: str, encoded: str, which: str) -> bytes:
    """The 32 key bytes of a key's `base64(0x01 || key)` field, its name checked on the way; `which`
    ("signer" or "verifier") names the key in the error."""
    check_key_name(name)
    try:
        raw = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise CheckpointKeyError(f"the {which} key's key is not base64") from None
    if len(raw) != 33 or raw[:1] != ED25519:
        raise CheckpointKeyError(f"the {which} key is not an Ed25519 key (0x01 and 32 bytes)")
    return raw[1:]


@dataclass(frozen=True)
class VerifierKey:
    """A public key from the signed-note verifier-key format."""

    name: str
    key_id: bytes
    public_key: Ed25519PublicKey


def parse_verifier_key(text: str) -> VerifierKey:
    """A verifier key `name+id+base64(0x01 || key)`, checked against its own key id."""
    parts = text.strip().split("+", 2)  # base64 may hold "+" too: the key is everything after the second
    if len(parts) != 3:
        raise CheckpointKeyError("not a signed-note verifier key (<name>+<key id>+<key>)")
    name, id_hex, encoded = parts
    public = ed25519_key_bytes(name, encoded, "verifier")
    if key_id(name, public).hex() != id_hex:
        raise CheckpointKeyError("the verifier key's key id does not match its name and key")
    return VerifierKey(name, bytes.fromhex(id_hex), Ed25519PublicKey.from_public_bytes(public))


def open_note(note: str, verifier: VerifierKey) -> str:
    """The text of `note` once a signature line by `verifier` checks out; CheckpointKeyError otherwise.

    Lines signed by other keys are ignored, as the signed-note specification says."""
    text, separator, signatures = note.rpartition("\n\n")
    if not separator or not signatures.endswith("\n"):
        raise CheckpointKeyError("not a signed note: no blank line before the signatures")
    text += "\n"
    for line in signatures[:-1].split("\n"):
        dash, _, rest = line.partition(" ")
        name, _, encoded = rest.partition(" ")
        if dash != EM_DASH or not encoded:
            raise CheckpointKeyError(f"malformed signature line {line!r}")
        if name != verifier.name:
            continue
        try:
            blob = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise CheckpointKeyError(f"the signature of {name} is not base64") from None
        if blob[:4] != verifier.key_id:
            continue
        try:
            verifier.public_key.verify(blob[4:], text.encode())
        except InvalidSignature:
            raise CheckpointKeyError(f"the signature of {name} does not verify") from None
        return text
    raise CheckpointKeyError(f"no signature by {verifier.name} with key id {verifier.key_id.hex()}")


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint read back from its text."""

    origin: str
    tree_size: int
    root_hash: bytes


def parse_checkpoint(text: str) -> Checkpoint:
    """The origin, size and root of a checkpoint's text (extension lines after them are allowed)."""
    lines = text.split("\n")
    if len(lines) < 4 or not lines[1].isdigit() or (lines[1] != "0" and lines[1].startswith("0")):
        raise CheckpointKeyError("not a checkpoint: <origin>, <tree size>, <base64 root hash>")
    try:
        root_hash = base64.b64decode(lines[2], validate=True)
    except ValueError:
        raise CheckpointKeyError("the checkpoint's root hash is not base64") from None
    return Checkpoint(lines[0], int(lines[1]), root_hash)
