"""The log as a Merkle tree: signed checkpoints, inclusion and consistency proofs, the signing key.

These are public reads (they follow ARCHIVE_REQUIRE_TOKEN_FOR_READS like the other reads), not auditor
reads like `GET /events`: they disclose only hashes and sizes, never an event's content, and their point
is that someone who does not hold an auditor's token (the reader of a cited fact, a witness keeping
checkpoints) can hold the log to what it signed.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.auth import reads_guard
from api.errors import ApiProblem, problem_responses
from api.params import bad_parameter
from api.replica import read_on_engine
from archive.eventstore.checkpoint import CheckpointKeyError, LogSigner, load_signer
from archive.reads import Reads, log_proofs
from archive.reads.log_proofs import (
    ConsistencyProof,
    InclusionProof,
    LogPublicKey,
    ProofRequestError,
    SignedCheckpoint,
)
from archive.settings import Settings

PROOF_PROBLEMS = problem_responses(400, 401)
KEY_PROBLEMS = problem_responses(401, 404, 503)

TreeSize = Annotated[
    int | None,
    QueryParameter(
        ge=1, description="A tree size: the first N events of the log (the whole log if omitted)."
    ),
]


def _signer(settings: Settings) -> LogSigner:
    """The checkpoint-signing key from settings.

    With none configured this archive publishes no checkpoint, so there is none to find: a 404 saying
    how to set a key up (a 5xx would report a fault where there is only a choice not yet made). A key
    configured but unusable is the server's fault: a 503 naming the setting."""
    if settings.log_signing_key is None:
        raise ApiProblem(
            404,
            "Not Found",
            "this archive signs no checkpoints yet: no checkpoint-signing key is configured; run "
            "`archive keys generate --origin <log name>` and set ARCHIVE_LOG_SIGNING_KEY to the file "
            "it writes",
            setting="ARCHIVE_LOG_SIGNING_KEY",
        )
    try:
        return load_signer(settings.log_signing_key)
    except CheckpointKeyError as error:
        raise ApiProblem(
            503, "Service Unavailable", f"ARCHIVE_LOG_SIGNING_KEY: {error}", setting="ARCHIVE_LOG_SIGNING_KEY"
        ) from None


class LogController(Controller):
    """GET /log/checkpoint, /log/proofs/inclusion, /log/proofs/consistency, /.well-known/log-key."""

    path = "/"
    tags = ["log proofs"]
    guards = [reads_guard]

    @get(
        "/log/checkpoint",
        operation_id="logCheckpoint",
        responses=KEY_PROBLEMS,
        summary="The log's size and Merkle root, signed",
    )
    async def checkpoint(
        self, queries: NamedDependency[Reads], settings: NamedDependency[Settings]
    ) -> SignedCheckpoint:
        """The tree size, the RFC 9162 root over every event's hash, and `note`: the C2SP tlog-checkpoint
        signed with the log's Ed25519 key. Keep the note: a consistency proof from it exposes any later
        rewrite or truncation of the events it covers. 404 while no signing key is configured."""
        signer = _signer(settings)
        return await read_on_engine(queries, lambda engine: log_proofs.checkpoint(engine, signer))

    @get(
        "/.well-known/log-key",
        operation_id="logPublicKey",
        responses=KEY_PROBLEMS,
        summary="The public key that signs checkpoints",
    )
    async def public_key(self, settings: NamedDependency[Settings]) -> LogPublicKey:
        """The origin, the key id, the signed-note verifier key and the raw Ed25519 public key."""
        return log_proofs.public_key(_signer(settings))

    @get(
        "/log/proofs/inclusion",
        operation_id="logInclusionProof",
        responses=PROOF_PROBLEMS,
        summary="Proof that an event is in the tree of a given size",
    )
    async def inclusion(
        self,
        queries: NamedDependency[Reads],
        position: Annotated[int, QueryParameter(ge=1, description="The event's position in the log.")],
        tree_size: TreeSize = None,
    ) -> InclusionProof:
        """The RFC 9162 audit path of the event at `position` (its leaf is the event's chain hash) in the
        tree of the first `tree_size` events. 400 naming the parameter when the event is not in that tree
        or the size is beyond the log."""
        try:
            return await read_on_engine(
                queries, lambda engine: log_proofs.inclusion(engine, position, tree_size)
            )
        except ProofRequestError as error:
            raise bad_parameter(error.parameter, error.detail) from None

    @get(
        "/log/proofs/consistency",
        operation_id="logConsistencyProof",
        responses=PROOF_PROBLEMS,
        summary="Proof that an older tree is a prefix of a newer one",
    )
    async def consistency(
        self,
        queries: NamedDependency[Reads],
        from_: Annotated[int, QueryParameter(name="from", ge=1, description="The older tree size.")],
        to: TreeSize = None,
    ) -> ConsistencyProof:
        """The RFC 9162 consistency proof between the trees of `from` and `to` events, with both roots.
        Checked against a kept checkpoint's root, it fails if the events it covered were rewritten or
        removed. 400 naming the parameter when a size is beyond the log or `from` exceeds `to`."""
        try:
            return await read_on_engine(queries, lambda engine: log_proofs.consistency(engine, from_, to))
        except ProofRequestError as error:
            raise bad_parameter(error.parameter, error.detail) from None
