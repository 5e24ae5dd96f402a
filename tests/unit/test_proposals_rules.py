"""Rule by rule: what each rule of ``archive.domain.proposals`` proposes from one made-up sentence (every
field a reviewer sees), and sentences it must leave alone. The vocabulary is the one of
``test_proposals_extraction`` with a few made-up meetings, documents and people added."""

from __future__ import annotations

import pytest

from archive.domain import proposals
from archive.domain.proposals import KnownName, propose
from tests.unit.test_proposals_extraction import NAMES, assert_quotes_verify


@pytest.fixture(autouse=True)
def patterns_built_afresh() -> None:
    """Each test builds the patterns of its names and rules itself, not from the cache an earlier test
    of the process filled: a mistake in building them then shows in the test that reads with them."""
    proposals._compiled_name.cache_clear()
    proposals._rule_pattern.cache_clear()


WORDS = (
    *NAMES,
    KnownName("ministerial-council", "Ministerial Council"),
    KnownName("council-in-port-town", "Port Town Ministerial Council"),
    KnownName("council-meeting-port-town", "Ministerial Council meeting in Port Town"),
    KnownName("congress", "Congress of Fishers"),
    KnownName("second-congress", "Second Congress of Fishers"),
    KnownName("preparatory-meeting", "Preparatory Meeting for the Trade Forum"),
    KnownName("charter", "Charter of Harbours"),
    KnownName("protocol-7", "Protocol 7"),
    KnownName("troika", "Troika"),
    KnownName("fisheries-center", "Fisheries Center"),
    KnownName("center-in-port-town", "Union Center in Port Town"),
    KnownName("center-in-port-town", "Center"),
    KnownName("rally", "Harbour Rally from Port Town to Capitol City"),
    KnownName("mary-major", "Mary Major"),
    KnownName("high-commissioner", "High Commissioner"),
    KnownName("friends", "Friends of Union partners"),
    KnownName("friends", "Friends of the Union partners"),
    KnownName("old-guard", "The Old Guard"),
    KnownName("summit-in-nowhere", "Harbour Summit in Nowhere"),
    KnownName("greater-port-town", "Greater Port Town"),
    KnownName("town", "Town"),
    KnownName("friends-of-sylvania", "Friends of Sylvania"),
    KnownName("council-in-capitol-city", "Ministerial Council in Capitol City"),
    KnownName("mary-ann", "Mary Ann Lee Major"),
    KnownName("council-tours", "Ministerial Council tours in Port Town"),
    KnownName("president-of-ruritania", "President of Ruritania"),
    KnownName("mary-ann-jo", "Mary Ann Jo Lee Major"),
    KnownName("twelve-harbours", "Twelve Harbours Forum"),
)

Field = str | None
Row = tuple[str, str, str, Field, Field, Field, Field, Field, Field, Field, str]


def rows(text: str, more_words: tuple[KnownName, ...] = ()) -> list[Row]:
    """Each proposal as (rule, subject, predicate, object, value, role, place, valid_from, valid_to,
    point_in_time, modality), read with the vocabulary and ``more_words``; every quote checked against its
    lines."""
    proposals = propose(text, (*WORDS, *more_words))
    assert_quotes_verify(text, proposals)
    return [
        (
            p.rule,
            p.content.subject,
            p.content.predicate,
            p.content.object,
            p.content.value,
            p.content.qualifiers.role,
            p.content.qualifiers.place,
            p.content.valid_from,
            p.content.valid_to,
            p.content.point_in_time,
            p.content.modality,
        )
        for p in proposals
    ]


def fact(
    rule: str,
    subject: str,
    predicate: str,
    object_: str | None = None,
    *,
    value: str | None = None,
    role: str | None = None,
    place: str | None = None,
    since: str | None = None,
    until: str | None = None,
    at: str | None = None,
    modality: str = "asserted",
) -> Row:
    return (rule, subject, predicate, object_, value, role, place, since, until, at, modality)


MEMBERSHIP = [
    (
        "Freedonia has become a full member of the UOE in 2001.",
        [fact("membership.became_member", "freedonia", "member_of", "union", since="2001")],
    ),
    (
        "Sylvania is a founding member state of the Union of Examples.",
        [fact("membership.is_member", "sylvania", "member_of", "union")],
    ),
    (
        "Freedonia was a member of the UOE until 1999.",
        [fact("membership.is_member", "freedonia", "member_of", "union", until="1999")],
    ),
    (
        "Sylvania joined the Trade Forum in March 2004.",
        [fact("membership.joined", "sylvania", "member_of", "trade-forum", since="2004-03")],
    ),
    (
        "Freedonia acceded to the Union of Examples on 3 May 2005.",
        [fact("membership.joined", "freedonia", "member_of", "union", since="2005-05-03")],
    ),
    (
        "By joining the Trade Forum, Sylvania agreed to its rules.",
        [fact("membership.joining_first", "sylvania", "member_of", "trade-forum")],
    ),
    (
        "Having become a full member of the UOE, Freedonia opened talks.",
        [fact("membership.joining_first", "freedonia", "member_of", "union")],
    ),
    # No comma after the group: the member is not set off from it.
    ("After joining the UOE Freedonia grew.", []),
    (
        "Sylvania works as part of the Trade Forum.",
        [fact("membership.as_part_of", "sylvania", "member_of", "trade-forum")],
    ),
    (
        "Freedonia took part actively in the work of the Trade Forum from 2002.",
        [fact("membership.in_the_work_of", "freedonia", "member_of", "trade-forum", since="2002")],
    ),
    (
        "As a Troika member, Freedonia spoke first.",
        [fact("membership.as_a_member", "freedonia", "member_of", "troika")],
    ),
    (
        "As the Troika members Freedonia spoke.",
        [fact("membership.as_a_member", "freedonia", "member_of", "troika")],
    ),
    (
        "The institutions of the UOE (Trade Forum, Fisheries Round Table) met.",
        [
            fact("membership.listed_in_parentheses", "trade-forum", "part_of", "union"),
            fact("membership.listed_in_parentheses", "round-table", "part_of", "union"),
        ],
    ),
    # A list joined by "or", or an abbreviation alone in the parenthesis, lists no members.
    ("The Troika (Freedonia or Sylvania) met.", []),
    ("The Trade Forum (TF) met.", []),
    # Only spaces may stand between the comma and the member: a name in an aside after it did not join.
    ("By joining the Trade Forum,— Sylvania noted — Freedonia agreed to its rules.", []),
]

CHAIR = [
    (
        "The Trade Forum, which Freedonia will chair in 2012, met.",
        [
            fact(
                "chair.chaired",
                "freedonia",
                "chaired",
                "trade-forum",
                since="2012",
                until="2012",
                modality="planned",
            )
        ],
    ),
    (
        "Sylvania presided over the Trade Forum in 2004-2005.",
        [fact("chair.chaired", "sylvania", "chaired", "trade-forum", since="2004", until="2005")],
    ),
    (
        "The Trade Forum was chaired by Sylvania in 2006.",
        [fact("chair.chaired_by", "sylvania", "chaired", "trade-forum", since="2006", until="2006")],
    ),
    (
        "The Trade Forum headed by Sylvania met.",
        [fact("chair.chaired_by", "sylvania", "chaired", "trade-forum")],
    ),
    (
        "Presidency of Sylvania in the Trade Forum ended.",
        [fact("chair.chairmanship_of", "sylvania", "chaired", "trade-forum")],
    ),
    # The chair must be a known name, and "in" must join it to what it chaired.
    ("Chairmanship of Ruritania in the Trade Forum ended.", []),
    ("Chairmanship of Sylvania at the Trade Forum ended.", []),
    (
        "In 2009, during the Sylvanian Trade Forum Chairmanship, talks began.",
        [fact("chair.named_chairmanship", "Sylvanian", "chaired", "trade-forum", at="2009")],
    ),
    (
        "During the Freedonia Trade Forum Presidency in 2008, talks began.",
        [fact("chair.named_chairmanship", "freedonia", "chaired", "trade-forum", at="2008")],
    ),
    ("During the Trade Forum Chairmanship, talks began.", []),
    (
        "In 2003 Sylvania assumed the leadership of the Trade Forum.",
        [fact("chair.assumed", "sylvania", "chaired", "trade-forum", since="2003")],
    ),
    (
        "Sylvania took over the Trade Forum chairmanship in 2004.",
        [fact("chair.assumed", "sylvania", "chaired", "trade-forum", since="2004")],
    ),
    (
        "Sylvania will assume the presidency over the Trade Forum.",
        [fact("chair.assumed", "sylvania", "chaired", "trade-forum", modality="planned")],
    ),
    (
        "In May 2008, a decision was made for Sylvania to assume the Trade Forum chairmanship in 2010.",
        [
            fact("chair.assumed", "sylvania", "chaired", "trade-forum", since="2008-05", modality="planned"),
            fact("chair.decision_to_chair", "sylvania", "elected_to_chair", "trade-forum", at="2008-05"),
        ],
    ),
    (
        "In 2008 the decision has been taken that Freedonia would assume the chairmanship of the UOE.",
        [
            fact("chair.assumed", "freedonia", "chaired", "union", since="2008", modality="planned"),
            fact("chair.decision_to_chair", "freedonia", "elected_to_chair", "union", at="2008"),
        ],
    ),
    (
        "Freedonia was elected Chairman of the Trade Forum in 2005.",
        [fact("chair.elected", "freedonia", "elected_to_chair", "trade-forum", at="2005")],
    ),
    (
        "In 2003 Freedonia has been elected President-in-Office of the UOE.",
        [fact("chair.elected", "freedonia", "elected_to_chair", "union", at="2003")],
    ),
]

POSITION = [
    (
        "Mary Major was appointed the High Commissioner on 2 March 2010.",
        [fact("position.appointed", "mary-major", "held_position", "high-commissioner", since="2010-03-02")],
    ),
    # A state is not appointed to a position: the subject must be a person's name.
    ("Freedonia was appointed the High Commissioner in 2010.", []),
    (
        "Mary Major served as High Commissioner from 2001 to 2004.",
        [
            fact(
                "position.served_as",
                "mary-major",
                "held_position",
                "high-commissioner",
                since="2001",
                until="2004",
            )
        ],
    ),
    (
        "Mary Major has been seconded as expert to the Trade Forum in 2002.",
        [fact("secondment.seconded", "mary-major", "seconded_to", "trade-forum", since="2002")],
    ),
    (
        "In 2004 Mary Major was the President of Freedonia.",
        [
            fact(
                "position.was_office",
                "mary-major",
                "held_position",
                "president-of-freedonia",
                since="2004",
                until="2004",
            )
        ],
    ),
    (
        "Mary Major spoke; in 2004 she was the President of Freedonia.",
        [
            fact(
                "position.was_office",
                "mary-major",
                "held_position",
                "president-of-freedonia",
                since="2004",
                until="2004",
            )
        ],
    ),
    # Words between the person and "was": not said of her.
    ("Mary Major, in 2004, was the President of Freedonia.", []),
    (
        "The President of Freedonia Mary Major spoke.",
        [fact("position.title_before_name", "mary-major", "held_position", "president-of-freedonia")],
    ),
    (
        "Mary Major (Sylvania) spoke.",
        [fact("origin.named_in_parentheses", "mary-major", "national_of", "sylvania")],
    ),
    (
        "The Trade Forum (Port Town) was opened.",
        [fact("institution.opened", "trade-forum", "opened", place="port-town")],
    ),
]

