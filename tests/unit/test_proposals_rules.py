"""Rule by rule: what each rule of ``archive.domain.proposals`` proposes from one made-up sentence (every
field a reviewer sees), and sentences it must leave alone. The vocabulary is the one of
``test_proposals_extraction`` with a few made-up meetings, documents and people added."""

from __future__ import annotations

import pytest

from archive.domain.proposals import KnownName, propose
from tests.unit.test_proposals_extraction import NAMES, assert_quotes_verify

WORDS = (
    *NAMES,
    KnownName("ministerial-council", "Ministerial Council"),
    KnownName("council-in-port-town", "Port Town Ministerial Council"),
    KnownName("council-meeting-port-town", "Ministerial Council meeting in Port Town"),
    KnownName("congress", "Congress of Fishers"),
    KnownName("second-congress", "Second Congress of Fishers"),
    KnownName("preparatory-meeting", "Preparatory Meeting for the Trade Forum"),
    KnownName("charter", "Charter of Harbours"),
    KnownName("troika", "Troika"),
    KnownName("fisheries-center", "Fisheries Center"),
    KnownName("center-in-port-town", "Union Center in Port Town"),
    KnownName("center-in-port-town", "Center"),
    KnownName("rally", "Harbour Rally from Port Town to Capitol City"),
    KnownName("mary-major", "Mary Major"),
    KnownName("high-commissioner", "High Commissioner"),
)

Row = tuple[str, str, str, str | None, str | None, str | None, str | None, str | None, str | None, str | None, str]


def rows(text: str) -> list[Row]:
    """Each proposal as (rule, subject, predicate, object, value, role, place, valid_from, valid_to,
    point_in_time, modality); every quote checked against its lines."""
    proposals = propose(text, WORDS)
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
    (
        "The Fisheries Round Table has been being scheduled for 2013.",
        [fact("meeting.planned", "round-table", "held", at="2013", modality="planned")],
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
    ("The Harbour Treaty was signed by Sylvania.", []),
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
]


@pytest.mark.parametrize(
    ("text", "expected"), MEMBERSHIP + CHAIR + POSITION + MEETINGS + ACTS + AIMS_AND_COUNTS
)
def test_each_rule_proposes_every_field_from_its_sentence(text: str, expected: list[Row]) -> None:
    assert rows(text) == expected
