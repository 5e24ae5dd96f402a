"""The event catalogue and the encode/decode pair the event store calls."""

from __future__ import annotations

import datetime as dt
from typing import get_args

import msgspec
import pytest

from archive.domain.events import (
    EVENT_TYPES,
    SCHEMA_VERSIONS,
    Citation,
    CitationRecheck,
    DomainEvent,
    EntityMerged,
    EntityMergedFrom,
    EntityRegistered,
    EntityRevised,
    Event,
    EventRedacted,
    FactChanges,
    FactCited,
    FactContent,
    FactCorrected,
    FactLinked,
    FactRecorded,
    FactReranked,
    FactRetracted,
    FindingDismissed,
    ProposalAccepted,
    ProposalMade,
    ProposalRejected,
    Qualifiers,
    SourceDescribed,
    SourceRevised,
    changed_fields,
    citation_id,
    decode_event,
    encode_event,
    event_type_of,
)

from .examples import AT, CHAIR_CITATION, MEMBERSHIP_CITATION, SOURCE_ID, SOURCE_REGISTERED, SOURCE_SHA

FACT_ID = "0b6a6f4e-0000-5000-8000-000000000001"

ONE_OF_EACH: list[Event] = [
    SOURCE_REGISTERED,
    SourceRevised(
        source_id=SOURCE_ID,
        content_sha256="f" * 64,
        text="new text",
        line_count=1,
        version=2,
        rechecks=(
            CitationRecheck(FACT_ID, "c1", "drifted", 4, 5),
            CitationRecheck(FACT_ID, "c2", "orphaned", None, None),
        ),
        recorded_at=AT,
    ),
    SourceDescribed(
        source_id=SOURCE_ID,
        title="Example Report, second edition",
        origin="invented for tests",
        source_date="circa 2011",
        version=3,
        recorded_at=AT,
    ),
    EntityRegistered(
        entity_id="example-country", kind="country", label="Example Country", aliases=("EC",), recorded_at=AT
    ),
    EntityRevised(
        entity_id="example-country", kind="country", label="Example Land", aliases=(), recorded_at=AT
    ),
    EntityMerged(
        entity_id="example-land", into="example-country", justification="one country", recorded_at=AT
    ),
    EntityMergedFrom(
        entity_id="example-country", merged="example-land", justification="one country", recorded_at=AT
    ),
    FactRecorded(
        fact_id=FACT_ID,
        subject="example-country",
        predicate="member_of",
        object="example-organisation",
        value=None,
        qualifiers=Qualifiers(role="example-officer", note="a note"),
        valid_from="1992-01",
        valid_to=None,
        point_in_time=None,
        modality="asserted",
        rank="preferred",
        citations=(MEMBERSHIP_CITATION,),
        recorded_at=AT,
    ),
    FactCited(fact_id=FACT_ID, citation=CHAIR_CITATION, recorded_at=AT),
    FactCorrected(
        fact_id=FACT_ID,
        changes=FactChanges(valid_from="1992", valid_to=None),
        reason_code="precision_refinement",
        justification="the source gives only the year",
        citations=(MEMBERSHIP_CITATION,),
        recorded_at=AT,
    ),
    FactRetracted(
        fact_id=FACT_ID,
        reason_code="misattribution",
        justification="another member",
        citations=(MEMBERSHIP_CITATION,),
        recorded_at=AT,
    ),
    FactReranked(
        fact_id=FACT_ID, rank="deprecated", reason_code="better_source", justification="newer", recorded_at=AT
    ),
    ProposalMade(
        proposal_id="proposal-id",
        source_id=SOURCE_ID,
        source_version=1,
        content_sha256=SOURCE_SHA,
        rule="membership.became_member",
        content=FactContent(subject="example-country", predicate="member_of", object="Example Organisation"),
        fact_id=None,
        line_start=3,
        line_end=3,
        quote="In January 1992 Example Country joined the Example Organisation",
        matched=(("Example Country", "example-country"),),
        unmatched=("Example Organisation",),
        recorded_at=AT,
    ),
    ProposalAccepted(
        proposal_id="proposal-id",
        fact_id=FACT_ID,
        edited=FactContent(
            subject="example-country", predicate="member_of", object="example-org", valid_from="1992-01"
        ),
        decided_by="archivist",
        recorded_at=AT,
    ),
    ProposalRejected(
        proposal_id="other-id", reason="not a membership", decided_by="archivist", recorded_at=AT
    ),
    # Kept before FactLinked: a test below decodes the last example as fact.linked.
    FindingDismissed(
        finding_id="finding-id",
        kind="plan_passed",
        reason_code="did_not_happen",
        justification="the plan was dropped",
        recorded_at=AT,
    ),
    EventRedacted(
        position=7,
        stream_id=f"fact:{FACT_ID}",
        redacted_event_type="fact.recorded",
        content_sha256="ab" * 32,
        reason_code="privacy",
        justification="the person asked",
        recorded_at=AT,
    ),
    FactLinked(fact_id=FACT_ID, relation="fulfils", target_fact_id="other", recorded_at=AT),
]