MEETINGS = [
    (
        "The Port Town Ministerial Council met in 2005.",
        [
            fact("meeting.named_place", "council-in-port-town", "took_place_in", "port-town", at="2005"),
            fact("meeting.named_place", "council-in-port-town", "meeting_of", "ministerial-council"),
        ],
    ),
    # What a name says of itself is proposed where the name first stands, not again where it recurs.
    (
        "The UOE Summit in Capitol City met in 2001. The UOE Summit in Capitol City ended in 2001.",
        [
            fact("meeting.named_place", "union-summit-2001", "took_place_in", "capitol-city", at="2001"),
            fact("meeting.named_place", "union-summit-2001", "meeting_of", "union"),
        ],
    ),
    (
        "The Second Congress of Fishers met.",
        [fact("meeting.named_place", "second-congress", "part_of", "congress")],
    ),
    (
        "The Preparatory Meeting for the Trade Forum met.",
        [fact("meeting.named_place", "preparatory-meeting", "part_of", "trade-forum")],
    ),
    (
        "The UOE's Fisheries Round Table met.",
        [fact("meeting.named_place", "round-table", "meeting_of", "union")],
    ),
    # A council named with no place is the standing body, not one of its meetings.
    ("The Ministerial Council met.", []),
    (
        "The Fisheries Round Table was held in Port Town on 4 May 2006.",
        [fact("meeting.held", "round-table", "took_place_in", "port-town", at="2006-05-04")],
    ),
    (
        "The Fisheries Round Table took place in 2006.",
        [fact("meeting.held", "round-table", "held", at="2006")],
    ),
    (
        "The Harbour Rally was organized from Port Town to Capitol City in 2003.",
        [
            fact("meeting.held", "rally", "took_place_in", "port-town", at="2003"),
            fact("meeting.held", "rally", "took_place_in", "capitol-city", at="2003"),
        ],
    ),
    (
        "The Ministerial Council meeting held in Port Town ended.",
        [
            fact("meeting.held", "council-meeting-port-town", "took_place_in", "port-town"),
            fact("meeting.held", "council-meeting-port-town", "meeting_of", "ministerial-council"),
        ],
    ),
    (
        "The Congress of Fishers on July 1-2, 2009 was calm.",
        [fact("meeting.dated", "congress", "held", since="2009-07-01", until="2009-07-02")],
    ),
    ("The Congress of Fishers in 2009 was calm.", []),
    (
        "Sylvania organized the Fisheries Round Table.",
        [
            fact("event.organised", "sylvania", "organised", "round-table"),
            fact("event.organised", "round-table", "held"),
        ],
    ),
    # An event no name matched was organised, but is not proposed as held: the fact would name no entity.
    (
        "Sylvania organised the Harbour Games in 2010.",
        [fact("event.organised", "sylvania", "organised", "Harbour Games", at="2010")],
    ),
    # An event organised as an intention was held as an intention too.
    (
        "Sylvania is expected to have hosted the Trade Forum in 2012.",
        [
            fact("event.organised", "sylvania", "organised", "trade-forum", at="2012", modality="planned"),
            fact("event.organised", "trade-forum", "held", at="2012", modality="planned"),
        ],
    ),
    (
        "Sylvania intends to hold a Fisheries Round Table in 2012.",
        [
            fact("meeting.holding", "sylvania", "organised", "round-table", at="2012", modality="planned"),
            fact(
                "aim.intends_to",
                "sylvania",
                "aims_to",
                value="hold a Fisheries Round Table in 2012",
                modality="planned",
            ),
            fact("meeting.holding", "round-table", "held", at="2012", modality="planned"),
        ],
    ),
    (
        "The issue of holding the Fisheries Round Table was raised.",
        [fact("meeting.holding", "round-table", "held", modality="planned")],
    ),
    (
        "The Fisheries Round Table is planned for 2013.",
        [fact("meeting.planned", "round-table", "held", at="2013", modality="planned")],
    ),
    # A planned meeting no name matches is not proposed, and the next one of the sentence is read.
    (
        "A Harbour Conference has been planned for 2010 and the Trade Forum is scheduled for 2011.",
        [fact("meeting.planned", "trade-forum", "held", at="2011", modality="planned")],
    ),
    (
        "The Fisheries Round Table has been being scheduled for 2013.",
        [fact("meeting.planned", "round-table", "held", at="2013", modality="planned")],
    ),
    # "to hold" states an intention however far the indentation of an extracted line puts the verb from it
    # (further than the forty characters before a verb that are looked at for one).
    (
        "Sylvania agreed to\n" + " " * 40 + "host the Fisheries Round Table in 2012.",
        [
            fact("meeting.holding", "sylvania", "organised", "round-table", at="2012", modality="planned"),
            fact("meeting.holding", "round-table", "held", at="2012", modality="planned"),
        ],
    ),
    # A host that hosts every year is asserted; "hosts" a known name that is no meeting proposes nothing.
    (
        "Sylvania hosts the Fisheries Round Table every year.",
        [
            fact("meeting.holding", "sylvania", "organised", "round-table"),
            fact("meeting.holding", "round-table", "held"),
        ],
    ),
    ("Sylvania hosts the Union Office in Port Town.", []),
    # With no name before "to hold", or a name before "hosting" (whose offer it was not), no organiser.
    (
        "It was decided to hold the Fisheries Round Table in 2012.",
        [fact("meeting.holding", "round-table", "held", at="2012", modality="planned")],
    ),
    (
        "Sylvania welcomed Freedonia's offer of hosting the Fisheries Round Table.",
        [fact("meeting.holding", "round-table", "held", modality="planned")],
    ),
    # "would then be held" and "a meeting to be held" state an intention.
    (
        "The Fisheries Round Table would then be held in Port Town.",
        [fact("meeting.held", "round-table", "took_place_in", "port-town", modality="planned")],
    ),
    (
        "A Fisheries Round Table to be held in Port Town was announced.",
        [fact("meeting.held", "round-table", "took_place_in", "port-town", modality="planned")],
    ),
    # A meeting no name matched, held at a date and no place: held then, in the text's words.
    ("The Harbour Summit was held in 2005.", [fact("meeting.held", "Harbour Summit", "held", at="2005")]),
    # A known council "held in" a place is the known meeting of that name and place, if there is one.
    (
        "The Ministerial Council was held in Capitol City.",
        [fact("meeting.held", "council-in-capitol-city", "took_place_in", "capitol-city")],
    ),
]

