"""A date the text implies without stating it ("this year", an anniversary) is marked derived."""

from __future__ import annotations

from archive.domain.time import parse_partial_date
from archive.reads import date_value


def test_a_derived_date_reads_back_to_the_same_text_and_keeps_its_bounds() -> None:
    derived = parse_partial_date("derived circa 2010-12")
    assert (derived.derived, derived.circa, derived.precision) == (True, True, "month")
    assert str(derived) == "derived circa 2010-12"
    plain = parse_partial_date("circa 2010-12")
    assert (derived.earliest, derived.latest) == (plain.earliest, plain.latest)


def test_the_api_shows_a_derived_date_as_derived_and_a_stated_one_as_not() -> None:
    shown = date_value("derived 1975")
    assert shown is not None
    assert (shown.value, shown.precision, shown.derived) == ("derived 1975", "year", True)
    stated = date_value("1975")
    assert stated is not None
    assert stated.derived is False
