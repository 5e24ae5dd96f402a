"""A fact's evidence pack: the fact, its events, its cited lines and the proofs, to check offline."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from api.auth import reads_guard
from api.controllers.log import _signer as configured_signer
from api.errors import problem_responses
from api.params import AsOf, record_time
from archive.reads import Reads
from archive.reads.evidence import EvidencePack, evidence_pack
from archive.settings import Settings


class EvidenceController(Controller):
    """GET /facts/{id}/evidence."""

    path = "/facts"
    tags = ["facts", "log proofs"]
    guards = [reads_guard]

    @get(
        "/{fact_id:str}/evidence",
        operation_id="getFactEvidence",
        responses=problem_responses(400, 401, 404, 503),
        summary="A fact with its events, cited lines and proofs, to check offline",
    )
    async def evidence(
        self,
        queries: NamedDependency[Reads],
        settings: NamedDependency[Settings],
        fact_id: FromPath[str],
        as_of: AsOf = None,
    ) -> EvidencePack:
        """The fact as it stands (or as believed at `as_of`), the events of its stream behind it with every
        field their hashes cover, each cited source version's sha256 with the cited lines and quotes, an
        RFC 9162 inclusion proof of each event, and the signed checkpoint they lead to. Check it with
        `archive verify-evidence` or archive/audit/verify_evidence.py, with no database and no server.
        404 when the fact does not exist (or did not yet at `as_of`), or while no checkpoint-signing key is
        configured (as `GET /log/checkpoint`)."""
        moment = record_time(as_of, None)
        return await evidence_pack(queries, configured_signer(settings), fact_id, moment)
