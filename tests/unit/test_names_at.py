"""Names at a date (archive/reads/names.py): which name an entity bore when, from its naming facts."""

from __future__ import annotations

import pytest

from archive.domain.time import parse_partial_date
from archive.reads.names import NameFact, names_at

LABELS = {"org": "New Name", "centre-a": "Centre in A", "centre-b": "Centre in B"}


def known_as(
    name: str, *, point: str | None = None, start: str | None = None, end: str | None = None
) -> NameFact:
    return NameFact("org", "known_as", name, None, start, end, point)


def renamed(point: str) -> NameFact:
    return NameFact("centre-a", "renamed_to", None, "centre-b", None, None, point)


def at(facts: list[NameFact], when: str) -> dict[str, str]:
    return names_at(facts, LABELS, parse_partial_date(when))


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("1991", {}),  # before its first attestation: nothing inferred
        ("1992-01", {"org": "Old Name"}),
        ("1993", {"org": "Old Name"}),  # between two attestations of the same name
        ("1994-06", {"org": "Old Name"}),
        ("1995", {}),  # after its last: nothing inferred, today's label stands
    ],
)
def test_a_name_attested_at_two_points_holds_between_them_and_nowhere_else(
    when: str, expected: dict[str, str]
) -> None:
    facts = [known_as("Old Name", point="1992-01"), known_as("Old Name", point="1994")]
    assert at(facts, when) == expected


def test_another_name_attested_between_stops_the_carrying_forward() -> None:
    facts = [
        known_as("Old Name", point="1990"),
        known_as("Middle Name", point="1992"),
        known_as("Old Name", point="1994"),
    ]
    assert at(facts, "1991") == {}
    assert at(facts, "1992") == {"org": "Middle Name"}
    assert at(facts, "1994") == {"org": "Old Name"}


def test_a_name_with_a_valid_time_holds_over_it_and_two_names_at_once_give_none() -> None:
    assert at([known_as("Old Name", start="1980", end="1989")], "1985") == {"org": "Old Name"}
    assert at([known_as("Old Name", start="1980", end="1989")], "1990") == {}
    clash = [known_as("Old Name", start="1980", end="1989"), known_as("Other Name", start="1985")]
    assert at(clash, "1986") == {}
    # Today's label is never reported as a name "then".
    assert at([known_as("New Name", start="1980")], "1990") == {}


def test_an_undated_name_says_nothing_about_a_date() -> None:
    assert at([known_as("Old Name")], "1990") == {}


def test_a_renaming_hands_the_new_name_back_in_time_and_the_old_one_forward() -> None:
    facts = [renamed("2007-06-21")]
    assert at(facts, "2006") == {"centre-b": "Centre in A"}
    assert at(facts, "2008") == {"centre-a": "Centre in B"}
    # On the day itself, or a period around it, neither is sure.
    assert at(facts, "2007") == {}
    assert at(facts, "2007-06-21") == {}
