"""Redaction: whether an event's payload may be replaced by its hash, and the event that records it.

A redaction is for privacy or a legal order, never to correct a fact: a correction is an event of its
own, and the fact's history keeps both values. Only a fact's events can be redacted for now: a fact whose
payload is gone is withdrawn from the read models as a whole (docs/decisions/0011-redaction.md), while
sources and entities are folded from their streams by every write to them, and a fold cannot skip a
payload it has lost. A redaction is itself never redacted: it is what makes a marker in the log legitimate.
"""

from __future__ import annotations

import datetime as dt
from typing import get_args

import msgspec

from archive.domain.errors import DomainError, InvalidCommand
from archive.domain.events import EventRedacted, RedactionReasonCode
from archive.domain.streams import stream_owner

REDACTION_REASON_CODES: tuple[str, ...] = get_args(RedactionReasonCode)
#: The stream kinds whose events may be redacted.
REDACTABLE_KINDS = ("fact",)
#: The event type of a redaction, which is never redacted.
REDACTION = EventRedacted.__struct_config__.tag


class EventNotInLog(DomainError):
    """The position names no event of the log."""

    code = "event_not_found"


class AlreadyRedacted(DomainError):
    """The event's payload is already a redaction marker."""

    code = "already_redacted"


class LoggedEvent(msgspec.Struct, frozen=True):
    """What the decider needs of the event to redact: where it is, what it is, and its payload's digest
    (None when the payload is already a redaction marker)."""

    position: int
    stream_id: str
    event_type: str
    content_sha256: str | None


class RedactEvent(msgspec.Struct, frozen=True):
    """Redact the payload of the event at `position`, for `reason_code`, explained by `justification`."""

    position: int
    reason_code: str
    justification: str
    recorded_at: dt.datetime


def decide_redaction(command: RedactEvent, target: LoggedEvent | None) -> EventRedacted:
    """The redaction event, or the refusal naming the field at fault."""
    if command.reason_code not in REDACTION_REASON_CODES:
        raise InvalidCommand(
            f"reason_code {command.reason_code!r} is not a reason to redact: a payload is redacted for "
            "privacy or a legal order; to correct a fact, correct it (the correction is an event)",
            field="reason_code",
            choices=REDACTION_REASON_CODES,
        )
    if not command.justification.strip():
        raise InvalidCommand(
            "justification is empty: say why this payload must go (the order, the request)",
            field="justification",
        )
    if target is None:
        raise EventNotInLog(f"the log has no event at position {command.position}", field="position")
    kind, _ = stream_owner(target.stream_id)
    if kind not in REDACTABLE_KINDS:
        raise InvalidCommand(
            f"the event at position {command.position} ({target.event_type} of {target.stream_id}) is "
            "not a fact's: only a fact's events can be redacted",
            field="position",
        )
    if target.event_type == REDACTION:
        raise InvalidCommand(
            f"the event at position {command.position} is a redaction: a redaction is never redacted, it "
            "is what makes a redacted payload in the log legitimate",
            field="position",
        )
    if target.content_sha256 is None:
        raise AlreadyRedacted(
            f"the payload of the event at position {command.position} is already redacted",
            field="position",
        )
    return EventRedacted(
        recorded_at=command.recorded_at,
        position=target.position,
        stream_id=target.stream_id,
        redacted_event_type=target.event_type,
        content_sha256=target.content_sha256,
        reason_code=command.reason_code,  # type: ignore[arg-type]  # checked against the Literal above
        justification=command.justification.strip(),
    )
