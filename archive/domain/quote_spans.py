"""Where a cited quote stands in its source's text, as character offsets.

A citation names lines and a quote; a Web Annotation `TextPositionSelector` names the quote by its
`start` and `end` in the whole text (0-based code points, `end` exclusive). The quote may have been
copied across a wrap (`archive.domain.sources.verify_quote`), so it is found as the quote check finds
it, in the cited lines joined with one space at each break, and mapped back to the text's own offsets.
"""

from __future__ import annotations

from collections.abc import Sequence

from archive.domain.sources import normalise_quote


def quote_span(lines: Sequence[str], line_start: int, line_end: int, quote: str) -> tuple[int, int] | None:
    """`(start, end)` of `quote` in `"\\n".join(lines)`, searched within lines `line_start`..`line_end`
    (1-based, inclusive); None when the quote does not stand there (or the lines do not exist).

    The span runs from the quote's first character to its last as they stand in the text, so a quote
    copied across a wrap covers the line break (and the whitespace around it) it was copied over.
    """
    if line_start < 1 or line_end < line_start or line_end > len(lines):
        return None
    first_offset = sum(len(line) + 1 for line in lines[: line_start - 1])
    # The cited lines joined as `normalise_quote_span` joins them, with each joined character's offset
    # in the text: at each break, the whitespace before it and after it collapse into one space (which
    # stands at the break's "\n").
    joined: list[str] = []
    offsets: list[int] = []
    offset = first_offset
    for index, line in enumerate(lines[line_start - 1 : line_end]):
        kept_from = 0
        if index > 0:
            while joined and joined[-1].isspace():
                joined.pop()
                offsets.pop()
            joined.append(" ")
            offsets.append(offset - 1)
            kept_from = len(line) - len(line.lstrip())
        for position in range(kept_from, len(line)):
            joined.append(line[position])
            offsets.append(offset + position)
        offset += len(line) + 1
    wanted = normalise_quote(quote)
    found = "".join(joined).find(wanted) if wanted.strip() else -1
    if found < 0:
        return None
    return offsets[found], offsets[found + len(wanted) - 1] + 1
