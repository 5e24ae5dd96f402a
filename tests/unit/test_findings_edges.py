"""The edges of the findings' rules (archive/domain/findings.py) and of the quote span
(archive/domain/quote_spans.py) that the examples of tests/unit/test_findings_rules.py and
tests/unit/test_quote_spans.py leave open: bounds that share their first or last day, one bound that
differs while the other agrees, terms that meet on one day, a name only one entity holds, the texts of a
refused dismissal, the id a finding is stored under, a quote that stands twice in its lines, lines
numbered from 0.

Every expected value is written out, not computed with the code under test."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from archive.domain.errors import DomainError, InvalidCommand, StaleVersion, VersionRequired
from archive.domain.findings import (
    DismissFinding,
    FindingState,
    beginning,
    colliding_names,
    decide_dismissal,
    differ_only_in_precision,
    ends_before,
    finding_id,
    finding_stream,
    surely_overlap,
)
from archive.domain.quote_spans import quote_span
from archive.domain.time import ValidTime, make_valid_time

AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def vt(valid_from: str | None = None, valid_to: str | None = None, point: str | None = None) -> ValidTime:
    return make_valid_time(valid_from, valid_to, point)


@pytest.mark.parametrize(
    ("a", "b", "variants"),
    [
        # Nested with the same last day: "2010" runs to 31 December, as "2010-12" does.
        (vt(point="2010"), vt(point="2010-12"), True),
        (vt("2010", "2010"), vt("2010-12", "2010-12-31"), True),
        (vt("2010", "2010"), vt("2010-01", "2010-12"), True),
        # Nested with the same first day: "2010" begins on 1 January, as "2010-01" does.
        (vt(point="2010"), vt(point="2010-01"), True),
        # The ends agree, the starts do not: not the same statement.
        (vt("2009", "2011"), vt("2010", "2011"), False),
        (vt("2009-05", "2011"), vt("2009-06", "2011"), False),
        # The starts agree, the ends do not.
        (vt("2010", "2011"), vt("2010", "2012"), False),
    ],
)
def test_precision_variants_at_the_edges_of_a_bound(a: ValidTime, b: ValidTime, variants: bool) -> None:
    assert differ_only_in_precision(a, b) is variants
    assert differ_only_in_precision(b, a) is variants


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        # Meeting on one day, both sure of it: two holders on that day.
        (vt("2010-01-01", "2010-06-30"), vt("2010-06-30", "2011-01-01"), True),
        (vt(point="2010-06-30"), vt("2010-06-30"), True),
        (vt(valid_to="2010-06-30"), vt(point="2010-06-30"), True),
        # One ends the day before the other starts: a handover.
        (vt("2010-01-01", "2010-06-29"), vt("2010-06-30"), False),
        # Both open at one end: a term with no recorded end overlaps any later one.
        (vt(valid_to="2010-06-30"), vt(valid_to="1990"), True),
        (vt("2010"), vt("2030"), True),
    ],
)
def test_terms_that_meet_on_one_day_overlap(a: ValidTime, b: ValidTime, overlap: bool) -> None:
    assert surely_overlap(a, b) is overlap
    assert surely_overlap(b, a) is overlap


def test_a_name_only_one_entity_holds_collides_with_nothing() -> None:
    found = colliding_names(
        [
            ("one", "Lonely Name", ["Shared"]),
            ("two", "Other", ["shared"]),
            ("three", "   ", []),  # a blank name names nothing
            ("four", "", ["  "]),
        ]
    )
    assert found == {"shared": ["one", "two"]}


def test_a_finding_id_is_a_uuid5_of_finding_its_kind_and_the_sorted_ids() -> None:
    # uuid5(the archive's namespace, 'finding:["plan_passed",["a","entity:b"]]'), computed by hand with
    # Python's uuid module: a finding's id must stay what earlier dismissals were stored under.
    assert finding_id("plan_passed", ["entity:b", "a", "a"]) == "c4009d0f-e67f-560f-9a43-84edae621238"
    assert finding_stream("c4009d0f-e67f-560f-9a43-84edae621238") == (
        "finding:c4009d0f-e67f-560f-9a43-84edae621238"
    )


def dismiss(**changes: Any) -> DismissFinding:
    values: dict[str, Any] = {
        "finding_id": "f1",
        "expected_version": 0,
        "reason_code": "did_not_happen",
        "justification": "the conference was cancelled",
        "recorded_at": AT,
    }
    return DismissFinding(**(values | changes))


@pytest.mark.parametrize(
    ("command", "state", "error", "message"),
    [
        (dismiss(), FindingState(exists=False), InvalidCommand, "no finding f1 stands now"),
        (
            dismiss(expected_version=1),
            FindingState(exists=True, version=1),
            InvalidCommand,
            "finding f1 is already dismissed",
        ),
        (
            dismiss(expected_version=1),
            FindingState(exists=True, version=0),
            StaleVersion,
            "finding f1 is at version 0, not 1: reload it, check what changed, and resubmit with the "
            "current version",
        ),
        (
            dismiss(expected_version=None),
            FindingState(exists=True, version=1),
            VersionRequired,
            "finding f1 exists (version 1) and this request would dismiss it: send expected_version 1 "
            "to say which version you decided on",
        ),
    ],
)
def test_a_refused_dismissal_says_why_in_words(
    command: DismissFinding, state: FindingState, error: type[DomainError], message: str
) -> None:
    with pytest.raises(error) as caught:
        decide_dismissal(command, state)
    assert caught.value.message == message


def test_a_dismissal_is_recorded_at_the_commands_time_in_utc() -> None:
    noon_elsewhere = dt.datetime(2026, 1, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    (event,) = decide_dismissal(
        dismiss(recorded_at=noon_elsewhere), FindingState(exists=True, version=0, kind="name_collision")
    )
    assert event.recorded_at == dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    assert event.recorded_at.utcoffset() == dt.timedelta(0)
    assert event.kind == "name_collision"


def test_a_quote_standing_twice_in_its_lines_spans_its_first_place() -> None:
    assert quote_span(("the words and the words",), 1, 1, "the words") == (0, 9)
    assert quote_span(("x the words", "the words"), 1, 2, "the words") == (2, 11)


@pytest.mark.parametrize(("line_start", "line_end"), [(0, 2), (-1, 2), (0, 1), (-2, 2)])
def test_lines_numbered_below_one_do_not_exist_even_where_the_quote_stands_at_the_end(
    line_start: int, line_end: int
) -> None:
    # Counted from the end, line 0 or -1 would be the last line, which holds the quote.
    assert quote_span(("first", "last words"), line_start, line_end, "last words") is None
    assert quote_span(("first", "last words"), 2, 2, "last words") == (6, 16)


@pytest.mark.parametrize(
    ("time", "day"),
    [
        (vt(point="1999-06"), dt.date(1999, 6, 1)),
        (vt("circa 1999", "2001"), dt.date(1998, 1, 1)),
        # No start: nothing dates a beginning.
        (vt(valid_to="2001"), None),
        (vt(), None),
    ],
)
def test_a_beginning_is_the_first_day_its_start_may_denote(time: ValidTime, day: dt.date | None) -> None:
    assert beginning(time) == day


@pytest.mark.parametrize(
    ("time", "before"),
    [
        # Ending on the very day the entity began is not ending before it.
        (vt(point="1999-01-01"), False),
        (vt(valid_to="1998-12-31"), True),
        (vt("1990", "1999-01-01"), False),
    ],
)
def test_a_fact_ending_on_the_day_of_the_beginning_does_not_end_before_it(
    time: ValidTime, before: bool
) -> None:
    assert ends_before(time, dt.date(1999, 1, 1)) is before


@pytest.mark.parametrize(
    ("quote", "span", "covered"),
    [
        # A quote beginning or ending with the space that stands for the break starts or ends at the "\n".
        (" at the", (21, 28), "\nat the"),
        ("signed ", (15, 22), "signed\n"),
        ("signed at", (15, 24), "signed\nat"),
    ],
)
def test_a_quote_that_begins_or_ends_at_a_break_spans_the_break_itself(
    quote: str, span: tuple[int, int], covered: str
) -> None:
    lines = ("The accord was signed", "at the harbour")
    assert quote_span(lines, 1, 2, quote) == span
    assert "\n".join(lines)[span[0] : span[1]] == covered


def test_the_first_cited_lines_leading_whitespace_is_part_of_the_text_a_quote_may_start_in() -> None:
    assert quote_span(("  indented words",), 1, 1, " indented") == (1, 10)
    assert quote_span(("first", "  indented words"), 2, 2, " indented") == (7, 16)
