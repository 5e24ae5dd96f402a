"""Findings: what an archivist should look at, decided from what the archive holds; and their dismissal.

A finding is not an error the archive refuses: each write that creates one still succeeds. The rules
here say, from plain values, which facts or entities make a finding; the read model
(archive/projections/findings.py) feeds them its rows and keeps the answers current.

A finding's id is derived from its kind and the ids it is about, so the same situation found again (after
a rebuild, or after the facts changed and changed back) is the same finding, and a dismissal of it holds.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Collection, Iterable, Sequence
from itertools import combinations
from typing import Literal, TypeVar, get_args

import msgspec

from archive.domain.errors import InvalidCommand
from archive.domain.events import DismissalReason, FindingDismissed
from archive.domain.fact_checks import require_choice, require_justification
from archive.domain.ids import derived_id
from archive.domain.time import PartialDate, ValidTime, as_utc
from archive.domain.versions import require_expected_version

FindingKind = Literal[
    "overlapping_holders",
    "plan_passed",
    "citations_unverified",
    "precision_variants",
    "entity_without_facts",
    "name_collision",
    "ends_before_beginning",
]
FINDING_KINDS: tuple[str, ...] = get_args(FindingKind)

DISMISSAL_REASONS: tuple[str, ...] = get_args(DismissalReason)


def finding_id(kind: str, about: Iterable[str]) -> str:
    """The finding's id: uuid5 of its kind and the sorted ids it is about."""
    key = msgspec.json.encode([kind, sorted(set(about))])
    return derived_id("finding", key.decode("utf-8"))


def _late_start(vt: ValidTime) -> dt.date | None:
    """The last day the valid time's start may denote (None: the start is open)."""
    start = vt.point_in_time or vt.valid_from
    return None if start is None else start.latest


def _early_end(vt: ValidTime) -> dt.date | None:
    """The first day the valid time's end may denote (None: the end is open)."""
    end = vt.point_in_time or vt.valid_to
    return None if end is None else end.earliest


def surely_overlap(a: ValidTime, b: ValidTime) -> bool:
    """Whether two valid times overlap however their bounds are read at the precision given.

    Each starts by its start's last possible day and ends no earlier than its end's first possible day;
    an open bound is unbounded (a term from 2020 with no recorded end overlaps one from 2023: the
    archive has no end for the first). Two terms that could only meet inside one imprecise date (one ends
    "2010", the next starts "2010-06") do not: that is a handover, not two holders. An undated term
    overlaps nothing.
    """
    if a.is_empty or b.is_empty:
        return False
    a_start, a_end, b_start, b_end = _late_start(a), _early_end(a), _late_start(b), _early_end(b)
    a_before_b_ends = a_start is None or b_end is None or a_start <= b_end
    b_before_a_ends = b_start is None or a_end is None or b_start <= a_end
    return a_before_b_ends and b_before_a_ends


class HolderTerm(msgspec.Struct, frozen=True):
    """One fact's term in a single-holder office: who held it and when."""

    fact_id: str
    holder: str
    valid_time: ValidTime


def overlapping_holders(
    terms: Sequence[HolderTerm], focus: Collection[str] | None = None
) -> list[tuple[HolderTerm, HolderTerm]]:
    """Pairs of terms of one office by different holders whose valid times surely overlap (fact id order);
    with `focus`, only the pairs with a term of one of those facts (what a write changed).

    A sweep by start: a term is compared only with the earlier-starting terms that have not surely ended
    before it starts, so an office of many terms in turn costs about one comparison a term, not one for
    every pair of its terms."""
    dated = [term for term in terms if not term.valid_time.is_empty]
    dated.sort(key=lambda term: _start_key(term.valid_time))
    pairs: list[tuple[HolderTerm, HolderTerm]] = []
    running: list[tuple[tuple[bool, dt.date], int, HolderTerm]] = []  # a heap by end
    for index, term in enumerate(dated):
        start = _late_start(term.valid_time)
        while start is not None and running and running[0][0] < (True, start):
            heapq.heappop(running)  # ended before this term (and every later one) starts
        for _, _, earlier in running:
            if (
                (focus is None or earlier.fact_id in focus or term.fact_id in focus)
                and earlier.holder != term.holder
                and surely_overlap(earlier.valid_time, term.valid_time)
            ):
                pairs.append((earlier, term) if earlier.fact_id < term.fact_id else (term, earlier))
        heapq.heappush(running, (_end_key(term.valid_time), index, term))
    return sorted(pairs, key=lambda pair: (pair[0].fact_id, pair[1].fact_id))


def _start_key(vt: ValidTime) -> tuple[bool, dt.date]:
    """Sorts by the start's last possible day, an open start first."""
    start = _late_start(vt)
    return (start is not None, start or dt.date.min)


def _end_key(vt: ValidTime) -> tuple[bool, dt.date]:
    """Sorts by the end's first possible day, an open end last; compared with (True, a start)."""
    end = _early_end(vt)
    return (True, end) if end is not None else (True, dt.date.max)


