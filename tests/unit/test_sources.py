"""Lines, quotes, and the source decider: registration, new versions and citation re-checks."""

from __future__ import annotations

import datetime as dt
import hashlib

import msgspec
import pytest

from archive.domain.errors import (
    CitationMismatch,
    InvalidCommand,
    InvalidDate,
    SourceHashMismatch,
    StaleVersion,
    UnknownSource,
    VersionRequired,
)
from archive.domain.events import (
    CitationRecheck,
    EntityRegistered,
    SourceDescribed,
    SourceRegistered,
    SourceRevised,
    citation_id,
)
from archive.domain.sources import (
    MAX_LINE_CHARS,
    MAX_SOURCE_LINES,
    CitationRef,
    RegisterSource,
    SourceSnapshot,
    SourceState,
    decide_source,
    evolve_source,
    initial_source_state,
    locate_quote,
    normalise_quote_span,
    sha256_hex,
    snapshot,
    split_lines,
    verify_quote,
)

from .examples import (
    AT,
    CHAIR_CITATION,
    LATER,
    MEMBERSHIP_CITATION,
    SOURCE_ID,
    SOURCE_LINES,
    SOURCE_REGISTERED,
    SOURCE_SHA,
    SOURCE_TEXT,
    SUMMIT_CITATION,
    cite,
)
from .scenario import Scenario

source = Scenario(decide_source, evolve_source, initial_source_state)

FACT_ID = "fact-1"

# A new edition: a line inserted after the title, the summit sentence gone.
REVISED_TEXT = (
    "Example Report\n"
    "Revised edition\n"
    "\n"
    "In January 1992 Example Country joined the Example Organisation.\n"
    "On 1 January 2010 Example Country took up the chair of the\n"
    "Example Organisation for one year.\n"
    "Jane Example was  appointed Example Officer in 2011.\n"
)
REVISED_SHA = hashlib.sha256(REVISED_TEXT.encode("utf-8")).hexdigest()
TITLE_CITATION = cite(1, 1, "Example Report")


def register(text: str = SOURCE_TEXT, **overrides: object) -> RegisterSource:
    fields: dict[str, object] = {
        "source_id": SOURCE_ID,
        "title": "Example Report",
        "origin": "invented for tests",
        "source_date": "2011",
        "text": text,
        "content_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "recorded_at": AT,
        **overrides,
    }
    return RegisterSource(**fields)  # type: ignore[arg-type]


# -- lines and quotes


def test_split_lines_splits_on_newline_exactly() -> None:
    assert split_lines("a\nb \r\n\nc\n") == ("a", "b \r", "", "c", "")


def test_the_example_source_has_eight_lines_counting_the_one_after_the_final_newline() -> None:
    assert len(SOURCE_LINES) == 8
    assert SOURCE_LINES[2] == "In January 1992 Example Country joined the Example Organisation."


def test_a_span_is_joined_with_one_space_at_each_break() -> None:
    assert normalise_quote_span(SOURCE_LINES, 4, 5) == (
        "On 1 January 2010 Example Country took up the chair of the Example Organisation for one year."
    )


def test_whitespace_inside_a_line_is_kept() -> None:
    assert normalise_quote_span(SOURCE_LINES, 7, 7) == "Jane Example was  appointed Example Officer in 2011."


def test_an_empty_line_inside_a_span_collapses_into_the_break() -> None:
    assert normalise_quote_span(SOURCE_LINES, 1, 3) == (
        "Example Report In January 1992 Example Country joined the Example Organisation."
    )


@pytest.mark.parametrize(
    "quote",
    [
        "took up the chair of the\nExample Organisation",
        "took up the chair of the Example Organisation",
        "took up the chair of the   \n   Example Organisation",
        "On 1 January 2010 Example Country took up the chair of the Example Organisation for one year.",
    ],
)
def test_a_quote_copied_across_a_wrap_verifies(quote: str) -> None:
    verify_quote(SOURCE_ID, SOURCE_LINES, 4, 5, quote)


def test_a_quote_within_one_line_verifies() -> None:
    verify_quote(SOURCE_ID, SOURCE_LINES, 3, 3, "Example Country joined")


