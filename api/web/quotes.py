"""Where a citation's quote sits in its source lines, so that a page can highlight exactly those characters.

The archive accepts a quote when it is found in the cited lines joined with one space at each line break
(`archive.domain.sources.normalise_quote_span`). This module joins the lines the same way while
remembering where each character came from, finds the quote, and maps the match back to a character
range on each line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec

from archive.domain.sources import normalise_quote

#: (line, column) of a character of the joined text; None for the space put in at a line break.
_Origin = tuple[int, int] | None


class Segment(msgspec.Struct, frozen=True):
    """A run of one line's text, marked when it is part of a highlighted quote."""

    text: str
    marked: bool = False


def _joined_with_origins(lines: Sequence[str], line_start: int, line_end: int) -> tuple[str, list[_Origin]]:
    """The lines joined as `normalise_quote_span` joins them, and each character's origin."""
    chars: list[str] = []
    origins: list[_Origin] = []
    for number in range(line_start, line_end + 1):
        text = lines[number - 1]
        column = 0
        if number > line_start:
            # Trailing whitespace before the break and leading whitespace after it become one space.
            while chars and chars[-1].isspace():
                chars.pop()
                origins.pop()
            chars.append(" ")
            origins.append(None)
            column = len(text) - len(text.lstrip())
        for offset, char in enumerate(text[column:], start=column):
            chars.append(char)
            origins.append((number, offset))
    return "".join(chars), origins


def quote_ranges(
    lines: Sequence[str], line_start: int, line_end: int, quote: str
) -> dict[int, list[tuple[int, int]]]:
    """Line number → [(start, end)] character ranges the quote covers; empty when it is not there."""
    if not 1 <= line_start <= line_end <= len(lines) or not quote.strip():
        return {}
    joined, origins = _joined_with_origins(lines, line_start, line_end)
    found = joined.find(normalise_quote(quote))
    if found < 0:
        return {}
    ranges: dict[int, list[tuple[int, int]]] = {}
    for origin in origins[found : found + len(normalise_quote(quote))]:
        if origin is None:
            continue
        number, column = origin
        spans = ranges.setdefault(number, [])
        if spans and spans[-1][1] == column:
            spans[-1] = (spans[-1][0], column + 1)
        else:
            spans.append((column, column + 1))
    return ranges


def quote_marks(
    lines: Sequence[str], quotes: Iterable[tuple[int, int, str]]
) -> dict[int, list[tuple[int, int]]]:
    """Line number → the character ranges covered by any of `quotes`, each (line_start, line_end, quote)."""
    marks: dict[int, list[tuple[int, int]]] = {}
    for line_start, line_end, quote in quotes:
        for number, spans in quote_ranges(lines, line_start, min(line_end, len(lines)), quote).items():
            marks.setdefault(number, []).extend(spans)
    return marks


def merge_ranges(ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching ranges merged, in order."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def segments(text: str, ranges: Sequence[tuple[int, int]]) -> list[Segment]:
    """A line cut into plain and marked runs (the template escapes each run's text)."""
    if not ranges:
        return [Segment(text)]
    cut: list[Segment] = []
    position = 0
    for start, end in merge_ranges(ranges):
        if start > position:
            cut.append(Segment(text[position:start]))
        cut.append(Segment(text[start:end], marked=True))
        position = end
    if position < len(text):
        cut.append(Segment(text[position:]))
    return cut
