"""Coverage by sentence: how a text splits into sentences, and which of them citations and marks cover."""

from __future__ import annotations

import pytest

from archive.coverage import (
    FlatText,
    Mark,
    QuotedSpan,
    UncoveredSentence,
    coverage_of,
    follow_mark,
    split_sentences,
)


def _texts(lines: list[str]) -> list[str]:
    return [s.text for s in split_sentences(lines)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "Ambassador M. Dzharbusynova served as coordinator. She left in 2014.",
            ["Ambassador M. Dzharbusynova served as coordinator.", "She left in 2014."],
        ),
        (
            "The U.S. delegation agreed. Nobody else did.",
            ["The U.S. delegation agreed.", "Nobody else did."],
        ),
        (
            "A principle (i.e., The kind of contribution) holds.",
            ["A principle (i.e., The kind of contribution) holds."],
        ),
        ("Dr. Smith met Mr. Jones. They spoke.", ["Dr. Smith met Mr. Jones.", "They spoke."]),
        ("Thus, K. Abdrakhmanov became the first.", ["Thus, K. Abdrakhmanov became the first."]),
    ],
)
def test_an_initial_or_an_abbreviation_does_not_end_a_sentence(line: str, expected: list[str]) -> None:
    assert _texts([line]) == expected


def test_a_sentence_ends_at_a_stop_followed_by_a_capital_a_digit_or_a_quote() -> None:
    line = "It opened. 1999 saw it move! “Why?” Nobody asked? it went on."
    assert _texts([line]) == ["It opened.", "1999 saw it move!", "“Why?”", "Nobody asked? it went on."]


def test_a_stop_inside_a_word_or_an_address_does_not_end_a_sentence() -> None:
    assert _texts(["See https://www.example.org/ for more. Then read."]) == [
        "See https://www.example.org/ for more.",
        "Then read.",
    ]


def test_in_a_wrapped_text_a_sentence_runs_across_lines_blank_lines_and_a_capital_after_a_full_line() -> None:
    lines = [
        " A Title of the Paper ",
        "",
        "The council met in Vienna in 2009 and a long sentence wraps here to the ",
        "Republic of the North and then on across a page break to the very wide ",
        "",
        "",
        "Europe, where it ends. A second sentence starts and wraps at the width ",
        "of the text. ",
        "1. A Numbered Heading. Its paragraph is one sentence that wraps too at ",
        "the width. ",
    ]
    sentences = split_sentences(lines)
    assert [(s.line_start, s.line_end) for s in sentences] == [(1, 1), (3, 7), (7, 8), (9, 9), (9, 10)]
    assert sentences[1].text.endswith("to the very wide Europe, where it ends.")
    assert sentences[3].text == "1. A Numbered Heading."


def test_in_a_wrapped_text_a_bullet_or_an_upper_case_heading_starts_a_sentence() -> None:
    lines = [
        "These are the principles of the agenda that follow, wrapped to the wide ",
        "width of the text: ",
        "\uf0b7 Importance of the first principle, which wraps to the width of the ",
        "",
        "text; and ",
        "\uf0b7 Potential of the second one. ",
        "KEY POINTS OF THE ",
        "Paper go here, and wrap at the width of the text like all the others do. ",
    ]
    assert [(s.line_start, s.line_end) for s in split_sentences(lines)] == [
        (1, 2),
        (3, 5),
        (6, 6),
        (7, 7),
        (8, 8),
    ]


def test_in_a_text_of_one_paragraph_a_line_every_line_break_ends_a_sentence() -> None:
    lines = [
        "",
        "Official website - https://www.example.org/",
        "GENERAL INFORMATION",
        "1995 - the office was opened.",
        "In 2018 the forum adopted two documents – the Decision and the Declaration on growth",
        "In 2019 a side event was held.",
        "In 2020 three tours were organised.",
        "Since 2021 she has been seconded.",
    ]
    assert _texts(lines) == lines[1:]


def test_flat_text_finds_a_quote_across_a_break_only_within_the_lines_given() -> None:
    flat = FlatText(["the Charter of Paris for a New ", "", "Europe, and more", "Europe again"])
    assert flat.find("a New\nEurope, and", 1, 3) is not None
    assert flat.find("Europe again", 1, 3) is None
    assert flat.find("Europe again", 4, 4) is not None


LINES = ["First sentence here. Second one there.", "Third sentence on its own line is here."]


def _mark(line_start: int, quote: str) -> Mark:
    return Mark("doc", line_start, line_start, quote, "states no fact")


def test_a_sentence_is_covered_when_a_citation_quote_overlaps_it_even_in_part() -> None:
    report = coverage_of("doc", LINES, [QuotedSpan(1, 1, "here. Second")], [])
    assert report.sentences == 3
    assert report.covered == 2
    assert report.uncovered == [UncoveredSentence("doc", 2, 2, "Third sentence on its own line is here.")]


def test_a_mark_explains_the_sentence_its_words_are_in() -> None:
    marks = [follow_mark(LINES, _mark(2, "on its own line"))]
    report = coverage_of("doc", LINES, [QuotedSpan(1, 1, "First"), QuotedSpan(1, 1, "Second")], marks)
    assert report.uncovered == []
    assert report.orphaned_marks == []


def test_a_quote_outside_its_lines_covers_nothing() -> None:
    report = coverage_of("doc", LINES, [QuotedSpan(1, 1, "Third sentence")], [])
    assert report.covered == 0


def test_a_mark_follows_its_words_to_a_new_version_of_the_text_or_is_orphaned() -> None:
    mark = _mark(2, "on its own line")
    assert follow_mark(LINES, mark).state == "verified"
    moved = ["A new first line.", *LINES]
    followed = follow_mark(moved, mark)
    assert (followed.state, followed.line_start, followed.line_end) == ("drifted", 3, 3)
    assert (
        coverage_of(
            "doc", moved, [QuotedSpan(1, 2, "new first line. First sentence here. Second")], [followed]
        ).uncovered
        == []
    )
    gone = follow_mark(["First sentence here. Second one there.", "Rewritten."], mark)
    assert (gone.state, gone.line_start) == ("orphaned", None)
    report = coverage_of("doc", ["Rewritten."], [], [gone])
    assert report.orphaned_marks == [mark]
    assert report.covered == 0