@pytest.mark.parametrize(
    "quote",
    [
        "took up the chair of the  Example Organisation",
        "Jane Example was appointed",
        "example country joined",
        "Example Country joined the Example Organization",
    ],
)
def test_nothing_but_line_breaks_is_normalised(quote: str) -> None:
    lines = (4, 5) if "chair" in quote else (7, 7) if "Jane" in quote else (3, 3)
    with pytest.raises(CitationMismatch):
        verify_quote(SOURCE_ID, SOURCE_LINES, *lines, quote)


def test_a_mismatch_says_which_lines_and_what_was_expected() -> None:
    with pytest.raises(CitationMismatch) as caught:
        verify_quote(SOURCE_ID, SOURCE_LINES, 6, 6, "The Example Summit took place")
    error = caught.value
    assert (error.source_id, error.line_start, error.line_end, error.expected, error.found) == (
        SOURCE_ID,
        6,
        6,
        "The Example Summit took place",
        "The Example Summit is planned for December 2010 in Example City.",
    )
    assert error.message == (
        "the quote is not in line 6 of source 'example-report': expected 'The Example Summit took place', "
        "but the text there is 'The Example Summit is planned for December 2010 in Example City.'"
    )
    assert error.code == "citation_mismatch"


def test_a_quote_on_the_wrong_line_does_not_verify() -> None:
    with pytest.raises(CitationMismatch, match="line 4 of source"):
        verify_quote(SOURCE_ID, SOURCE_LINES, 4, 4, "Example Organisation for one year")


@pytest.mark.parametrize(("line_start", "line_end"), [(0, 1), (9, 9), (7, 9), (5, 4)])
def test_lines_outside_the_source_are_a_mismatch_with_the_line_count(line_start: int, line_end: int) -> None:
    with pytest.raises(CitationMismatch, match="which has 8 lines") as caught:
        verify_quote(SOURCE_ID, SOURCE_LINES, line_start, line_end, "Example")
    assert caught.value.found == ""


@pytest.mark.parametrize("quote", ["", "  \n "])
def test_an_empty_quote_is_refused(quote: str) -> None:
    with pytest.raises(InvalidCommand, match="the quote citing 'example-report' is empty"):
        verify_quote(SOURCE_ID, SOURCE_LINES, 3, 3, quote)


def test_locate_finds_the_quote_at_the_same_width_first() -> None:
    lines = split_lines(REVISED_TEXT)
    assert locate_quote(lines, "the chair of the\nExample Organisation", 2) == (5, 6)


def test_locate_finds_a_quote_that_a_rewrap_put_on_one_line() -> None:
    lines = ("intro", "took up the chair of the Example Organisation for one year.", "outro")
    assert locate_quote(lines, "the chair of the\nExample Organisation", 2) == (2, 2)


def test_locate_widens_up_to_two_lines_beyond_the_span() -> None:
    lines = ("took up the", "chair of", "the Example", "Organisation")
    assert locate_quote(lines, "took up the chair of the Example Organisation", 2) == (1, 4)
    assert locate_quote(lines, "took up the chair of the Example Organisation", 1) is None


def test_locate_returns_none_when_the_quote_is_gone() -> None:
    assert locate_quote(split_lines(REVISED_TEXT), "The Example Summit", 1) is None


def test_sha256_hex_hashes_the_utf8_bytes() -> None:
    assert sha256_hex("é") == "4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c"


# -- the decider


def test_a_new_source_is_registered_as_version_one() -> None:
    source.when(register()).then(SOURCE_REGISTERED)


def test_registration_stores_the_canonical_source_date() -> None:
    [event] = source.when(register(source_date="  circa 2011-02 ")).decided()
    assert isinstance(event, SourceRegistered)
    assert event.source_date == "circa 2011-02"


def test_registering_the_same_bytes_again_changes_nothing() -> None:
    source.given(SOURCE_REGISTERED).when(register(recorded_at=LATER)).then()


def test_new_bytes_for_an_existing_source_need_the_version_they_replace() -> None:
    source.given(SOURCE_REGISTERED).when(register(REVISED_TEXT)).then_raises(
        VersionRequired, match="source example-report exists \\(version 1\\).*expected_version 1"
    )
    source.given(SOURCE_REGISTERED).when(register(REVISED_TEXT, expected_version=0)).then_raises(
        StaleVersion, match="at version 1, not 0"
    )


