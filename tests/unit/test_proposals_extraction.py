"""Proposals read from a text by rules: each with its quote, its lines, its entities and what it could not
match. The texts are small and made up; the expected fields are written out by hand."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from archive.domain.events import Qualifiers
from archive.domain.facts import FactContent
from archive.domain.proposals import KnownName, ProposedFact, propose
from archive.domain.sources import normalise_quote_span, split_lines, verify_quote
from archive.seeding import SeedCitation, SeedFact
from bench.proposals import matches, same_time, score, totals

NAMES = (
    KnownName("freedonia", "Freedonia"),
    KnownName("freedonia", "Republic of Freedonia"),
    KnownName("sylvania", "Sylvania"),
    KnownName("union", "Union of Examples"),
    KnownName("union", "UOE"),
    KnownName("trade-forum", "Trade Forum"),
    KnownName("union-partners", "Union partners"),
    KnownName("capitol-city", "Capitol City"),
    KnownName("port-town", "Port Town"),
    KnownName("union-summit-2001", "UOE Summit in Capitol City (2001)"),
    KnownName("round-table", "Fisheries Round Table"),
    KnownName("president-of-freedonia", "President of Freedonia"),
    KnownName("envoy", "Union Envoy on Fisheries"),
    KnownName("jane-roe", "Jane Roe"),
    KnownName("john-doe", "John Doe"),
    KnownName("office-in-port-town", "Union Office in Port Town"),
    KnownName("office-in-capitol-city", "Union Office in Capitol City"),
    KnownName("office-in-capitol-city", "Office [external: how the registry's curator abbreviates it]"),
    KnownName("harbour-treaty", "Harbour Treaty"),
)


def read(text: str) -> list[tuple[str, str, str, str | None, str | None, str | None, str | None, str]]:
    """Each proposal as (rule, subject, predicate, object, valid_from, valid_to, point_in_time, modality)."""
    proposals = propose(text, NAMES)
    assert_quotes_verify(text, proposals)
    return [
        (
            p.rule,
            p.content.subject,
            p.content.predicate,
            p.content.object,
            p.content.valid_from,
            p.content.valid_to,
            p.content.point_in_time,
            p.content.modality,
        )
        for p in proposals
    ]


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
    text = "In 1994 Ruritania became a member of the UOE."

    proposals = propose(text, NAMES)

    assert [(p.content.subject, p.content.object, p.content.valid_from) for p in proposals] == [
        ("Ruritania", "union", "1994")
    ]
    assert proposals[0].unmatched == ("Ruritania",)
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


def test_names_sharing_their_first_word_are_each_found_where_the_text_writes_them() -> None:
    from archive.domain.proposals import find_mentions

    names = [
        KnownName("ward-1", "Ward One"),
        KnownName("ward-2", "Ward Two"),
        KnownName("ward", "Ward"),
        KnownName("ward-co-op", "Ward Co-operative"),
    ]
    text = "Ward Two met Ward One; the Ward Co-\noperative and the Ward did not."

    mentions = find_mentions(text, names)

    assert [(m.words, m.entity_id) for m in mentions] == [
        ("Ward Two", "ward-2"),
        ("Ward One", "ward-1"),
        ("Ward Co- operative", "ward-co-op"),
        ("Ward", "ward"),
    ]


def test_a_chair_the_text_says_will_be_held_is_planned_and_one_it_says_was_held_is_asserted() -> None:
    assert read("Freedonia will chair the Trade Forum in 2011.") == [
        ("chair.chaired", "freedonia", "chaired", "trade-forum", "2011", "2011", None, "planned")
    ]
    assert read("Freedonia is to chair the Trade Forum in 2011.")[0][-1] == "planned"
    assert read("Freedonia chaired the Trade Forum in 2011.")[0][-1] == "asserted"


def test_a_text_that_states_no_fact_gives_no_proposals() -> None:
    assert propose("Nothing happened here.\n\nA heading\n", NAMES) == []
    assert propose("", NAMES) == []


_TEMPLATES = (
    "{date} – {a} became a member of the {b}.",
    "Chairmanship of {a} in the {b}.",
    "In {date}, {a} will assume chairmanship in the {b}.",
    "{a} (Sylvania) has been appointed as the {b}.",
    "Since {date}, {a} has been seconded to the {b}.",
    "{a}, {c} and the {b} organized the Fisheries Round Table.",
    "By the decision of the {b}, the Office was renamed the {a}.",
    "The {a} was held in {c} on {date}.",
)
_WORDS = st.sampled_from([known.name for known in NAMES] + ["Ruritania", "the Kingdom", "UOE", "uoe"])
_DATES = st.sampled_from(
    ["January 1992", "1 December 2010", "2017-2019", "June 21, 2007", "May 4-5, 2001", "1994"]
)
# Where a wrap, a run of spaces or a blank line may fall between two words.
_BREAKS = st.sampled_from([" ", " ", " ", "\n", "  \n  ", " \n", "\n\n", "\t"])


@st.composite
def statements_wrapped_anyhow(draw: st.DrawFn) -> str:
    """Sentences the rules read, with names and dates drawn at random, wrapped and spaced at random,
    between noise."""
    pieces: list[str] = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        template = draw(st.sampled_from(_TEMPLATES))
        sentence = template.format(a=draw(_WORDS), b=draw(_WORDS), c=draw(_WORDS), date=draw(_DATES))
        words = sentence.split(" ")
        pieces.append(words[0] + "".join(draw(_BREAKS) + word for word in words[1:]))
        pieces.append(draw(st.text(max_size=15)))
    return draw(_BREAKS).join(pieces)


@settings(max_examples=300, deadline=None)
@given(statements_wrapped_anyhow())
def test_every_quote_stands_in_its_lines_however_the_statements_are_wrapped(text: str) -> None:
    assert_quotes_verify(text, propose(text, NAMES))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_every_quote_stands_in_its_lines_whatever_the_text(text: str) -> None:
    assert_quotes_verify(text, propose(text, NAMES))


def test_a_chairmanship_of_a_state_in_an_organisation_runs_over_the_year_written() -> None:
    assert read("2003 – Chairmanship of the Republic of Freedonia in the UOE.") == [
        ("chair.chairmanship_of", "freedonia", "chaired", "union", "2003", "2003", None, "asserted")
    ]


def test_a_summit_named_with_its_place_chaired_by_a_titled_person() -> None:
    text = "May 4-5, 2001 – UOE Summit in Capitol City chaired by the President of Freedonia John Doe."

    proposals = propose(text, NAMES)

    assert read(text) == [
        (
            "chair.chaired_by",
            "john-doe",
            "chaired",
            "union-summit-2001",
            "2001-05-04",
            "2001-05-05",
            None,
            "asserted",
        ),
        (
            "meeting.named_place",
            "union-summit-2001",
            "took_place_in",
            "capitol-city",
            "2001-05-04",
            "2001-05-05",
            None,
            "asserted",
        ),
        ("meeting.named_place", "union-summit-2001", "meeting_of", "union", None, None, None, "asserted"),
        (
            "position.title_before_name",
            "john-doe",
            "held_position",
            "president-of-freedonia",
            None,
            None,
            None,
            "asserted",
        ),
    ]
    assert proposals[0].content.qualifiers.role == "president-of-freedonia"
    assert proposals[0].matched == (
        ("John Doe", "john-doe"),
        ("UOE Summit in Capitol City", "union-summit-2001"),
        ("President of Freedonia", "president-of-freedonia"),
    )


def test_a_chairmanship_the_text_says_will_be_assumed_is_planned_from_its_month() -> None:
    assert read("In October 2009, Freedonia will assume chairmanship in the Trade Forum.") == [
        ("chair.assumed", "freedonia", "chaired", "trade-forum", "2009-10", None, None, "planned")
    ]


def test_an_election_to_the_chair_is_dated_by_the_decision_not_by_the_term() -> None:
    assert read("December 2007 – Freedonia was elected as the Chair of the UOE for 2010.") == [
        ("chair.elected", "freedonia", "elected_to_chair", "union", None, None, "2007-12", "asserted")
    ]


def test_an_appointment_starts_a_position_on_its_day_and_the_country_in_parentheses_is_a_nationality() -> (
    None
):
    text = (
        "From December 4, 2020 - Ambassador Jane Roe (Sylvania) has been appointed as the Union Envoy on "
        "Fisheries."
    )

    assert read(text) == [
        ("position.appointed", "jane-roe", "held_position", "envoy", "2020-12-04", None, None, "asserted"),
        ("origin.named_in_parentheses", "jane-roe", "national_of", "sylvania", None, None, None, "asserted"),
    ]


def test_positions_held_between_two_months_and_she_is_the_person_named_before() -> None:
    text = (
        "From June 2012 to August 2014, Ambassador Jane Roe served as the Union Envoy on Fisheries, and from "
        "September 2014 to July 2018, she was the President of Freedonia."
    )

    assert read(text) == [
        ("position.served_as", "jane-roe", "held_position", "envoy", "2012-06", "2014-08", None, "asserted"),
        (
            "position.was_office",
            "jane-roe",
            "held_position",
            "president-of-freedonia",
            "2014-09",
            "2018-07",
            None,
            "asserted",
        ),
    ]


def test_a_secondment_since_a_month() -> None:
    assert read("Since May 2021, Jane Roe has been seconded to the Union Office in Port Town.") == [
        (
            "secondment.seconded",
            "jane-roe",
            "seconded_to",
            "office-in-port-town",
            "2021-05",
            None,
            None,
            "asserted",
        )
    ]


def test_an_office_opened_then_renamed_by_a_decision_the_office_being_the_one_named_before() -> None:
    text = (
        "1999 – The Union Office in Port Town was opened.\n"
        "June 21, 2007 – By the decision of the Trade Forum, the Office was renamed the Union Office in "
        "Capitol City.\n"
    )

    proposals = propose(text, NAMES)

    assert read(text) == [
        ("institution.opened", "office-in-port-town", "opened", None, None, None, "1999", "asserted"),
        (
            "decision.by_decision_of",
            "trade-forum",
            "decided_on",
            "office-in-port-town",
            None,
            None,
            None,
            "asserted",
        ),
        (
            "renaming.renamed",
            "office-in-port-town",
            "renamed_to",
            "office-in-capitol-city",
            None,
            None,
            "2007-06-21",
            "asserted",
        ),
    ]
    assert proposals[0].content.qualifiers.place == "port-town"
    assert [(p.line_start, p.line_end) for p in proposals] == [(1, 1), (2, 2), (2, 2)]


def test_a_transformation_since_a_month_is_an_act_of_that_month() -> None:
    text = "Since January 2015, the Union Office in Capitol City has been transformed into the Trade Forum."

    assert read(text) == [
        (
            "renaming.transformed",
            "office-in-capitol-city",
            "transformed_into",
            "trade-forum",
            None,
            None,
            "2015-01",
            "asserted",
        )
    ]


def test_a_meeting_held_in_a_place_on_the_sidelines_of_a_larger_one() -> None:
    text = (
        "On October 9, 2019, the Fisheries Round Table was held in Port Town on the sidelines of the "
        "Trade Forum."
    )

    assert read(text) == [
        ("meeting.held", "round-table", "took_place_in", "port-town", None, None, "2019-10-09", "asserted"),
        ("meeting.held", "round-table", "part_of", "trade-forum", None, None, None, "asserted"),
    ]


def test_a_head_of_state_taking_part_is_the_state_taking_part_in_that_role() -> None:
    text = "1994 – The President of Freedonia took part in the historic UOE Summit in Capitol City."

    proposals = propose(text, NAMES)

    assert read(text)[0] == (
        "meeting.took_part",
        "freedonia",
        "participated_in",
        "union-summit-2001",
        None,
        None,
        "1994",
        "asserted",
    )
    assert proposals[0].content.qualifiers.role == "president-of-freedonia"


def test_a_list_of_organisers_gives_one_fact_each_and_the_meeting_was_held() -> None:
    assert read(
        "In September 2019, Freedonia, Sylvania and the UOE organized the Fisheries Round Table."
    ) == [
        ("event.organised", "freedonia", "organised", "round-table", None, None, "2019-09", "asserted"),
        ("event.organised", "sylvania", "organised", "round-table", None, None, "2019-09", "asserted"),
        ("event.organised", "union", "organised", "round-table", None, None, "2019-09", "asserted"),
        ("event.organised", "round-table", "held", None, None, None, "2019-09", "asserted"),
    ]


def test_members_listed_in_parentheses() -> None:
    assert read("Freedonia works with the Union partners (Sylvania, Republic of Freedonia).") == [
        (
            "membership.listed_in_parentheses",
            "sylvania",
            "member_of",
            "union-partners",
            None,
            None,
            None,
            "asserted",
        ),
        (
            "membership.listed_in_parentheses",
            "freedonia",
            "member_of",
            "union-partners",
            None,
            None,
            None,
            "asserted",
        ),
    ]


def test_two_acts_joined_by_and_keep_their_subject() -> None:
    text = "Freedonia established the Union Office in Port Town in 2008 and has also created the Trade Forum."

    assert read(text) == [
        (
            "institution.established",
            "freedonia",
            "established",
            "office-in-port-town",
            None,
            None,
            "2008",
            "asserted",
        ),
        (
            "institution.established",
            "freedonia",
            "established",
            "trade-forum",
            None,
            None,
            "2008",
            "asserted",
        ),
    ]


def test_a_treaty_of_a_year_was_adopted_that_year() -> None:
    assert read("Freedonia keeps to the Harbour Treaty of 1975.") == [
        ("document.of_a_date", "harbour-treaty", "adopted", None, None, None, "1975", "asserted")
    ]


def test_a_stated_intention_is_an_aim_in_the_texts_words_of_the_subject_before_its_aside() -> None:
    text = "In this area, Freedonia, guided by the practice of the UOE, intends to focus on fisheries."

    proposals = propose(text, NAMES)

    assert [
        (p.rule, p.content.subject, p.content.predicate, p.content.value, p.content.modality)
        for p in proposals
    ] == [("aim.intends_to", "freedonia", "aims_to", "focus on fisheries", "planned")]


def test_support_for_something_is_a_position_in_the_texts_words() -> None:
    text = "Sylvania has chaired the Trade Forum and continues to support open   harbours."

    assert [
        (p.rule, p.content.subject, p.content.value)
        for p in propose(text, NAMES)
        if p.rule == "position.supports"
    ] == [("position.supports", "sylvania", "open harbours")]


def test_a_clause_opening_with_a_number_is_a_count_in_digits_and_words() -> None:
    text = (
        "During that year, eighteen UOE meetings were held in Port Town, and 8 envoys of Sylvania took part."
    )

    counts = [
        (p.content.subject, p.content.value) for p in propose(text, NAMES) if p.content.predicate == "counted"
    ]

    assert counts == [
        ("union", "18 UOE meetings were held in Port Town"),
        ("sylvania", "8 envoys of Sylvania took part"),
    ]


def test_a_sentence_cut_by_a_page_break_is_read_whole() -> None:
    text = "Freedonia became a member\n\n  \n\nof the Union of Examples in 1994.\n"

    proposals = propose(text, NAMES)

    assert [(p.line_start, p.line_end, p.content.object, p.quote) for p in proposals] == [
        (1, 5, "union", "Freedonia became a member of the Union of Examples in 1994.")
    ]


def test_signatories_listed_under_the_document_named_before_and_documents_listed_after_signing() -> None:
    text = (
        "In 1975 the Harbour Treaty was drafted. The leaders of Sylvania, the UOE and Freedonia put their "
        "signatures under the document.\nBy joining the UOE, Freedonia has assumed its obligations, signing "
        "the Harbour Treaty."
    )

    signed = [
        (p.content.subject, p.content.object, p.line_start)
        for p in propose(text, NAMES)
        if p.rule == "document.signed"
    ]

    assert signed == [
        ("sylvania", "harbour-treaty", 1),
        ("union", "harbour-treaty", 1),
        ("freedonia", "harbour-treaty", 1),
        ("freedonia", "harbour-treaty", 2),
    ]


def test_a_hedged_date_is_circa_at_its_precision() -> None:
    assert read("Freedonia became a member of the UOE around March 1990.") == [
        (
            "membership.became_member",
            "freedonia",
            "member_of",
            "union",
            "circa 1990-03",
            None,
            None,
            "asserted",
        )
    ]


def test_a_participle_after_a_comma_speaks_of_the_name_before_the_words_that_continue_it() -> None:
    text = (
        "Decisions of the Fisheries Round Table on Nets, Boats and Harbours, held in June 2006 in Port Town, "
        "are kept. We read the Harbour Treaty, adopted at the end of the UOE Summit in Capitol City."
    )

    assert [row for row in read(text) if row[0] in {"meeting.held", "document.adopted_at"}] == [
        ("meeting.held", "round-table", "took_place_in", "port-town", None, None, "2006-06", "asserted"),
        (
            "document.adopted_at",
            "harbour-treaty",
            "adopted_at",
            "union-summit-2001",
            None,
            None,
            None,
            "asserted",
        ),
    ]


# -- the measurement (bench/proposals.py): how a proposal is scored against the curated facts ----------


def proposal(
    subject: str, predicate: str, object_: str | None, lines: tuple[int, int], **fields: str | None
) -> ProposedFact:
    value = fields.pop("value", None)
    return ProposedFact(
        rule="a.rule",
        content=FactContent(subject=subject, predicate=predicate, object=object_, value=value, **fields),
        line_start=lines[0],
        line_end=lines[1],
        quote="words",
        matched=(),
        unmatched=(subject,) if subject[0].isupper() else (),
    )


def curated(
    subject: str, predicate: str, object_: str | None, *cited: tuple[int, int], **fields: str | None
) -> SeedFact:
    return SeedFact(
        subject=subject,
        predicate=predicate,
        object=object_,
        citations=[SeedCitation(line_start=start, line_end=end, quote="words") for start, end in cited],
        **fields,  # type: ignore[arg-type]
    )


def test_a_proposal_matches_a_curated_fact_with_its_triple_on_an_overlapping_cited_line() -> None:
    fact = curated("freedonia", "member_of", "union", (4, 5), (19, 19))

    assert matches(proposal("freedonia", "member_of", "union", (5, 6)), fact)
    assert matches(proposal("freedonia", "member_of", "union", (19, 19)), fact)
    assert not matches(proposal("freedonia", "member_of", "union", (6, 18)), fact)
    assert not matches(proposal("freedonia", "member_of", "trade-forum", (4, 4)), fact)
    assert not matches(proposal("freedonia", "chaired", "union", (4, 4)), fact)
    assert not matches(proposal("Freedonia", "member_of", "union", (4, 4)), fact)


def test_a_literal_value_matches_regardless_of_case_and_spacing() -> None:
    fact = curated("union", "known_as", None, (5, 5), value="Union  of Examples")

    assert matches(proposal("union", "known_as", None, (5, 5), value="union of\nexamples"), fact)
    assert not matches(proposal("union", "known_as", None, (5, 5), value="Union of Samples"), fact)


def test_the_score_counts_facts_found_once_and_each_proposal_that_states_one_as_correct() -> None:
    facts = [
        curated("freedonia", "member_of", "union", (4, 4), (19, 19), valid_from="derived 1992-01"),
        curated("sylvania", "member_of", "union", (7, 7)),
        curated("freedonia", "chaired", "union", (10, 10), valid_from="2010", valid_to="2010"),
    ]
    proposals = [
        proposal("freedonia", "member_of", "union", (4, 4), valid_from="1992-01"),
        proposal("freedonia", "member_of", "union", (19, 19)),
        proposal("Sylvania", "member_of", "union", (7, 7)),
        proposal("freedonia", "chaired", "union", (10, 10), point_in_time="2010"),
        proposal("freedonia", "chaired", "trade-forum", (12, 12)),
    ]

    rows = score(proposals, facts)

    member, chair = rows["member_of"], rows["chaired"]
    assert (member.curated, member.found, member.proposed, member.correct) == (2, 1, 3, 2)
    assert (member.same_time, member.with_unmatched_names) == (1, 1)
    assert (member.recall, member.precision) == (0.5, 2 / 3)
    assert (chair.curated, chair.found, chair.proposed, chair.correct, chair.same_time) == (1, 1, 2, 1, 0)
    # A proposal correct by its triple but with another date is correct, not correct with its time.
    assert (member.correct_dated, chair.correct_dated) == (1, 0)
    assert (member.precision_dated, chair.precision_dated) == (1 / 3, 0.0)
    total = totals(rows)
    assert (total.curated, total.found, total.proposed, total.correct) == (3, 2, 5, 3)
    assert score([], []) == {}


def test_the_same_time_reads_a_derived_or_circa_date_as_its_bare_date_and_needs_every_bound() -> None:
    fact = curated("freedonia", "chaired", "union", (1, 1), valid_from="circa 2010", valid_to="2011")

    assert same_time(
        proposal("freedonia", "chaired", "union", (1, 1), valid_from="2010", valid_to="2011"), fact
    )
    assert same_time(
        proposal("freedonia", "chaired", "union", (1, 1), valid_from="circa 2010", valid_to="2011"), fact
    )
    assert not same_time(proposal("freedonia", "chaired", "union", (1, 1), valid_from="2010"), fact)
    assert not same_time(proposal("freedonia", "chaired", "union", (1, 1), point_in_time="2010"), fact)
