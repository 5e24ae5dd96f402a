"""The proposal decider, pure: the ids and `proposal.made` events a source version's proposals become, a
proposal's state folded from its stream, and an archivist's acceptance (as proposed or edited, with no
unmatched name left where an entity goes) or rejection, each refusal with its type, its field and its
exact text. Expected values are literals (fast, for `make mutation`: archive/domain/proposal_reviews.py).
The same decisions through the service are in tests/integration/test_proposals.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest

from archive.domain.errors import AlreadyDecided, DomainError, InvalidCommand, StaleVersion, VersionRequired
from archive.domain.events import (
    EntityRegistered,
    Event,
    ProposalAccepted,
    ProposalMade,
    ProposalRejected,
    Qualifiers,
)
from archive.domain.facts import FactContent
from archive.domain.ids import ARCHIVE_NAMESPACE
from archive.domain.proposal_reviews import (
    AcceptProposal,
    ProposalState,
    RejectProposal,
    accepted_content,
    decide_acceptance,
    decide_rejection,
    entity_slots,
    evolve_proposal,
    proposal_id,
    proposal_stream,
    proposals_made,
)
from archive.domain.proposals import ProposedFact

AT = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
#: The same instant as AT an hour east of UTC: events record it in UTC.
AT_EAST = datetime(2024, 3, 1, 13, 0, tzinfo=timezone(timedelta(hours=1)))

QUOTE = "In January 1992 Example Country joined the Example Organisation."
#: What the membership rule reads in the quote when no entity's label or alias is "Example Country" or
#: "Example Organisation": the text's own words stand where the ids go.
AS_READ = FactContent(
    subject="Example Country", predicate="member_of", object="Example Organisation", valid_from="1992-01"
)
AS_RECORDED = FactContent(
    subject="example-country", predicate="member_of", object="example-organisation", valid_from="1992-01"
)
READ = ProposedFact(
    rule="membership.joined",
    content=AS_READ,
    line_start=3,
    line_end=3,
    quote=QUOTE,
    matched=(),
    unmatched=("Example Country", "Example Organisation"),
)
# The id of READ in version 1 of source "example-report", and the key it is the uuid5 of, written out:
# pinned, because proposing a version again must find the proposals already made under these ids.
READ_ID = "9da91277-b943-50b6-855c-461978b6c20b"
READ_KEY = (
    '["example-report",1,"membership.joined",{"subject":"Example Country","predicate":"member_of",'
    '"object":"Example Organisation","value":null,"qualifiers":{"role":null,"place":null,'
    '"organization":null,"note":null},"valid_from":"1992-01","valid_to":null,"point_in_time":null,'
    '"modality":"asserted"},3,3]'
)
# The fact AS_READ would be (fact_id_for ignores whether its names are entity ids).
READ_FACT_ID = "b195b2ae-72f0-57af-8ab5-7737dd1dee1a"
SHA = "ab" * 32


def made(
    content: FactContent = AS_READ, unmatched: tuple[str, ...] = READ.unmatched, pid: str = "p-1"
) -> ProposalMade:
    return ProposalMade(
        proposal_id=pid,
        source_id="example-report",
        source_version=1,
        content_sha256=SHA,
        rule="membership.joined",
        content=content,
        fact_id=None,
        line_start=3,
        line_end=3,
        quote=QUOTE,
        matched=(),
        unmatched=unmatched,
        recorded_at=AT,
    )


def pending(proposal: ProposalMade | None = None) -> ProposalState:
    return ProposalState(version=1, made=proposal or made())


def accept(edited: FactContent | None = None, expected_version: int = 1) -> AcceptProposal:
    return AcceptProposal("p-1", expected_version, edited, "archivist-1", AT_EAST)


def reject(reason: str = "the bulletin is a draft", expected_version: int = 1) -> RejectProposal:
    return RejectProposal("p-1", expected_version, reason, "archivist-1", AT_EAST)


def in_utc(moment: datetime) -> tuple[datetime, object]:
    """A time and its zone: equal datetimes in two zones compare equal, the zone tells them apart."""
    return moment, moment.tzinfo


# --- ids and the events a version's proposals become ---------------------------------------------------


def test_a_proposal_has_a_stream_of_its_own() -> None:
    assert proposal_stream("p-1") == "proposal:p-1"


def test_a_proposal_id_is_the_uuid5_of_its_source_version_rule_content_and_lines() -> None:
    pid = proposal_id("example-report", 1, "membership.joined", AS_READ, 3, 3)
    assert pid == READ_ID
    assert pid == str(uuid.uuid5(ARCHIVE_NAMESPACE, "proposal:" + READ_KEY))


@pytest.mark.parametrize(
    "changed",
    [
        ("other-report", 1, "membership.joined", AS_READ, 3, 3),
        ("example-report", 2, "membership.joined", AS_READ, 3, 3),
        ("example-report", 1, "membership.as_part_of", AS_READ, 3, 3),
        ("example-report", 1, "membership.joined", AS_RECORDED, 3, 3),
        ("example-report", 1, "membership.joined", AS_READ, 2, 3),
        ("example-report", 1, "membership.joined", AS_READ, 3, 4),
    ],
    ids=["source", "version", "rule", "content", "line_start", "line_end"],
)
def test_each_part_of_a_proposal_id_makes_another_proposal(
    changed: tuple[str, int, str, FactContent, int, int],
) -> None:
    assert proposal_id(*changed) != READ_ID


def test_a_version_proposes_each_proposal_once_in_reading_order_with_its_fields_and_utc_time() -> None:
    # The same rule reading the same content in the same lines is one proposal (the first reading kept),
    # whatever else differs; another rule on the same words is another.
    again = msgspec.structs.replace(READ, quote="Example Country joined", matched=(("x", "y"),))
    other_rule = msgspec.structs.replace(READ, rule="membership.as_part_of", unmatched=("Example Country",))
    events = proposals_made("example-report", 1, SHA, [READ, again, other_rule], AT_EAST)
    first = msgspec.structs.replace(made(pid=READ_ID), fact_id=READ_FACT_ID)
    other_id = proposal_id("example-report", 1, "membership.as_part_of", AS_READ, 3, 3)
    assert events == [
        first,
        msgspec.structs.replace(
            first, proposal_id=other_id, rule="membership.as_part_of", unmatched=("Example Country",)
        ),
    ]
    assert [in_utc(e.recorded_at) for e in events] == [(AT, UTC), (AT, UTC)]


def test_a_proposal_keeps_the_matches_and_lines_it_was_read_with() -> None:
    read = ProposedFact(
        rule="membership.joined",
        content=AS_RECORDED,
        line_start=4,
        line_end=5,
        quote="Example Country joined the\nExample Organisation",
        matched=(("Example Country", "example-country"), ("Example Organisation", "example-organisation")),
        unmatched=(),
    )
    (event,) = proposals_made("example-report", 2, SHA, [read], AT)
    assert (event.source_version, event.line_start, event.line_end, event.quote) == (
        2,
        4,
        5,
        "Example Country joined the\nExample Organisation",
    )
    assert event.matched == (
        ("Example Country", "example-country"),
        ("Example Organisation", "example-organisation"),
    )
    assert event.unmatched == ()
    assert event.proposal_id == proposal_id("example-report", 2, "membership.joined", AS_RECORDED, 4, 5)


def test_a_proposal_whose_dates_make_no_fact_is_made_with_no_fact_id() -> None:
    # A month 13 cannot be read: the archivist edits the date when accepting.
    unreadable = msgspec.structs.replace(READ, content=msgspec.structs.replace(AS_READ, valid_from="1992-13"))
    (event,) = proposals_made("example-report", 1, SHA, [unreadable], AT)
    assert event.fact_id is None
    assert event.content.valid_from == "1992-13"


def test_a_version_with_nothing_read_proposes_nothing() -> None:
    assert proposals_made("example-report", 1, SHA, [], AT) == []


def test_proposals_made_at_a_naive_time_are_refused() -> None:
    with pytest.raises(InvalidCommand) as caught:
        proposals_made("example-report", 1, SHA, [READ], datetime(2024, 3, 1, 12, 0))
    assert "naive" in caught.value.message


# --- a proposal's state ---------------------------------------------------------------------------------


def fold(*events: Event) -> ProposalState:
    state = ProposalState()
    for event in events:
        state = evolve_proposal(state, event)
    return state


def test_a_proposal_never_made_is_pending_at_version_0_with_nothing_proposed() -> None:
    assert fold() == ProposalState(version=0, made=None, status="pending")


def test_a_made_proposal_is_pending_at_version_1() -> None:
    assert fold(made()) == ProposalState(version=1, made=made(), status="pending")


def test_an_acceptance_or_a_rejection_decides_the_proposal_at_version_2_keeping_what_was_proposed() -> None:
    accepted = ProposalAccepted(
        proposal_id="p-1", fact_id="f-1", edited=None, decided_by="archivist-1", recorded_at=AT
    )
    rejected = ProposalRejected(proposal_id="p-1", reason="a draft", decided_by="archivist-1", recorded_at=AT)
    assert fold(made(), accepted) == ProposalState(version=2, made=made(), status="accepted")
    assert fold(made(), rejected) == ProposalState(version=2, made=made(), status="rejected")


def test_an_event_of_another_kind_on_the_stream_counts_as_a_version_and_changes_nothing_else() -> None:
    other = EntityRegistered(
        entity_id="example-country", kind="country", label="Example Country", recorded_at=AT
    )
    assert fold(made(), other) == ProposalState(version=2, made=made(), status="pending")
    rejected = ProposalRejected(proposal_id="p-1", reason="a draft", decided_by="archivist-1", recorded_at=AT)
    assert fold(made(), rejected, other) == ProposalState(version=3, made=made(), status="rejected")


# --- refusals every decision shares ---------------------------------------------------------------------

DECISIONS = {
    "accept_content": lambda state, version: accepted_content(accept(AS_RECORDED, version), state),
    "accept_event": lambda state, version: decide_acceptance(accept(AS_RECORDED, version), state, "f-1"),
    "reject": lambda state, version: decide_rejection(reject(expected_version=version), state),
}


def refusal(decision: str, state: ProposalState, version: int | None) -> DomainError:
    with pytest.raises(DomainError) as caught:
        DECISIONS[decision](state, version)
    return caught.value


@pytest.mark.parametrize("decision", DECISIONS)
def test_a_proposal_never_made_is_refused_naming_it(decision: str) -> None:
    error = refusal(decision, ProposalState(), 0)
    assert type(error) is InvalidCommand
    assert (error.field, error.message) == ("proposal_id", "no proposal p-1")


@pytest.mark.parametrize("decision", DECISIONS)
@pytest.mark.parametrize("status", ["accepted", "rejected"])
@pytest.mark.parametrize("version", [1, 2])
def test_a_decided_proposal_is_refused_whatever_version_is_named(
    decision: str, status: str, version: int
) -> None:
    decided = msgspec.structs.replace(pending(), version=2, status=status)
    error = refusal(decision, decided, version)
    assert type(error) is AlreadyDecided
    assert (error.code, error.field, error.message) == (
        "already_decided",
        "proposal_id",
        f"proposal p-1 is already {status}: a proposal is decided once",
    )


@pytest.mark.parametrize("decision", DECISIONS)
@pytest.mark.parametrize("version", [0, 2])
def test_a_decision_on_another_version_than_the_proposals_is_stale(decision: str, version: int) -> None:
    error = refusal(decision, pending(), version)
    assert isinstance(error, StaleVersion)
    assert (error.field, error.stream_id, error.expected_version, error.current_version) == (
        "expected_version",
        "proposal p-1",
        version,
        1,
    )
    assert error.message == (
        f"proposal p-1 is at version 1, not {version}: "
        "reload it, check what changed, and resubmit with the current version"
    )


@pytest.mark.parametrize("decision", DECISIONS)
def test_a_decision_naming_no_version_is_told_which_to_name(decision: str) -> None:
    # The API requires the version; the decider still refuses a caller that leaves it out.
    error = refusal(decision, pending(), None)
    assert type(error) is VersionRequired
    assert (error.field, error.message) == (
        "expected_version",
        "proposal p-1 exists (version 1) and this request would decide it: "
        "send expected_version 1 to say which version you decided on",
    )


# --- acceptance -----------------------------------------------------------------------------------------


def test_the_slots_that_name_an_entity_are_the_subject_the_object_and_three_qualifiers() -> None:
    content = FactContent(
        subject="s",
        predicate="p",
        object="o",
        value="v",
        qualifiers=Qualifiers(role="r", place="pl", organization="org", note="n"),
        valid_from="2001",
    )
    assert entity_slots(content) == (
        ("subject", "s"),
        ("object", "o"),
        ("qualifiers.role", "r"),
        ("qualifiers.place", "pl"),
        ("qualifiers.organization", "org"),
    )
    assert entity_slots(FactContent(subject="s", predicate="p")) == (
        ("subject", "s"),
        ("object", None),
        ("qualifiers.role", None),
        ("qualifiers.place", None),
        ("qualifiers.organization", None),
    )


def test_a_proposal_whose_names_all_matched_is_accepted_as_proposed() -> None:
    state = pending(made(AS_RECORDED, unmatched=()))
    assert accepted_content(accept(), state) == AS_RECORDED


def unmatched_refusal(edited: FactContent | None, unmatched: tuple[str, ...] = READ.unmatched) -> DomainError:
    with pytest.raises(DomainError) as caught:
        accepted_content(accept(edited), pending(made(unmatched=unmatched)))
    assert type(caught.value) is InvalidCommand
    return caught.value


def test_an_unmatched_name_accepted_as_proposed_is_refused_naming_its_slot_and_words() -> None:
    # Subject and object are both the text's words: the subject is named first.
    error = unmatched_refusal(None)
    assert (error.field, error.message) == (
        "content.subject",
        "'Example Country' is a name no entity's label or alias matched: edit content.subject to name "
        "the entity's id (registering the entity first if the archive has none)",
    )


@pytest.mark.parametrize(
    ("edited", "field"),
    [
        (msgspec.structs.replace(AS_READ, subject="example-country"), "object"),
        (msgspec.structs.replace(AS_RECORDED, object="Example Country"), "object"),
        (
            msgspec.structs.replace(AS_RECORDED, qualifiers=Qualifiers(role="Example Country")),
            "qualifiers.role",
        ),
        (
            msgspec.structs.replace(AS_RECORDED, qualifiers=Qualifiers(place="Example Country")),
            "qualifiers.place",
        ),
        (
            msgspec.structs.replace(AS_RECORDED, qualifiers=Qualifiers(organization="Example Country")),
            "qualifiers.organization",
        ),
    ],
    ids=["object-left", "moved-to-object", "role", "place", "organization"],
)
def test_an_edit_leaving_an_unmatched_name_where_an_entity_goes_is_refused_naming_that_slot(
    edited: FactContent, field: str
) -> None:
    error = unmatched_refusal(edited)
    words = edited.object if field == "object" else "Example Country"
    assert error.field == f"content.{field}"
    assert error.message.startswith(
        f"{words!r} is a name no entity's label or alias matched: edit content.{field}"
    )


def test_an_unmatched_name_outside_the_entity_slots_is_accepted() -> None:
    # A note or a literal value may quote the text's words: they name no entity.
    edited = msgspec.structs.replace(
        AS_RECORDED, value="Example Country", qualifiers=Qualifiers(note="Example Organisation")
    )
    assert accepted_content(accept(edited), pending()) == edited


def test_an_edit_naming_the_entities_is_the_content_recorded() -> None:
    assert accepted_content(accept(AS_RECORDED), pending()) == AS_RECORDED


def test_an_acceptance_as_proposed_records_no_edit_with_who_and_when_in_utc() -> None:
    state = pending(made(AS_RECORDED, unmatched=()))
    events = decide_acceptance(accept(), state, "f-1")
    assert events == [
        ProposalAccepted(
            proposal_id="p-1", fact_id="f-1", edited=None, decided_by="archivist-1", recorded_at=AT
        )
    ]
    assert in_utc(events[0].recorded_at) == (AT, UTC)


def test_an_edit_equal_to_the_proposal_is_no_edit() -> None:
    state = pending(made(AS_RECORDED, unmatched=()))
    (event,) = decide_acceptance(accept(AS_RECORDED), state, "f-1")
    assert event.edited is None


def test_an_edited_acceptance_records_the_content_as_edited() -> None:
    (event,) = decide_acceptance(accept(AS_RECORDED), pending(), "f-2")
    assert event == ProposalAccepted(
        proposal_id="p-1", fact_id="f-2", edited=AS_RECORDED, decided_by="archivist-1", recorded_at=AT
    )


# --- rejection ------------------------------------------------------------------------------------------


def test_a_rejection_records_the_reason_as_given_with_who_and_when_in_utc() -> None:
    events = decide_rejection(reject("  a draft, not the final text "), pending())
    assert events == [
        ProposalRejected(
            proposal_id="p-1",
            reason="  a draft, not the final text ",
            decided_by="archivist-1",
            recorded_at=AT,
        )
    ]
    assert in_utc(events[0].recorded_at) == (AT, UTC)


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_a_rejection_without_a_reason_is_refused_naming_the_field(reason: str) -> None:
    with pytest.raises(InvalidCommand) as caught:
        decide_rejection(reject(reason), pending())
    assert (caught.value.field, caught.value.message) == (
        "reason",
        "a reason is required: say why the proposal is wrong",
    )


def test_a_decided_proposal_is_refused_before_its_missing_reason() -> None:
    decided = msgspec.structs.replace(pending(), version=2, status="rejected")
    with pytest.raises(AlreadyDecided):
        decide_rejection(reject(""), decided)
