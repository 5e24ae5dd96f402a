"""`holds_at` against an oracle written without the module: every reading of the bounds, day by day.

A partial date denotes the days it may mean. A reading of an interval picks one start day among the
start's days and one end day among the end's days, no later than the start; an unknown bound may be any
day on its side (here: up to the edge of a window wider than every date involved). A reading holds in
the queried period when one of its days is a day of the period. The fact holds there *definitely* when
every reading does, *possibly* when some reading does. A point in time is one day among its days.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable

from hypothesis import example, given, settings
from hypothesis import strategies as st

from archive.domain.time import PartialDate, ValidTime, holds_at


def days_of(date: PartialDate) -> tuple[int, int]:
    """First and last ordinal day the date may mean, from its fields alone (circa: one unit each way,
    except past the calendar's ends, years 1 and 9999, where the bound stays put)."""
    year, month, day = date.year, date.month, date.day
    if month is None:
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        if date.circa:
            first = _or_else(lambda: dt.date(year - 1, 1, 1), first)
            last = _or_else(lambda: dt.date(year + 1, 12, 31), last)
    elif day is None:
        first = dt.date(year, month, 1)
        last = dt.date(year, month, calendar.monthrange(year, month)[1])
        if date.circa:
            before_year, before_month = (year, month - 1) if month > 1 else (year - 1, 12)
            after_year, after_month = (year, month + 1) if month < 12 else (year + 1, 1)
            first = _or_else(lambda: dt.date(before_year, before_month, 1), first)
            last = _or_else(
                lambda: dt.date(after_year, after_month, calendar.monthrange(after_year, after_month)[1]),
                last,
            )
    else:
        first = last = dt.date(year, month, day)
        if date.circa:
            first = _or_else(lambda: first - dt.timedelta(days=1), first)
            last = _or_else(lambda: last + dt.timedelta(days=1), last)
    return first.toordinal(), last.toordinal()


def _or_else(widened: Callable[[], dt.date], unchanged: dt.date) -> dt.date:
    try:
        return widened()
    except (ValueError, OverflowError):
        return unchanged


def oracle(vt: ValidTime, query: PartialDate) -> str | None:
    """The certainty by enumerating readings and counting the queried days each one covers."""
    q_first, q_last = days_of(query)
    dates = [d for d in (vt.valid_from, vt.valid_to, vt.point_in_time) if d is not None]
    window_first = min([q_first, *(days_of(d)[0] for d in dates)]) - 2
    window_last = max([q_last, *(days_of(d)[1] for d in dates)]) + 2
    # queried[k] = how many of the window's first k days are queried days
    queried = [0]
    for day in range(window_first, window_last + 1):
        queried.append(queried[-1] + (q_first <= day <= q_last))

    def covers(first: int, last: int) -> bool:
        return queried[last - window_first + 1] - queried[first - window_first] > 0

    if vt.point_in_time is not None:
        p_first, p_last = days_of(vt.point_in_time)
        held = [covers(day, day) for day in range(p_first, p_last + 1)]
        return "definite" if all(held) else "possible" if any(held) else None
    if vt.valid_from is None and vt.valid_to is None:
        return "undated"
    starts = range(*_bounds_or_window(vt.valid_from, window_first, window_last, side="start"))
    ends_first, ends_last = _bounds_or_window(vt.valid_to, window_first, window_last, side="end")
    every, some = True, False
    for start in starts:
        if start > ends_last - 1:
            continue  # no end can follow this start: not a reading
        # A longer reading covers every day a shorter one with the same start covers, so the shortest and
        # the longest reading from this start decide "every" and "some".
        shortest = max(start, ends_first)
        every = every and covers(start, shortest)
        some = some or covers(start, ends_last - 1)
    return "definite" if every else "possible" if some else None


def _bounds_or_window(date: PartialDate | None, first: int, last: int, side: str) -> tuple[int, int]:
    """The half-open range of days a bound may be; an unknown bound may be any day of the window."""
    if date is None:
        return (first, last + 1)
    low, high = days_of(date)
    return (low, high + 1)


@st.composite
def nearby_dates(draw: st.DrawFn) -> PartialDate:
    """A partial date in 2009-2011, at any precision, circa or not: small ranges, many coincidences."""
    year = draw(st.integers(min_value=2009, max_value=2011))
    precision = draw(st.sampled_from(["year", "month", "day"]))
    circa = draw(st.booleans())
    if precision == "year":
        return PartialDate(year, circa=circa)
    month = draw(st.sampled_from([1, 2, 6, 11, 12]))
    if precision == "month":
        return PartialDate(year, month, circa=circa)
    last = calendar.monthrange(year, month)[1]
    return PartialDate(year, month, draw(st.sampled_from([1, 2, 15, last - 1, last])), circa=circa)


@st.composite
def nearby_valid_times(draw: st.DrawFn) -> ValidTime:
    """Any consistent valid time built from nearby dates: empty, a point, or an interval, open or not."""
    shape = draw(st.sampled_from(["empty", "point", "interval"]))
    if shape == "empty":
        return ValidTime()
    if shape == "point":
        return ValidTime(point_in_time=draw(nearby_dates()))
    start = draw(st.none() | nearby_dates())
    end = draw(st.none() | nearby_dates())
    if start is not None and end is not None and days_of(start)[0] > days_of(end)[1]:
        start, end = end, start
    return ValidTime(valid_from=start, valid_to=end)


@settings(max_examples=400, deadline=None)
@given(nearby_valid_times(), nearby_dates())
# a closed term asked about a day inside it, one bound sure (a day) and the other not (a year)
@example(ValidTime(PartialDate(2010, 1, 1), PartialDate(2012)), PartialDate(2011, 6, 1))
@example(ValidTime(PartialDate(2010), PartialDate(2012, 12, 31)), PartialDate(2011, 6, 1))
@example(ValidTime(PartialDate(2010, 1, 1), PartialDate(2012)), PartialDate(2012, 1, 1))
@example(ValidTime(PartialDate(2010), PartialDate(2012, 12, 31)), PartialDate(2010, 12, 31))
# a point in time asked about its own last day, and its first
@example(ValidTime(point_in_time=PartialDate(2010, 12)), PartialDate(2010, 12, 31))
@example(ValidTime(point_in_time=PartialDate(2010)), PartialDate(2010, 1, 1))
def test_holds_at_agrees_with_every_reading_enumerated_day_by_day(vt: ValidTime, query: PartialDate) -> None:
    assert holds_at(vt, query) == oracle(vt, query)


def test_nested_bounds_are_definite_where_every_reading_holds() -> None:
    # "From 2010 to 2010-03-15", asked about 2010-03-15: it surely held that day (it ended then, and
    # began by then), though a start late in 2010 would pair with no end.
    vt = ValidTime(PartialDate(2010), PartialDate(2010, 3, 15))
    assert oracle(vt, PartialDate(2010, 3, 15)) == "definite"
    assert holds_at(vt, PartialDate(2010, 3, 15)) == "definite"
    assert holds_at(vt, PartialDate(2010, 3, 16)) is None
    assert holds_at(vt, PartialDate(2010, 3, 14)) == "possible"


def test_the_oracle_knows_the_documented_examples() -> None:
    # The oracle is checked against the docstring's own examples, so that it is not just taken on trust.
    year_term = ValidTime(PartialDate(2010), PartialDate(2010))
    assert oracle(year_term, PartialDate(2010)) == "definite"
    assert oracle(year_term, PartialDate(2010, 6, 1)) == "possible"
    member = ValidTime(valid_from=PartialDate(1992, 1))
    assert oracle(member, PartialDate(1992)) == "definite"
    assert oracle(member, PartialDate(2010)) == "possible"
    assert oracle(member, PartialDate(1991, 12, 31)) is None
    assert oracle(ValidTime(), PartialDate(1800)) == "undated"
