"""The proposal commands on a real store, on every backend: the `proposal.made` events a source version's
text proposes (one stream each, in the source's transaction, projected), where the rules read that text
(outside the append lock, over the names the registry holds then; inside a caller's transaction, over
what it registered), and an archivist's acceptance (the fact recorded, or cited again, with the
proposal's citation, and the acceptance, in one transaction) or rejection: what each appends and
returns, and each refusal with its field as an acceptance spells it and nothing appended. Fast, for
`make mutation` (archive/commands/proposals.py). The same through the API, on the seed corpus:
tests/integration/test_proposals.py."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Sequence
from typing import Any

import msgspec
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from archive.commands import AcceptedProposal, Archive, RegisteredSource
from archive.commands import proposals as proposal_commands
from archive.commands.proposals import known_names
from archive.domain.errors import DomainError, InvalidDate, SourceHashMismatch, StaleVersion, UnknownPredicate
from archive.domain.events import Citation, FactContent, Qualifiers
from archive.domain.proposal_reviews import proposal_stream
from archive.domain.proposals import KnownName, ProposedFact
from archive.domain.streams import fact_stream
from archive.eventstore import EventStore, RecordedEvent
from archive.projections import proposals
from archive.reads.errors import NotFound
from archive.storage.engine import create_engine
from tests.contract.example_archive import (
    META,
    META_STORED,
    REVISED_TEXT,
    VOCABULARY,
    Ticking,
    register_source,
    ticking_store,
)
from tests.unit.examples import SOURCE_ID, SOURCE_SHA, SOURCE_TEXT

REVISED_SHA = hashlib.sha256(REVISED_TEXT.encode("utf-8")).hexdigest()
MEMBERSHIP_LINE = "In January 1992 Example Country joined the Example Organisation."
OFFICER_LINE = "Jane Example was  appointed Example Officer in 2011."
#: The names the registry gives the example entities here, as the text writes them (example_archive
#: labels them "Example-Country" and so on, which the rules do not match).
TEXT_NAMES = {
    "example-country": ("country", "Example Country"),
    "example-organisation": ("organisation", "Example Organisation"),
    "jane-example": ("person", "Jane Example"),
    "example-officer": ("office", "Example Officer"),
}
MEMBERSHIP = FactContent(
    subject="example-country", predicate="member_of", object="example-organisation", valid_from="1992-01"
)
# The ids of the second version's two proposals (their derivation is pinned in
# tests/unit/test_proposal_reviews.py), and of the fact the membership's content is.
MEMBERSHIP_PROPOSAL = "0f48db44-94d8-5852-aef6-ff6c99417c13"
OFFICER_PROPOSAL = "8a11c405-9824-52ab-90a1-5b16720a20a7"
MEMBERSHIP_FACT = "f34f6aa9-4910-5c31-9336-084ee9df1fa9"


async def name_entities_as_the_text_does(archive: Archive, conn: AsyncConnection | None = None) -> None:
    for entity_id, (kind, label) in TEXT_NAMES.items():
        await archive.register_entity(
            entity_id=entity_id, kind=kind, label=label, meta=META, expected_version=1, conn=conn
        )


@pytest.fixture
async def revised(archive: Archive) -> RegisteredSource:
    """The example source's second version, registered once the registry names its entities as the text
    does: a membership proposal (line 4) and an appointment (line 7), every name matched."""
    await name_entities_as_the_text_does(archive)
    return await register_source(archive, REVISED_TEXT, expected_version=1)


async def the_log(store: EventStore) -> list[RecordedEvent]:
    return await store.read_all(0, 100_000, upcast=False)


async def row(engine: AsyncEngine, proposal_id: str) -> dict[str, Any]:
    async with engine.connect() as conn:
        found = await proposals.get(conn, proposal_id)
    assert found is not None
    return dict(found._mapping)


def as_stored(event: RecordedEvent) -> dict[str, Any]:
    """The event's payload as the log's JSON holds it (tuples as lists), but its time."""
    data: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(event.data))
    return {k: v for k, v in data.items() if k != "recorded_at"}


# --- proposing ------------------------------------------------------------------------------------------


async def test_the_names_the_rules_match_are_every_label_and_alias_with_its_entity(
    archive: Archive, engine: AsyncEngine
) -> None:
    await archive.register_entity(
        entity_id="example-city",
        kind="place",
        label="Example City",
        aliases=("Exampleton",),
        meta=META,
        expected_version=1,
    )
    async with engine.connect() as conn:
        names = await known_names(conn)
    assert names == [
        KnownName("example-city", "Example City"),
        KnownName("example-city", "Exampleton"),
        KnownName("example-country", "Example-Country"),
        KnownName("example-officer", "Example-Officer"),
        KnownName("example-organisation", "Example-Organisation"),
        KnownName("example-summit", "Example-Summit"),
        KnownName("jane-example", "Jane-Example"),
        KnownName("other-organisation", "Other-Organisation"),
    ]


async def test_a_new_version_proposes_each_reading_on_a_stream_of_its_own_in_the_same_transaction(
    revised: RegisteredSource, store: EventStore, engine: AsyncEngine
) -> None:
    (version,) = revised.events
    assert (version.event_type, revised.version) == ("source.revised", 2)
    assert [(e.stream_id, e.stream_version, e.event_type, e.position) for e in revised.proposals] == [
        (proposal_stream(MEMBERSHIP_PROPOSAL), 1, "proposal.made", version.position + 1),
        (proposal_stream(OFFICER_PROPOSAL), 1, "proposal.made", version.position + 2),
    ]
    assert [e.metadata for e in revised.proposals] == [META_STORED, META_STORED]
    assert [e.hash for e in (await the_log(store))[-3:]] == [e.hash for e in (version, *revised.proposals)]
    membership = as_stored(revised.proposals[0])
    assert membership == {
        "proposal_id": MEMBERSHIP_PROPOSAL,
        "source_id": SOURCE_ID,
        "source_version": 2,
        "content_sha256": REVISED_SHA,
        "rule": "membership.joined",
        "content": msgspec.to_builtins(MEMBERSHIP),
        "fact_id": MEMBERSHIP_FACT,
        "line_start": 4,
        "line_end": 4,
        "quote": MEMBERSHIP_LINE,
        "matched": [["Example Country", "example-country"], ["Example Organisation", "example-organisation"]],
        "unmatched": [],
    }
    officer = await row(engine, OFFICER_PROPOSAL)
    assert (officer["status"], officer["version"], officer["source_version"], officer["quote"]) == (
        "pending",
        1,
        2,
        OFFICER_LINE,
    )
    assert (officer["content"]["subject"], officer["content"]["predicate"]) == (
        "jane-example",
        "held_position",
    )


@pytest.fixture
def readings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts the proposal rules are run on, in order."""
    texts: list[str] = []
    propose = proposal_commands.propose

    def counted(text: str, names: Sequence[KnownName]) -> list[ProposedFact]:
        texts.append(text)
        return propose(text, names)

    monkeypatch.setattr(proposal_commands, "propose", counted)
    return texts