ACTS = [
    (
        "The Fisheries Center opened. In 2010 the Center was renamed the Union Center in Port Town.",
        [
            fact(
                "renaming.renamed",
                "fisheries-center",
                "renamed_to",
                "center-in-port-town",
                at="2010",
            )
        ],
    ),
    (
        "The Trade Forum and the Union Office in Port Town were officially opened in 2001.",
        [
            fact("institution.opened", "trade-forum", "opened", at="2001"),
            fact("institution.opened", "office-in-port-town", "opened", place="port-town", at="2001"),
        ],
    ),
    # The place an opened name ends on is its place only when a name matches it: words no entity bears
    # would hold up a fact that is right without them.
    (
        "The Harbour Summit in Nowhere was opened on 3 May 2005.",
        [fact("institution.opened", "summit-in-nowhere", "opened", at="2005-05-03")],
    ),
    (
        "The Fisheries Round Table, initiated by Sylvania in 1998, grew.",
        [fact("initiative.initiated_by", "sylvania", "initiated", "round-table", at="1998")],
    ),
    (
        "The Trade Forum was launched by the UOE.",
        [fact("initiative.initiated_by", "union", "initiated", "trade-forum")],
    ),
    (
        "The adoption by the Trade Forum of the Charter of Harbours in 2004 was welcome.",
        [fact("document.adoption_of", "charter", "adopted", at="2004")],
    ),
    (
        "Under the decision of the UOE, the Trade Forum has been transformed into the Fisheries Center.",
        [
            fact("decision.by_decision_of", "union", "decided_on", "trade-forum"),
            fact("renaming.transformed", "trade-forum", "transformed_into", "fisheries-center"),
        ],
    ),
    (
        "Mary Major was appointed as President of Freedonia by decision of the Trade Forum.",
        [
            fact("position.appointed", "mary-major", "held_position", "president-of-freedonia"),
            fact("decision.by_decision_of", "trade-forum", "decided_on", "president-of-freedonia"),
        ],
    ),
    (
        "The UOE Summit in Capitol City, at which a decision was made to rename the Trade Forum, ended.",
        [
            fact("meeting.named_place", "union-summit-2001", "took_place_in", "capitol-city"),
            fact("meeting.named_place", "union-summit-2001", "meeting_of", "union"),
            fact("decision.decision_to", "union-summit-2001", "decided_on", "trade-forum"),
        ],
    ),
    (
        "Sylvania signed the Harbour Treaty in 1975.",
        [fact("document.signed", "sylvania", "signed", "harbour-treaty", at="1975")],
    ),
    # A passive "was signed" names no signatory, and the next signature of the sentence is read.
    (
        "The Charter of Harbours was signed in 2001, and in 2003 Freedonia signed the Harbour Treaty.",
        [fact("document.signed", "freedonia", "signed", "harbour-treaty", at="2003")],
    ),
    # A signatory set off from "signed" by an aside between commas.
    (
        "Freedonia, after long talks, signed the Harbour Treaty in 2001.",
        [fact("document.signed", "freedonia", "signed", "harbour-treaty", at="2001")],
    ),
    # "by signing X": the document after the verb, not every document the sentence names after it...
    (
        "Freedonia marked its accession by signing the Harbour Treaty, as the Charter of Harbours required.",
        [fact("document.signed", "freedonia", "signed", "harbour-treaty")],
    ),
    # ... while ", signing X and Y" lists each document named from the verb on (with no article, too), and
    # neither a document named before it nor a name that is no document.
    (
        "Having drafted the Harbour Treaty, Freedonia assumed its obligations in 2001, signing Protocol 7 and"
        " the Charter of Harbours with Sylvania.",
        [
            fact("document.signed", "freedonia", "signed", "protocol-7", at="2001"),
            fact("document.signed", "freedonia", "signed", "charter", at="2001"),
        ],
    ),
    ("The Harbour Treaty was signed by Sylvania.", []),
    # A document whose name opens with a document word is named, not "the charter" named before.
    (
        "Sylvania has signed the Charter of Harbours.",
        [fact("document.signed", "sylvania", "signed", "charter")],
    ),
    (
        "In 1975 the Harbour Treaty was drafted. Sylvania signed the treaty in 1976.",
        [fact("document.signed", "sylvania", "signed", "harbour-treaty", at="1976")],
    ),
    # An intention in the rule's own words ("will be opened") is planned.
    (
        "The Union Center in Port Town will be opened in 2030.",
        [
            fact(
                "institution.opened",
                "center-in-port-town",
                "opened",
                place="port-town",
                at="2030",
                modality="planned",
            )
        ],
    ),
    (
        "The Union Office in Port Town will be renamed the Trade Forum.",
        [fact("renaming.renamed", "office-in-port-town", "renamed_to", "trade-forum", modality="planned")],
    ),
    (
        "The Fisheries Round Table will be held in Port Town.",
        [fact("meeting.held", "round-table", "took_place_in", "port-town", modality="planned")],
    ),
    # An adoption stated as an intention is planned; an adoption of what no name matches proposes nothing.
    (
        "The Trade Forum is expected to complete the adoption of the Charter of Harbours in 2012.",
        [fact("document.adoption_of", "charter", "adopted", at="2012", modality="planned")],
    ),
    ("After the adoption of the agenda, Sylvania spoke.", []),
    # A decision of words no name matched, of a body on nothing renamed or appointed, or with no comma
    # before what it decided on: no decision proposed.
    (
        "By decision of the board, the Trade Forum was renamed the Fisheries Center.",
        [fact("renaming.renamed", "trade-forum", "renamed_to", "fisheries-center")],
    ),
    ("By decision of the UOE, Sylvania agreed to the rules.", []),
    ("By decision of the UOE the Trade Forum closed.", []),
    # A numbered edition ("the XX Congress") is not the known name after its numeral.
    ("By decision of the UOE, the XX Congress of Fishers was moved to Port Town.", []),
    # "appointed as <office> by decision of <body>": the office is the last name before the decision, with
    # other names before it or none, and with a name after the body.
    (
        "She was appointed as President of Freedonia by decision of the Trade Forum.",
        [fact("decision.by_decision_of", "trade-forum", "decided_on", "president-of-freedonia")],
    ),
    (
        "In 2005 in Port Town, Mary Major was appointed as President of Freedonia by decision of the Trade"
        " Forum.",
        [
            fact("position.appointed", "mary-major", "held_position", "president-of-freedonia", since="2005"),
            fact("decision.by_decision_of", "trade-forum", "decided_on", "president-of-freedonia"),
        ],
    ),
    (
        "Mary Major was appointed as President of Freedonia by decision of the Trade Forum in Capitol City.",
        [
            fact("position.appointed", "mary-major", "held_position", "president-of-freedonia"),
            fact("decision.by_decision_of", "trade-forum", "decided_on", "president-of-freedonia"),
        ],
    ),
    # A meeting's decision is dated by the date nearest it; a month is no meeting, a pronoun nothing decided.
    (
        "The UOE Summit in Capitol City, at which a decision was made to rename the Trade Forum in 2005,"
        " ended.",
        [
            fact("meeting.named_place", "union-summit-2001", "took_place_in", "capitol-city", at="2005"),
            fact("meeting.named_place", "union-summit-2001", "meeting_of", "union"),
            fact("decision.decision_to", "union-summit-2001", "decided_on", "trade-forum", at="2005"),
        ],
    ),
    ("The summit held in May, at which a decision was made to rename the Trade Forum, ended.", []),
    (
        "The UOE Summit in Capitol City, at which a decision was made to rename it, ended.",
        [
            fact("meeting.named_place", "union-summit-2001", "took_place_in", "capitol-city"),
            fact("meeting.named_place", "union-summit-2001", "meeting_of", "union"),
        ],
    ),
    # "launched by" with a pronoun before it initiates nothing; stated as an intention, it is planned.
    ("It was launched by the UOE in 1998.", []),
    (
        "The Fisheries Round Table will be launched by the UOE.",
        [fact("initiative.initiated_by", "union", "initiated", "round-table", modality="planned")],
    ),
]

AIMS_AND_COUNTS = [
    (
        "Sylvania aims to grow; Freedonia is determined to help.",
        [
            fact(
                "aim.intends_to",
                "sylvania",
                "aims_to",
                value="grow; Freedonia is determined to help",
                modality="planned",
            ),
            fact("aim.intends_to", "freedonia", "aims_to", value="help", modality="planned"),
        ],
    ),
    (
        "Sylvania supports the UOE (and its aims).",
        [fact("position.supports", "sylvania", "supports", value="the UOE (and its aims)")],
    ),
    ("Sylvania supports, of course, nothing.", []),
    # A position elided ("...") or held by words no name matched is not proposed; one of a single letter
    # (an option) and one that opens with an X are.
    ("Freedonia supports ...", []),
    ("The Kingdom of Ruritania supports the plan.", []),
    (
        "Of the two options, Freedonia supports B.",
        [fact("position.supports", "freedonia", "supports", value="B")],
    ),
    (
        "Sylvania supports X-ray checks of cargo in its ports.",
        [fact("position.supports", "sylvania", "supports", value="X-ray checks of cargo in its ports")],
    ),
    # An aim whose subject is a pronoun is passed over, and the next aim of the sentence is read.
    (
        "They intend to wait, and Freedonia intends to join the UOE.",
        [fact("aim.intends_to", "freedonia", "aims_to", value="join the UOE", modality="planned")],
    ),
    (
        "Roughly 80 envoys of Sylvania were trained in 2005.",
        [
            fact(
                "count.number_of",
                "sylvania",
                "counted",
                value="roughly 80 envoys of Sylvania were trained in 2005",
                at="2005",
            )
        ],
    ),
    # A number opening a clause with no verb of what it counts says nothing of it.
    ("Twelve Freedonia ships sailed.", []),
    (
        "At least 3 UOE envoys have left, and 4 Sylvania envoys stayed.",
        [fact("count.number_of", "union", "counted", value="at least 3 UOE envoys have left")],
    ),
    # A number that opens a name counts nothing, not even a name after it.
    ("Twelve Harbours Forum envoys from Sylvania were trained in 2005.", []),
]


SLOTS_AND_DATES = [
    # A text that ends on a date, with no full stop, still dates its last sentence.
    (
        "Sylvania joined the Trade Forum in March 2004",
        [fact("membership.joined", "sylvania", "member_of", "trade-forum", since="2004-03")],
    ),
    (
        "The Fisheries Round Table, attended by Sylvania, Freedonia, and the UOE in 2004, ended.",
        [
            fact("meeting.attended_by", "sylvania", "participated_in", "round-table", at="2004"),
            fact("meeting.attended_by", "freedonia", "participated_in", "round-table", at="2004"),
            fact("meeting.attended_by", "union", "participated_in", "round-table", at="2004"),
        ],
    ),
    (
        "The Fisheries Round Table will be attended by the UOE and Jane Roe.",
        [
            fact("meeting.attended_by", "union", "participated_in", "round-table", modality="planned"),
            fact("meeting.attended_by", "jane-roe", "participated_in", "round-table", modality="planned"),
        ],
    ),
    # Words no name matched fill the slot as written, up to where the noun phrase ends.
    (
        "The Fisheries Round Table attended by Ruritania ended.",
        [fact("meeting.attended_by", "Ruritania ended", "participated_in", "round-table")],
    ),
    # "X, which SUBJECT chaired": X is the object, past an abbreviation in parentheses.
    (
        "The Trade Forum (TF), which Freedonia will chair in 2012, met.",
        [
            fact(
                "chair.chaired",
                "freedonia",
                "chaired",
                "trade-forum",
                since="2012",
                until="2012",
                modality="planned",
            )
        ],
    ),
    (
        "The Trade Forum, that Sylvania chaired in 2004, met.",
        [fact("chair.chaired", "sylvania", "chaired", "trade-forum", since="2004", until="2004")],
    ),
    # A bare name no earlier name explains stays the text's words.
    (
        "The Center was renamed the Union Center in Port Town.",
        [fact("renaming.renamed", "Center", "renamed_to", "center-in-port-town")],
    ),
    # The head of a state taking part: the state, in the role; a person takes part as themselves.
    (
        "The President of Freedonia took part in the Trade Forum in 2004.",
        [
            fact(
                "meeting.took_part",
                "freedonia",
                "participated_in",
                "trade-forum",
                role="president-of-freedonia",
                at="2004",
            )
        ],
    ),
    (
        "Mary Major took part in the Trade Forum.",
        [fact("meeting.took_part", "mary-major", "participated_in", "trade-forum")],
    ),
    (
        "John Doe took part in the work of the Trade Forum.",
        [fact("membership.in_the_work_of", "john-doe", "member_of", "trade-forum")],
    ),
    # A date inside a parenthesis the verb is not in dates something else.
    (
        "Sylvania assumed the chairmanship of the Trade Forum (since 2001) in 2005.",
        [fact("chair.assumed", "sylvania", "chaired", "trade-forum", since="2005")],
    ),
    (
        "The Fisheries Round Table (an event initiated in 2003) was held in Port Town in 2005.",
        [fact("meeting.held", "round-table", "took_place_in", "port-town", at="2005")],
    ),
    (
        "In 2000 the Harbour Treaty was drafted; Sylvania signed the document in 2001.",
        [fact("document.signed", "sylvania", "signed", "harbour-treaty", at="2001")],
    ),
    ("Sylvania signed the document in 2001.", []),
    (
        "Sylvania intends to join (if possible.) Then it rests.",
        [fact("aim.intends_to", "sylvania", "aims_to", value="join (if possible.)", modality="planned")],
    ),
]


