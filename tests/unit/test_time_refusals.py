"""The exact refusals of partial dates and valid times: the message a person reads and the field a client
points at. (Mutation testing found that messages checked by a prefix and fields never checked could
change unseen.)"""

from __future__ import annotations

import datetime as dt

import pytest

from archive.domain.errors import InvalidCommand, InvalidDate
from archive.domain.time import PartialDate, ValidTime, as_utc, make_valid_time


def test_a_day_without_a_month_is_refused_with_the_accepted_forms() -> None:
    with pytest.raises(InvalidDate) as caught:
        PartialDate(2010, None, 1)
    assert caught.value.message == "a day needs a month: a date is 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'"


def test_a_point_in_time_with_bounds_is_refused_naming_the_point_in_time() -> None:
    with pytest.raises(InvalidCommand) as caught:
        ValidTime(valid_from=PartialDate(2010), point_in_time=PartialDate(2011))
    assert (caught.value.message, caught.value.field) == (
        "point_in_time excludes valid_from and valid_to: give either a point in time "
        "or an interval, not both",
        "point_in_time",
    )


def test_an_interval_ending_before_it_starts_is_refused_naming_its_end() -> None:
    with pytest.raises(InvalidDate) as caught:
        ValidTime(valid_from=PartialDate(2011), valid_to=PartialDate(2010))
    assert (caught.value.message, caught.value.field) == (
        "valid_from 2011 is after valid_to 2010: the interval would be empty",
        "valid_to",
    )


@pytest.mark.parametrize("field", ["valid_from", "valid_to", "point_in_time"])
def test_an_unreadable_bound_is_refused_naming_its_field(field: str) -> None:
    fields = {"valid_from": None, "valid_to": None, "point_in_time": None, field: "2010-13"}
    with pytest.raises(InvalidDate) as caught:
        make_valid_time(**fields)
    assert caught.value.field == field
    assert caught.value.message == f"{field}: '2010-13': month 13 is out of range 01..12"


class _NoOffset(dt.tzinfo):
    """A time zone that does not know its offset: a moment in it is as ambiguous as a naive one."""

    def utcoffset(self, moment: dt.datetime | None) -> dt.timedelta | None:
        return None

    def dst(self, moment: dt.datetime | None) -> dt.timedelta | None:
        return None


def test_as_utc_refuses_a_moment_whose_zone_has_no_offset() -> None:
    with pytest.raises(InvalidCommand, match="recorded_at must be timezone-aware"):
        as_utc(dt.datetime(2024, 3, 1, 12, 0, tzinfo=_NoOffset()))