async def test_a_text_the_source_holds_already_is_not_read_again_and_proposes_nothing(
    archive: Archive, store: EventStore, readings: list[str]
) -> None:
    before = await the_log(store)
    again = await register_source(archive, SOURCE_TEXT, expected_version=1)
    assert (again.version, again.events, again.proposals) == (1, [], [])
    assert readings == []
    assert await the_log(store) == before
    # A new text is read once, before the lock: not read again inside it.
    await register_source(archive, REVISED_TEXT, expected_version=1)
    assert readings == [REVISED_TEXT]


@pytest.fixture
async def other_process(database_url: str) -> AsyncIterator[Archive]:
    """Another process on the test's database, which gives up waiting for a lock after half a second."""
    engine = create_engine(database_url, lock_timeout_ms=500)
    yield Archive(ticking_store(engine), VOCABULARY, Ticking())
    await engine.dispose()


async def test_the_rules_read_a_new_text_outside_the_append_lock_over_the_names_registered_before(
    archive: Archive, other_process: Archive, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the rules read a text, other writers go on (were the lock held, this one would give up and
    fail the test); an entity they name meanwhile is not matched: its name is listed as unmatched, as if
    it had come a moment later."""
    await archive.register_entity(
        entity_id="example-organisation",
        kind="organisation",
        label="Example Organisation",
        meta=META,
        expected_version=1,
    )
    names = proposal_commands.known_names
    named_meanwhile: list[str] = []

    async def then_another_writer(conn: Any) -> list[KnownName]:
        read = await names(conn)
        if not named_meanwhile:
            await other_process.register_entity(
                entity_id="example-country",
                kind="country",
                label="Example Country",
                meta=META,
                expected_version=1,
            )
            named_meanwhile.append("example-country")
        return read

    monkeypatch.setattr(proposal_commands, "known_names", then_another_writer)
    revised = await register_source(archive, REVISED_TEXT, expected_version=1)
    membership = as_stored(revised.proposals[0])
    assert (membership["content"]["subject"], membership["content"]["object"]) == (
        "Example Country",
        "example-organisation",
    )
    assert (membership["matched"], membership["unmatched"]) == (
        [["Example Organisation", "example-organisation"]],
        ["Example Country"],
    )
    async with engine.connect() as conn:
        assert KnownName("example-country", "Example Country") in await names(conn)


async def test_in_a_callers_transaction_the_rules_read_the_names_that_transaction_registered(
    archive: Archive, store: EventStore, readings: list[str]
) -> None:
    async with store.transaction() as conn:
        await name_entities_as_the_text_does(archive, conn)
        revised = await register_source(archive, REVISED_TEXT, expected_version=1, conn=conn)
    assert readings == [REVISED_TEXT]
    assert [e.data["proposal_id"] for e in revised.proposals] == [MEMBERSHIP_PROPOSAL, OFFICER_PROPOSAL]
    assert [as_stored(e)["unmatched"] for e in revised.proposals] == [[], []]
    assert [e.event_type for e in await the_log(store)][-3:] == [
        "source.revised",
        "proposal.made",
        "proposal.made",
    ]


# --- acceptance -----------------------------------------------------------------------------------------


async def test_accepting_as_proposed_records_the_fact_with_the_proposals_citation_then_the_acceptance(
    archive: Archive, revised: RegisteredSource, store: EventStore, engine: AsyncEngine
) -> None:
    head = (await the_log(store))[-1].position
    accepted = await archive.accept_proposal(
        proposal_id=MEMBERSHIP_PROPOSAL, expected_version=1, edited=None, rank="preferred", meta=META
    )
    stream = proposal_stream(MEMBERSHIP_PROPOSAL)
    assert (accepted.stream_id, accepted.version) == (stream, 2)
    (event,) = accepted.events
    assert (event.position, event.stream_id, event.stream_version, event.event_type) == (
        head + 2,
        stream,
        2,
        "proposal.accepted",
    )
    assert event.metadata == META_STORED
    assert as_stored(event) == {
        "proposal_id": MEMBERSHIP_PROPOSAL,
        "fact_id": MEMBERSHIP_FACT,
        "edited": None,
        "decided_by": "tester",
    }
    fact = accepted.fact
    assert (fact.stream_id, fact.version, fact.fact_id) == (fact_stream(MEMBERSHIP_FACT), 1, MEMBERSHIP_FACT)
    assert [(e.position, e.event_type) for e in fact.events] == [(head + 1, "fact.recorded")]
    assert fact.state is not None
    assert (fact.state.content, fact.state.rank) == (MEMBERSHIP, "preferred")
    assert fact.state.citations == (Citation(SOURCE_ID, REVISED_SHA, 4, 4, MEMBERSHIP_LINE),)
    assert [e.hash for e in (await the_log(store))[-2:]] == [e.hash for e in (*fact.events, event)]
    decided = await row(engine, MEMBERSHIP_PROPOSAL)
    assert (decided["status"], decided["version"], decided["accepted_fact_id"], decided["decided_by"]) == (
        "accepted",
        2,
        MEMBERSHIP_FACT,
        "tester",
    )


async def test_accepting_a_fact_already_recorded_adds_the_proposals_citation_to_it(
    archive: Archive, revised: RegisteredSource
) -> None:
    """The fact's version is read in the acceptance's transaction: adding a citation needs it."""
    elsewhere = Citation(SOURCE_ID, REVISED_SHA, 4, 4, "Example Country joined the Example Organisation")
    recorded = await archive.record_fact(content=MEMBERSHIP, rank="normal", citations=[elsewhere], meta=META)
    accepted = await archive.accept_proposal(
        proposal_id=MEMBERSHIP_PROPOSAL, expected_version=1, edited=None, rank="normal", meta=META
    )
    fact = accepted.fact
    assert (fact.fact_id, fact.version) == (recorded.fact_id, 2)
    assert [(e.stream_version, e.event_type) for e in fact.events] == [(2, "fact.cited")]
    assert fact.state is not None
    assert fact.state.citations == (elsewhere, Citation(SOURCE_ID, REVISED_SHA, 4, 4, MEMBERSHIP_LINE))
    assert (accepted.version, accepted.events[0].data["fact_id"]) == (2, recorded.fact_id)


async def test_an_edited_acceptance_records_the_edited_content_and_says_so(
    archive: Archive, revised: RegisteredSource, engine: AsyncEngine
) -> None:
    # The rules read "appointed" as a predicate this vocabulary does not have: the archivist picks one.
    edited = FactContent(
        subject="jane-example",
        predicate="holds_office",
        object="example-officer",
        qualifiers=Qualifiers(organization="example-organisation"),
        valid_from="2011",
    )
    accepted = await archive.accept_proposal(
        proposal_id=OFFICER_PROPOSAL, expected_version=1, edited=edited, rank="normal", meta=META
    )
    assert accepted.fact.state is not None
    assert accepted.fact.state.content == edited
    assert accepted.fact.state.citations == (Citation(SOURCE_ID, REVISED_SHA, 7, 7, OFFICER_LINE),)
    assert accepted.events[0].data["edited"] == msgspec.to_builtins(edited)
    assert (await row(engine, OFFICER_PROPOSAL))["edited"] == msgspec.to_builtins(edited)


async def refused(store: EventStore, attempt: Awaitable[object]) -> DomainError:
    before = await the_log(store)
    with pytest.raises(DomainError) as caught:
        await attempt
    assert await the_log(store) == before
    return caught.value


async def accept(archive: Archive, edited: FactContent | None = None, **given: Any) -> AcceptedProposal:
    arguments: dict[str, Any] = {
        "proposal_id": MEMBERSHIP_PROPOSAL,
        "expected_version": 1,
        "rank": "normal",
        "meta": META,
    }
    return await archive.accept_proposal(edited=edited, **(arguments | given))


async def test_the_fact_commands_refusals_name_the_field_as_an_acceptance_spells_it(
    archive: Archive, revised: RegisteredSource, store: EventStore
) -> None:
    # As proposed, the appointment names a predicate the vocabulary does not have: its content's.
    error = await refused(store, accept(archive, proposal_id=OFFICER_PROPOSAL))
    assert (type(error), error.field) == (UnknownPredicate, "content.predicate")
    assert "held_position" in error.message
    # An edit naming no registered entity.
    error = await refused(store, accept(archive, msgspec.structs.replace(MEMBERSHIP, object="atlantis")))
    assert error.field == "content.object"
    # The rank is the acceptance's own field.
    error = await refused(store, accept(archive, rank="best"))
    assert (error.field, error.message) == ("rank", "rank 'best' is not one of preferred, normal, deprecated")
    # A valid time that makes no fact id is refused before the fact command is asked.
    error = await refused(store, accept(archive, msgspec.structs.replace(MEMBERSHIP, valid_from="1992-13")))
    assert (type(error), error.field) == (InvalidDate, "content.valid_from")
    assert "1992-13" in error.message


async def test_a_proposal_of_an_older_version_is_refused_naming_its_citations_hash(
    archive: Archive, store: EventStore
) -> None:
    # The first version's membership proposal, its names unmatched then; edited to name the entities.
    made = next(e for e in await the_log(store) if e.event_type == "proposal.made")
    await name_entities_as_the_text_does(archive)
    await register_source(archive, REVISED_TEXT, expected_version=1)
    error = await refused(store, accept(archive, MEMBERSHIP, proposal_id=made.data["proposal_id"]))
    assert type(error) is SourceHashMismatch
    assert error.field == "citation.content_sha256"
    assert f"cites source 'example-report' with content_sha256 {SOURCE_SHA}, an old" in error.message


async def test_accepting_a_proposal_whose_fact_was_redacted_is_a_conflict_on_the_facts_version(
    archive: Archive, revised: RegisteredSource, store: EventStore
) -> None:
    """A redacted fact's id stays taken (docs/decisions/0011-redaction.md): its stream is at version 2
    (recorded, redacted) while the read models hold no fact."""
    recorded = await archive.record_fact(
        content=MEMBERSHIP,
        rank="normal",
        citations=[Citation(SOURCE_ID, REVISED_SHA, 4, 4, "Example Country joined")],
        meta=META,
    )
    await archive.redact_event(
        position=recorded.events[0].position, reason_code="privacy", justification="asked", meta=META
    )
    error = await refused(store, accept(archive))
    assert type(error) is StaleVersion
    assert (error.field, error.stream_id, error.current_version, error.expected_version) == (
        "expected_version",
        f"fact {MEMBERSHIP_FACT}",
        0,
        2,
    )


@pytest.mark.parametrize("decision", ["accept", "reject"])
async def test_a_decision_on_a_proposal_never_made_is_not_found_and_appends_nothing(
    archive: Archive, store: EventStore, decision: str
) -> None:
    before = await the_log(store)
    attempt = (
        accept(archive, proposal_id="no-such-proposal")
        if decision == "accept"
        else archive.reject_proposal(
            proposal_id="no-such-proposal", expected_version=1, reason="a draft", meta=META
        )
    )
    with pytest.raises(NotFound) as caught:
        await attempt
    assert str(caught.value) == "no proposal no-such-proposal"
    assert await the_log(store) == before


# --- rejection ------------------------------------------------------------------------------------------


async def test_a_rejection_is_the_proposals_second_event_with_who_and_why(
    archive: Archive, revised: RegisteredSource, store: EventStore, engine: AsyncEngine
) -> None:
    rejected = await archive.reject_proposal(
        proposal_id=OFFICER_PROPOSAL,
        expected_version=1,
        reason="the appointment was announced, not made",
        meta=META,
    )
    stream = proposal_stream(OFFICER_PROPOSAL)
    assert (rejected.stream_id, rejected.version) == (stream, 2)
    (event,) = rejected.events
    assert (event.stream_id, event.stream_version, event.event_type, event.metadata) == (
        stream,
        2,
        "proposal.rejected",
        META_STORED,
    )
    assert as_stored(event) == {
        "proposal_id": OFFICER_PROPOSAL,
        "reason": "the appointment was announced, not made",
        "decided_by": "tester",
    }
    assert (await the_log(store))[-1].hash == event.hash
    decided = await row(engine, OFFICER_PROPOSAL)
    assert (decided["status"], decided["version"], decided["reason"]) == (
        "rejected",
        2,
        "the appointment was announced, not made",
    )
    # Decided once: an acceptance now is refused, and nothing appended.
    error = await refused(store, accept(archive, proposal_id=OFFICER_PROPOSAL, expected_version=2))
    assert error.message == f"proposal {OFFICER_PROPOSAL} is already rejected: a proposal is decided once"