SUBJECTS_AND_OBJECTS = [
    # A list explains the last words of a name when they are a name: the partners, not their friends.
    (
        "The Friends of Union partners (Sylvania, Freedonia) met.",
        [
            fact("membership.listed_in_parentheses", "sylvania", "member_of", "union-partners"),
            fact("membership.listed_in_parentheses", "freedonia", "member_of", "union-partners"),
        ],
    ),
    # Tours are no meeting of the council: no "meeting_of"; they are the known tours of that place, and
    # where none is known the text's words.
    (
        "The Ministerial Council tours held in Port Town ended.",
        [fact("meeting.held", "council-tours", "took_place_in", "port-town")],
    ),
    (
        "The Ministerial Council bicycle tours held in Capitol City ended.",
        [fact("meeting.held", "Ministerial Council bicycle tours", "took_place_in", "capitol-city")],
    ),
    # A finite verb, or more than 12 words, between a name and "held": the name is not what was held.
    ("The Fisheries Round Table that was planned was held in Port Town.", []),
    (
        "The Fisheries Round Table with many many many guests from many far away lands and seas was held in "
        "Port Town.",
        [fact("meeting.held", "round-table", "took_place_in", "port-town")],
    ),
    (
        "The Fisheries Round Table with many many many guests from many far away blue lands and seas was "
        "held in Port Town.",
        [],
    ),
    # A name in the possessive, or a capital that opens the sentence, is not the subject.
    ("Sylvania's envoy joined the UOE in 2003.", []),
    ("Once the state joined the UOE, it grew.", []),
    # More than eight unmatched words are no name.
    ("The Big Small State Of Many Hills Far In The North joined the UOE.", []),
    (
        "In that year, These States joined the UOE.",
        [fact("membership.joined", "These States", "member_of", "union")],
    ),
    # An aside set off by commas or parentheses stands between the subject and its verb.
    ("Sylvania, in its aim, joined the UOE.", [fact("membership.joined", "sylvania", "member_of", "union")]),
    ("Sylvania (a state) joined the UOE.", [fact("membership.joined", "sylvania", "member_of", "union")]),
    # Words in lower case name nothing; "the first meeting of A and B" is a meeting, not A.
    ("Sylvania joined one of the leading bodies.", []),
    ("Sylvania joined the first meeting of the UOE and the Trade Forum.", []),
    # The possessive name is passed over for the name it qualifies.
    (
        "Sylvania joined the UOE's Trade Forum.",
        [fact("membership.joined", "sylvania", "member_of", "trade-forum")],
    ),
    # A list of subjects needs its "and"; without it only the last name is the subject.
    (
        "Freedonia, Sylvania, the UOE organized the Fisheries Round Table.",
        [
            fact("event.organised", "union", "organised", "round-table"),
            fact("event.organised", "round-table", "held"),
        ],
    ),
    (
        "Freedonia (Sylvania) and the UOE organized the Fisheries Round Table.",
        [
            fact("origin.named_in_parentheses", "freedonia", "located_in", "sylvania"),
            fact("event.organised", "freedonia", "organised", "round-table"),
            fact("event.organised", "union", "organised", "round-table"),
            fact("event.organised", "round-table", "held"),
        ],
    ),
    # An organiser's object may stand later in the clause.
    (
        "The UOE organized a side event on the theme: Fisheries Round Table.",
        [
            fact("event.organised", "union", "organised", "round-table"),
            fact("event.organised", "round-table", "held"),
        ],
    ),
    ("The UOE organized in Port Town the Fisheries Round Table.", []),
    # Attendees in a list: a name in parentheses is no attendee; a list ends where the text stops listing.
    (
        "The Fisheries Round Table was attended by Sylvania (Port Town) and the UOE.",
        [
            fact("meeting.attended_by", "sylvania", "participated_in", "round-table"),
            fact("meeting.attended_by", "union", "participated_in", "round-table"),
            fact("origin.named_in_parentheses", "sylvania", "located_in", "port-town"),
        ],
    ),
    ("The Fisheries Round Table was attended by envoys of Sylvania.", []),
    (
        "The Fisheries Round Table was attended by Sylvania; Port Town was calm.",
        [fact("meeting.attended_by", "sylvania", "participated_in", "round-table")],
    ),
    # The longest last words of a name that name another entity are what a list explains.
    (
        "The Greater Port Town (Sylvania, Freedonia) met.",
        [
            fact("membership.listed_in_parentheses", "sylvania", "member_of", "port-town"),
            fact("membership.listed_in_parentheses", "freedonia", "member_of", "port-town"),
        ],
    ),
    (
        "The Friends of Sylvania (Freedonia, UOE) met.",
        [
            fact("membership.listed_in_parentheses", "freedonia", "member_of", "sylvania"),
            fact("membership.listed_in_parentheses", "union", "member_of", "sylvania"),
        ],
    ),
    # A body's meeting described in words is the known meeting of that body in that place.
    (
        "The Ministerial Council meeting held in Capitol City ended.",
        [
            fact("meeting.held", "council-in-capitol-city", "took_place_in", "capitol-city"),
            fact("meeting.held", "council-in-capitol-city", "meeting_of", "ministerial-council"),
        ],
    ),
    # "the document": the last document named before, skipping other names; none named before, none.
    ("Sylvania signed the document in 2001. The Harbour Treaty was drafted.", []),
    (
        "In 2000 the Harbour Treaty was drafted by Sylvania. Freedonia signed the document.",
        [fact("document.signed", "freedonia", "signed", "harbour-treaty")],
    ),
    # Within a sentence, facts come in the order of their first words; a document named in an earlier
    # sentence counts as the sentence's start.
    (
        "In 2000 the Harbour Treaty was drafted. Sylvania supports peace, and Freedonia signed the document.",
        [
            fact("document.signed", "freedonia", "signed", "harbour-treaty"),
            fact(
                "position.supports", "sylvania", "supports", value="peace, and Freedonia signed the document"
            ),
        ],
    ),
]


# Lists in parentheses, members by apposition, chairs and members read from each sentence.
LISTS = [
    (
        "Sylvania met at the Port Town Ministerial Council in 2005.",
        [
            fact("meeting.named_place", "council-in-port-town", "took_place_in", "port-town", at="2005"),
            fact("meeting.named_place", "council-in-port-town", "meeting_of", "ministerial-council"),
        ],
    ),
    (
        "The Ministerial Council and the Port Town Ministerial Council met in 2005.",
        [
            fact("meeting.named_place", "council-in-port-town", "took_place_in", "port-town", at="2005"),
            fact("meeting.named_place", "council-in-port-town", "meeting_of", "ministerial-council"),
        ],
    ),
    (
        "Sylvania organized the talks, and the Fisheries Round Table was held in Port Town.",
        [fact("meeting.held", "round-table", "took_place_in", "port-town")],
    ),
    # A meeting named in an unknown place says nothing of where it met.
    ("The Harbour Summit in Nowhere met.", []),
    (
        "Sylvania was the UOE; Mary Major was the President of Freedonia.",
        [fact("position.was_office", "mary-major", "held_position", "president-of-freedonia")],
    ),
    (
        "During the Trade Forum Chairmanship and the Sylvania UOE Chairmanship, talks began.",
        [fact("chair.named_chairmanship", "sylvania", "chaired", "union")],
    ),
    *(
        (f"In 2009, under {word} Trade Forum Chairmanship, talks began.", [])
        for word in ("The", "A", "An", "This", "Its", "Our")
    ),
    (
        "Sylvania assumed the Chairmanship of the Trade Forum.",
        [fact("chair.assumed", "sylvania", "chaired", "trade-forum")],
    ),
    (
        "Then they assumed power; Sylvania assumed the chairmanship of the Trade Forum.",
        [fact("chair.assumed", "sylvania", "chaired", "trade-forum")],
    ),
    ("Sylvania assumed the Trade Forum role in 2004.", []),
    (
        "Sylvania took over the Trade Forum Chairmanship in 2004.",
        [fact("chair.assumed", "sylvania", "chaired", "trade-forum", since="2004")],
    ),
    ("Sylvania assumed the chairmanship of Sylvania.", []),
    ("In 2008 a decision was made for Sylvania to assume the chairmanship.", []),
    ("In 2008 a decision was made for Sylvania to assume the Sylvania chairmanship.", []),
    # A decision is dated by the date before it, the chairmanship it decides by the date nearest its verb.
    (
        "2008: after a long and careful vote of all the members of the Union of Examples in the great hall, "
        "a decision was made for Sylvania to assume the UOE chairmanship in 2010.",
        [
            fact("chair.assumed", "sylvania", "chaired", "union", since="2010", modality="planned"),
            fact("chair.decision_to_chair", "sylvania", "elected_to_chair", "union", at="2008"),
        ],
    ),
    ("Sylvania was chaired by Sylvania.", []),
    ("Chairmanship of Sylvania in the envoys ended.", []),
    ("Chairmanship of Sylvania in Sylvania ended.", []),
    (
        "The Trade Forum will be chaired by Sylvania.",
        [fact("chair.chaired_by", "sylvania", "chaired", "trade-forum", modality="planned")],
    ),
    (
        "There will be the chairmanship of Sylvania in the Trade Forum.",
        [fact("chair.chairmanship_of", "sylvania", "chaired", "trade-forum", modality="planned")],
    ),
    (
        "Chairmanship of Ruritania in the UOE and chairmanship of Sylvania in the Trade Forum.",
        [fact("chair.chairmanship_of", "sylvania", "chaired", "trade-forum")],
    ),
    (
        "Chairmanship of Freedonia, and chairmanship of Sylvania in the Trade Forum.",
        [fact("chair.chairmanship_of", "sylvania", "chaired", "trade-forum")],
    ),
    (
        "The Troika (Freedonia and Sylvania) met.",
        [
            fact("membership.listed_in_parentheses", "freedonia", "member_of", "troika"),
            fact("membership.listed_in_parentheses", "sylvania", "member_of", "troika"),
        ],
    ),
    (
        "The Troika (Freedonia, Sylvania,) met.",
        [
            fact("membership.listed_in_parentheses", "freedonia", "member_of", "troika"),
            fact("membership.listed_in_parentheses", "sylvania", "member_of", "troika"),
        ],
    ),
    (
        "The Troika (Freedonia, Sylvania, UOE) met.",
        [
            fact("membership.listed_in_parentheses", "freedonia", "member_of", "troika"),
            fact("membership.listed_in_parentheses", "sylvania", "member_of", "troika"),
            fact("membership.listed_in_parentheses", "union", "member_of", "troika"),
        ],
    ),
    ("The Troika (with Freedonia, Sylvania) met.", []),
    ("The Troika (Freedonia, Sylvania X) met.", []),
    (
        "The Trade Forum (TF) and the Troika (Freedonia, Sylvania) met.",
        [
            fact("membership.listed_in_parentheses", "freedonia", "member_of", "troika"),
            fact("membership.listed_in_parentheses", "sylvania", "member_of", "troika"),
        ],
    ),
    (
        "The Troika (Freedonia, Sylvania) met the Trade Forum (TF).",
        [
            fact("membership.listed_in_parentheses", "freedonia", "member_of", "troika"),
            fact("membership.listed_in_parentheses", "sylvania", "member_of", "troika"),
        ],
    ),
    (
        "The Trade Forum (Freedonia or Sylvania) and the Troika (Freedonia, Sylvania) met.",
        [
            fact("membership.listed_in_parentheses", "freedonia", "member_of", "troika"),
            fact("membership.listed_in_parentheses", "sylvania", "member_of", "troika"),
        ],
    ),
    (
        "The Trade Forum (with Freedonia, Sylvania) and the Troika (Freedonia, Sylvania) met.",
        [
            fact("membership.listed_in_parentheses", "freedonia", "member_of", "troika"),
            fact("membership.listed_in_parentheses", "sylvania", "member_of", "troika"),
        ],
    ),
    (
        "As a Troika Member, Freedonia spoke.",
        [fact("membership.as_a_member", "freedonia", "member_of", "troika")],
    ),
    ("As a Troika member, it spoke.", []),
    (
        "Sylvania spoke as a Troika member, Freedonia too.",
        [fact("membership.as_a_member", "freedonia", "member_of", "troika")],
    ),
    (
        "As a rule the Troika met; as a Troika member, Freedonia spoke.",
        [fact("membership.as_a_member", "freedonia", "member_of", "troika")],
    ),
    (
        "As a Troika, Freedonia met; as a Troika member, Sylvania spoke.",
        [fact("membership.as_a_member", "sylvania", "member_of", "troika")],
    ),
    (
        "As a Troika member Freedonia spoke; as a Troika member, Sylvania spoke too.",
        [
            fact("membership.as_a_member", "freedonia", "member_of", "troika"),
            fact("membership.as_a_member", "sylvania", "member_of", "troika"),
        ],
    ),
    (
        "The envoys chaired by nobody met; the Trade Forum chaired by Sylvania ended.",
        [fact("chair.chaired_by", "sylvania", "chaired", "trade-forum")],
    ),
    ("The envoys chaired by Sylvania met.", []),
    (
        "By joining the Trade Forum, Sylvania agreed, and grew.",
        [fact("membership.joining_first", "sylvania", "member_of", "trade-forum")],
    ),
    ("By joining the Trade Forum, in 2004 Sylvania agreed.", []),
]


