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
    """A form that does not convert to its request: the message says which field and why.

    ``fields`` maps each field at fault, as the form names it (``evidence_quote``), to what is wrong with
    it, so that the page can mark those fields and say so beside each.
    """

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields: dict[str, str] = dict(fields or {})

    @classmethod
    def naming(cls, fields: Mapping[str, str]) -> FormError:
        """One error for several fields: "reason code: choose …; evidence quote: select …"."""
        return cls("; ".join(f"{_label(name)}: {what}" for name, what in fields.items()), fields)


def _label(name: str) -> str:
    return name.replace("_", " ")


#: What each required field of the fact and entity forms asks for when it is left empty.
CHOOSE_REASON = "choose the reason for the change"
GIVE_JUSTIFICATION = "say why the archive should change its view"


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
        raise FormError.naming({name: f"{value!r} is not a whole number"}) from None


def _missing(form: Mapping[str, Any], needed: Mapping[str, str]) -> dict[str, str]:
    """Each field of `needed` the form leaves empty, with what it asks for."""
    return {name: asked for name, asked in needed.items() if text(form, name) is None}


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
    if text(form, f"{prefix}line_start") is None:
        raise FormError.naming(
            {f"{prefix}line_start": "select the words in the text, or give the line the quote starts on"}
        )
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
        raise FormError.naming({"quote": "select the words in the source (or type them) to cite"})
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


#: Every correction and every retraction needs evidence, whatever its reason code: the decider refuses one
#: without a citation (`archive.domain.fact_checks.checked_citations`). The edit page marks it required.
CORRECTION_EVIDENCE = "a correction needs evidence: select the words in the source that support the new value"
RETRACTION_EVIDENCE = (
    "a retraction needs evidence: select the words in the source that show why it no longer holds"
)


def _required_for_change(form: Mapping[str, Any], evidence: str | None) -> None:
    """Refuse, naming every one of them, a change whose reason, justification or evidence is missing."""
    needed = {"reason_code": CHOOSE_REASON, "justification": GIVE_JUSTIFICATION}
    if evidence is not None:
        needed["evidence_quote"] = evidence
    missing = _missing(form, needed)
    if missing:
        raise FormError.naming(missing)


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
    _required_for_change(form, CORRECTION_EVIDENCE)
    return _convert(payload, CorrectionRequest)


def retraction_request(form: Mapping[str, Any]) -> RetractionRequest:
    """POST /facts/{id}/retractions's body."""
    _required_for_change(form, RETRACTION_EVIDENCE)
    payload = {
        "expected_version": _integer(form, "expected_version"),
        "reason_code": text(form, "reason_code") or "",
        "justification": text(form, "justification") or "",
        "citations": _evidence(form),
    }
    return _convert(payload, RetractionRequest)


def rank_request(form: Mapping[str, Any]) -> RankRequest:
    """POST /facts/{id}/rank's body. The API defaults the reason code; the form asks for it, as every
    change's form does, rather than sending one the archivist never chose."""
    _required_for_change(form, None)
    payload = {
        "expected_version": _integer(form, "expected_version"),
        "rank": text(form, "rank") or "",
        "reason_code": text(form, "reason_code"),
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
    _required_for_change(form, None)
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
