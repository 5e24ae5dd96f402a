"""The fact decider: record, cite, correct, retract, rerank and link, and every refusal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import pytest

from archive.domain.errors import (
    AlreadyRetracted,
    CitationMismatch,
    EvidenceRequired,
    FactNotFound,
    InvalidCommand,
    InvalidDate,
    SourceHashMismatch,
    StaleVersion,
    UnknownEntity,
    UnknownPredicate,
    UnknownSource,
    VersionRequired,
)
from archive.domain.events import (
    Citation,
    FactChanges,
    FactCited,
    FactCorrected,
    FactLinked,
    FactRecorded,
    FactReranked,
    FactRetracted,
    Qualifiers,
    Rank,
)
from archive.domain.facts import (
    CorrectFact,
    FactContent,
    FactContext,
    FactLink,
    LinkFact,
    RecordFact,
    RerankFact,
    RetractFact,
    decide_fact,
    evolve_fact,
    fact_id_for,
    initial_fact_state,
)

from .examples import (
    AT,
    CHAIR,
    CHAIR_CITATION,
    CONTEXT,
    LATER,
    MEMBERSHIP,
    MEMBERSHIP_CITATION,
    SOURCE_ID,
    SOURCE_REGISTERED,
    SUMMIT_CITATION,
    VOCABULARY,
    cite,
    recorded,
)
from .scenario import Scenario

fact = Scenario(decide_fact, evolve_fact, initial_fact_state)

MEMBERSHIP_ID = fact_id_for(MEMBERSHIP)
CHAIR_ID = fact_id_for(CHAIR)
MEMBERSHIP_RECORDED = recorded(MEMBERSHIP, MEMBERSHIP_ID, MEMBERSHIP_CITATION)
CHAIR_RECORDED = recorded(CHAIR, CHAIR_ID, CHAIR_CITATION)
SECOND_CITATION = cite(3, 3, "Example Country joined the Example Organisation")
THIRD_CITATION = cite(1, 3, "Example Report In January 1992")
OTHER_FACT_ID = "3f2a1c9e-7d4b-5e6f-8a9b-0c1d2e3f4a5b"


def record(
    content: FactContent = MEMBERSHIP,
    *citations: Citation,
    rank: Rank = "normal",
    context: FactContext = CONTEXT,
    recorded_at: dt.datetime = AT,
    expected_version: int | None = None,
) -> RecordFact:
    return RecordFact(
        content, rank, citations or (MEMBERSHIP_CITATION,), context, recorded_at, expected_version
    )


def correct(changes: FactChanges, **overrides: Any) -> CorrectFact:
    fields: dict[str, Any] = {
        "fact_id": MEMBERSHIP_ID,
        "expected_version": 1,
        "changes": changes,
        "reason_code": "precision_refinement",
        "justification": "the source gives only the year",
        "citations": (MEMBERSHIP_CITATION,),
        "context": CONTEXT,
        "recorded_at": LATER,
        **overrides,
    }
    return CorrectFact(**fields)


def retract(**overrides: Any) -> RetractFact:
    fields: dict[str, Any] = {
        "fact_id": MEMBERSHIP_ID,
        "expected_version": 1,
        "reason_code": "misattribution",
        "justification": "the line speaks of another member",
        "citations": (SECOND_CITATION,),
        "context": CONTEXT,
        "recorded_at": LATER,
        **overrides,
    }
    return RetractFact(**fields)


def rerank(**overrides: Any) -> RerankFact:
    fields: dict[str, Any] = {
        "fact_id": MEMBERSHIP_ID,
        "expected_version": 1,
        "rank": "preferred",
        "reason_code": "better_source",
        "justification": "the most precise statement",
        "recorded_at": LATER,
        **overrides,
    }
    return RerankFact(**fields)


def link(**overrides: Any) -> LinkFact:
    fields: dict[str, Any] = {
        "fact_id": MEMBERSHIP_ID,
        "relation": "fulfils",
        "target_fact_id": OTHER_FACT_ID,
        "recorded_at": LATER,
        "expected_version": 1,
        **overrides,
    }
    return LinkFact(**fields)


# -- fact ids


def test_the_fact_id_is_a_uuid5_of_the_content() -> None:
    # Pinned: a new recipe would give every seeded fact a new stream on the next seeding.
    assert MEMBERSHIP_ID == "f34f6aa9-4910-5c31-9336-084ee9df1fa9"


def test_the_fact_id_reads_valid_time_in_canonical_form() -> None:
    assert fact_id_for(msgspec.structs.replace(MEMBERSHIP, valid_from=" 1992-01 ")) == MEMBERSHIP_ID


def test_the_note_is_not_part_of_the_fact_id() -> None:
    noted = msgspec.structs.replace(MEMBERSHIP, qualifiers=Qualifiers(note="founding member"))
    assert fact_id_for(noted) == MEMBERSHIP_ID


@pytest.mark.parametrize(
    "change",
    [
        {"object": "other-organisation"},
        {"valid_from": "1992"},
        {"valid_from": "circa 1992-01"},
        {"modality": "planned"},
        {"qualifiers": Qualifiers(role="example-officer")},
        {"qualifiers": Qualifiers(place="example-city")},
        {"qualifiers": Qualifiers(organization="other-organisation")},
        {"predicate": "chair_of"},
        {"subject": "example-organisation"},
    ],
)
def test_every_other_part_of_the_content_changes_the_fact_id(change: dict[str, Any]) -> None:
    assert fact_id_for(msgspec.structs.replace(MEMBERSHIP, **change)) != MEMBERSHIP_ID


def test_a_value_and_an_object_with_the_same_text_give_different_ids() -> None:
    as_object = FactContent("example-country", "known_as", object="x")
    as_value = FactContent("example-country", "known_as", value="x")
    assert fact_id_for(as_object) != fact_id_for(as_value)


# -- record


def test_a_new_fact_is_recorded_with_its_citations() -> None:
    fact.when(record()).then(MEMBERSHIP_RECORDED)


def test_a_recorded_fact_keeps_its_rank_and_canonical_dates() -> None:
    content = msgspec.structs.replace(CHAIR, valid_from="2010-01-01 ", valid_to=" 2010")
    fact.when(record(content, CHAIR_CITATION, rank="preferred")).then(
        recorded(CHAIR, CHAIR_ID, CHAIR_CITATION, rank="preferred")
    )


def test_a_plan_is_recorded_as_planned() -> None:
    summit = FactContent("example-summit", "takes_place", point_in_time="2010-12", modality="planned")
    [event] = fact.when(record(summit, SUMMIT_CITATION)).decided()
    assert isinstance(event, FactRecorded)
    assert (event.modality, event.point_in_time, event.object, event.value) == (
        "planned",
        "2010-12",
        None,
        None,
    )


def test_a_literal_fact_is_recorded_with_its_value() -> None:
    name = FactContent("example-country", "known_as", value="Example Land", valid_to="1991")
    [event] = fact.when(record(name, MEMBERSHIP_CITATION)).decided()
    assert isinstance(event, FactRecorded)
    assert (event.value, event.object, event.valid_to) == ("Example Land", None, "1991")


def test_a_fact_with_qualifiers_is_recorded_with_them() -> None:
    office = FactContent(
        "jane-example",
        "holds_office",
        object="example-officer",
        qualifiers=Qualifiers(organization="example-organisation", place="example-city", note="acting"),
        valid_from="2011",
    )
    [event] = fact.when(record(office, cite(7, 7, "appointed Example Officer in 2011"))).decided()
    assert isinstance(event, FactRecorded)
    assert event.qualifiers == Qualifiers(
        organization="example-organisation", place="example-city", note="acting"
    )


def test_a_citation_repeated_in_one_command_is_recorded_once() -> None:
    [event] = fact.when(record(MEMBERSHIP, MEMBERSHIP_CITATION, MEMBERSHIP_CITATION)).decided()
    assert isinstance(event, FactRecorded)
    assert event.citations == (MEMBERSHIP_CITATION,)


def test_recording_the_same_fact_with_the_same_citation_changes_nothing() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(record(recorded_at=LATER)).then()


def test_recording_the_same_fact_from_another_line_adds_that_citation() -> None:
    command = record(MEMBERSHIP, SECOND_CITATION, recorded_at=LATER, expected_version=1)
    fact.given(MEMBERSHIP_RECORDED).when(command).then(
        FactCited(fact_id=MEMBERSHIP_ID, citation=SECOND_CITATION, recorded_at=LATER)
    )


def test_adding_a_citation_to_an_existing_fact_needs_its_version() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(record(MEMBERSHIP, SECOND_CITATION)).then_raises(
        VersionRequired, match="exists \\(version 1\\).*send expected_version 1"
    )


def test_adding_a_citation_on_a_stale_version_is_refused() -> None:
    command = record(MEMBERSHIP, SECOND_CITATION, expected_version=0)
    fact.given(MEMBERSHIP_RECORDED).when(command).then_raises(StaleVersion, match="at version 1, not 0")


def test_a_fact_asked_for_as_new_that_exists_is_refused() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(record(expected_version=0)).then_raises(StaleVersion)


def test_recording_an_existing_fact_again_unchanged_needs_no_version() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(record()).then()


def test_only_the_citations_not_yet_present_are_added() -> None:
    command = record(
        MEMBERSHIP,
        MEMBERSHIP_CITATION,
        SECOND_CITATION,
        THIRD_CITATION,
        recorded_at=LATER,
        expected_version=1,
    )
    fact.given(MEMBERSHIP_RECORDED).when(command).then(
        FactCited(fact_id=MEMBERSHIP_ID, citation=SECOND_CITATION, recorded_at=LATER),
        FactCited(fact_id=MEMBERSHIP_ID, citation=THIRD_CITATION, recorded_at=LATER),
    )


def test_a_citation_counts_as_present_on_a_new_version_of_its_source() -> None:
    on_new_version = msgspec.structs.replace(MEMBERSHIP_CITATION, content_sha256="e" * 64)
    snapshot = msgspec.structs.replace(CONTEXT.sources[SOURCE_ID], content_sha256="e" * 64, version=2)
    context = msgspec.structs.replace(CONTEXT, sources={SOURCE_ID: snapshot})
    fact.given(MEMBERSHIP_RECORDED).when(record(MEMBERSHIP, on_new_version, context=context)).then()


def test_recording_the_original_content_after_a_correction_changes_nothing() -> None:
    corrected = FactCorrected(
        fact_id=MEMBERSHIP_ID,
        changes=FactChanges(valid_from="1992"),
        reason_code="precision_refinement",
        justification="year only",
        citations=(MEMBERSHIP_CITATION,),
        recorded_at=LATER,
    )
    fact.given(MEMBERSHIP_RECORDED, corrected).when(record()).then()


def test_content_of_another_fact_is_refused_on_this_stream() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(record(CHAIR, CHAIR_CITATION)).then_raises(
        InvalidCommand, match=f"derives fact id {CHAIR_ID}, but the stream holds fact {MEMBERSHIP_ID}"
    )


def test_an_unknown_predicate_is_refused() -> None:
    content = msgspec.structs.replace(MEMBERSHIP, predicate="ruled_by")
    fact.when(record(content)).then_raises(UnknownPredicate, match="unknown predicate 'ruled_by'")


@pytest.mark.parametrize(
    ("predicate", "object_", "value", "message"),
    [
        ("member_of", None, None, "predicate 'member_of' needs an entity object"),
        ("member_of", "example-organisation", "x", "takes an entity object, not a literal value"),
        ("known_as", None, None, "predicate 'known_as' needs a literal value"),
        ("known_as", None, "  ", "predicate 'known_as' needs a literal value"),
        ("known_as", "example-organisation", "x", "takes a literal value, not an entity object"),
        ("takes_place", "example-city", None, "predicate 'takes_place' takes neither an object nor a value"),
        ("takes_place", None, "x", "predicate 'takes_place' takes neither an object nor a value"),
    ],
)
def test_the_object_must_fit_the_predicate(
    predicate: str, object_: str | None, value: str | None, message: str
) -> None:
    content = FactContent("example-country", predicate, object=object_, value=value)
    fact.when(record(content)).then_raises(InvalidCommand, match=message)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (msgspec.structs.replace(MEMBERSHIP, subject="nowhere-land"), "the subject 'nowhere-land' is not"),
        (msgspec.structs.replace(MEMBERSHIP, object="nowhere-union"), "the object 'nowhere-union' is not"),
        (
            msgspec.structs.replace(MEMBERSHIP, qualifiers=Qualifiers(place="nowhere-city")),
            "the qualifier place 'nowhere-city' is not a registered entity",
        ),
        (
            msgspec.structs.replace(MEMBERSHIP, qualifiers=Qualifiers(role="nowhere-office")),
            "the qualifier role 'nowhere-office'",
        ),
        (
            msgspec.structs.replace(MEMBERSHIP, qualifiers=Qualifiers(organization="nowhere-union")),
            "the qualifier organization 'nowhere-union'",
        ),
    ],
)
def test_every_referenced_entity_must_be_registered(content: FactContent, message: str) -> None:
    fact.when(record(content)).then_raises(UnknownEntity, match=message)


def test_the_subject_must_be_of_a_kind_the_predicate_takes() -> None:
    content = msgspec.structs.replace(MEMBERSHIP, subject="jane-example")
    error = fact.when(record(content)).then_raises(InvalidCommand)
    assert error.message == (
        "predicate 'member_of' accepts as subject only entities of kind country; "
        "'jane-example' is of kind person"
    )


def test_the_object_must_be_of_a_kind_the_predicate_takes() -> None:
    content = msgspec.structs.replace(MEMBERSHIP, object="example-city")
    fact.when(record(content)).then_raises(
        InvalidCommand,
        match="accepts as object only entities of kind organisation; 'example-city' is of kind place",
    )


def test_a_predicate_without_kinds_takes_any_kind() -> None:
    content = FactContent("jane-example", "chair_of", object="example-summit")
    [event] = fact.when(record(content)).decided()
    assert isinstance(event, FactRecorded)
    assert (event.subject, event.object) == ("jane-example", "example-summit")


def test_a_point_in_time_excludes_an_interval() -> None:
    content = msgspec.structs.replace(MEMBERSHIP, point_in_time="1992-01")
    fact.when(record(content)).then_raises(InvalidCommand, match="point_in_time excludes")


def test_an_interval_must_not_end_before_it_starts() -> None:
    content = msgspec.structs.replace(MEMBERSHIP, valid_to="1991")
    fact.when(record(content)).then_raises(InvalidDate, match="valid_from 1992-01 is after valid_to 1991")


def test_an_unreadable_date_is_refused_with_its_field() -> None:
    content = msgspec.structs.replace(MEMBERSHIP, valid_from="1992-1")
    fact.when(record(content)).then_raises(InvalidDate, match="^valid_from: '1992-1' is not a partial date")


def test_a_fact_needs_a_citation() -> None:
    command = RecordFact(MEMBERSHIP, "normal", (), CONTEXT, AT)
    fact.when(command).then_raises(EvidenceRequired, match="a fact needs at least one citation")


def test_a_citation_into_an_unregistered_source_is_refused() -> None:
    citation = msgspec.structs.replace(MEMBERSHIP_CITATION, source_id="other-report")
    fact.when(record(MEMBERSHIP, citation)).then_raises(
        UnknownSource, match="names source 'other-report', which is not registered"
    )


def test_a_citation_of_an_old_version_is_refused() -> None:
    citation = msgspec.structs.replace(MEMBERSHIP_CITATION, content_sha256="0" * 64)
    error = fact.when(record(MEMBERSHIP, citation)).then_raises(SourceHashMismatch)
    assert "an old or unknown version; the current version 1 has" in error.message


def test_a_citation_whose_quote_is_not_in_its_lines_is_refused() -> None:
    citation = cite(3, 3, "In January 1993 Example Country joined")
    error = fact.when(record(MEMBERSHIP, citation)).then_raises(CitationMismatch)
    assert (error.line_start, error.expected) == (3, "In January 1993 Example Country joined")


def test_a_citation_past_the_end_of_the_source_is_refused() -> None:
    fact.when(record(MEMBERSHIP, cite(40, 41, "Example"))).then_raises(
        CitationMismatch, match="lines 40-41 do not exist in source 'example-report', which has 8 lines"
    )


def test_an_unknown_rank_is_refused() -> None:
    command = record(rank="top")  # type: ignore[arg-type]
    fact.when(command).then_raises(
        InvalidCommand, match="rank 'top' is not one of preferred, normal, deprecated"
    )


def test_an_unknown_modality_is_refused() -> None:
    content = msgspec.structs.replace(MEMBERSHIP, modality="rumoured")
    fact.when(record(content)).then_raises(InvalidCommand, match="modality 'rumoured' is not one of")


def test_a_naive_recorded_at_is_refused() -> None:
    fact.when(record(recorded_at=dt.datetime(2024, 3, 1))).then_raises(InvalidCommand, match="naive")


def test_the_state_of_a_recorded_fact() -> None:
    state = fact.given(MEMBERSHIP_RECORDED).state
    assert (state.exists, state.fact_id, state.version, state.status, state.rank) == (
        True,
        MEMBERSHIP_ID,
        1,
        "active",
        "normal",
    )
    assert state.content == MEMBERSHIP
    assert state.citations == (MEMBERSHIP_CITATION,)


def test_a_cited_fact_has_one_more_citation() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(record(MEMBERSHIP, SECOND_CITATION, expected_version=1)).then_state(
        version=2, citations=(MEMBERSHIP_CITATION, SECOND_CITATION)
    )


# -- correct


def test_a_correction_records_only_the_fields_that_change() -> None:
    changes = FactChanges(object="example-organisation", valid_from="1992")
    fact.given(MEMBERSHIP_RECORDED).when(correct(changes)).then(
        FactCorrected(
            fact_id=MEMBERSHIP_ID,
            changes=FactChanges(valid_from="1992"),
            reason_code="precision_refinement",
            justification="the source gives only the year",
            citations=(MEMBERSHIP_CITATION,),
            recorded_at=LATER,
        )
    )


def test_a_correction_can_clear_a_bound() -> None:
    command = correct(
        FactChanges(valid_to=None),
        fact_id=CHAIR_ID,
        reason_code="valid_time_shift",
        citations=(CHAIR_CITATION,),
    )
    [event] = fact.given(CHAIR_RECORDED).when(command).decided()
    assert isinstance(event, FactCorrected)
    assert event.changes == FactChanges(valid_to=None)


def test_a_correction_can_turn_an_interval_into_a_point_in_time() -> None:
    changes = FactChanges(valid_from=None, valid_to=None, point_in_time=" 2010-01-01")
    command = correct(changes, fact_id=CHAIR_ID, citations=(CHAIR_CITATION,))
    fact.given(CHAIR_RECORDED).when(command).then_state(
        version=2, valid_from=None, valid_to=None, point_in_time="2010-01-01"
    )


def test_a_correction_may_not_leave_a_point_in_time_beside_a_bound() -> None:
    changes = FactChanges(valid_to=None, point_in_time="2010-01-01")
    command = correct(changes, fact_id=CHAIR_ID, citations=(CHAIR_CITATION,))
    fact.given(CHAIR_RECORDED).when(command).then_raises(InvalidCommand, match="point_in_time excludes")


def test_a_corrected_fact_holds_the_new_values_and_the_evidence() -> None:
    command = correct(
        FactChanges(object="other-organisation"), reason_code="misattribution", citations=(SECOND_CITATION,)
    )
    fact.given(MEMBERSHIP_RECORDED).when(command).then_state(
        version=2,
        object="other-organisation",
        valid_from="1992-01",
        citations=(MEMBERSHIP_CITATION, SECOND_CITATION),
    )


def test_a_correction_checks_only_the_entities_it_introduces() -> None:
    context = FactContext(vocabulary=VOCABULARY, entities={}, sources=CONTEXT.sources)
    fact.given(MEMBERSHIP_RECORDED).when(correct(FactChanges(valid_from="1992"), context=context)).then_state(
        valid_from="1992"
    )


def test_a_correction_to_an_unknown_entity_is_refused() -> None:
    command = correct(FactChanges(object="nowhere-union"))
    fact.given(MEMBERSHIP_RECORDED).when(command).then_raises(UnknownEntity, match="'nowhere-union'")


def test_a_correction_to_an_entity_of_the_wrong_kind_is_refused() -> None:
    command = correct(FactChanges(object="example-city"))
    fact.given(MEMBERSHIP_RECORDED).when(command).then_raises(
        InvalidCommand, match="'example-city' is of kind place"
    )


def test_a_correction_that_changes_nothing_is_refused() -> None:
    command = correct(FactChanges(valid_from=" 1992-01", object="example-organisation"))
    fact.given(MEMBERSHIP_RECORDED).when(command).then_raises(
        InvalidCommand, match=f"the correction changes nothing: fact {MEMBERSHIP_ID} already has those values"
    )


def test_a_correction_without_changes_is_refused() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(correct(FactChanges())).then_raises(
        InvalidCommand, match="changes nothing"
    )


def test_a_correction_needs_a_citation() -> None:
    command = correct(FactChanges(valid_from="1992"), citations=())
    fact.given(MEMBERSHIP_RECORDED).when(command).then_raises(
        EvidenceRequired, match="a correction needs at least one citation"
    )


def test_a_correction_needs_a_justification() -> None:
    command = correct(FactChanges(valid_from="1992"), justification="  ")
    fact.given(MEMBERSHIP_RECORDED).when(command).then_raises(
        InvalidCommand, match="a justification is required"
    )


def test_a_correction_needs_a_known_reason_code() -> None:
    command = correct(FactChanges(valid_from="1992"), reason_code="whim")
    fact.given(MEMBERSHIP_RECORDED).when(command).then_raises(InvalidCommand, match="reason_code 'whim'")


def test_a_correction_checks_its_evidence() -> None:
    command = correct(FactChanges(valid_from="1992"), citations=(cite(3, 3, "In 1992"),))
    fact.given(MEMBERSHIP_RECORDED).when(command).then_raises(CitationMismatch)


def test_correcting_a_missing_fact_is_refused() -> None:
    fact.when(correct(FactChanges(valid_from="1992"))).then_raises(
        FactNotFound, match=f"fact {MEMBERSHIP_ID} does not exist"
    )


def test_a_correction_against_an_old_version_is_refused() -> None:
    cited = FactCited(fact_id=MEMBERSHIP_ID, citation=SECOND_CITATION, recorded_at=AT)
    error = (
        fact.given(MEMBERSHIP_RECORDED, cited)
        .when(correct(FactChanges(valid_from="1992")))
        .then_raises(StaleVersion)
    )
    assert (error.expected_version, error.current_version, error.code) == (1, 2, "stale_version")
    assert error.message.startswith(f"fact {MEMBERSHIP_ID} is at version 2, not 1")


def test_correcting_a_retracted_fact_is_refused() -> None:
    retracted = FactRetracted(
        fact_id=MEMBERSHIP_ID, reason_code="other", justification="x", citations=(), recorded_at=AT
    )
    command = correct(FactChanges(valid_from="1992"), expected_version=2)
    fact.given(MEMBERSHIP_RECORDED, retracted).when(command).then_raises(
        AlreadyRetracted, match="is retracted and cannot be corrected"
    )


# -- retract


def test_a_retraction_is_recorded_with_its_reason_and_evidence() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(retract()).then(
        FactRetracted(
            fact_id=MEMBERSHIP_ID,
            reason_code="misattribution",
            justification="the line speaks of another member",
            citations=(SECOND_CITATION,),
            recorded_at=LATER,
        )
    )


def test_a_retracted_fact_keeps_its_supporting_citations() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(retract()).then_state(
        version=2, status="retracted", citations=(MEMBERSHIP_CITATION,)
    )


def test_retracting_twice_is_refused() -> None:
    retracted = FactRetracted(
        fact_id=MEMBERSHIP_ID, reason_code="other", justification="x", citations=(), recorded_at=AT
    )
    fact.given(MEMBERSHIP_RECORDED, retracted).when(retract(expected_version=2)).then_raises(
        AlreadyRetracted, match="cannot be retracted again"
    )


def test_a_retraction_needs_a_citation() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(retract(citations=())).then_raises(
        EvidenceRequired, match="a retraction needs at least one citation"
    )


def test_a_retraction_needs_a_justification() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(retract(justification="")).then_raises(
        InvalidCommand, match="a justification is required"
    )


def test_a_retraction_checks_its_evidence() -> None:
    citation = msgspec.structs.replace(SECOND_CITATION, content_sha256="1" * 64)
    fact.given(MEMBERSHIP_RECORDED).when(retract(citations=(citation,))).then_raises(SourceHashMismatch)


def test_retracting_a_missing_fact_is_refused() -> None:
    fact.when(retract()).then_raises(FactNotFound)


def test_a_retraction_against_an_old_version_is_refused() -> None:
    error = fact.given(MEMBERSHIP_RECORDED).when(retract(expected_version=0)).then_raises(StaleVersion)
    assert (error.expected_version, error.current_version) == (0, 1)


# -- rerank


def test_a_rerank_is_recorded_without_citations() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(rerank()).then(
        FactReranked(
            fact_id=MEMBERSHIP_ID,
            rank="preferred",
            reason_code="better_source",
            justification="the most precise statement",
            recorded_at=LATER,
        )
    )


def test_a_reranked_fact_has_the_new_rank() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(rerank(rank="deprecated")).then_state(version=2, rank="deprecated")


def test_reranking_to_the_same_rank_is_refused() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(rerank(rank="normal")).then_raises(
        InvalidCommand, match=f"fact {MEMBERSHIP_ID} already has rank 'normal'"
    )


def test_a_rerank_needs_a_justification() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(rerank(justification=" ")).then_raises(
        InvalidCommand, match="a justification is required"
    )


def test_a_rerank_needs_a_known_rank() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(rerank(rank="best")).then_raises(InvalidCommand, match="rank 'best'")


def test_reranking_a_missing_fact_is_refused() -> None:
    fact.when(rerank()).then_raises(FactNotFound)


def test_a_rerank_against_an_old_version_is_refused() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(rerank(expected_version=3)).then_raises(StaleVersion)


def test_reranking_a_retracted_fact_is_refused() -> None:
    retracted = FactRetracted(
        fact_id=MEMBERSHIP_ID, reason_code="other", justification="x", citations=(), recorded_at=AT
    )
    fact.given(MEMBERSHIP_RECORDED, retracted).when(rerank(expected_version=2)).then_raises(
        AlreadyRetracted, match="cannot be reranked"
    )


# -- link


def test_a_link_is_recorded() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(link()).then(
        FactLinked(fact_id=MEMBERSHIP_ID, relation="fulfils", target_fact_id=OTHER_FACT_ID, recorded_at=LATER)
    )


def test_linking_twice_changes_nothing() -> None:
    linked = FactLinked(
        fact_id=MEMBERSHIP_ID, relation="fulfils", target_fact_id=OTHER_FACT_ID, recorded_at=AT
    )
    fact.given(MEMBERSHIP_RECORDED, linked).when(link(expected_version=2)).then()
    fact.given(MEMBERSHIP_RECORDED, linked).when(link(expected_version=None)).then()


def test_another_relation_to_the_same_target_is_a_new_link() -> None:
    linked = FactLinked(
        fact_id=MEMBERSHIP_ID, relation="fulfils", target_fact_id=OTHER_FACT_ID, recorded_at=AT
    )
    command = link(relation="contradicts", expected_version=2)
    fact.given(MEMBERSHIP_RECORDED, linked).when(command).then_state(
        version=3,
        links=(FactLink("fulfils", OTHER_FACT_ID), FactLink("contradicts", OTHER_FACT_ID)),
    )


def test_a_link_needs_the_version_it_was_decided_on() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(link(expected_version=None)).then_raises(
        VersionRequired, match="would link it"
    )
    fact.given(MEMBERSHIP_RECORDED).when(link(expected_version=0)).then_raises(StaleVersion)


def test_a_link_to_a_fact_that_does_not_exist_is_refused() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(link(target_exists=False)).then_raises(
        FactNotFound, match="target fact"
    )


def test_a_supersedes_link_that_would_close_a_cycle_is_refused() -> None:
    # The target already supersedes this fact (here down a chain of two): superseding it back is a cycle.
    command = link(relation="supersedes", target_supersedes=frozenset({"a-middle-fact", MEMBERSHIP_ID}))
    fact.given(MEMBERSHIP_RECORDED).when(command).then_raises(InvalidCommand, match="cycle")


def test_a_supersedes_link_outside_any_cycle_is_recorded() -> None:
    command = link(relation="supersedes", target_supersedes=frozenset({"a-middle-fact"}))
    fact.given(MEMBERSHIP_RECORDED).when(command).then(
        FactLinked(
            fact_id=MEMBERSHIP_ID, relation="supersedes", target_fact_id=OTHER_FACT_ID, recorded_at=LATER
        )
    )


def test_a_fact_cannot_be_linked_to_itself() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(link(target_fact_id=MEMBERSHIP_ID)).then_raises(
        InvalidCommand, match="cannot be linked to itself"
    )


def test_a_link_needs_a_target() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(link(target_fact_id="")).then_raises(
        InvalidCommand, match="a link needs a target_fact_id"
    )


def test_a_link_needs_a_known_relation() -> None:
    fact.given(MEMBERSHIP_RECORDED).when(link(relation="causes")).then_raises(
        InvalidCommand, match="relation 'causes' is not one of fulfils, contradicts, supersedes"
    )


def test_linking_a_missing_fact_is_refused() -> None:
    fact.when(link()).then_raises(FactNotFound)


# -- evolve


def test_the_version_counts_every_event_of_the_stream() -> None:
    state = fact.given(
        MEMBERSHIP_RECORDED,
        FactCited(fact_id=MEMBERSHIP_ID, citation=SECOND_CITATION, recorded_at=AT),
        FactLinked(
            fact_id=MEMBERSHIP_ID, relation="supersedes", target_fact_id=OTHER_FACT_ID, recorded_at=AT
        ),
        FactReranked(
            fact_id=MEMBERSHIP_ID, rank="preferred", reason_code="other", justification="x", recorded_at=AT
        ),
    ).state
    assert (state.version, state.rank, state.links) == (
        4,
        "preferred",
        (FactLink("supersedes", OTHER_FACT_ID),),
    )


def test_events_of_other_streams_leave_a_fact_alone() -> None:
    assert evolve_fact(initial_fact_state(), SOURCE_REGISTERED) == initial_fact_state()
