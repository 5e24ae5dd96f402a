"""A window of a source's lines: the pages show a few hundred lines at a time, never a whole document.

A source may hold tens of thousands of lines; rendering them all made one page megabytes long and held
the event loop for seconds. A window opens where it is asked to (`from`), or around a line asked for
(`line`, as a citation's link gives it), and links to the windows before and after.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.params import QueryParameter

#: Lines a page shows at once.
WINDOW_LINES = 200

FirstLine = Annotated[
    int | None, QueryParameter(name="from", ge=1, le=10_000_000, description="The first line shown.")
]
AroundLine = Annotated[
    int | None, QueryParameter(ge=1, le=10_000_000, description="A line to show (its window opens).")
]


class LineWindow(msgspec.Struct, frozen=True):
    """Lines `first`..`last` (1-based, inclusive) of `total`, with the first lines of its neighbours."""

    first: int
    last: int
    total: int
    previous: int | None
    next: int | None

    def __contains__(self, line: object) -> bool:
        return isinstance(line, int) and self.first <= line <= self.last


def line_window(total: int, first: int | None = None, line: int | None = None) -> LineWindow:
    """The window starting at `first`, or the aligned window holding `line`, or the first window.

    Out-of-range numbers are brought back into the document rather than refused: a link from an older
    version of a source may point past its end.
    """
    if first is None:
        target = min(max(line or 1, 1), max(total, 1))
        first = (target - 1) // WINDOW_LINES * WINDOW_LINES + 1
    first = min(max(first, 1), max(total, 1))
    last = min(first + WINDOW_LINES - 1, total)
    return LineWindow(
        first=first,
        last=last,
        total=total,
        previous=max(first - WINDOW_LINES, 1) if first > 1 else None,
        next=last + 1 if last < total else None,
    )