ITSELF = [
    # No rule relates an entity to itself: where one known name fills both slots (often a known name inside
    # a longer one no name matched, "the Trade Forum secretariat"), that relation is not proposed.
    ("In 2005, during the Sylvania\nSylvania Chairmanship, the UOE grew.", []),
    (
        "The Trade Forum was attended by Sylvania, Freedonia and the Trade Forum secretariat.",
        [
            fact("meeting.attended_by", "sylvania", "participated_in", "trade-forum"),
            fact("meeting.attended_by", "freedonia", "participated_in", "trade-forum"),
        ],
    ),
    (
        "By decision of the Trade Forum, the Trade Forum was renamed the Fisheries Center.",
        [fact("renaming.renamed", "trade-forum", "renamed_to", "fisheries-center")],
    ),
    ("The Trade Forum, at which a decision was made to rename the Trade Forum secretariat, ended.", []),
    (
        "The Ministerial Council holds a Ministerial Council session each spring.",
        [fact("meeting.holding", "ministerial-council", "held")],
    ),
    ("The Fisheries Center programme was launched by the Fisheries Center in 2004.", []),
    ("The Trade Forum was held at the Trade Forum headquarters in Port Town.", []),
    (
        "The Trade Forum was held in Port Town on the sidelines of the Trade Forum Summit.",
        [fact("meeting.held", "trade-forum", "took_place_in", "port-town")],
    ),
]

NAMES_READ_BACK = [
    # A stated position inside a parenthesis ends with it.
    (
        "Sylvania (which supports open harbours) met.",
        [fact("position.supports", "sylvania", "supports", value="open harbours")],
    ),
    # A title written in lower case is still the office of its state.
    (
        "The president of Freedonia took part in the Trade Forum.",
        [
            fact(
                "meeting.took_part",
                "freedonia",
                "participated_in",
                "trade-forum",
                role="president-of-freedonia",
            )
        ],
    ),
    # "since" a date: a state's start; "for" a year: the period a chairmanship fills.
    (
        "Sylvania is a member of the Trade Forum since 2001.",
        [fact("membership.is_member", "sylvania", "member_of", "trade-forum", since="2001")],
    ),
    (
        "Sylvania will assume the chairmanship of the Trade Forum for 2010.",
        [
            fact(
                "chair.assumed",
                "sylvania",
                "chaired",
                "trade-forum",
                since="2010",
                until="2010",
                modality="planned",
            )
        ],
    ),
    # A person's name is two to four capitalised words; five are a place's.
    (
        "Mary Ann Lee Major (Sylvania) spoke.",
        [fact("origin.named_in_parentheses", "mary-ann", "national_of", "sylvania")],
    ),
    (
        "Mary Ann Jo Lee Major (Sylvania) spoke.",
        [fact("origin.named_in_parentheses", "mary-ann-jo", "located_in", "sylvania")],
    ),
    # A position stated in a parenthesis ends where that parenthesis closes, or with the sentence.
    (
        "The Union (a body) met Sylvania (which supports open harbours).",
        [fact("position.supports", "sylvania", "supports", value="open harbours")],
    ),
    (
        "Sylvania (which supports open harbours) met Freedonia (a state).",
        [fact("position.supports", "sylvania", "supports", value="open harbours")],
    ),
    (
        "Sylvania (which supports open harbours",
        [fact("position.supports", "sylvania", "supports", value="open harbours")],
    ),
    (
        "Sylvania (which supports open harbours. ) met.",
        [fact("position.supports", "sylvania", "supports", value="open harbours")],
    ),
    # "X, which SUBJECT chaired" only when X stands right before the comma, outside any parenthesis.
    ("The Trade Forum, (in 2004) which Sylvania chaired in 2005, met.", []),
    ("The Trade Forum (part of the UOE, which Freedonia chaired in 2004) met.", []),
    ("Sylvania met the envoys, which Freedonia chaired in 2004.", []),
    # Another name between the meeting and "held" (not in a parenthesis): not what was held.
    ("The Fisheries Round Table with Sylvania's envoys was held in Port Town.", []),
    (
        "The Fisheries Round Table (with Sylvania) was held in 2005.",
        [fact("meeting.held", "round-table", "held", at="2005")],
    ),
    (
        "The Fisheries Round Table with many many many guests from many far away lands and seas (x) was held "
        "in Port Town.",
        [fact("meeting.held", "round-table", "took_place_in", "port-town")],
    ),
    # An office of a state no name matches takes part as itself.
    (
        "The President of Ruritania took part in the Trade Forum.",
        [fact("meeting.took_part", "president-of-ruritania", "participated_in", "trade-forum")],
    ),
    # A name with an entity of its own is not read back to an earlier name containing it.
    (
        "The Friends of Sylvania met. Then Sylvania was renamed the Trade Forum.",
        [fact("renaming.renamed", "sylvania", "renamed_to", "trade-forum")],
    ),
    # A name is not a member of itself; two unmatched names are still two.
    ("Freedonia joined the Republic of Freedonia.", []),
    # Nor does it take part in or sign itself: in "the Union of Examples Summit" (no name of its own) the
    # Union is read, and "the document" after the Harbour Treaty's parties is that treaty.
    ("The UOE took part in the Union of Examples Summit in 2005.", []),
    ("The parties to the Harbour Treaty signed the document on 3 May 2005.", []),
    (
        "In 2004, Ruritania joined the Harbour Club.",
        [fact("membership.joined", "Ruritania", "member_of", "Harbour Club", since="2004")],
    ),
    # A sentence set in parentheses is dated by its own date.
    (
        "(In 2001 Sylvania joined the UOE.)",
        [fact("membership.joined", "sylvania", "member_of", "union", since="2001")],
    ),
    (
        "Freedonia joined Xanadu Club.",
        [fact("membership.joined", "freedonia", "member_of", "Xanadu Club")],
    ),
    # The chair's object ends where the rule's words say, not at the noun phrase's end.
    (
        "In 2008 a decision was made for Sylvania to assume the Ruritanian chairmanship in 2010.",
        [fact("chair.decision_to_chair", "sylvania", "elected_to_chair", "Ruritanian", at="2008")],
    ),
    # An organiser's object is looked for up to the end of the clause only.
    ("The UOE organized a side event, which Sylvania attended.", []),
    (
        "The UOE organized the Fisheries Round Table",
        [
            fact("event.organised", "union", "organised", "round-table"),
            fact("event.organised", "round-table", "held"),
        ],
    ),
    ("Sylvania joined (UOE) in 2004.", []),
    # A name that begins with the article the rule's words took, in either case.
    (
        "Sylvania joined The Old Guard in 2004.",
        [fact("membership.joined", "sylvania", "member_of", "old-guard", since="2004")],
    ),
    (
        "Sylvania joined the Old Guard in 2004.",
        [fact("membership.joined", "sylvania", "member_of", "old-guard", since="2004")],
    ),
    # An election is dated by the date before it, even when a later one stands nearer.
    (
        "2007: after a long and careful vote of all the members, Freedonia was elected President of the UOE "
        "in 2010.",
        [fact("chair.elected", "freedonia", "elected_to_chair", "union", at="2007")],
    ),
    # Capitalised words a name is part of are kept whole; eight unmatched words are still a name.
    (
        "Sylvania joined the Fisheries Conference of the UOE.",
        [fact("membership.joined", "sylvania", "member_of", "Fisheries Conference of the UOE")],
    ),
    (
        "Sylvania joined the Big Small State Of Many Hills Far North.",
        [fact("membership.joined", "sylvania", "member_of", "Big Small State Of Many Hills Far North")],
    ),
    (
        "In that year, Big Small State Of Many Hills Far North joined the UOE.",
        [fact("membership.joined", "Big Small State Of Many Hills Far North", "member_of", "union")],
    ),
    # A second verb after an unmatched object keeps the subject.
    (
        "Sylvania joined the Harbour Club and joined the UOE.",
        [
            fact("membership.joined", "sylvania", "member_of", "Harbour Club"),
            fact("membership.joined", "sylvania", "member_of", "union"),
        ],
    ),
    # A pronoun is no subject, nor words before the last comma of the clause.
    ("In that year, It joined the UOE.", []),
    ("The Harbour Club, they say, joined the UOE.", []),
    # "X has chaired the Forum (TF) and intends to": the Forum is the first verb's object.
    (
        "Sylvania has chaired the Trade Forum (TF) and intends to grow.",
        [
            fact("chair.chaired", "sylvania", "chaired", "trade-forum"),
            fact("aim.intends_to", "sylvania", "aims_to", value="grow", modality="planned"),
        ],
    ),
    # Quotation marks around unmatched words are not part of them.
    (
        'Freedonia joined the "Harbour Club" in 2004.',
        [fact("membership.joined", "freedonia", "member_of", "Harbour Club", since="2004")],
    ),
    # "the Center" renamed is the last center named in an earlier sentence (in any case, past other
    # names), not one named later or in its own sentence.
    (
        "The Center (the old Fisheries Center) was renamed the Union Center in Port Town.",
        [fact("renaming.renamed", "Center", "renamed_to", "center-in-port-town")],
    ),
    (
        "The Center was renamed the Union Center in Port Town. The Fisheries Center opened.",
        [fact("renaming.renamed", "Center", "renamed_to", "center-in-port-town")],
    ),
    (
        "The Fisheries Center opened near Port Town. The Center was renamed the Union Center in Port Town.",
        [fact("renaming.renamed", "fisheries-center", "renamed_to", "center-in-port-town")],
    ),
    (
        "The fisheries center opened. In 2010 the Center was renamed the Union Center in Port Town.",
        [fact("renaming.renamed", "fisheries-center", "renamed_to", "center-in-port-town", at="2010")],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The Friends of Union partners (Sylvania, Freedonia) met.",
            [
                (("Sylvania", "sylvania"), ("Union partners", "union-partners")),
                (("Freedonia", "freedonia"), ("Union partners", "union-partners")),
            ],
        ),
        (
            "The Ministerial Council meeting held in Capitol City ended.",
            [
                (
                    ("Ministerial Council meeting", "council-in-capitol-city"),
                    ("Capitol City", "capitol-city"),
                ),
                (
                    ("Ministerial Council meeting", "council-in-capitol-city"),
                    ("Ministerial Council", "ministerial-council"),
                ),
            ],
        ),
        (
            "The fisheries center opened. The Center was renamed the Union Center in Port Town.",
            [
                (
                    ("fisheries center", "fisheries-center"),
                    ("Union Center in Port Town", "center-in-port-town"),
                )
            ],
        ),
        (
            "The President of Freedonia took part in the Trade Forum.",
            [
                (
                    ("Freedonia", "freedonia"),
                    ("Trade Forum", "trade-forum"),
                    ("President of Freedonia", "president-of-freedonia"),
                )
            ],
        ),
        (
            "The Friends of the Union partners (Sylvania, Freedonia) met.",
            [
                (("Sylvania", "sylvania"), ("the Union partners", "union-partners")),
                (("Freedonia", "freedonia"), ("the Union partners", "union-partners")),
            ],
        ),
        (
            "The Port Town Ministerial Council met in 2005.",
            [
                (("Port Town Ministerial Council", "council-in-port-town"), ("Port Town", "port-town")),
                (
                    ("Port Town Ministerial Council", "council-in-port-town"),
                    ("Ministerial Council", "ministerial-council"),
                ),
            ],
        ),
        (
            "The Second Congress of Fishers met.",
            [(("Second Congress of Fishers", "second-congress"), ("Congress of Fishers", "congress"))],
        ),
        (
            "The Union Office in Port Town was opened in 2004.",
            [(("Union Office in Port Town", "office-in-port-town"), ("Port Town", "port-town"))],
        ),
        (
            "The Preparatory Meeting for the Trade Forum met.",
            [
                (
                    ("Preparatory Meeting for the Trade Forum", "preparatory-meeting"),
                    ("Trade Forum", "trade-forum"),
                )
            ],
        ),
        (
            "The UOE Summit in Capitol City met.",
            [
                (("UOE Summit in Capitol City", "union-summit-2001"), ("Capitol City", "capitol-city")),
                (("UOE Summit in Capitol City", "union-summit-2001"), ("UOE", "union")),
            ],
        ),
        (
            "The Harbour Treaty was drafted. Sylvania signed the document.",
            [(("Sylvania", "sylvania"), ("Harbour Treaty", "harbour-treaty"))],
        ),
    ],
)
def test_each_proposal_lists_the_words_each_entity_was_read_from(
    text: str, expected: list[tuple[tuple[str, str], ...]]
) -> None:
    proposals = propose(text, WORDS)

    assert [p.matched for p in proposals] == expected
    assert all(p.unmatched == () for p in proposals)


