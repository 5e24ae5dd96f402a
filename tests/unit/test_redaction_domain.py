"""The redaction decider, pure: the event it decides, field by field, and each refusal with its code, its
field, its choices and its exact text. Expected values are literals (fast, for `make mutation`:
archive/domain/redaction.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from archive.domain.errors import DomainError, InvalidCommand
from archive.domain.events import EventRedacted
from archive.domain.redaction import (
    REDACTABLE_KINDS,
    REDACTION,
    REDACTION_REASON_CODES,
    AlreadyRedacted,
    EventNotInLog,
    LoggedEvent,
    RedactEvent,
    decide_redaction,
)

AT = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
DIGEST = "ab" * 32
RECORDED = LoggedEvent(position=7, stream_id="fact:f-1", event_type="fact.recorded", content_sha256=DIGEST)


def command(
    reason_code: str = "privacy", justification: str = "request 17", position: int = 7
) -> RedactEvent:
    return RedactEvent(
        position=position, reason_code=reason_code, justification=justification, recorded_at=AT
    )


def refusal(cmd: RedactEvent, target: LoggedEvent | None) -> DomainError:
    with pytest.raises(DomainError) as caught:
        decide_redaction(cmd, target)
    return caught.value


def test_the_constants_are_the_two_reasons_the_fact_kind_and_the_redaction_tag() -> None:
    assert REDACTION_REASON_CODES == ("privacy", "legal_order")
    assert REDACTABLE_KINDS == ("fact",)
    assert REDACTION == "log.redacted"
    assert (EventNotInLog.code, AlreadyRedacted.code) == ("event_not_found", "already_redacted")


@pytest.mark.parametrize("reason_code", ["privacy", "legal_order"])
def test_a_fact_event_is_redacted_with_its_place_type_digest_and_stripped_justification(
    reason_code: str,
) -> None:
    event = decide_redaction(command(reason_code, "  the court's order 12/3 \n"), RECORDED)
    assert event == EventRedacted(
        recorded_at=AT,
        position=7,
        stream_id="fact:f-1",
        redacted_event_type="fact.recorded",
        content_sha256=DIGEST,
        reason_code=reason_code,  # type: ignore[arg-type]
        justification="the court's order 12/3",
    )


def test_the_event_takes_its_position_from_the_log_not_the_command() -> None:
    # The store hands back the event at the asked position; the record keeps the log's own word for it.
    event = decide_redaction(command(position=3), RECORDED)
    assert event.position == 7


@pytest.mark.parametrize("reason_code", ["correction", "", "Privacy", "other"])
def test_a_reason_that_is_not_privacy_or_a_legal_order_is_refused_first(reason_code: str) -> None:
    # Checked before the rest: a blank justification and no target change nothing.
    error = refusal(command(reason_code, " "), None)
    assert type(error) is InvalidCommand
    assert error.field == "reason_code"
    assert error.choices == ("privacy", "legal_order")
    assert error.message == (
        f"reason_code {reason_code!r} is not a reason to redact: a payload is redacted for privacy or a "
        "legal order; to correct a fact, correct it (the correction is an event)"
    )


@pytest.mark.parametrize("justification", ["", "   ", "\n\t"])
def test_a_blank_justification_is_refused_before_the_position_is_looked_at(justification: str) -> None:
    error = refusal(command(justification=justification), None)
    assert type(error) is InvalidCommand
    assert (error.field, error.choices) == ("justification", ())
    assert error.message == "justification is empty: say why this payload must go (the order, the request)"


def test_a_position_with_no_event_is_not_in_the_log() -> None:
    error = refusal(command(position=99), None)
    assert type(error) is EventNotInLog
    assert (error.code, error.field) == ("event_not_found", "position")
    assert error.message == "the log has no event at position 99"


@pytest.mark.parametrize(
    ("stream_id", "event_type"),
    [("source:s-1", "source.registered"), ("entity:e-1", "entity.registered"), ("log", "log.redacted")],
)
def test_an_event_of_another_kind_of_stream_is_refused(stream_id: str, event_type: str) -> None:
    target = LoggedEvent(position=4, stream_id=stream_id, event_type=event_type, content_sha256=DIGEST)
    error = refusal(command(position=4), target)
    assert type(error) is InvalidCommand
    assert error.field == "position"
    assert error.message == (
        f"the event at position 4 ({event_type} of {stream_id}) is not a fact's: only a fact's events can "
        "be redacted"
    )


def test_a_redaction_on_a_fact_stream_is_never_redacted() -> None:
    target = LoggedEvent(position=9, stream_id="fact:f-1", event_type="log.redacted", content_sha256=DIGEST)
    error = refusal(command(position=9), target)
    assert type(error) is InvalidCommand
    assert error.field == "position"
    assert error.message == (
        "the event at position 9 is a redaction: a redaction is never redacted, it is what makes a "
        "redacted payload in the log legitimate"
    )


def test_a_payload_already_a_marker_is_already_redacted() -> None:
    target = LoggedEvent(position=7, stream_id="fact:f-1", event_type="fact.cited", content_sha256=None)
    error = refusal(command(), target)
    assert type(error) is AlreadyRedacted
    assert (error.code, error.field) == ("already_redacted", "position")
    assert error.message == "the payload of the event at position 7 is already redacted"