def test_the_catalogue_lists_every_event_once_by_its_tag() -> None:
    assert sorted(EVENT_TYPES) == [
        "entity.merged_from",
        "entity.merged_into",
        "entity.registered",
        "entity.revised",
        "fact.cited",
        "fact.corrected",
        "fact.linked",
        "fact.recorded",
        "fact.reranked",
        "fact.retracted",
        "finding.dismissed",
        "log.redacted",
        "proposal.accepted",
        "proposal.made",
        "proposal.rejected",
        "source.described",
        "source.registered",
        "source.revised",
    ]
    assert all(event_type_of_class(cls) == tag for tag, cls in EVENT_TYPES.items())
    assert set(get_args(DomainEvent)) == set(EVENT_TYPES.values())


def event_type_of_class(cls: type[Event]) -> object:
    return cls.__struct_config__.tag


def test_every_event_type_is_at_schema_version_one() -> None:
    assert dict.fromkeys(EVENT_TYPES, 1) == SCHEMA_VERSIONS


def test_the_examples_cover_every_event_type() -> None:
    assert sorted(event_type_of(event) for event in ONE_OF_EACH) == sorted(EVENT_TYPES)


@pytest.mark.parametrize("event", ONE_OF_EACH, ids=event_type_of)
def test_an_event_survives_encode_json_and_decode(event: Event) -> None:
    payload = msgspec.json.decode(msgspec.json.encode(encode_event(event)))
    assert "event_type" not in payload
    assert decode_event(event_type_of(event), payload) == event


def test_encoding_gives_json_ready_values() -> None:
    payload = encode_event(FactCited(fact_id=FACT_ID, citation=MEMBERSHIP_CITATION, recorded_at=AT))
    assert payload == {
        "fact_id": FACT_ID,
        "citation": {
            "source_id": SOURCE_ID,
            "content_sha256": SOURCE_SHA,
            "line_start": 3,
            "line_end": 3,
            "quote": "In January 1992 Example Country joined the Example Organisation",
        },
        "recorded_at": "2024-03-01T12:00:00Z",
    }


def test_a_correction_keeps_clearing_a_field_apart_from_leaving_it_alone() -> None:
    event = FactCorrected(
        fact_id=FACT_ID,
        changes=FactChanges(valid_to=None),
        reason_code="valid_time_shift",
        justification="still ongoing",
        citations=(MEMBERSHIP_CITATION,),
        recorded_at=AT,
    )
    payload = encode_event(event)
    assert payload["changes"] == {"valid_to": None}
    decoded = decode_event("fact.corrected", payload)
    assert isinstance(decoded, FactCorrected)
    assert changed_fields(decoded.changes) == ("valid_to",)
    assert decoded.changes.valid_from is msgspec.UNSET


def test_decoding_an_unknown_event_type_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown event type 'fact\.deleted'"):
        decode_event("fact.deleted", {})


def test_decoding_reads_the_recorded_at_as_an_aware_datetime() -> None:
    decoded = decode_event("fact.linked", encode_event(ONE_OF_EACH[-1]))
    assert decoded.recorded_at == dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)


def test_citation_id_is_stable_and_ignores_the_content_hash() -> None:
    moved_to_new_version = msgspec.structs.replace(MEMBERSHIP_CITATION, content_sha256="0" * 64)
    assert citation_id(MEMBERSHIP_CITATION) == citation_id(moved_to_new_version)
    # Pinned: a new recipe would make every stored citation look new on the next seeding.
    assert citation_id(MEMBERSHIP_CITATION) == (
        "a88e8616c0cfd579f51faeddf658266fd9949ecf2b582f0d7a4347bcd6f975db"
    )


@pytest.mark.parametrize(
    "change",
    [{"line_start": 2}, {"line_end": 4}, {"quote": "In January 1992"}, {"source_id": "other-report"}],
)
def test_citation_id_changes_with_source_lines_or_quote(change: dict[str, object]) -> None:
    other: Citation = msgspec.structs.replace(MEMBERSHIP_CITATION, **change)
    assert citation_id(other) != citation_id(MEMBERSHIP_CITATION)