@pytest.mark.parametrize(
    ("text", "expected"),
    MEMBERSHIP
    + CHAIR
    + POSITION
    + MEETINGS
    + ACTS
    + AIMS_AND_COUNTS
    + SLOTS_AND_DATES
    + SUBJECTS_AND_OBJECTS
    + NAMES_READ_BACK
    + LISTS
    + ITSELF,
)
def test_each_rule_proposes_every_field_from_its_sentence(text: str, expected: list[Row]) -> None:
    assert rows(text) == expected


# -- dates ----------------------------------------------------------------------------------------------

DateRow = tuple[int, int, str, str | None, str]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("In 1994.", [(3, 7, "1994", None, "")]),
        ("January 1992", [(0, 12, "1992-01", None, "")]),
        ("June 21, 2007", [(0, 13, "2007-06-21", None, "")]),
        ("1 December 2010", [(0, 15, "2010-12-01", None, "")]),
        ("December 1-2, 2010", [(0, 18, "2010-12-01", "2010-12-02", "")]),
        ("May 4 – 5, 2001", [(0, 15, "2001-05-04", "2001-05-05", "")]),
        ("1-2 December 2010", [(0, 17, "2010-12-01", "2010-12-02", "")]),
        ("September-December 2011", [(0, 23, "2011-09", "2011-12", "")]),
        ("2017-2019", [(0, 9, "2017", "2019", "")]),
        ("December 2010 - March 2011", [(0, 26, "2010-12", "2011-03", "")]),
        ("from June 2012 to August 2014", [(5, 29, "2012-06", "2014-08", "")]),
        ("between 2009 and 2011", [(8, 21, "2009", "2011", "")]),
        # "and" joins two dates into a range only after "from" or "between".
        ("2009 and 2011", [(0, 4, "2009", None, ""), (9, 13, "2011", None, "")]),
        ("2010 to 2011", [(0, 4, "2010", None, ""), (8, 12, "2011", None, "until")]),
        # A range read backwards is not a range.
        ("2019-2017", []),
        ("2011 - 2010", []),
        ("from 2011 to 2010", [(5, 9, "2011", None, "since"), (13, 17, "2010", None, "until")]),
        ("from 2010 to 2011 to 2012", [(5, 17, "2010", "2011", ""), (21, 25, "2012", None, "until")]),
        ("from 2010 and very much later 2011", [(5, 9, "2010", None, "since"), (30, 34, "2011", None, "")]),
        ("around 1990", [(7, 11, "circa 1990", None, "")]),
        ("about the year 1990", [(15, 19, "circa 1990", None, "")]),
        ("c. 1990", [(3, 7, "circa 1990", None, "")]),
        # A hedged range is circa at both ends.
        ("around 2010-2012", [(7, 16, "circa 2010", "circa 2012", "")]),
        ("since 2001", [(6, 10, "2001", None, "since")]),
        ("as of early 2001", [(12, 16, "2001", None, "since")]),
        ("starting in 2001", [(12, 16, "2001", None, "since")]),
        ("from the beginning of 2003", [(22, 26, "2003", None, "since")]),
        ("from mid-2003", [(9, 13, "2003", None, "since")]),
        ("effective 2003", [(10, 14, "2003", None, "since")]),
        ("until 2004", [(6, 10, "2004", None, "until")]),
        ("through 2004", [(8, 12, "2004", None, "until")]),
        ("to 2004", [(3, 7, "2004", None, "until")]),
        # The word that leads a date is read in the 40 characters before it (a text wrapped with wide
        # spacing), not further back.
        ("from" + " " * 36 + "2010", [(40, 44, "2010", None, "since")]),
        ("from" + " " * 37 + "2010", [(41, 45, "2010", None, "")]),
        # No such day: only the year stands.
        ("February 30, 2010", [(13, 17, "2010", None, "")]),
        # Numbers that are no years, or years inside another number.
        (
            "February 30, 2010 or June 21, 2007",
            [(13, 17, "2010", None, ""), (21, 34, "2007-06-21", None, "")],
        ),
        ("2010-2010", [(0, 9, "2010", "2010", "")]),
        ("from 2010 to 2010", [(5, 17, "2010", "2010", "")]),
        ("2019-2017 and 2020-2021", [(14, 23, "2020", "2021", "")]),
        ("December 2010 – March 2011", [(0, 26, "2010-12", "2011-03", "")]),
        ("December 2010 — March 2011", [(0, 26, "2010-12", "2011-03", "")]),
        # Two dates are one range when at most 12 characters join them, and "from" stands within the
        # 20 characters before the first.
        ("from 2010" + " " * 9 + "to 2011", [(5, 25, "2010", "2011", "")]),
        (
            "from 2010" + " " * 10 + "to 2011",
            [(5, 9, "2010", None, "since"), (22, 26, "2011", None, "until")],
        ),
        (
            "from" + " " * 17 + "2010 to 2011",
            [(21, 25, "2010", None, "since"), (29, 33, "2011", None, "until")],
        ),
        ("0999 and 3000", []),
        ("12.2010 1/2010 2010/1 1994.5 12,2010", []),
    ],
)
def test_dates_are_read_at_the_precision_written_with_the_word_that_leads_them(
    text: str, expected: list[DateRow]
) -> None:
    from archive.domain.proposals import find_dates

    assert [
        (date.start, date.end, str(date.first), None if date.last is None else str(date.last), date.lead)
        for date in find_dates(text)
    ] == expected


def test_the_chair_a_decision_names_is_read_between_its_for_and_to() -> None:
    text = "In 2008, Freedonia said a decision was made for the envoys to assume the UOE chairmanship."

    assert [row for row in rows(text) if row[0] == "chair.decision_to_chair"] == []


def test_a_proposal_ends_on_the_line_of_its_last_character() -> None:
    text = "Sylvania joined the UOE in 2004 and\nx"

    assert [(p.line_start, p.line_end, p.quote) for p in propose(text, WORDS)] == [
        (1, 2, "Sylvania joined the UOE in 2004 and x")
    ]


def test_a_year_inside_a_name_is_not_a_date() -> None:
    from archive.domain.proposals import find_dates, find_mentions

    text = "The Games 2017 were held in 2018."
    mentions = find_mentions(text, [KnownName("games", "Games 2017")])

    assert [(date.start, str(date.first)) for date in find_dates(text, mentions)] == [(28, "2018")]
    assert [str(date.first) for date in find_dates(text)] == ["2017", "2018"]