def test_a_new_title_origin_or_date_is_recorded_not_dropped() -> None:
    source.given(SOURCE_REGISTERED).when(
        register(
            title="Example Report (revised)", source_date="circa 2011", recorded_at=LATER, expected_version=1
        )
    ).then(
        SourceDescribed(
            source_id=SOURCE_ID,
            title="Example Report (revised)",
            origin="invented for tests",
            source_date="circa 2011",
            version=2,
            recorded_at=LATER,
        )
    )


def test_a_new_record_needs_the_version_it_replaces() -> None:
    source.given(SOURCE_REGISTERED).when(register(origin="found elsewhere")).then_raises(
        VersionRequired, match="would change its title, origin or date"
    )


def test_a_new_text_and_a_new_title_are_two_versions_in_one_write() -> None:
    command = register(REVISED_TEXT, title="Example Report (revised)", recorded_at=LATER, expected_version=1)
    revised, described = source.given(SOURCE_REGISTERED).when(command).decided()
    assert isinstance(revised, SourceRevised)
    assert isinstance(described, SourceDescribed)
    assert (revised.version, described.version, described.title) == (2, 3, "Example Report (revised)")
    state = source.given(SOURCE_REGISTERED, revised, described).state
    assert (state.version, state.title, state.content_sha256) == (3, "Example Report (revised)", REVISED_SHA)


def test_a_stale_version_is_refused_even_for_the_same_bytes() -> None:
    source.given(SOURCE_REGISTERED).when(register(expected_version=2)).then_raises(StaleVersion)


def test_a_text_over_the_line_limit_is_refused_naming_the_limit() -> None:
    text = "a line\n" * MAX_SOURCE_LINES  # MAX_SOURCE_LINES newlines make one line more
    source.when(register(text)).then_raises(InvalidCommand, match=f"at most {MAX_SOURCE_LINES}")
    source.when(register("a line\n" * (MAX_SOURCE_LINES - 1) + "last")).then(
        SourceRegistered(
            source_id=SOURCE_ID,
            title="Example Report",
            origin="invented for tests",
            source_date="2011",
            content_sha256=hashlib.sha256(
                ("a line\n" * (MAX_SOURCE_LINES - 1) + "last").encode()
            ).hexdigest(),
            text="a line\n" * (MAX_SOURCE_LINES - 1) + "last",
            line_count=MAX_SOURCE_LINES,
            version=1,
            recorded_at=AT,
        )
    )


def test_a_line_over_the_length_limit_is_refused_naming_it() -> None:
    text = "title\n" + "x" * (MAX_LINE_CHARS + 1)
    source.when(register(text)).then_raises(InvalidCommand, match=f"line 2 .* at most {MAX_LINE_CHARS}")
    [event] = source.when(register("title\n" + "x" * MAX_LINE_CHARS)).decided()
    assert isinstance(event, SourceRegistered)


def test_new_bytes_are_a_new_version_with_each_citation_rechecked() -> None:
    refs = (
        CitationRef(FACT_ID, TITLE_CITATION),
        CitationRef(FACT_ID, MEMBERSHIP_CITATION),
        CitationRef("fact-2", CHAIR_CITATION),
        CitationRef("fact-3", SUMMIT_CITATION),
    )
    source.given(SOURCE_REGISTERED).when(
        register(REVISED_TEXT, recorded_at=LATER, citations=refs, expected_version=1)
    ).then(
        SourceRevised(
            source_id=SOURCE_ID,
            content_sha256=REVISED_SHA,
            text=REVISED_TEXT,
            line_count=8,
            version=2,
            rechecks=(
                CitationRecheck(FACT_ID, citation_id(TITLE_CITATION), "verified", 1, 1),
                CitationRecheck(FACT_ID, citation_id(MEMBERSHIP_CITATION), "drifted", 4, 4),
                CitationRecheck("fact-2", citation_id(CHAIR_CITATION), "drifted", 5, 6),
                CitationRecheck("fact-3", citation_id(SUMMIT_CITATION), "orphaned", None, None),
            ),
            recorded_at=LATER,
        )
    )


def test_a_quote_that_changed_by_one_letter_is_orphaned_not_matched_fuzzily() -> None:
    text = SOURCE_TEXT.replace("Organisation.", "Organization.")
    ref = CitationRef(FACT_ID, MEMBERSHIP_CITATION)
    [event] = (
        source.given(SOURCE_REGISTERED).when(register(text, citations=(ref,), expected_version=1)).decided()
    )
    assert isinstance(event, SourceRevised)
    assert event.rechecks == (
        CitationRecheck(FACT_ID, citation_id(MEMBERSHIP_CITATION), "orphaned", None, None),
    )