def beginning(vt: ValidTime) -> dt.date | None:
    """The first day on which a fact dating an entity's beginning may fall (None when it gives none)."""
    when = vt.point_in_time or vt.valid_from
    return None if when is None else when.earliest


def ends_before(vt: ValidTime, begun: dt.date) -> bool:
    """Whether a fact surely ended before the day `begun`: the last day its end may denote is earlier.
    An open end, or no valid time, ends nowhere."""
    end = vt.point_in_time or vt.valid_to
    return end is not None and end.latest < begun


def plan_due(vt: ValidTime) -> dt.date | None:
    """The last day on which a plan's date may fall: after it, the plan has passed. None when undated.

    A plan's date is when it was to happen or begin (its point in time, else its start); a plan with only
    an end is due by that end.
    """
    when = vt.point_in_time or vt.valid_from or vt.valid_to
    return None if when is None else when.latest


def _nested(a: PartialDate | None, b: PartialDate | None) -> bool:
    """Whether two bounds could be the same bound: equal, one missing, or one's days inside the other's."""
    if a is None or b is None:
        return True
    return (a.earliest <= b.earliest and b.latest <= a.latest) or (
        b.earliest <= a.earliest and a.latest <= b.latest
    )


def _as_interval(vt: ValidTime) -> tuple[PartialDate | None, PartialDate | None]:
    if vt.point_in_time is not None:
        return vt.point_in_time, vt.point_in_time
    return vt.valid_from, vt.valid_to


def differ_only_in_precision(a: ValidTime, b: ValidTime) -> bool:
    """Whether two valid times could state the same thing: each bound equal, missing on one side, or
    one within the other ("2010" and "2010-01-01"; from "2010" and from "2010" to "2011").

    A point in time counts as an interval from it to it.
    """
    a_start, a_end = _as_interval(a)
    b_start, b_end = _as_interval(b)
    return _nested(a_start, b_start) and _nested(a_end, b_end)


Keyed = TypeVar("Keyed")


def variant_pairs(
    facts: Sequence[tuple[str, Keyed, ValidTime]], linked: set[frozenset[str]]
) -> list[tuple[str, str]]:
    """Pairs of facts with the same content but valid time (the `Keyed` part equal) that differ only in
    precision or a bound, and that no link relates (a link says an archivist has already related them)."""
    ordered = sorted(facts, key=lambda fact: fact[0])
    return [
        (a_id, b_id)
        for (a_id, a_key, a_time), (b_id, b_key, b_time) in combinations(ordered, 2)
        if a_key == b_key
        and frozenset((a_id, b_id)) not in linked
        and differ_only_in_precision(a_time, b_time)
    ]


def colliding_names(entities: Iterable[tuple[str, str, Sequence[str]]]) -> dict[str, list[str]]:
    """Names (case folded, spaces collapsed) that label or alias more than one entity, with those entities."""
    holders: dict[str, set[str]] = {}
    for entity_id, label, aliases in entities:
        for name in {name_key(label), *(name_key(alias) for alias in aliases)}:
            if name:
                holders.setdefault(name, set()).add(entity_id)
    return {name: sorted(ids) for name, ids in holders.items() if len(ids) > 1}


def name_key(name: str) -> str:
    """A name as collisions compare it: case folded, runs of white space as one space."""
    return " ".join(name.casefold().split())


class FindingState(msgspec.Struct, frozen=True):
    """A finding as a dismissal sees it: whether it stands now, its stream's version, and its kind."""

    exists: bool = False
    version: int = 0
    kind: str = ""


class DismissFinding(msgspec.Struct, frozen=True):
    """Dismiss a finding with a reason code and a justification (the note an archivist leaves)."""

    finding_id: str
    expected_version: int
    reason_code: DismissalReason
    justification: str
    recorded_at: dt.datetime


def decide_dismissal(cmd: DismissFinding, state: FindingState) -> list[FindingDismissed]:
    """The dismissal event, or the error refusing it: an unknown finding, a stale version, no reason."""
    if not state.exists:
        # The service answers an unknown finding before deciding (404); this guards other callers.
        raise InvalidCommand(f"no finding {cmd.finding_id} stands now", field="finding_id")
    require_expected_version(f"finding {cmd.finding_id}", state.version, cmd.expected_version, "dismiss it")
    if state.version > 0:
        raise InvalidCommand(f"finding {cmd.finding_id} is already dismissed", field="finding_id")
    require_choice(cmd.reason_code, DISMISSAL_REASONS, "reason_code")
    require_justification(cmd.justification)
    return [
        FindingDismissed(
            finding_id=cmd.finding_id,
            kind=state.kind,
            reason_code=cmd.reason_code,
            justification=cmd.justification,
            recorded_at=as_utc(cmd.recorded_at),
        )
    ]


def finding_stream(finding_id: str) -> str:
    """The stream of one finding's dismissal."""
    return f"finding:{finding_id}"
