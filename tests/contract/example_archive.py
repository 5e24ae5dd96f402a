"""An archive on the test database holding the invented corpus of tests/unit/examples.py, for the contract
tests that read what commands leave in the read models and the log.

The vocabulary is the examples' with two more predicates, so that the role mappings use every kind of
slot (a label, the object, the subject, the role and organisation qualifiers) for an office and for an
organisation.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from archive.bootstrap import event_registry
from archive.commands import Archive, CommandMeta, FactWritten, RegisteredSource
from archive.domain.events import Citation, FactChanges, Qualifiers
from archive.domain.facts import FactContent
from archive.domain.vocabulary import Vocabulary, parse_vocabulary
from archive.eventstore import EventStore
from tests.unit.examples import ENTITIES, SOURCE_ID, SOURCE_TEXT
from tests.unit.examples import VOCABULARY as EXAMPLES_VOCABULARY

META = CommandMeta(actor="tester", reason="test", request_id="req-1")
#: The event metadata META gives: the values it has, none of those it leaves out.
META_STORED = {"actor": "tester", "reason": "test", "request_id": "req-1"}

VOCABULARY = Vocabulary(
    predicates={
        **EXAMPLES_VOCABULARY.predicates,
        **parse_vocabulary(
            {
                "predicates": {
                    "serves": {
                        "label": "serves",
                        "description": "the subject serves the object in the office its role qualifier names",
                        "object": "entity",
                        "role": {"office": "qualifier:role", "organization": "label:Example Service"},
                    },
                    "has_secretariat": {
                        "label": "has a secretariat",
                        "description": "the subject keeps a secretariat",
                        "object": "none",
                        "role": {"office": "label:Secretariat", "organization": "subject"},
                    },
                }
            }
        ).predicates,
    }
)

MEMBERSHIP_QUOTE = "In January 1992 Example Country joined the Example Organisation"
CHAIR_QUOTE = "took up the chair of the\nExample Organisation for one year"
SUMMIT_QUOTE = "The Example Summit is planned for December 2010"
OFFICER_QUOTE = "appointed Example Officer in 2011"

MEMBERSHIP = FactContent(subject="example-country", predicate="member_of", object="example-organisation")
CHAIR = FactContent(subject="example-country", predicate="chair_of", object="example-organisation")
OFFICER = FactContent(
    subject="jane-example",
    predicate="holds_office",
    object="example-officer",
    qualifiers=Qualifiers(place="example-city", organization="example-organisation", note="acting"),
    valid_from="2011",
)

#: The example source's second version: a line added above (line 3 moves to 4, lines 4-5 to 5-6),
#: the summit's line gone, the officer's line still line 7.
REVISED_TEXT = (
    "Example Report\n"
    "Revised edition.\n"
    "\n"
    "In January 1992 Example Country joined the Example Organisation.\n"
    "On 1 January 2010 Example Country took up the chair of the   \n"
    "   Example Organisation for one year.\n"
    "Jane Example was  appointed Example Officer in 2011.\n"
)


class Ticking:
    """A clock one minute further on at each call, so that every event has a time of its own."""

    START = datetime.fromisoformat("2024-03-01T12:00:00+00:00")

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> datetime:
        self.calls += 1
        return self.START + timedelta(minutes=self.calls)


async def example_archive(store: EventStore) -> Archive:
    """The command side on `store`, with the examples' entities and source registered."""
    archive = Archive(store, VOCABULARY, Ticking())
    for entity_id, kind in ENTITIES.items():
        await archive.register_entity(entity_id=entity_id, kind=kind, label=entity_id.title(), meta=META)
    await register_source(archive, SOURCE_TEXT)
    return archive


def ticking_store(engine: AsyncEngine) -> EventStore:
    """The archive's event store on `engine`, recording with a `Ticking` clock."""
    return EventStore(engine, event_registry(), Ticking())


async def register_source(
    archive: Archive, text: str, expected_version: int | None = None, conn: AsyncConnection | None = None
) -> RegisteredSource:
    """Register the example source, or a new version of its text (in the caller's transaction `conn`)."""
    return await archive.register_source(
        source_id=SOURCE_ID,
        title="Example Report",
        origin="invented for tests",
        source_date="2011",
        content=text.encode("utf-8"),
        meta=META,
        expected_version=expected_version,
        conn=conn,
    )


async def record(archive: Archive, content: FactContent, *cited: Citation) -> FactWritten:
    """Record a new fact with normal rank."""
    return await archive.record_fact(content=content, rank="normal", citations=cited, meta=META)


async def correct_valid_from(archive: Archive, fact: FactWritten, valid_from: str) -> FactWritten:
    """Correct a fact's start of valid time, with its own first citation as the evidence."""
    assert fact.state is not None
    return await archive.correct_fact(
        fact_id=fact.fact_id,
        expected_version=fact.version,
        changes=FactChanges(valid_from=valid_from),
        reason_code="precision_refinement",
        justification="test: a more precise start",
        citations=fact.state.citations[:1],
        meta=META,
    )
