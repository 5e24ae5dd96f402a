"""Where a quote stands in its source's text: the character span a Web Annotation TextPositionSelector
gives, found as the quote check finds the quote (across a wrap too)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.domain.errors import CitationMismatch, InvalidCommand
from archive.domain.quote_spans import quote_span
from archive.domain.sources import normalise_quote, verify_quote

LINES = ("Memo of the desk", "The accord was signed  ", "   at the harbour in May.", "Nothing else.")
TEXT = "\n".join(LINES)


def test_a_quote_within_one_line_spans_its_own_characters() -> None:
    span = quote_span(LINES, 2, 2, "accord was signed")
    assert span is not None
    start, end = span
    assert TEXT[start:end] == "accord was signed"
    assert start == len(LINES[0]) + 1 + len("The ")


def test_a_quote_copied_across_a_wrap_spans_the_break_and_its_whitespace() -> None:
    span = quote_span(LINES, 2, 3, "signed at the harbour")
    assert span is not None
    start, end = span
    assert TEXT[start:end] == "signed  \n   at the harbour"


def test_the_span_is_searched_within_the_cited_lines_only() -> None:
    lines = ("the words", "other", "the words")
    span = quote_span(lines, 3, 3, "the words")
    assert span == (len("the words\nother\n"), len("the words\nother\nthe words"))


@pytest.mark.parametrize(
    ("line_start", "line_end", "quote"),
    [
        (1, 1, "accord"),
        (2, 3, "in May. Nothing"),
        (0, 1, "Memo"),
        (3, 2, "at"),
        (4, 5, "Nothing"),
        (1, 1, "  "),
    ],
)
def test_no_span_where_the_quote_does_not_stand_or_the_lines_do_not_exist(
    line_start: int, line_end: int, quote: str
) -> None:
    assert quote_span(LINES, line_start, line_end, quote) is None


WORDS = st.text(alphabet=st.sampled_from("ab \t"), max_size=8)


@given(
    lines=st.lists(WORDS, min_size=1, max_size=5),
    data=st.data(),
)
def test_the_span_holds_the_quote_exactly_where_the_quote_check_finds_it(
    lines: list[str], data: st.DataObject
) -> None:
    line_start = data.draw(st.integers(1, len(lines)))
    line_end = data.draw(st.integers(line_start, len(lines)))
    quote = data.draw(st.text(alphabet=st.sampled_from("ab \n"), min_size=1, max_size=10))
    try:
        verify_quote("s", lines, line_start, line_end, quote)
        stands = True
    except CitationMismatch:
        stands = False
    except InvalidCommand:  # a blank quote is refused before it is looked for
        assert not quote.strip()
        stands = False
    span = quote_span(lines, line_start, line_end, quote)
    assert (span is not None) == stands
    if span is not None:
        start, end = span
        text = "\n".join(lines)
        assert normalise_quote(text[start:end]) == normalise_quote(quote)
        cited_from = sum(len(line) + 1 for line in lines[: line_start - 1])
        cited_to = sum(len(line) + 1 for line in lines[:line_end]) - 1
        assert cited_from <= start < end <= cited_to
