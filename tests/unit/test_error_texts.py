"""Small contracts that mutation testing found unchecked: what the store's and the domain's errors say
and carry, the version rule at a stream's birth, and the slug message."""

from __future__ import annotations

import pytest

from archive.domain.errors import CitationMismatch, InvalidCommand, VersionRequired
from archive.domain.events import EVENT_TYPES, decode_event
from archive.domain.ids import require_slug
from archive.domain.streams import MAX_NAMED_ID_LENGTH
from archive.domain.versions import require_expected_version
from archive.eventstore.errors import ConcurrencyError, UnknownEventTypeError


def test_a_concurrency_error_carries_the_stream_and_both_versions_and_says_them() -> None:
    error = ConcurrencyError("fact:1", 2, 3)
    assert (error.stream_id, error.expected_version, error.current_version) == ("fact:1", 2, 3)
    assert error.args == ("fact:1", 2)
    assert str(error) == "stream 'fact:1' is at version 3, not at the expected version 2"
    assert str(ConcurrencyError("s", 0)) == "stream 's' is at a newer version, not at the expected version 0"


def test_an_unknown_event_type_error_names_the_type() -> None:
    error = UnknownEventTypeError("thing.odd")
    assert error.event_type == "thing.odd"
    assert str(error) == "unknown event type 'thing.odd': it is not in the event type registry"


def test_a_new_stream_needs_no_version_and_an_existing_one_does() -> None:
    require_expected_version("fact f", 0, None, "record it")  # nothing to overwrite yet
    require_expected_version("fact f", 3, None, None)  # changes nothing
    with pytest.raises(VersionRequired):
        require_expected_version("fact f", 3, None, "link it")


def test_a_citation_mismatch_over_several_lines_names_them_and_the_quote_field() -> None:
    error = CitationMismatch("doc", 3, 5, "words", "other words")
    assert error.message == (
        "the quote is not in lines 3-5 of source 'doc': expected 'words', but the text there is 'other words'"
    )
    assert error.field == "quote"
    assert CitationMismatch("doc", 3, 3, "w", "x", field="citations[1].quote").field == "citations[1].quote"


def test_a_slug_refusal_shows_an_example_of_a_slug() -> None:
    with pytest.raises(InvalidCommand) as caught:
        require_slug("Not A Slug", "entity id", field="entity_id")
    assert caught.value.message == (
        "entity id 'Not A Slug' is not a slug: use lowercase letters and digits joined by single hyphens, "
        "e.g. 'example-country'"
    )
    assert caught.value.field == "entity_id"


def test_a_slug_of_the_longest_length_is_accepted_and_one_longer_is_refused_naming_the_field() -> None:
    # The limit keeps a named stream ("entity:" + id) within the log's column.
    longest = "a" * MAX_NAMED_ID_LENGTH
    assert require_slug(longest, "entity id", field="entity_id") == longest
    with pytest.raises(InvalidCommand) as caught:
        require_slug(longest + "a", "entity id", field="entity_id")
    assert caught.value.message == (
        f"entity id is {MAX_NAMED_ID_LENGTH + 1} characters long: at most {MAX_NAMED_ID_LENGTH} are accepted"
    )
    assert caught.value.field == "entity_id"


def test_an_unknown_event_type_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"^unknown event type 'thing\.odd'") as caught:
        decode_event("thing.odd", {})
    assert str(caught.value) == f"unknown event type 'thing.odd'; known types: {', '.join(EVENT_TYPES)}"
