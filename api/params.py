"""Query parameters shared by the read endpoints: paging, `valid_at`, `as_of`, `Accept-Datetime` and `q`.

A bad value is a 400 problem naming the parameter and saying what is accepted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated

from litestar.params import HeaderParameter, QueryParameter

from api.errors import ApiProblem
from archive.domain.errors import InvalidDate
from archive.domain.time import PartialDate, parse_partial_date
from archive.reads.filters import CertaintyFilter
from archive.reads.search import search_phrases

MAX_PAGE_SIZE = 500

Limit = Annotated[
    int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description=f"Page size, 1 to {MAX_PAGE_SIZE}.")
]
Offset = Annotated[int, QueryParameter(ge=0, description="How many items to skip.")]
ValidAt = Annotated[
    str | None,
    QueryParameter(
        description="A date, possibly partial: 2010, 2010-12 or 2010-12-01. Facts held at some time then."
    ),
]
AsOf = Annotated[
    str | None,
    QueryParameter(description="An RFC 3339 timestamp: answer with what the archive believed then."),
]
AcceptDatetime = Annotated[
    str | None,
    HeaderParameter(
        name="Accept-Datetime",
        required=False,
        description="RFC 7089: like as_of, as an HTTP date (e.g. Thu, 01 Jan 2026 00:00:00 GMT).",
    ),
]

SearchText = Annotated[
    str | None,
    QueryParameter(
        max_length=200,
        description=(
            "Words to find, full-text (case, accents and English endings do not matter): every word must "
            'match; a bare word also finds the longer words it starts, a "quoted phrase" its words in '
            "order. The answer is ranked, best first; `matches` gives each item's score and the fields "
            "that matched. Empty, or without a letter or digit, is a 400."
        ),
    ),
]

Certainty = Annotated[
    CertaintyFilter,
    QueryParameter(
        description=(
            "With valid_at: `possible` (default) lists what held or may have held then; `definite` only what "
            "surely held (every reading of its dates covers valid_at)."
        ),
    ),
]
Undated = Annotated[
    bool,
    QueryParameter(
        description=(
            "With valid_at: also list facts with no date at all (certainty `undated`); left out by default."
        )
    ),
]


def bad_parameter(name: str, detail: str) -> ApiProblem:
    """A 400 problem about one parameter."""
    return ApiProblem(400, "Bad Request", f"{name}: {detail}", parameter=name)


def search_text(q: str | None) -> str | None:
    """`q` as a text search (None when absent); a 400 when it holds no word: an empty or blank `q` would
    otherwise answer everything, the silent fallback a client would never notice."""
    if q is not None and not search_phrases(q):
        raise bad_parameter("q", "holds no word to search for: give letters or digits, or leave q out")
    return q


def partial_date(name: str, raw: str | None) -> PartialDate | None:
    """Parse a partial-date parameter."""
    if raw is None or raw == "":
        return None
    try:
        return parse_partial_date(raw)
    except InvalidDate as error:
        raise bad_parameter(name, error.message) from None


def record_time(as_of: str | None, accept_datetime: str | None, name: str = "as_of") -> datetime | None:
    """The record time asked for, from `as_of` (RFC 3339) or the `Accept-Datetime` header (RFC 7089), which
    names the end of its second (api/memento.py).

    `name` is the query parameter `as_of` came in, named by a problem about it.
    """
    if as_of:
        try:
            moment = datetime.fromisoformat(as_of.strip().replace("z", "Z"))
        except ValueError:
            raise bad_parameter(
                name, f"{as_of!r} is not an RFC 3339 timestamp such as 2026-01-01T00:00:00Z"
            ) from None
        if moment.tzinfo is None:
            raise bad_parameter(name, "give a time zone, e.g. 2026-01-01T00:00:00Z")
        return _to_utc(name, moment)
    if accept_datetime:
        try:
            moment = parsedate_to_datetime(accept_datetime)
        except (TypeError, ValueError):
            raise bad_parameter("Accept-Datetime", f"{accept_datetime!r} is not an HTTP date") from None
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else _to_utc("Accept-Datetime", moment)
        # An HTTP date names a whole second, and a Memento-Datetime is a record time cut to its second:
        # read as the second's start, it would answer the version before the one it came from.
        return moment.replace(microsecond=999_999)
    return None


def _to_utc(name: str, moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise bad_parameter(name, f"{moment.isoformat()} is outside the years 1 to 9999 in UTC") from None


def memento_headers(moment: datetime | None) -> dict[str, str]:
    """`Memento-Datetime` for an answer given as of a record time (RFC 7089)."""
    if moment is None:
        return {}
    return {
        "Memento-Datetime": format_datetime(moment.astimezone(UTC), usegmt=True),
        "Vary": "Accept-Datetime",
    }


def held_filters(valid_at: PartialDate | None, certainty: CertaintyFilter, undated: bool) -> None:
    """`certainty` and `undated` refine a valid-time question: without `valid_at` they are a 400."""
    if valid_at is None and certainty != "possible":
        raise bad_parameter("certainty", "needs valid_at: certainty is how surely a fact held at that date")
    if valid_at is None and undated:
        raise bad_parameter("undated", "needs valid_at: without a date every fact is listed, dated or not")