# -- sentences ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two! Three? Four", ["One.", "Two!", "Three?", "Four"]),
        # An initial or a short title before a full stop ends no sentence.
        ("Mr. Roe met J. Doe. Then left.", ["Mr. Roe met J. Doe.", "Then left."]),
        ("See p. 4 here. And No. 5 there.", ["See p. 4 here.", "And No. 5 there."]),
        ("A line that wraps\nover two. Next one.", ["A line that wraps\nover two.", "Next one."]),
        ("A line\n\nNew block here.", ["A line", "New block here."]),
        # Blank lines before a line in lower case: a page break inside one sentence.
        ("ends with no stop\n\n\nand goes on.", ["ends with no stop\n\n\nand goes on."]),
        ("ends with no stop\n\n\nAnd stops.", ["ends with no stop", "And stops."]),
        # A line ending in a full stop (trailing spaces or not) ends its sentence, even when the next text
        # line goes on in lower case; a title's full stop at a line's end ends none.
        (
            "The first ends here.\nand the next is in lower case.",
            ["The first ends here.", "and the next is in lower case."],
        ),
        ("It ends here.  \n\nand a new block begins.", ["It ends here.", "and a new block begins."]),
        ("J. Doe met Mr. \nRoe in 2001.", ["J. Doe met Mr. \nRoe in 2001."]),
        # Each line's sentences are cut once.
        (
            "It met. It ended.\nThen it met again. It ended again.",
            ["It met.", "It ended.", "Then it met again.", "It ended again."],
        ),
        ("ANNUAL REPORT\nThe text starts.", ["ANNUAL REPORT", "The text starts."]),
        ("Annual Report Of Things\nThe text starts.", ["Annual Report Of Things", "The text starts."]),
        # Capitalised words inside a wrapped sentence are no heading.
        ("The text says\nAnnual Report Of Things went.", ["The text says\nAnnual Report Of Things went."]),
        ('He said "Yes." Then (Twice.) Done.', ['He said "Yes."', "Then (Twice.)", "Done."]),
        ("Wait.  \n  ", ["Wait."]),
        ("The end.)\nNext", ["The end.)", "Next"]),
        # A line with a lower-case word of four letters ("said", "that") is prose, not a title...
        ("Freedonia said that Sylvania\nhas joined.", ["Freedonia said that Sylvania\nhas joined."]),
        # ... and a title's full stop ends no sentence, spaces after it or not.
        ("Sylvania, Freedonia and Mr. \nDoe signed.", ["Sylvania, Freedonia and Mr. \nDoe signed."]),
    ],
)
def test_a_text_is_cut_into_sentences(text: str, expected: list[str]) -> None:
    from archive.domain.proposals import find_sentences

    assert [text[sentence.start : sentence.end] for sentence in find_sentences(text)] == expected


# -- names ----------------------------------------------------------------------------------------------

REGISTRY = (
    KnownName("forum", "Trade Forum"),
    KnownName("forum-in-port-town", "Trade Forum in Port Town"),
    KnownName("port-town", "Port Town"),
    KnownName("union", "UOE"),
    KnownName("twin-1", "Twin"),
    KnownName("twin-2", "Twin"),
    KnownName("summit", "Summit (2010)"),
    KnownName("office", "Office [external: where the name comes from]"),
    KnownName("peoples-forum", "People's Forum"),
    KnownName("pact", "Sea-Land Pact"),
    KnownName("troika", '"Troika" of the Forum'),
    KnownName("blank", "  "),
    KnownName("harbour-office", "Harbour  Office"),
    KnownName("remark-only", "[a remark]"),
    # A placeholder with no word in it is never found, and the names after it still are.
    KnownName("placeholder", "???"),
    KnownName("watch", "«  Harbour Watch »"),
    KnownName("star-forum", "Yıldız Forum"),
    KnownName("inci-office", "İnci Office"),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Longest name first; any case for a name with lower-case letters.
        (
            "The Trade Forum in Port Town and Port Town and trade forum.",
            [
                (4, 28, "Trade Forum in Port Town", "forum-in-port-town"),
                (33, 42, "Port Town", "port-town"),
                (47, 58, "trade forum", "forum"),
            ],
        ),
        # An acronym only as written, and only as a whole word.
        ("UOE uoe Uoe UOEs", [(0, 3, "UOE", "union")]),
        # ... found past a place where only its letters stand.
        ("uoe and UOE", [(8, 11, "UOE", "union")]),
        # A name two entities bear goes to neither; a remark or a disambiguation is not part of a name.
        (
            "Twin met Summit and Office.",
            [(0, 4, "Twin", None), (9, 15, "Summit", "summit"), (20, 26, "Office", "office")],
        ),
        (
            "People’s Forum and People's  Forum",
            [(0, 14, "People’s Forum", "peoples-forum"), (19, 34, "People's Forum", "peoples-forum")],
        ),
        (
            "Sea–Land Pact, Sea-\nLand Pact",
            [(0, 13, "Sea–Land Pact", "pact"), (15, 29, "Sea- Land Pact", "pact")],
        ),
        ("the “Troika” of the Forum", [(4, 25, "“Troika” of the Forum", "troika")]),
        ("TradeForum Trade Forums xTrade Forum", []),
        # A run of spaces in a registry's name matches one space or more in the text...
        ("the Harbour Office", [(4, 18, "Harbour Office", "harbour-office")]),
        # ... also among the signs before its first word.
        ("the « Harbour Watch »", [(4, 21, "« Harbour Watch »", "watch")]),
        # The dotted and dotless i are i to the case-blind search, as to the name's pattern: a heading in
        # capitals, or a text that writes the dotted capital I without its dot.
        (
            "The YILDIZ FORUM and the Inci Office",
            [(4, 16, "YILDIZ FORUM", "star-forum"), (25, 36, "Inci Office", "inci-office")],
        ),
    ],
)
def test_names_are_found_longest_first_and_a_shared_name_names_no_one(
    text: str, expected: list[tuple[int, int, str, str | None]]
) -> None:
    from archive.domain.proposals import find_mentions

    assert [(m.start, m.end, m.words, m.entity_id) for m in find_mentions(text, REGISTRY)] == expected


def test_a_name_is_looked_up_by_one_spelling_and_an_acronym_by_its_case() -> None:
    from archive.domain.proposals import name_index, name_key

    assert name_key("UOE") == "=UOE"
    assert name_key("Trade  \n Forum") == "~trade forum"
    assert name_key("People’s “x” a–b a- b") == '~people\'s "x" a-b a-b'
    assert name_index(REGISTRY) == {
        "~trade forum": ("forum",),
        "~trade forum in port town": ("forum-in-port-town",),
        "~port town": ("port-town",),
        "=UOE": ("union",),
        "~twin": ("twin-1", "twin-2"),
        "~summit": ("summit",),
        "~office": ("office",),
        "~people's forum": ("peoples-forum",),
        "~sea-land pact": ("pact",),
        '~"troika" of the forum': ("troika",),
        "~harbour office": ("harbour-office",),
        "=???": ("placeholder",),
        "~« harbour watch »": ("watch",),
        "~yıldız forum": ("star-forum",),
        "~i̇nci office": ("inci-office",),
    }


# -- a verb rule read more than once in a sentence, and a place named after a comma ---------------------

