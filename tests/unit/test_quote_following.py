"""Following a quote into a new text: which occurrence a citation moves to, how many lines it keeps, and
what a citation of lines that do not exist is told. Expected lines are worked out by hand in comments.
"""

from __future__ import annotations

import pytest

from archive.domain.errors import CitationMismatch
from archive.domain.sources import follow_quote, locate_quote, verify_quote

FOX = "the quick\nbrown fox"


def test_a_quote_on_two_lines_by_default_is_looked_for_nearest_the_first_line() -> None:
    # Without `near`, the search is anchored at line 1: of two equal lines, the first.
    assert locate_quote(["same words", "same words"], "same words", 1) == (1, 1)


@pytest.mark.parametrize(
    ("lines", "old", "quote", "expected"),
    [
        # Line 2 changed; the quote is at lines 1 and 3, both one line away: the earlier one wins.
        (["alpha", "changed", "alpha"], (2, 2), "alpha", (1, 1)),
        # Lines 3-4 lost it; it is at 4-5 and 6-7: the nearer, 4-5, not the later one.
        (["a", "b", "c", "the quick", "brown fox", "the quick", "brown fox", "end"], (3, 4), FOX, (4, 5)),
        # Lines 5-6 lost it; it is at 2-3 and 6-7: 6-7 is nearer than 2-3 to line 5.
        (["x", "the quick", "brown fox", "y", "z", "the quick", "brown fox"], (5, 6), FOX, (6, 7)),
    ],
)
def test_a_moved_quote_follows_to_the_occurrence_nearest_its_old_first_line(
    lines: list[str], old: tuple[int, int], quote: str, expected: tuple[int, int]
) -> None:
    assert follow_quote("report", lines, *old, quote) == ("drifted", *expected)


def test_a_quote_over_two_lines_rewrapped_into_a_one_line_text_is_found() -> None:
    assert follow_quote("report", ["the quick brown fox"], 1, 2, FOX) == ("drifted", 1, 1)


def test_a_moved_quote_keeps_only_the_lines_it_covers_even_when_it_occurs_again_further_on() -> None:
    # Found in lines 2-3 (nearest line 1); that it is also on line 5 does not move its start.
    lines = ["x", "alpha", "beta", "y", "alpha beta"]
    assert follow_quote("report", lines, 1, 2, "alpha\nbeta") == ("drifted", 2, 3)


@pytest.mark.parametrize(
    ("line_start", "line_end", "field"),
    [(9, 9, "line_end"), (8, 9, "line_end"), (0, 1, "line_start"), (3, 2, "line_start")],
)
def test_lines_that_do_not_exist_name_the_bound_at_fault_and_what_was_cited(
    line_start: int, line_end: int, field: str
) -> None:
    lines = ["a"] * 8
    with pytest.raises(CitationMismatch) as refused:
        verify_quote("report", lines, line_start, line_end, "a")
    error = refused.value
    assert error.field == field
    assert (error.source_id, error.line_start, error.line_end, error.expected, error.found) == (
        "report",
        line_start,
        line_end,
        "a",
        "",
    )
