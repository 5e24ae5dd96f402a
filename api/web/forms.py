"""Form fields to the JSON API's own request bodies, so that a form is validated exactly like a POST.

A form sends every field as text; an empty field means "not given". The result is converted with msgspec
into the API's request Struct (`RecordFactRequest`, `CorrectionRequest`, ...), with the same limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

from api.requests import (
    CorrectionRequest,
    EntityRequest,
    EntityRevisionRequest,
    MergeRequest,
    RankRequest,
    RecordFactRequest,
    RetractionRequest,
)

T = TypeVar("T")

#: The fields a correction may change, as the form names them, and where each lives.
CHANGE_FIELDS = ("object", "value", "valid_from", "valid_to", "point_in_time")
QUALIFIER_FIELDS = ("role", "place", "organization", "note")


class FormError(ValueError):
    """A form that does not convert to its request: the message says which field and why."""


def text(form: Mapping[str, Any], name: str) -> str | None:
    """A field's text, stripped; None when absent or empty."""
    value = form.get(name)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def raw(form: Mapping[str, Any], name: str) -> str:
    """A field's text exactly as sent (a quote must stay as it is), "" when absent."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _integer(form: Mapping[str, Any], name: str) -> int | None:
    value = text(form, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise FormError(f"{name.replace('_', ' ')}: {value!r} is not a whole number") from None


def _convert(payload: dict[str, Any], kind: type[T]) -> T:
    try:
        return msgspec.convert(payload, kind)
    except msgspec.ValidationError as error:
        raise FormError(_readable(str(error))) from None


def _readable(message: str) -> str:
    """msgspec's message with its JSON path (`$.citations[0].quote`) as a field name."""
    head, _, path = message.rpartition(" - at `")
    if not path:
        return message
    field = path.rstrip("`").removeprefix("$.").replace("[0]", "").replace(".", " ").replace("_", " ")
    return f"{field}: {head}"


def citation(form: Mapping[str, Any], prefix: str = "") -> dict[str, Any] | None:
    """The citation a form gives (source, lines and quote), or None when its quote is empty."""
    quote = raw(form, f"{prefix}quote")
    if not quote.strip():
        return None
    return {
        "source_id": text(form, f"{prefix}source_id") or "",
        "line_start": _integer(form, f"{prefix}line_start"),
        "line_end": _integer(form, f"{prefix}line_end") or _integer(form, f"{prefix}line_start"),
        "quote": quote.strip(),
    }


def record_request(form: Mapping[str, Any]) -> RecordFactRequest:
    """POST /facts's body from the record form."""
    cited = citation(form)
    if cited is None:
        raise FormError("quote: select the words in the source (or type them) to cite")
    payload = {
        "subject": text(form, "subject") or "",
        "predicate": text(form, "predicate") or "",
        "object": text(form, "object"),
        "value": text(form, "value"),
        "qualifiers": {name: text(form, name) for name in QUALIFIER_FIELDS},
        "valid_from": text(form, "valid_from"),
        "valid_to": text(form, "valid_to"),
        "point_in_time": text(form, "point_in_time"),
        "modality": text(form, "modality") or "asserted",
        "rank": text(form, "rank") or "normal",
        "reason": text(form, "reason"),
        "citations": [cited],
    }
    return _convert(payload, RecordFactRequest)


def _evidence(form: Mapping[str, Any]) -> list[dict[str, Any]]:
    cited = citation(form, "evidence_")
    return [] if cited is None else [cited]


def correction_request(form: Mapping[str, Any]) -> CorrectionRequest:
    """POST /facts/{id}/corrections's body: only the fields the archivist changed (an emptied field clears).

    Each editable field comes with `was_<field>`, the value the archivist saw; a field equal to it is left
    out, so that a correction never silently re-sends (and so reverts) a value somebody else changed.
    """
    changes: dict[str, Any] = {}
    for name in CHANGE_FIELDS:
        if text(form, name) != text(form, f"was_{name}"):
            changes[name] = text(form, name)
    if any(text(form, name) != text(form, f"was_{name}") for name in QUALIFIER_FIELDS):
        changes["qualifiers"] = {name: text(form, name) for name in QUALIFIER_FIELDS}
    payload = {
        "expected_version": _integer(form, "expected_version"),
        "changes": changes,
        "reason_code": text(form, "reason_code") or "",
        "justification": text(form, "justification") or "",
        "citations": _evidence(form),
    }
    if not changes:
        raise FormError("change at least one value: every field still holds the value you were shown")
    return _convert(payload, CorrectionRequest)


def retraction_request(form: Mapping[str, Any]) -> RetractionRequest:
    """POST /facts/{id}/retractions's body."""
    payload = {
        "expected_version": _integer(form, "expected_version"),
        "reason_code": text(form, "reason_code") or "",
        "justification": text(form, "justification") or "",
        "citations": _evidence(form),
    }
    return _convert(payload, RetractionRequest)


def rank_request(form: Mapping[str, Any]) -> RankRequest:
    """POST /facts/{id}/rank's body."""
    payload = {
        "expected_version": _integer(form, "expected_version"),
        "rank": text(form, "rank") or "",
        "reason_code": text(form, "reason_code") or "other",
        "justification": text(form, "justification") or "",
    }
    return _convert(payload, RankRequest)


def aliases(form: Mapping[str, Any], name: str = "aliases") -> list[str]:
    """The aliases a form gives, one a line (blank lines dropped)."""
    return [line.strip() for line in raw(form, name).splitlines() if line.strip()]


def entity_request(form: Mapping[str, Any]) -> EntityRequest:
    """POST /entities's body from the new-entity form."""
    payload = {
        "entity_id": text(form, "entity_id") or "",
        "kind": text(form, "kind") or "",
        "label": text(form, "label") or "",
        "aliases": aliases(form),
        "reason": text(form, "reason"),
    }
    return _convert(payload, EntityRequest)


def entity_revision_request(form: Mapping[str, Any]) -> EntityRevisionRequest:
    """POST /entities/{id}/revisions's body: only the values the archivist changed.

    As for a correction, each field comes with `was_<field>`, the value the archivist saw; one left as it
    was is not sent, so that a revision never re-sends (and so reverts) what somebody else changed.
    """
    changes: dict[str, Any] = {}
    for name in ("kind", "label"):
        if text(form, name) != text(form, f"was_{name}"):
            changes[name] = text(form, name) or ""
    if aliases(form) != aliases(form, "was_aliases"):
        changes["aliases"] = aliases(form)
    if not changes:
        raise FormError("change at least one value: every field still holds the value you were shown")
    payload = {
        "expected_version": _integer(form, "expected_version"),
        "changes": changes,
        "reason_code": text(form, "reason_code") or "",
        "justification": text(form, "justification") or "",
    }
    return _convert(payload, EntityRevisionRequest)


def merge_request(form: Mapping[str, Any]) -> MergeRequest:
    """POST /entities/{id}/merge's body from the merge form."""
    payload = {
        "into": text(form, "into") or "",
        "justification": text(form, "justification") or "",
        "expected_version": _integer(form, "expected_version"),
        "into_expected_version": _integer(form, "into_expected_version"),
    }
    return _convert(payload, MergeRequest)
