"""The source decider's and the quote check's refusals name their field, and the vocabulary names the
predicate field and what it accepts. (Mutation survivors: fields checked only over HTTP.)"""

from __future__ import annotations

from typing import Any

import pytest

from archive.domain.errors import CitationMismatch, DomainError, InvalidCommand, UnknownPredicate
from archive.domain.sources import verify_quote

from .examples import SOURCE_ID, SOURCE_LINES, VOCABULARY
from .test_sources import register, source


@pytest.mark.parametrize(
    ("line_start", "line_end", "field"),
    [(0, 1, "line_start"), (3, 2, "line_start"), (1, 1, None), (1, 99, "line_end"), (8, 9, "line_end")],
)
def test_lines_outside_the_source_name_the_bound_at_fault(
    line_start: int, line_end: int, field: str | None
) -> None:
    if field is None:
        verify_quote(SOURCE_ID, SOURCE_LINES, line_start, line_end, "Example Report")
        return
    with pytest.raises(CitationMismatch) as caught:
        verify_quote(SOURCE_ID, SOURCE_LINES, line_start, line_end, "Example")
    assert caught.value.field == field
    assert caught.value.message == (
        f"lines {line_start}-{line_end} do not exist in source {SOURCE_ID!r}, which has 8 lines: "
        "line_start must be >= 1 and <= line_end <= 8"
    )


def test_an_empty_quote_names_the_quote_field() -> None:
    with pytest.raises(InvalidCommand) as caught:
        verify_quote(SOURCE_ID, SOURCE_LINES, 1, 1, "  ")
    assert caught.value.field == "quote"
    assert (
        caught.value.message
        == f"the quote citing {SOURCE_ID!r} is empty: copy the exact words from the source"
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"source_id": "Not A Slug"}, "source_id", None),
        ({"title": " "}, "title", f"source {SOURCE_ID!r} needs a title"),
        (
            {"source_date": "2010-13"},
            "source_date",
            "source_date: '2010-13': month 13 is out of range 01..12",
        ),
    ],
)
def test_a_source_refusal_names_its_field(overrides: dict[str, Any], field: str, message: str | None) -> None:
    error = source.when(register(**overrides)).then_raises(DomainError)
    assert error.field == field
    if message is not None:
        assert error.message == message


def test_an_unknown_predicate_names_the_field_and_the_predicates_there_are() -> None:
    with pytest.raises(UnknownPredicate) as caught:
        VOCABULARY.get("likes")
    assert caught.value.field == "predicate"
    assert caught.value.choices == tuple(sorted(VOCABULARY.predicates))
    assert VOCABULARY.get("member_of").name == "member_of"
