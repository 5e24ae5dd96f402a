"""POST /events/{position}/redaction (admin): replace an event's payload by its hash, for privacy or a
legal order, keeping the event's place and hash in the chain (docs/decisions/0011-redaction.md)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from api.auth import requires
from api.commands import command_meta
from api.errors import ApiProblem, problem_responses
from api.requests import Text
from archive.commands import Archive
from archive.domain.events import RedactionReasonCode
from archive.domain.redaction import AlreadyRedacted, EventNotInLog
from archive.reads.filters import MAX_OFFSET
from archive.reads.views import RedactionView, redaction_view
from archive.tokens import Principal

REDACTION_PROBLEMS = problem_responses(400, 401, 403, 404, 409, 413, 422, 503)


class RedactionRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """POST /events/{position}/redaction: why the payload must go (never to correct a fact)."""

    reason_code: RedactionReasonCode
    justification: Text


class RedactionController(Controller):
    """POST /events/{position}/redaction."""

    path = "/events"
    tags = ["audit (auditor)"]
    guards = [requires("admin")]

    @post(
        "/{position:int}/redaction",
        operation_id="redactEvent",
        responses=REDACTION_PROBLEMS,
        summary="Redact an event's payload (admin)",
        status_code=201,
    )
    async def redact(
        self,
        request: Request[Any, Any, Any],
        position: Annotated[
            int,
            # A position is a 64-bit integer in both databases; one past that is no event's (not a 500).
            PathParameter(ge=1, le=MAX_OFFSET, description="The event's position in the log."),
        ],
        data: JSONBody[RedactionRequest],
        archive: NamedDependency[Archive],
        principal: NamedDependency[Principal],
    ) -> RedactionView:
        """Replace the payload of a fact's event by the sha256 of its canonical bytes, and record the
        redaction as an event with its reason. The event's hash, the chain and every Merkle proof stay
        valid; the fact is withdrawn from the reads (410). 404 when no event is at `position`, 409 when its
        payload is already redacted, 422 naming the field otherwise."""
        try:
            written = await archive.redact_event(
                position=position,
                reason_code=data.reason_code,
                justification=data.justification,
                meta=command_meta(request, principal, data.justification),
            )
        except EventNotInLog as error:
            raise ApiProblem(404, "Not Found", error.message, parameter="position") from None
        except AlreadyRedacted as error:
            raise ApiProblem(409, "Conflict", error.message, parameter="position") from None
        return redaction_view(written.events[0])
