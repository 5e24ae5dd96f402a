"""What changed between two states of a fact, a source or an entity, field by field, old → new.

Pure: the fact history and /diff fold the streams and hand the two states here. Values are shown as
stored (a date keeps its own precision: ``1994 → 1994-12-05``); an added citation or link is one
change whose new value names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from archive.domain.facts import FactState
from archive.domain.sources import SourceState
from archive.reads.views import FieldChange


def _shown(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value) or None
    return str(value)


def _scalar_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldChange]:
    """Each field, in `new`'s order then any only `old` has, whose shown value differs (absent is None,
    and so is an empty list)."""
    names = list(new) + [name for name in old if name not in new]
    shown = [(name, _shown(old.get(name)), _shown(new.get(name))) for name in names]
    return [FieldChange(name, before, after) for name, before, after in shown if before != after]


def _fact_fields(state: FactState | None) -> dict[str, Any]:
    if state is None or not state.exists:
        return {}
    q = state.qualifiers
    return {
        "subject": state.subject,
        "predicate": state.predicate,
        "object": state.object,
        "value": state.value,
        "role": q.role,
        "place": q.place,
        "organization": q.organization,
        "note": q.note,
        "valid_from": state.valid_from,
        "valid_to": state.valid_to,
        "point_in_time": state.point_in_time,
        "modality": state.modality,
        "rank": state.rank,
        "status": state.status,
    }


def fact_changes(old: FactState | None, new: FactState) -> list[FieldChange]:
    """The fields of `new` that differ from `old` (every stated field when `old` is None), then each
    citation and link `new` has that `old` had not."""
    changes = _scalar_changes(_fact_fields(old), _fact_fields(new))
    had = set() if old is None else set(old.citations)
    changes += [
        FieldChange("citation", None, f"{c.source_id} lines {c.line_start}-{c.line_end}: {c.quote}")
        for c in new.citations
        if c not in had
    ]
    linked = set() if old is None else set(old.links)
    changes += [
        FieldChange("link", None, f"{link.relation} {link.target_fact_id}")
        for link in new.links
        if link not in linked
    ]
    return changes


def net_fact_change(old: FactState | None, new: FactState) -> str:
    """How a fact's belief changed over a window, in one word.

    ``added`` (it did not exist before), ``added_retracted`` (added and retracted within the window),
    ``retracted``, ``changed`` (some field, citation or link differs) or ``unchanged`` (edits that
    cancelled out).
    """
    if old is None or not old.exists:
        return "added_retracted" if new.status == "retracted" else "added"
    if new.status == "retracted" and old.status != "retracted":
        return "retracted"
    return "changed" if fact_changes(old, new) else "unchanged"


def source_changes(old: SourceState | None, new: SourceState) -> list[FieldChange]:
    """The record and text fields of a source that differ between two versions."""

    def fields(state: SourceState | None) -> dict[str, Any]:
        if state is None or not state.exists:
            return {}
        return {
            "title": state.title,
            "origin": state.origin,
            "source_date": state.source_date,
            "content_sha256": state.content_sha256,
            "line_count": len(state.lines),
        }

    return _scalar_changes(fields(old), fields(new))


def struct_changes(old: msgspec.Struct | None, new: msgspec.Struct) -> list[FieldChange]:
    """Every field but the stream's bookkeeping (``exists``, ``version``, the entity's own id) that
    differs between two states of the same Struct type (an entity's label, kind, aliases...); an empty
    list shows as none."""
    skip = {"exists", "version", "entity_id"}
    before = {} if old is None else msgspec.structs.asdict(old)
    after = {k: v for k, v in msgspec.structs.asdict(new).items() if k not in skip}
    return _scalar_changes({k: v for k, v in before.items() if k not in skip}, after)