VERB_RULE_READ_AGAIN = [
    # A passive first match ("was established": its doer is not named before it) does not stop the active
    # one after it.
    (
        "The Union Office in Port Town was established and Freedonia established the Fisheries Center.",
        [fact("institution.established", "freedonia", "established", "fisheries-center")],
    ),
    # A second subject named before the second verb is that verb's subject, whether the verbs are joined by
    # "and" or not: the first verb's subject is kept only when no name comes between.
    (
        "Freedonia joined the UOE and Sylvania joined the Trade Forum.",
        [
            fact("membership.joined", "freedonia", "member_of", "union"),
            fact("membership.joined", "sylvania", "member_of", "trade-forum"),
        ],
    ),
    (
        "Freedonia joined the UOE, then Sylvania joined the Trade Forum.",
        [
            fact("membership.joined", "freedonia", "member_of", "union"),
            fact("membership.joined", "sylvania", "member_of", "trade-forum"),
        ],
    ),
    # A first match with no subject (a pronoun) does not stop the next one.
    (
        "It joined the UOE and Sylvania joined the Trade Forum.",
        [fact("membership.joined", "sylvania", "member_of", "trade-forum")],
    ),
    # A rule not dated before its words takes the date nearest the verb, here the one after it.
    (
        "In 1999 the talks began, and after long years of talks with its neighbours Freedonia joined the"
        " Trade Forum in 2004.",
        [fact("membership.joined", "freedonia", "member_of", "trade-forum", since="2004")],
    ),
    # The intention is read before the rule's first word, not before its last: "intends to" stands more
    # than two words before the end of "become a full member of".
    (
        "Sylvania intends to become a full member of the UOE.",
        [
            fact("membership.became_member", "sylvania", "member_of", "union", modality="planned"),
            fact(
                "aim.intends_to",
                "sylvania",
                "aims_to",
                value="become a full member of the UOE",
                modality="planned",
            ),
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), VERB_RULE_READ_AGAIN)
def test_a_verb_rule_reads_each_match_with_its_own_subject_date_and_modality(
    text: str, expected: list[Row]
) -> None:
    assert rows(text) == expected


NAMED_IN_PARENTHESES = [
    # "in Place, Country": the place is located in the country.
    (
        "The talks took place in Town, Sylvania.",
        [fact("origin.named_in_parentheses", "town", "located_in", "sylvania")],
    ),
    # The same entity named twice ("Freedonia (Republic of Freedonia)") says nothing, and reading goes on
    # past it to the next pair of names.
    ("Freedonia (Republic of Freedonia) spoke.", []),
    (
        "Freedonia and the Republic of Freedonia welcomed Jane Roe (Sylvania).",
        [fact("origin.named_in_parentheses", "jane-roe", "national_of", "sylvania")],
    ),
    # An abbreviation in parentheses is skipped, and the names after it are still read.
    (
        "The Trade Forum (UOE) met Jane Roe (Sylvania).",
        [fact("origin.named_in_parentheses", "jane-roe", "national_of", "sylvania")],
    ),
    # Whether a name stands inside a parenthesis is judged where it stands, not by one left open later.
    (
        "Jane Roe (Sylvania) spoke (see the annex.",
        [fact("origin.named_in_parentheses", "jane-roe", "national_of", "sylvania")],
    ),
]


@pytest.mark.parametrize(("text", "expected"), NAMED_IN_PARENTHESES)
def test_a_country_in_parentheses_or_after_a_place_and_a_comma(text: str, expected: list[Row]) -> None:
    assert rows(text) == expected


READ_PAST_A_FIRST_MATCH = [
    # "was born in": no office after the verb; the "she was" after it is still read, of the person
    # named earlier in the sentence.
    (
        "Jane Roe was born in Sylvania and she was the Union Envoy on Fisheries.",
        [fact("position.was_office", "jane-roe", "held_position", "envoy")],
    ),
    # The pronoun is read in any case: "She" after a colon.
    (
        "Jane Roe (Sylvania): She was the Union Envoy on Fisheries.",
        [
            fact("position.was_office", "jane-roe", "held_position", "envoy"),
            fact("origin.named_in_parentheses", "jane-roe", "national_of", "sylvania"),
        ],
    ),
    # A "held" whose subject is a pronoun proposes nothing, and the next "held" of the sentence is read.
    (
        "It was held in Port Town and the Harbour Summit in Nowhere was held in Capitol City.",
        [fact("meeting.held", "summit-in-nowhere", "took_place_in", "capitol-city")],
    ),
    # A clause that opens with a number but says nothing of what it counts, counts no name, or whose number
    # opens a name proposes nothing, and the next clause is read.
    (
        "Twelve Freedonia ships sailed, and 4 Sylvania envoys were trained.",
        [fact("count.number_of", "sylvania", "counted", value="4 Sylvania envoys were trained")],
    ),
    (
        "Some 30 envoys were trained, and 12 Sylvania envoys were trained.",
        [fact("count.number_of", "sylvania", "counted", value="12 Sylvania envoys were trained")],
    ),
    (
        "Twelve Harbours Forum envoys were trained, and 4 Sylvania envoys were trained.",
        [fact("count.number_of", "sylvania", "counted", value="4 Sylvania envoys were trained")],
    ),
    # A decision of words no name matched, a decision of no one (a date before it) and "holds the view":
    # the next match of the sentence is read.
    (
        "Under the decision of the board, the Fisheries Center was opened; under the decision of the UOE, the"
        " Trade Forum was renamed the Union Office in Port Town.",
        [
            fact("institution.opened", "fisheries-center", "opened"),
            fact("decision.by_decision_of", "union", "decided_on", "trade-forum"),
            fact("renaming.renamed", "trade-forum", "renamed_to", "office-in-port-town"),
        ],
    ),
    (
        "In 2005, a decision was made to rename the Trade Forum, and the UOE Summit in Capitol City, at which"
        " a decision was taken to rename the Fisheries Center, ended.",
        [
            fact("meeting.named_place", "union-summit-2001", "took_place_in", "capitol-city", at="2005"),
            fact("meeting.named_place", "union-summit-2001", "meeting_of", "union"),
            fact("decision.decision_to", "union-summit-2001", "decided_on", "fisheries-center", at="2005"),
        ],
    ),
    (
        "Sylvania holds the view that Freedonia should host the Fisheries Round Table.",
        [
            fact("meeting.holding", "freedonia", "organised", "round-table"),
            fact("meeting.holding", "round-table", "held"),
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), READ_PAST_A_FIRST_MATCH)
def test_a_rule_reads_past_a_match_that_proposes_nothing(text: str, expected: list[Row]) -> None:
    assert rows(text) == expected


INTENTION_WINDOW = [
    # A question's opening "Will"/"Would" is the sentence's first character and is read.
    (
        "Will Freedonia become a member of the UOE?",
        [fact("membership.became_member", "freedonia", "member_of", "union", modality="planned")],
    ),
    # An intention is looked for in the 40 characters before the verb: "will" 40 characters before it is
    # read, 41 characters before it is not (a "will" that far back belongs to another verb).
    (
        "Freedonia will counterrevolutionar wholeheartedly become a member of the UOE.",
        [fact("membership.became_member", "freedonia", "member_of", "union", modality="planned")],
    ),
    (
        "Freedonia will counterrevolutionary wholeheartedly become a member of the UOE.",
        [fact("membership.became_member", "freedonia", "member_of", "union")],
    ),
]


@pytest.mark.parametrize(("text", "expected"), INTENTION_WINDOW)
def test_an_intention_is_read_in_the_forty_characters_before_the_verb(text: str, expected: list[Row]) -> None:
    assert rows(text) == expected


SUBJECT_EDGES = [
    # A name set off by a phrase with commas inside it is still the subject of a participle after it, while
    # the phrase (with its commas) is at most 12 words long...
    (
        "The Harbour Treaty, on fishing, trade, ports and the rights of the coastal states, adopted at the"
        " Fisheries Round Table, entered into force.",
        [fact("document.adopted_at", "harbour-treaty", "adopted_at", "round-table")],
    ),
    # ... and not past that: 13 words are more than a name's continuation.
    (
        "The Harbour Treaty, on fishing, trade, ports and the rights of the many coastal states, adopted at"
        " the Fisheries Round Table, entered into force.",
        [],
    ),
    # Words no name matched are the subject unless a parenthesis around them closes before the verb: the
    # ")" of a numbered item before them, or of one after the verb, is not theirs.
    ("1) Old Ruritania joined the UOE.", [fact("membership.joined", "Old Ruritania", "member_of", "union")]),
    (
        "Old Ruritania joined the UOE, as item b) of the list says.",
        [fact("membership.joined", "Old Ruritania", "member_of", "union")],
    ),
    # A name between the meeting and "held" in a parenthesis closed before the verb does not hide the
    # meeting, even when a parenthesis after the verb is left open (a sentence cut off).
    (
        "The Harbour Summit in Nowhere (Freedonia) was held in Port Town (see the annex.",
        [fact("meeting.held", "summit-in-nowhere", "took_place_in", "port-town")],
    ),
    # A name of several words renamed to a shorter name of the same entity is no renaming: only a one-word
    # name ("the Center") is looked up among the names before.
    ("The Fisheries Center opened. The Union Center in Port Town was renamed the Center.", []),
]


@pytest.mark.parametrize(("text", "expected"), SUBJECT_EDGES)
def test_the_edges_of_a_subject_read_before_the_verb(text: str, expected: list[Row]) -> None:
    assert rows(text) == expected


MEETING_NAME_EDGES = [
    # A name two entities bear is skipped, and the names after it are still read.
    (
        "The Twin met at the Ministerial Council meeting in Port Town.",
        (KnownName("twin-1", "Twin"), KnownName("twin-2", "Twin")),
        [
            fact("meeting.named_place", "council-meeting-port-town", "took_place_in", "port-town"),
            fact("meeting.named_place", "council-meeting-port-town", "meeting_of", "ministerial-council"),
        ],
    ),
    # A known name before a standing body's words ("Freedonia" + "Fisheries Forum", no known name) does not
    # make the forum a meeting of it; the place in its name is still read.
    (
        "The Freedonia Fisheries Forum in Port Town met.",
        (KnownName("fisheries-forum", "Freedonia Fisheries Forum in Port Town"),),
        [fact("meeting.named_place", "fisheries-forum", "took_place_in", "port-town")],
    ),
    # A year in a meeting's name does not date it: the year the text states does.
    (
        "The Harbour Games 2017 were held in Port Town in 2018.",
        (KnownName("games-2017", "Harbour Games 2017"),),
        [fact("meeting.held", "games-2017", "took_place_in", "port-town", at="2018")],
    ),
    # "Third Congress of Sailors" is an edition only of a known "Congress of Sailors"; none is known here.
    (
        "The Third Congress of Sailors met.",
        (KnownName("third-congress", "Third Congress of Sailors"),),
        [],
    ),
    # "the Round Table's Fisheries Round Table": both names are the same entity, no meeting of itself.
    (
        "The Round Table's Fisheries Round Table met in Port Town.",
        (KnownName("round-table", "Round Table"),),
        [],
    ),
]


@pytest.mark.parametrize(("text", "more_words", "expected"), MEETING_NAME_EDGES)
def test_what_a_meeting_name_says_at_its_edges(
    text: str, more_words: tuple[KnownName, ...], expected: list[Row]
) -> None:
    assert rows(text, more_words) == expected


MORE_MATCHES_IN_A_SENTENCE = [
    # "took part in the work of" is a membership, not a participation, and reading goes on past it.
    (
        "Freedonia took part in the work of the Trade Forum and Sylvania took part in the Harbour Summit in"
        " Nowhere.",
        [
            fact("membership.in_the_work_of", "freedonia", "member_of", "trade-forum"),
            fact("meeting.took_part", "sylvania", "participated_in", "summit-in-nowhere"),
        ],
    ),
    # A participant, a renamed name or an attended meeting that is a pronoun proposes nothing; the next
    # match of the sentence is read.
    (
        "It took part in the Harbour Summit in Nowhere and Sylvania took part in the Fisheries Round Table.",
        [fact("meeting.took_part", "sylvania", "participated_in", "round-table")],
    ),
    (
        "It was renamed the Trade Forum and the Union Office in Port Town was renamed the Fisheries Center.",
        [fact("renaming.renamed", "office-in-port-town", "renamed_to", "fisheries-center")],
    ),
    (
        "It was attended by Freedonia, and the Harbour Summit in Nowhere was attended by Sylvania.",
        [fact("meeting.attended_by", "sylvania", "participated_in", "summit-in-nowhere")],
    ),
    # A meeting "will be held": planned, with its date.
    (
        "The Harbour Summit in Nowhere will be held in 2012.",
        [fact("meeting.held", "summit-in-nowhere", "held", at="2012", modality="planned")],
    ),
    # "<meeting> on <a day>": held that day (a point in time), read past names before it that are no
    # meetings or not followed by "on".
    (
        "Freedonia attended the Second Congress of Fishers on 1 May 2009.",
        [
            fact("meeting.named_place", "second-congress", "part_of", "congress"),
            fact("meeting.dated", "second-congress", "held", at="2009-05-01"),
        ],
    ),
    (
        "The Congress of Fishers met before the Second Congress of Fishers on 1 May 2009.",
        [
            fact("meeting.named_place", "second-congress", "part_of", "congress"),
            fact("meeting.dated", "second-congress", "held", at="2009-05-01"),
        ],
    ),
    # A meeting whose name says where ("... in Port Town") is dated by the rule for its name instead.
    (
        "Freedonia attended the Ministerial Council meeting in Port Town on 3 May 2005.",
        [
            fact(
                "meeting.named_place",
                "council-meeting-port-town",
                "took_place_in",
                "port-town",
                at="2005-05-03",
            ),
            fact("meeting.named_place", "council-meeting-port-town", "meeting_of", "ministerial-council"),
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), MORE_MATCHES_IN_A_SENTENCE)
def test_meetings_participants_and_renamings_read_past_a_match_that_proposes_nothing(
    text: str, expected: list[Row]
) -> None:
    assert rows(text) == expected


HELD_WITH_NO_PLACE = [
    # "held from ... to ..." with no name after "from", or no "to" after it, and "held in" with no name
    # after it: no place, no date, nothing proposed.
    ("The Harbour Summit in Nowhere was held from time to time.", []),
    ("The Harbour Summit in Nowhere was held from Port Town.", []),
    ("The Harbour Summit in Nowhere was held in secret.", []),
    # A participation stated as an intention is planned.
    (
        "Sylvania will take part in the Harbour Summit in Nowhere.",
        [fact("meeting.took_part", "sylvania", "participated_in", "summit-in-nowhere", modality="planned")],
    ),
]


@pytest.mark.parametrize(("text", "expected"), HELD_WITH_NO_PLACE)
def test_a_meeting_held_with_no_place_named_and_a_planned_participation(
    text: str, expected: list[Row]
) -> None:
    assert rows(text) == expected


def test_the_work_of_a_body_is_a_membership_in_any_case() -> None:
    # "the Work of" as a text capitalises it: still a membership, and no participation in "Work of ...".
    assert rows("Freedonia took part in the Work of the Trade Forum.") == [
        fact("membership.in_the_work_of", "freedonia", "member_of", "trade-forum")
    ]