def test_versions_count_up_with_each_new_text() -> None:
    second = SourceRevised(
        source_id=SOURCE_ID,
        content_sha256=REVISED_SHA,
        text=REVISED_TEXT,
        line_count=8,
        version=2,
        recorded_at=LATER,
    )
    [event] = source.given(SOURCE_REGISTERED, second).when(register("third\n", expected_version=2)).decided()
    assert isinstance(event, SourceRevised)
    assert (event.version, event.line_count, event.rechecks) == (3, 2, ())


def test_text_that_does_not_match_its_hash_is_refused() -> None:
    error = source.when(register(content_sha256="0" * 64)).then_raises(SourceHashMismatch)
    assert error.message == (
        f"the text of source 'example-report' hashes to {SOURCE_SHA}, not the declared {'0' * 64}: "
        "the bytes changed in transit or the hash belongs to another file"
    )


@pytest.mark.parametrize("source_id", ["Example-Report", "example_report", "example--report", "-x", ""])
def test_a_source_id_must_be_a_slug(source_id: str) -> None:
    source.when(register(source_id=source_id)).then_raises(InvalidCommand, match="source id .* is not a slug")


def test_a_source_date_must_be_a_partial_date() -> None:
    source.when(register(source_date="March 2011")).then_raises(InvalidDate, match="'March 2011'")


def test_a_source_needs_a_title() -> None:
    source.when(register(title=" ")).then_raises(InvalidCommand, match="needs a title")


def test_a_naive_recorded_at_is_refused() -> None:
    source.when(register(recorded_at=dt.datetime(2024, 3, 1))).then_raises(
        InvalidCommand, match="recorded_at"
    )


def test_a_citation_into_another_source_cannot_be_rechecked_here() -> None:
    foreign = CitationRef(FACT_ID, msgspec.structs.replace(TITLE_CITATION, source_id="other-report"))
    source.given(SOURCE_REGISTERED).when(
        register(REVISED_TEXT, citations=(foreign,), expected_version=1)
    ).then_raises(InvalidCommand, match="points into 'other-report', not 'example-report'")


# -- evolve and snapshot


def test_the_state_after_registration_holds_the_lines_and_version() -> None:
    state = source.given(SOURCE_REGISTERED).state
    assert state == SourceState(
        exists=True,
        source_id=SOURCE_ID,
        title="Example Report",
        origin="invented for tests",
        source_date="2011",
        content_sha256=SOURCE_SHA,
        lines=SOURCE_LINES,
        version=1,
    )


def test_a_snapshot_is_the_current_version() -> None:
    revised = SourceRevised(
        source_id=SOURCE_ID,
        content_sha256=REVISED_SHA,
        text=REVISED_TEXT,
        line_count=8,
        version=2,
        recorded_at=LATER,
    )
    assert snapshot(source.given(SOURCE_REGISTERED, revised).state) == SourceSnapshot(
        source_id=SOURCE_ID,
        content_sha256=REVISED_SHA,
        lines=split_lines(REVISED_TEXT),
        version=2,
        title="Example Report",
    )


def test_there_is_no_snapshot_of_an_unregistered_source() -> None:
    with pytest.raises(UnknownSource, match="not registered"):
        snapshot(initial_source_state())


def test_events_of_other_streams_leave_a_source_alone() -> None:
    other = EntityRegistered(entity_id="x", kind="person", label="X", aliases=(), recorded_at=AT)
    assert evolve_source(initial_source_state(), other) == initial_source_state()


def test_locate_trims_the_window_to_the_lines_the_quote_covers() -> None:
    lines = ("intro", "Example Country joined", "outro", "more")
    assert locate_quote(lines, "Example Country joined", 3) == (2, 2)


def test_locate_quote_prefers_the_occurrence_nearest_the_old_line() -> None:
    lines = ("x", "the same words", "y", "z", "the same words", "w")
    assert locate_quote(lines, "the same words", 1, near=5) == (5, 5)
    assert locate_quote(lines, "the same words", 1, near=2) == (2, 2)
    assert locate_quote(lines, "the same words", 1, near=4) == (5, 5)
