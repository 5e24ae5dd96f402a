"""An invented corpus for the unit tests: one source, a small vocabulary, a few entities.

No real country, organisation or document is named, on purpose.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from archive.domain.events import Citation, FactRecorded, Rank, SourceRegistered
from archive.domain.facts import FactContent, FactContext
from archive.domain.sources import SourceSnapshot, split_lines
from archive.domain.vocabulary import Vocabulary, parse_vocabulary

AT = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)
LATER = dt.datetime(2024, 3, 2, 9, 30, tzinfo=dt.UTC)

SOURCE_ID = "example-report"
# Line 4 wraps mid-sentence into line 5, with stray spaces at the break, as PDF extraction leaves it.
SOURCE_TEXT = (
    "Example Report\n"
    "\n"
    "In January 1992 Example Country joined the Example Organisation.\n"
    "On 1 January 2010 Example Country took up the chair of the   \n"
    "   Example Organisation for one year.\n"
    "The Example Summit is planned for December 2010 in Example City.\n"
    "Jane Example was  appointed Example Officer in 2011.\n"
)
SOURCE_SHA = hashlib.sha256(SOURCE_TEXT.encode("utf-8")).hexdigest()
SOURCE_LINES = split_lines(SOURCE_TEXT)

SOURCE_REGISTERED = SourceRegistered(
    source_id=SOURCE_ID,
    title="Example Report",
    origin="invented for tests",
    source_date="2011",
    content_sha256=SOURCE_SHA,
    text=SOURCE_TEXT,
    line_count=8,
    version=1,
    recorded_at=AT,
)

SNAPSHOT = SourceSnapshot(
    source_id=SOURCE_ID, content_sha256=SOURCE_SHA, lines=SOURCE_LINES, version=1, title="Example Report"
)

VOCABULARY: Vocabulary = parse_vocabulary(
    {
        "predicates": {
            "member_of": {
                "label": "member of",
                "description": "the subject is a member of the object",
                "object": "entity",
                "subject_kinds": ["country"],
                "object_kinds": ["organisation"],
            },
            "chair_of": {
                "label": "chair of",
                "description": "the subject chairs the object",
                "object": "entity",
                "role": {"office": "label:Chair", "organization": "object"},
            },
            "holds_office": {
                "label": "holds office",
                "description": "the subject holds the office",
                "object": "entity",
                "subject_kinds": ["person"],
                "object_kinds": ["office"],
                "role": {"office": "object", "organization": "qualifier:organization"},
            },
            "takes_place": {
                "label": "takes place",
                "description": "the event happens",
                "object": "none",
            },
            "known_as": {
                "label": "known as",
                "description": "a name in use",
                "object": "literal",
            },
        }
    }
)

ENTITIES = {
    "example-country": "country",
    "example-organisation": "organisation",
    "other-organisation": "organisation",
    "example-city": "place",
    "jane-example": "person",
    "example-officer": "office",
    "example-summit": "event",
}

CONTEXT = FactContext(vocabulary=VOCABULARY, entities=ENTITIES, sources={SOURCE_ID: SNAPSHOT})


def cite(line_start: int, line_end: int, quote: str) -> Citation:
    """A citation into the example source's current version."""
    return Citation(
        source_id=SOURCE_ID,
        content_sha256=SOURCE_SHA,
        line_start=line_start,
        line_end=line_end,
        quote=quote,
    )


MEMBERSHIP_CITATION = cite(3, 3, "In January 1992 Example Country joined the Example Organisation")
CHAIR_CITATION = cite(4, 5, "took up the chair of the\nExample Organisation for one year")
SUMMIT_CITATION = cite(6, 6, "The Example Summit is planned for December 2010")

MEMBERSHIP = FactContent(
    subject="example-country",
    predicate="member_of",
    object="example-organisation",
    valid_from="1992-01",
)
CHAIR = FactContent(
    subject="example-country",
    predicate="chair_of",
    object="example-organisation",
    valid_from="2010-01-01",
    valid_to="2010",
)


def recorded(content: FactContent, fact_id: str, *citations: Citation, rank: Rank = "normal") -> FactRecorded:
    """The ``fact.recorded`` event for ``content`` (already canonical) with its citations."""
    return FactRecorded(
        fact_id=fact_id,
        subject=content.subject,
        predicate=content.predicate,
        object=content.object,
        value=content.value,
        qualifiers=content.qualifiers,
        valid_from=content.valid_from,
        valid_to=content.valid_to,
        point_in_time=content.point_in_time,
        modality=content.modality,
        rank=rank,
        citations=citations,
        recorded_at=AT,
    )
