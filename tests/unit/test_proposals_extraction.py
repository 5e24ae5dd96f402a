"""Proposals read from a text by rules: each with its quote, its lines, its entities and what it could not
match. The texts are small and made up; the expected fields are written out by hand."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from archive.domain.events import Qualifiers
from archive.domain.facts import FactContent
from archive.domain.proposals import KnownName, ProposedFact, propose
from archive.domain.sources import normalise_quote_span, split_lines, verify_quote

NAMES = (
    KnownName("freedonia", "Freedonia"),
    KnownName("freedonia", "Republic of Freedonia"),
    KnownName("union", "Union of Examples"),
    KnownName("union", "UOE"),
)


def assert_quotes_verify(text: str, proposals: list[ProposedFact]) -> None:
    lines = split_lines(text)
    for proposal in proposals:
        verify_quote("the-text", lines, proposal.line_start, proposal.line_end, proposal.quote)
        assert proposal.quote in normalise_quote_span(lines, proposal.line_start, proposal.line_end)


def test_became_a_member_of_is_a_membership_from_the_month_written() -> None:
    text = "Notes\nJanuary 1992 – Freedonia became a member of the Union of Examples (UOE).\n"

    proposals = propose(text, NAMES)

    assert proposals == [
        ProposedFact(
            rule="membership.became_member",
            content=FactContent(
                subject="freedonia",
                predicate="member_of",
                object="union",
                qualifiers=Qualifiers(),
                valid_from="1992-01",
            ),
            line_start=2,
            line_end=2,
            quote="January 1992 – Freedonia became a member of the Union of Examples (UOE).",
            matched=(("Freedonia", "freedonia"), ("Union of Examples", "union")),
            unmatched=(),
        )
    ]
    assert_quotes_verify(text, proposals)


def test_a_name_no_entity_bears_goes_to_unmatched_with_the_texts_words() -> None:
    text = "In 1994 Sylvania became a member of the UOE."

    proposals = propose(text, NAMES)

    assert [(p.content.subject, p.content.object, p.content.valid_from) for p in proposals] == [
        ("Sylvania", "union", "1994")
    ]
    assert proposals[0].unmatched == ("Sylvania",)
    assert proposals[0].matched == (("UOE", "union"),)
    assert_quotes_verify(text, proposals)


def test_a_sentence_wrapped_over_lines_is_quoted_as_the_citation_check_joins_them() -> None:
    text = (
        "The Republic of Freedonia became a   \n  member of the Union of\n"
        "Examples on 1 December 2010. Then\nnothing.\n"
    )

    proposals = propose(text, NAMES)

    assert [(p.line_start, p.line_end, p.quote, p.content.valid_from) for p in proposals] == [
        (
            1,
            3,
            "The Republic of Freedonia became a member of the Union of Examples on 1 December 2010.",
            "2010-12-01",
        )
    ]
    assert proposals[0].matched == (("Republic of Freedonia", "freedonia"), ("Union of Examples", "union"))
    assert_quotes_verify(text, proposals)


def test_an_acronym_matches_only_as_written() -> None:
    text = "Freedonia became a member of the Uoe in 2001."

    proposals = propose(text, NAMES)

    assert [(p.content.object, p.unmatched) for p in proposals] == [("Uoe", ("Uoe",))]


def test_a_text_that_states_no_fact_gives_no_proposals() -> None:
    assert propose("Nothing happened here.\n\nA heading\n", NAMES) == []
    assert propose("", NAMES) == []


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "Freedonia",
                "became a member of",
                "the",
                "Union of Examples",
                "UOE",
                "January 1992",
                "1 December 2010",
                "2017-2019",
                "(",
                ")",
                ".",
                ",",
                "–",
                "\n",
                "  \n",
                "\n\n",
                "M.",
                "“Troika.”",
                "Since",
            ]
        )
        | st.text(max_size=12),
        max_size=30,
    ).map(" ".join)
)
def test_every_quote_stands_in_its_lines_whatever_the_text(text: str) -> None:
    assert_quotes_verify(text, propose(text, NAMES))
