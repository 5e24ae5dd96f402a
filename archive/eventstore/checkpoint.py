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
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

# Reading keys, notes and checkpoints lives in the offline verifier, which an auditor runs without the
# archive's code; signing lives here, and both sides parse with the same functions.
from archive.audit.verify_evidence import (
    ED25519,
    EM_DASH,
    Checkpoint,
    CheckpointKeyError,
    VerifierKey,
    check_key_name,
    ed25519_key_bytes,
    key_id,
    open_note,
    parse_checkpoint,
    parse_verifier_key,
)

__all__ = [
    "ED25519",
    "EM_DASH",
    "SIGNER_PREFIX",
    "Checkpoint",
    "CheckpointKeyError",
    "LogSigner",
    "VerifierKey",
    "checkpoint_text",
    "generate_signer",
    "key_id",
    "load_signer",
    "open_note",
    "parse_checkpoint",
    "parse_signer_key",
    "parse_verifier_key",
]

SIGNER_PREFIX = "PRIVATE+KEY+"


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
    check_key_name(name)
    return LogSigner(name, Ed25519PrivateKey.generate())


def parse_signer_key(text: str) -> LogSigner:
    """A signer key in the `PRIVATE+KEY+name+id+key` format, checked against its own key id."""
    text = text.strip()
    parts = text.split("+", 4)  # base64 may hold "+" too: the key is everything after the fourth
    if not text.startswith(SIGNER_PREFIX) or len(parts) != 5:
        raise CheckpointKeyError("not a signed-note signer key (PRIVATE+KEY+<name>+<key id>+<key>)")
    name, id_hex, encoded = parts[2], parts[3], parts[4]
    signer = LogSigner(name, Ed25519PrivateKey.from_private_bytes(ed25519_key_bytes(name, encoded, "signer")))
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


def checkpoint_text(origin: str, tree_size: int, root_hash: bytes) -> str:
    """The tlog-checkpoint body: origin, tree size and base64 root hash, a line each."""
    return f"{origin}\n{tree_size}\n{base64.b64encode(root_hash).decode()}\n"
