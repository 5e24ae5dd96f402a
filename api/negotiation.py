"""Content negotiation: the media type an answer takes from the request's `Accept` (RFC 9110 §12.5.1).

No `Accept` gets the first type offered. Otherwise each offered type takes the weight (`q`) of the most
specific range that matches it, and the heaviest wins, the first offered among equals; a type weighted
`q=0` is refused even where a wildcard would take it. When nothing offered is acceptable, the answer is a
406 problem listing the types offered, not an answer the client did not ask for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Request
from litestar.datastructures.headers import MediaTypeHeader

from api.errors import ApiProblem


def _weight(media_range: MediaTypeHeader) -> float:
    """A range's `q` (1 when absent or unreadable: the client did ask for the type)."""
    try:
        return float(media_range.params.get("q", 1))
    except ValueError:
        return 1.0


def _acceptability(offered: str, ranges: Sequence[MediaTypeHeader]) -> float:
    """The weight the most specific matching range gives `offered` (0 when none matches)."""
    media_type = MediaTypeHeader(offered)
    matching = [media_range for media_range in ranges if media_range.match(media_type)]
    if not matching:
        return 0.0
    return _weight(max(matching, key=lambda media_range: media_range.priority[1]))


def negotiated(request: Request[Any, Any, Any], offered: Sequence[str]) -> str:
    """The type of `offered` the request's `Accept` prefers (the first offered when it has none)."""
    header = request.headers.get("accept", "")
    ranges = [MediaTypeHeader(part) for part in header.split(",") if part.strip()]
    if not ranges:
        return offered[0]
    weights = {media_type: _acceptability(media_type, ranges) for media_type in offered}
    best = max(offered, key=lambda media_type: weights[media_type])  # the first among equals
    if weights[best] <= 0:
        raise ApiProblem(
            406,
            "Not Acceptable",
            f"Accept: none of {header[:200]!r} is offered here; ask for one of {', '.join(offered)}",
            parameter="Accept",
            allowed=list(offered),
        )
    return best
