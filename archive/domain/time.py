"""Partial dates, valid time and record time.

A source states dates at some precision ("2010", "January 1992", "1 December 2010"), sometimes
hedged ("circa 2010"), or not stated but worked out from the text ("derived 2010": "the 65th
anniversary of 1945", "this year" in a document of 2009). The archive keeps a date at exactly that
precision and reasons about it as the period of days it could denote, so that an answer can say
whether a fact held *definitely* or only *possibly* at a queried date.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from functools import lru_cache
from typing import Literal

import msgspec

from archive.domain.errors import InvalidCommand, InvalidDate

Precision = Literal["year", "month", "day"]
#: How surely a fact held within a period: every reading of its bounds says so, some reading does, or it
#: has no valid time at all (nothing rules any date in or out, so it is no answer to "when").
Certainty = Literal["definite", "possible", "undated"]

MIN_YEAR = 1
MAX_YEAR = 9999
CIRCA_PREFIX = "circa "
DERIVED_PREFIX = "derived "
ACCEPTED_FORMS = (
    "accepted forms are 'YYYY', 'YYYY-MM' and 'YYYY-MM-DD', each optionally prefixed with 'circa ' "
    "or 'derived ' (or both, in that order: 'derived circa 2010')"
)

_CANONICAL = re.compile(
    r"(?P<derived>derived )?(?P<circa>circa )?"
    r"(?P<year>[0-9]{4})(?:-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2}))?)?"
)
# Numbers with the right shape but the wrong width ("2010-1", "99") deserve a pointed hint.
_LOOSE = re.compile(r"(?:derived )?(?:circa )?[0-9]{1,5}(?:-[0-9]{1,3}){0,2}")


class PartialDate(msgspec.Struct, frozen=True):
    """A calendar date known to the year, the month or the day, possibly approximate (circa).

    ``derived`` says the text does not state the date but implies it (an anniversary, "this year"):
    an inference, shown as such wherever the date is shown. It changes no bound.

    Construction validates the fields (year 1..9999, a month 1..12, a day that exists in its month,
    no day without a month), so every instance denotes a real, non-empty period of days.
    """

    year: int
    month: int | None = None
    day: int | None = None
    circa: bool = False
    derived: bool = False

    def __post_init__(self) -> None:
        """Refuse fields that do not name a real period of days."""
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise InvalidDate(f"year {self.year} is out of range {MIN_YEAR}..{MAX_YEAR}")
        if self.month is None:
            if self.day is not None:
                raise InvalidDate("a day needs a month: a date is 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'")
            return
        if not 1 <= self.month <= 12:
            raise InvalidDate(f"month {self.month} is out of range 01..12")
        if self.day is not None:
            days = calendar.monthrange(self.year, self.month)[1]
            if not 1 <= self.day <= days:
                raise InvalidDate(
                    f"day {self.day} does not exist in {self.year:04d}-{self.month:02d}, "
                    f"which has {days} days"
                )

    @property
    def precision(self) -> Precision:
        """The finest unit the date states: ``"year"``, ``"month"`` or ``"day"``."""
        if self.month is None:
            return "year"
        if self.day is None:
            return "month"
        return "day"

    @property
    def earliest(self) -> dt.date:
        """The first day the date may denote; circa widens it by one unit of its precision."""
        first = dt.date(self.year, self.month or 1, self.day or 1)
        return _shift(first, self.precision, -1) if self.circa else first

    @property
    def latest(self) -> dt.date:
        """The last day the date may denote; circa widens it by one unit of its precision."""
        if self.month is None:
            last = dt.date(self.year, 12, 31)
        elif self.day is None:
            last = dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])
        else:
            last = dt.date(self.year, self.month, self.day)
        return _shift(last, self.precision, +1) if self.circa else last

    def __str__(self) -> str:
        """The canonical text, which ``parse_partial_date`` reads back to an equal value."""
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        text = CIRCA_PREFIX + text if self.circa else text
        return DERIVED_PREFIX + text if self.derived else text


def _shift(day: dt.date, precision: Precision, step: Literal[-1, 1]) -> dt.date:
    """Move a period bound one unit outwards, keeping it a bound of the widened period.

    The result is clamped to the calendar's range: circa 0001 cannot reach year 0.
    """
    if precision == "day":
        try:
            return day + dt.timedelta(days=step)
        except OverflowError:
            return day
    if precision == "month":
        index = day.year * 12 + day.month - 1 + step
        year, month = divmod(index, 12)
        month += 1
    else:
        year, month = day.year + step, day.month
    if not MIN_YEAR <= year <= MAX_YEAR:
        return day
    # Moving the end outwards lands on the last day of the neighbouring month or year.
    last_day = calendar.monthrange(year, month)[1]
    return dt.date(year, month, 1 if step < 0 else last_day)


def parse_partial_date(text: str) -> PartialDate:
    """Read a canonical partial date: ``2010``, ``2010-12``, ``2010-12-01``, optionally ``circa ``-prefixed.

    Surrounding whitespace is ignored; anything else outside those forms raises ``InvalidDate`` with
    a message that names the problem and the accepted forms.
    """
    if not isinstance(text, str):
        raise InvalidDate(f"a partial date must be text such as '2010', got {type(text).__name__} {text!r}")
    return _parse_text(text)


@lru_cache(maxsize=4096)
def _parse_text(text: str) -> PartialDate:
    # Memoised: a PartialDate is immutable, and a corpus repeats a few thousand date texts at most.
    stripped = text.strip()
    if not stripped:
        raise InvalidDate(f"the date is empty; {ACCEPTED_FORMS}")
    match = _CANONICAL.fullmatch(stripped)
    if match is None:
        if _LOOSE.fullmatch(stripped):
            raise InvalidDate(
                f"{stripped!r} is not a partial date: the year takes four digits, month and day two "
                f"(zero-padded, as in '2010-01-05'); {ACCEPTED_FORMS}"
            )
        raise InvalidDate(f"{stripped!r} is not a partial date; {ACCEPTED_FORMS}")
    month, day = match["month"], match["day"]
    try:
        return PartialDate(
            year=int(match["year"]),
            month=int(month) if month is not None else None,
            day=int(day) if day is not None else None,
            circa=match["circa"] is not None,
            derived=match["derived"] is not None,
        )
    except InvalidDate as error:
        raise InvalidDate(f"{stripped!r}: {error.message}") from None


class ValidTime(msgspec.Struct, frozen=True):
    """When a fact held in the world: an interval of two partial bounds, or a single point in time.

    A missing interval bound is open (unknown or ongoing). A point in time excludes both bounds.
    """

    valid_from: PartialDate | None = None
    valid_to: PartialDate | None = None
    point_in_time: PartialDate | None = None

    def __post_init__(self) -> None:
        """Refuse a point in time mixed with bounds, and an interval that ends before it starts."""
        if self.point_in_time is not None and (self.valid_from is not None or self.valid_to is not None):
            raise InvalidCommand(
                "point_in_time excludes valid_from and valid_to: give either a point in time "
                "or an interval, not both",
                field="point_in_time",
            )
        if (
            self.valid_from is not None
            and self.valid_to is not None
            and self.valid_from.earliest > self.valid_to.latest
        ):
            raise InvalidDate(
                f"valid_from {self.valid_from} is after valid_to {self.valid_to}: "
                "the interval would be empty",
                field="valid_to",
            )

    def canonical(self) -> tuple[str | None, str | None, str | None]:
        """The canonical texts of (valid_from, valid_to, point_in_time), as events store them."""
        return (
            _text_or_none(self.valid_from),
            _text_or_none(self.valid_to),
            _text_or_none(self.point_in_time),
        )

    @property
    def is_empty(self) -> bool:
        """True when the fact carries no valid time at all."""
        return self.valid_from is None and self.valid_to is None and self.point_in_time is None


def _text_or_none(date: PartialDate | None) -> str | None:
    return None if date is None else str(date)


def _parse_optional(name: str, text: str | None) -> PartialDate | None:
    if text is None:
        return None
    try:
        return parse_partial_date(text)
    except InvalidDate as error:
        raise InvalidDate(f"{name}: {error.message}", field=name) from None


def make_valid_time(valid_from: str | None, valid_to: str | None, point_in_time: str | None) -> ValidTime:
    """Parse and validate the three valid-time fields of a fact (``None`` means absent).

    Raises ``InvalidDate`` for an unreadable date or an empty interval, and ``InvalidCommand`` when a
    point in time is given together with interval bounds.
    """
    return ValidTime(
        valid_from=_parse_optional("valid_from", valid_from),
        valid_to=_parse_optional("valid_to", valid_to),
        point_in_time=_parse_optional("point_in_time", point_in_time),
    )


def holds_at(vt: ValidTime, query: PartialDate) -> Certainty | None:
    """Whether a fact with valid time ``vt`` held at some time within the period ``query`` names.

    The query denotes the days Q = [q0, q1] (its earliest..latest; a day query is one day). A missing
    interval bound is *unknown*, not "forever": the sources do not say when the state began or ended.

    - Interval, start somewhere in [s0, s1], end somewhere in [e0, e1]: ``"definite"`` iff every
      reading of the bounds (a start s and an end e >= s) overlaps Q. The shortest reading from a start
      s is [s, max(s, e0)], and the latest start a reading can have is min(s1, e1), so: definite iff
      min(s1, e1) <= q1 and max(s0, e0) >= q0. For bounds that do not nest this is s1 <= q1 and
      e0 >= q0; for nested ones ("2010" to "2010-03-15") it counts only readings that exist. With the
      end unknown, the fact
      surely held only at its start, so it is definite iff Q contains [s0, s1]; likewise with the start
      unknown, iff Q contains [e0, e1]. ``"possible"`` iff some reading overlaps Q: s0 <= q1 (or no
      start) and e1 >= q0 (or no end). Otherwise ``None``.
    - Point in time P = [p0, p1]: ``"definite"`` iff Q contains P; ``"possible"`` iff they overlap.
    - No valid time at all: ``"undated"``: nothing rules any date in or out, so such a fact is left out
      of answers about a date unless they ask for it.

    So a fact valid "2010" to "2010" is definite for the query "2010" and only possible for
    "2010-06-01"; a membership "from 1992-01" with no recorded end is definite for "1992" and only
    possible for "2010": the text does not say it still held.
    """
    q0, q1 = query.earliest, query.latest
    if vt.point_in_time is not None:
        p0, p1 = vt.point_in_time.earliest, vt.point_in_time.latest
        if q0 <= p0 and p1 <= q1:
            return "definite"
        return "possible" if p0 <= q1 and p1 >= q0 else None
    if vt.is_empty:
        return "undated"
    start, end = vt.valid_from, vt.valid_to
    may_start_by_q1 = start is None or start.earliest <= q1
    may_end_from_q0 = end is None or end.latest >= q0
    if not (may_start_by_q1 and may_end_from_q0):
        return None
    if start is not None and end is not None:
        surely = min(start.latest, end.latest) <= q1 and max(start.earliest, end.earliest) >= q0
    else:
        known = start if start is not None else end
        surely = known is not None and q0 <= known.earliest and known.latest <= q1
    return "definite" if surely else "possible"


def bounds(vt: ValidTime) -> tuple[dt.date | None, dt.date | None]:
    """The widest days the valid time may cover: (earliest start, latest end); ``None`` is open.

    Projections store these as indexed columns, so that "held at D" becomes a range filter that is
    then refined with ``holds_at``.
    """
    if vt.point_in_time is not None:
        return vt.point_in_time.earliest, vt.point_in_time.latest
    return (
        None if vt.valid_from is None else vt.valid_from.earliest,
        None if vt.valid_to is None else vt.valid_to.latest,
    )


def sort_key(vt: ValidTime) -> tuple[dt.date, dt.date]:
    """An ordering key for timelines: earliest start first, then latest end; open ends sort outermost."""
    start, end = bounds(vt)
    return (start or dt.date.min, end or dt.date.max)


def as_utc(moment: dt.datetime, field: str = "recorded_at") -> dt.datetime:
    """Return ``moment`` in UTC; refuse a naive datetime, whose instant is ambiguous."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidCommand(f"{field} must be timezone-aware (UTC), got the naive {moment.isoformat()}")
    return moment.astimezone(dt.UTC)
