"""The coverage detector: which source lines seem to state a date or a role, and which of them are left."""

from __future__ import annotations

import pytest

from archive.coverage import UncoveredLine, signals, uncovered_lines


@pytest.mark.parametrize(
    "line",
    [
        "1994 – the Summit took place in Budapest",
        "In 2010 the office moved to Astana",
        "Founded in 1875, long before anything else",
        "the 2009-2011 period",
        "During the 1990s the office was small",
        "In the 1990's the office was small",
    ],
)
def test_a_line_with_a_year_or_a_decade_signals_a_date(line: str) -> None:
    assert signals(line) == ("date",)


@pytest.mark.parametrize(
    "line",
    [
        "January 1992 saw the entry",
        "It was opened in May",
        "signed on 5 Dec by both sides",
        "from September to December",
    ],
)
def test_a_line_with_a_capitalised_month_name_signals_a_date(line: str) -> None:
    assert signals(line) == ("date",)


@pytest.mark.parametrize(
    "line",
    [
        "Kazakhstan will chair the organisation",
        "The Chairmanship-in-Office met the envoy",
        "she was appointed by the council",
        "the council appoints its delegates",
        "he became a member of the forum",
        "a full Membership of the forum",
        "elected by consensus",
        "the ambassadors met in Vienna",
        "the Head of the Centre spoke",
        "the Secretary General spoke",
        "was seconded to the Office",
        "the troika met",
    ],
)
def test_a_line_with_a_role_word_signals_a_role(line: str) -> None:
    assert signals(line) == ("role",)


def test_a_line_with_a_date_and_a_role_signals_both_in_a_fixed_order() -> None:
    assert signals("the chair passed to Kazakhstan in 2010") == ("date", "role")
    assert signals("In December 2007 Kazakhstan was elected") == ("date", "role")


@pytest.mark.parametrize(
    "line",
    [
        "Kazakhstan may be instrumental in these areas",
        "it may also contribute to this",
        "potential for introducing selected novel points",
        "the headquarters are ahead of schedule",
        "electricity for remembered, unselected rooms",
        "130 ethnic groups and 46 religions",
        "Cooperation in all three dimensions of the Organization's activities",
        "",
        "   ",
    ],
)
def test_a_line_without_a_year_a_month_or_a_role_word_signals_nothing(line: str) -> None:
    assert signals(line) == ()


def test_the_month_may_is_flagged_only_when_capitalised() -> None:
    assert signals("it may happen") == ()
    assert signals("it happened in May") == ("date",)


TEXT = "\n".join(
    [
        "Title of the document",  # 1: nothing
        "January 1992 – the country became a member",  # 2: date, role
        "Some words about motives",  # 3: nothing
        "In 2010 it held the chairmanship",  # 4: date, role
        "  The ambassador was appointed.  ",  # 5: role (text is stripped)
        "Since May 2021, she has been seconded",  # 6: date, role
    ]
)


def test_uncovered_lines_lists_every_signalling_line_when_nothing_cites_or_explains_it() -> None:
    assert uncovered_lines("doc", TEXT, set(), {}) == [
        UncoveredLine("doc", 2, ("date", "role"), "January 1992 – the country became a member"),
        UncoveredLine("doc", 4, ("date", "role"), "In 2010 it held the chairmanship"),
        UncoveredLine("doc", 5, ("role",), "The ambassador was appointed."),
        UncoveredLine("doc", 6, ("date", "role"), "Since May 2021, she has been seconded"),
    ]


def test_uncovered_lines_skips_cited_lines_and_lines_explained_as_no_fact_here() -> None:
    found = uncovered_lines("doc", TEXT, cited={2, 5}, explained={6: "a secondment, not a role"})
    assert found == [UncoveredLine("doc", 4, ("date", "role"), "In 2010 it held the chairmanship")]


def test_uncovered_lines_is_empty_when_every_signalling_line_is_cited_or_explained() -> None:
    assert uncovered_lines("doc", TEXT, cited={2, 4, 5}, explained={6: "reason"}) == []


def test_uncovered_lines_numbers_lines_from_one_and_keeps_empty_lines() -> None:
    found = uncovered_lines("doc", "\n\nIn 2010\n", set(), {})
    assert [(item.line, item.text) for item in found] == [(3, "In 2010")]
