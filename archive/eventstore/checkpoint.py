"""Signed checkpoints: the log's size and Merkle root, signed with Ed25519 as a C2SP signed note.

The formats are the ones transparency logs share (c2sp.org/tlog-checkpoint, c2sp.org/signed-note; Go's
golang.org/x/mod/sumdb/note is the reference implementation), so a kept checkpoint can be checked by their
tools as well as by ours:

    checkpoint text   <origin>\\n<tree size>\\n<base64 root hash>\\n
    signed note       text, a blank line, then one line per signature:
                      — <key name> <base64(key id (4 bytes) || Ed25519 signature (64 bytes))>\\n
    key id            the first 4 bytes of SHA-256(<key name> || "\\n" || 0x01 || public key)
    verifier key      <key name>+<key id, 8 hex digits>+<base64(0x01 || public key)>
    signer key file   PRIVATE+KEY+<key name>+<key id, 8 hex digits>+<base64(0x01 || private seed)>

The key's name is the log's origin line. 0x01 is the signed-note type byte of Ed25519.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

ED25519 = b"\x01"
SIGNER_PREFIX = "PRIVATE+KEY+"
EM_DASH = "\u2014"


class CheckpointKeyError(ValueError):
    """A signing or verifier key that cannot be used, or a note that does not verify."""


def _check_name(name: str) -> None:
    # The signed-note rules for a key name: non-empty, no whitespace, no '+' (the key fields' separator).
    if not name or any(c.isspace() or c == "+" for c in name):
        raise CheckpointKeyError(f"key name {name!r} must be non-empty, without spaces or '+'")


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key id that starts each signature: SHA-256(name || '\\n' || 0x01 || key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public_key).digest()[:4]


@dataclass(frozen=True)
class LogSigner:
    """The log's signing key and its name (the checkpoints' origin line)."""

    name: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        return self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def key_id(self) -> bytes:
        """The signed-note key id of this key."""
        return key_id(self.name, self.public_key)

    @property
    def verifier_key(self) -> str:
        """The public key in the signed-note verifier-key format, what an auditor keeps to check notes."""
        encoded = base64.b64encode(ED25519 + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def signer_key(self) -> str:
        """The private key in the signed-note signer-key format (what the key file holds)."""
        seed = self.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return f"{SIGNER_PREFIX}{self.name}+{self.key_id.hex()}+{base64.b64encode(ED25519 + seed).decode()}"

    def sign(self, text: str) -> str:
        """`text` (which must end in a newline) as a signed note with this key's one signature line."""
        if not text.endswith("\n"):
            raise CheckpointKeyError("a note's text must end with a newline")
        signature = self.private_key.sign(text.encode())
        return f"{text}\n{EM_DASH} {self.name} {base64.b64encode(self.key_id + signature).decode()}\n"


def generate_signer(name: str) -> LogSigner:
    """A new random Ed25519 key named `name`."""
    _check_name(name)
    return LogSigner(name, Ed25519PrivateKey.generate())


def _key_fields(name: str, encoded: str, which: str) -> bytes:
    """The 32 key bytes of a key's `base64(0x01 || key)` field, its name checked on the way."""
    _check_name(name)
    try:
        raw = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise CheckpointKeyError(f"the {which} key's key is not base64") from None
    if len(raw) != 33 or raw[:1] != ED25519:
        raise CheckpointKeyError(f"the {which} key is not an Ed25519 key (0x01 and 32 bytes)")
    return raw[1:]


def parse_signer_key(text: str) -> LogSigner:
    """A signer key in the `PRIVATE+KEY+name+id+key` format, checked against its own key id."""
    text = text.strip()
    parts = text.split("+", 4)  # base64 may hold "+" too: the key is everything after the fourth
    if not text.startswith(SIGNER_PREFIX) or len(parts) != 5:
        raise CheckpointKeyError("not a signed-note signer key (PRIVATE+KEY+<name>+<key id>+<key>)")
    name, id_hex, encoded = parts[2], parts[3], parts[4]
    signer = LogSigner(name, Ed25519PrivateKey.from_private_bytes(_key_fields(name, encoded, "signer")))
    if signer.key_id.hex() != id_hex:
        raise CheckpointKeyError("the signer key's key id does not match its name and key")
    return signer


def load_signer(path: str | Path) -> LogSigner:
    """The signer key in the file at `path`."""
    try:
        text = Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise CheckpointKeyError(f"cannot read the log signing key {str(path)!r}: {error}") from None
    return parse_signer_key(text)


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
    public = _key_fields(name, encoded, "verifier")
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


def checkpoint_text(origin: str, tree_size: int, root_hash: bytes) -> str:
    """The tlog-checkpoint body: origin, tree size and base64 root hash, a line each."""
    return f"{origin}\n{tree_size}\n{base64.b64encode(root_hash).decode()}\n"


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
