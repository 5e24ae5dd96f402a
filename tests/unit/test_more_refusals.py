"""More refusals that mutation testing found unchecked by the fast tests: a source's size limits, an
entity of the wrong kind, a citation of another version, an object where the predicate takes none; and
what evolving and parsing keep."""

from __future__ import annotations

from typing import Any

import pytest
from msgspec.structs import replace

from archive.domain.errors import DomainError, InvalidCommand
from archive.domain.facts import FactContent, fact_id_for
from archive.domain.sources import MAX_LINE_CHARS, MAX_SOURCE_LINES, check_text_limits
from archive.domain.vocabulary import parse_vocabulary

from .examples import MEMBERSHIP, MEMBERSHIP_CITATION, SOURCE_ID, recorded
from .test_facts import fact, record
from .test_sources import register, source


def test_a_source_with_too_many_lines_is_refused_naming_the_text() -> None:
    with pytest.raises(InvalidCommand) as caught:
        check_text_limits("doc", ["x"] * (MAX_SOURCE_LINES + 1))
    assert caught.value.field == "text"
    assert caught.value.message.startswith(f"the text of source 'doc' has {MAX_SOURCE_LINES + 1} lines;")


def test_the_longest_line_is_the_one_named_when_a_line_is_too_long() -> None:
    lines = ["short", "y" * (MAX_LINE_CHARS + 1), "x" * MAX_LINE_CHARS, "z"]
    with pytest.raises(InvalidCommand) as caught:
        check_text_limits("doc", lines)
    assert caught.value.field == "text"
    assert caught.value.message.startswith(f"line 2 of source 'doc' has {MAX_LINE_CHARS + 1} characters;")


def test_registering_a_source_with_a_line_too_long_names_the_source_and_the_text() -> None:
    error = source.when(register("a\n" + "b" * (MAX_LINE_CHARS + 1) + "\n")).then_raises(InvalidCommand)
    assert error.field == "text"
    assert error.message.startswith(f"line 2 of source {SOURCE_ID!r} has")


TAKES_PLACE = FactContent(subject="example-summit", predicate="takes_place", point_in_time="2010-12")


@pytest.mark.parametrize(
    ("content", "field", "message"),
    [
        (
            replace(MEMBERSHIP, subject="example-organisation"),
            "subject",
            "predicate 'member_of' accepts as subject only entities of kind country; ",
        ),
        (replace(TAKES_PLACE, object="example-city"), "object", None),
        (replace(TAKES_PLACE, value="somewhere"), "value", None),
    ],
)
def test_a_fact_of_the_wrong_shape_or_kind_names_the_field(
    content: FactContent, field: str, message: str | None
) -> None:
    error = fact.when(record(content)).then_raises(DomainError)
    assert error.field == field, error.message
    if message is not None:
        assert error.message.startswith(message)
        assert error.choices == ("country",)


def test_a_citation_of_another_version_names_its_hash_and_says_what_to_do() -> None:
    stale = replace(MEMBERSHIP_CITATION, content_sha256="0" * 64)
    error = fact.when(record(MEMBERSHIP, stale)).then_raises(DomainError)
    assert error.field == "citations[0].content_sha256", error.message
    assert error.message.endswith("check the quote against the current text and cite that")


def test_evolving_a_recorded_fact_keeps_its_rank() -> None:
    state = fact.given(
        recorded(MEMBERSHIP, fact_id_for(MEMBERSHIP), MEMBERSHIP_CITATION, rank="preferred")
    ).state
    assert state.rank == "preferred"


def test_parsing_a_vocabulary_keeps_each_predicate_under_its_name() -> None:
    body: dict[str, Any] = {"label": "member of", "description": "d", "object": "entity"}
    vocabulary = parse_vocabulary({"predicates": {"member_of": body, "part_of": body}})
    assert sorted(vocabulary.predicates) == ["member_of", "part_of"]
    assert vocabulary.get("part_of").name == "part_of"
    assert vocabulary.get("member_of").label == "member of"
