"""Partial dates, valid time and the definite/possible answers of ``holds_at``."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.domain.errors import InvalidCommand, InvalidDate
from archive.domain.time import (
    ACCEPTED_FORMS,
    PartialDate,
    ValidTime,
    as_utc,
    bounds,
    holds_at,
    make_valid_time,
    parse_partial_date,
    sort_key,
)
from tests.unit.test_holds_at_oracle import days_of


@st.composite
def partial_dates(draw: st.DrawFn) -> PartialDate:
    """Any valid partial date, at any precision, circa or not."""
    year = draw(st.integers(min_value=1, max_value=9999))
    precision = draw(st.sampled_from(["year", "month", "day"]))
    circa = draw(st.booleans())
    if precision == "year":
        return PartialDate(year, circa=circa)
    month = draw(st.integers(min_value=1, max_value=12))
    if precision == "month":
        return PartialDate(year, month, circa=circa)
    day = draw(st.integers(min_value=1, max_value=calendar.monthrange(year, month)[1]))
    return PartialDate(year, month, day, circa=circa)


def day_of(moment: dt.date) -> PartialDate:
    return PartialDate(moment.year, moment.month, moment.day)


@st.composite
def valid_times(draw: st.DrawFn) -> ValidTime:
    """Any consistent valid time: empty, a point, or an interval with either bound possibly open."""
    shape = draw(st.sampled_from(["empty", "point", "interval"]))
    if shape == "empty":
        return ValidTime()
    if shape == "point":
        return ValidTime(point_in_time=draw(partial_dates()))
    start = draw(st.none() | partial_dates())
    end = draw(st.none() | partial_dates())
    if start is not None and end is not None and start.earliest > end.latest:
        start, end = end, start
    return ValidTime(valid_from=start, valid_to=end)


# -- properties


@given(partial_dates())
def test_every_partial_date_starts_no_later_than_it_ends(date: PartialDate) -> None:
    assert date.earliest <= date.latest


@given(partial_dates())
def test_canonical_text_reads_back_to_the_same_date(date: PartialDate) -> None:
    assert parse_partial_date(str(date)) == date


@given(partial_dates())
def test_precision_survives_the_round_trip_and_is_never_padded(date: PartialDate) -> None:
    text = str(date).removeprefix("circa ")
    assert parse_partial_date(str(date)).precision == date.precision
    assert len(text) == {"year": 4, "month": 7, "day": 10}[date.precision]


@given(partial_dates())
def test_circa_only_widens_the_period(date: PartialDate) -> None:
    exact = PartialDate(date.year, date.month, date.day)
    approximate = PartialDate(date.year, date.month, date.day, circa=True)
    assert approximate.earliest <= exact.earliest
    assert approximate.latest >= exact.latest


# `holds_at` against an oracle written without this module: tests/unit/test_holds_at_oracle.py


@given(st.dates(), st.dates(), st.integers(min_value=0, max_value=10_000))
def test_a_day_inside_a_day_precise_interval_holds_definitely(a: dt.date, b: dt.date, offset: int) -> None:
    first, last = min(a, b), max(a, b)
    inside = first + dt.timedelta(days=offset % ((last - first).days + 1))
    vt = ValidTime(valid_from=day_of(first), valid_to=day_of(last))
    assert holds_at(vt, day_of(inside)) == "definite"


@given(valid_times())
def test_sort_key_starts_with_the_earliest_possible_start(vt: ValidTime) -> None:
    first = vt.point_in_time or vt.valid_from
    last = vt.point_in_time or vt.valid_to
    start = dt.date.min if first is None else dt.date.fromordinal(days_of(first)[0])
    end = dt.date.max if last is None else dt.date.fromordinal(days_of(last)[1])
    assert sort_key(vt) == (start, end)
    assert sort_key(vt)[0] <= sort_key(vt)[1]


# -- parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2010", PartialDate(2010)),
        ("2010-12", PartialDate(2010, 12)),
        ("2010-12-01", PartialDate(2010, 12, 1)),
        ("circa 2010", PartialDate(2010, circa=True)),
        ("circa 2010-12", PartialDate(2010, 12, circa=True)),
        ("  2010-12 \n", PartialDate(2010, 12)),
        ("2012-02-29", PartialDate(2012, 2, 29)),
        ("0950", PartialDate(950)),
        ("9999-12-31", PartialDate(9999, 12, 31)),
    ],
)
def test_parses_the_canonical_forms(text: str, expected: PartialDate) -> None:
    assert parse_partial_date(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the date is empty"),
        ("   ", "the date is empty"),
        ("2010-1", "month and day two"),
        ("2010-01-5", "month and day two"),
        ("10", "the year takes four digits"),
        ("20100", "the year takes four digits"),
        ("2010-13", "month 13 is out of range 01..12"),
        ("2010-00", "month 0 is out of range"),
        ("2010-02-30", "day 30 does not exist in 2010-02, which has 28 days"),
        ("2010-02-29", "day 29 does not exist in 2010-02"),
        ("2010-04-31", "day 31 does not exist in 2010-04, which has 30 days"),
        ("0000", "year 0 is out of range 1..9999"),
        ("circa2010", "is not a partial date"),
        ("Circa 2010", "is not a partial date"),
        ("circa  2010", "is not a partial date"),
        ("2010/12", "is not a partial date"),
        ("January 1992", "is not a partial date"),
        ("2010-12-01T00:00", "is not a partial date"),
        ("2010-12-", "is not a partial date"),
    ],
)
def test_refuses_other_text_and_says_why(text: str, message: str) -> None:
    with pytest.raises(InvalidDate, match=message):
        parse_partial_date(text)


@pytest.mark.parametrize("text", ["", "2010-1", "2010/12"])
def test_a_shape_error_lists_the_accepted_forms(text: str) -> None:
    with pytest.raises(InvalidDate) as caught:
        parse_partial_date(text)
    assert ACCEPTED_FORMS in caught.value.message


def test_a_range_error_quotes_the_text() -> None:
    with pytest.raises(InvalidDate) as caught:
        parse_partial_date("2010-13")
    assert caught.value.message == "'2010-13': month 13 is out of range 01..12"
    assert caught.value.code == "invalid_date"


def test_refuses_a_number_where_text_is_expected() -> None:
    with pytest.raises(InvalidDate, match="must be text such as '2010', got int 2010"):
        parse_partial_date(2010)  # type: ignore[arg-type]


def test_a_day_without_a_month_is_not_a_date() -> None:
    with pytest.raises(InvalidDate, match="a day needs a month"):
        PartialDate(2010, day=1)


# -- precision, bounds and text


@pytest.mark.parametrize(
    ("date", "precision", "earliest", "latest", "text"),
    [
        (PartialDate(2010), "year", dt.date(2010, 1, 1), dt.date(2010, 12, 31), "2010"),
        (PartialDate(2012, 2), "month", dt.date(2012, 2, 1), dt.date(2012, 2, 29), "2012-02"),
        (PartialDate(2010, 12, 1), "day", dt.date(2010, 12, 1), dt.date(2010, 12, 1), "2010-12-01"),
        (PartialDate(2010, circa=True), "year", dt.date(2009, 1, 1), dt.date(2011, 12, 31), "circa 2010"),
        (
            PartialDate(2010, 1, circa=True),
            "month",
            dt.date(2009, 12, 1),
            dt.date(2010, 2, 28),
            "circa 2010-01",
        ),
        (
            PartialDate(2010, 12, 31, circa=True),
            "day",
            dt.date(2010, 12, 30),
            dt.date(2011, 1, 1),
            "circa 2010-12-31",
        ),
        (PartialDate(1, circa=True), "year", dt.date(1, 1, 1), dt.date(2, 12, 31), "circa 0001"),
        (
            PartialDate(9999, 12, circa=True),
            "month",
            dt.date(9999, 11, 1),
            dt.date(9999, 12, 31),
            "circa 9999-12",
        ),
        (PartialDate(1, 1, 1, circa=True), "day", dt.date(1, 1, 1), dt.date(1, 1, 2), "circa 0001-01-01"),
    ],
)
def test_a_partial_date_denotes_a_period_of_days(
    date: PartialDate, precision: str, earliest: dt.date, latest: dt.date, text: str
) -> None:
    assert (date.precision, date.earliest, date.latest, str(date)) == (precision, earliest, latest, text)


# -- valid time


def test_make_valid_time_parses_an_interval() -> None:
    vt = make_valid_time("1992-01", " 2010 ", None)
    assert vt == ValidTime(valid_from=PartialDate(1992, 1), valid_to=PartialDate(2010))
    assert vt.canonical() == ("1992-01", "2010", None)


def test_make_valid_time_parses_a_point_in_time() -> None:
    assert make_valid_time(None, None, "circa 2010-12").canonical() == (None, None, "circa 2010-12")


def test_make_valid_time_accepts_nothing_at_all() -> None:
    vt = make_valid_time(None, None, None)
    assert vt.is_empty
    assert vt.canonical() == (None, None, None)


def test_a_point_in_time_excludes_interval_bounds() -> None:
    with pytest.raises(InvalidCommand, match="point_in_time excludes valid_from and valid_to"):
        make_valid_time("2010", None, "2010-06")


def test_an_interval_cannot_end_before_it_starts() -> None:
    with pytest.raises(InvalidDate, match="valid_from 2012 is after valid_to 2010"):
        make_valid_time("2012", "2010", None)


def test_bounds_at_different_precisions_may_share_a_period() -> None:
    vt = make_valid_time("2010-12", "2010", None)
    assert bounds(vt) == (dt.date(2010, 12, 1), dt.date(2010, 12, 31))


def test_a_bad_bound_names_its_field() -> None:
    with pytest.raises(InvalidDate, match=r"^valid_to: '2010-13': month 13 is out of range"):
        make_valid_time("2010", "2010-13", None)


# -- holds_at


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "point", "query", "expected"),
    [
        # a term of one calendar year
        ("2010", "2010", None, "2009", None),
        ("2010", "2010", None, "2009-12-31", None),
        ("2010", "2010", None, "2010", "definite"),
        ("2010", "2010", None, "2010-06-01", "possible"),
        ("2010", "2010", None, "2010-06", "possible"),
        ("2010", "2010", None, "2011", None),
        # day-precise bounds: inside, on the edges, outside
        ("2010-01-01", "2010-12-31", None, "2010-06-01", "definite"),
        ("2010-01-01", "2010-12-31", None, "2010-01-01", "definite"),
        ("2010-01-01", "2010-12-31", None, "2010-12-31", "definite"),
        ("2010-01-01", "2010-12-31", None, "2011-01-01", None),
        ("2010-01-01", "2010-12-31", None, "2009", None),
        # a closed term asked about a day inside it, one bound sure (a day) and the other not (a year)
        ("2010-01-01", "2012", None, "2011-06-01", "definite"),
        ("2010", "2012-12-31", None, "2011-06-01", "definite"),
        ("2010-01-01", "2012", None, "2012-01-01", "definite"),
        ("2010-01-01", "2012", None, "2012-01-02", "possible"),
        ("2010", "2012-12-31", None, "2010-12-31", "definite"),
        ("2010", "2012-12-31", None, "2010-12-30", "possible"),
        # a month start known only to the month
        ("1992-01", None, None, "1992-01-15", "possible"),
        ("1992-01", None, None, "1992-01", "definite"),
        ("1992-01", None, None, "1992", "definite"),
        ("1992-01", None, None, "2020-05-05", "possible"),
        ("1992-01", None, None, "1991-12-31", None),
        # unknown start: definite only where the end surely lies
        (None, "2000", None, "1990", "possible"),
        (None, "2000", None, "2000", "definite"),
        (None, "2000", None, "2000-06-01", "possible"),
        (None, "2000", None, "2001", None),
        # circa bounds
        ("circa 2010", None, None, "2009-06", "possible"),
        ("circa 2010", None, None, "2012", "possible"),
        ("circa 2010", None, None, "2008", None),
        (None, "circa 2010", None, "2011-06-01", "possible"),
        # a point in time
        (None, None, "2010-12", "2010", "definite"),
        (None, None, "2010-12", "2010-12", "definite"),
        (None, None, "2010-12", "2010-12-01", "possible"),
        (None, None, "2010-12", "2011", None),
        (None, None, "2010-12-01", "2010-12-01", "definite"),
        # a point in time asked about its own last day, and the day after
        (None, None, "2010-12", "2010-12-31", "possible"),
        (None, None, "2010", "2010-12-31", "possible"),
        (None, None, "2010", "2011-01-01", None),
        (None, None, "circa 2010-12", "2011-01-31", "possible"),
        (None, None, "circa 2010", "2010", "possible"),
        # no valid time: no answer to "when"
        (None, None, None, "1800", "undated"),
        # nested bounds: a start late in 2010 pairs with no end, so every reading held on 2010-03-15
        ("2010", "2010-03-15", None, "2010-03-15", "definite"),
        ("2010", "2010-03-15", None, "2010-03", "definite"),
        ("2010", "2010-03-15", None, "2010-03-14", "possible"),
    ],
)
def test_holds_at(
    valid_from: str | None, valid_to: str | None, point: str | None, query: str, expected: str | None
) -> None:
    vt = make_valid_time(valid_from, valid_to, point)
    assert holds_at(vt, parse_partial_date(query)) == expected


def test_a_query_spanning_the_whole_term_is_definite_even_when_the_term_is_known_only_by_year() -> None:
    vt = make_valid_time("2010", "2011", None)
    assert holds_at(vt, parse_partial_date("circa 2010")) == "definite"


@pytest.mark.parametrize(
    ("vt", "expected"),
    [
        (ValidTime(), (None, None)),
        (make_valid_time("1992-01", None, None), (dt.date(1992, 1, 1), None)),
        (make_valid_time(None, "circa 2000", None), (None, dt.date(2001, 12, 31))),
        (make_valid_time(None, None, "2010-12"), (dt.date(2010, 12, 1), dt.date(2010, 12, 31))),
    ],
)
def test_bounds_are_the_widest_days_or_open(vt: ValidTime, expected: tuple[dt.date | None, ...]) -> None:
    assert bounds(vt) == expected


def test_sort_key_orders_by_start_then_end_with_open_starts_first() -> None:
    open_start = make_valid_time(None, "2000", None)
    year = make_valid_time("2010", "2010", None)
    longer = make_valid_time("2010", "2012", None)
    point = make_valid_time(None, None, "2010-12")
    ordered = sorted([point, longer, year, open_start], key=sort_key)
    assert ordered == [open_start, year, longer, point]


# -- record time


def test_as_utc_converts_an_aware_moment() -> None:
    moment = dt.datetime(2024, 3, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert as_utc(moment) == dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)
    assert as_utc(moment).tzinfo is dt.UTC


def test_as_utc_refuses_a_naive_moment() -> None:
    with pytest.raises(InvalidCommand, match="recorded_at must be timezone-aware"):
        as_utc(dt.datetime(2024, 3, 1, 12, 0))
