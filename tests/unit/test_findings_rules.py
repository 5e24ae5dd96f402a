"""The rules that make a finding (archive/domain/findings.py), on plain values, and the vocabulary's
single-holder field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from archive.bootstrap import load_vocabulary
from archive.domain.errors import InvalidCommand, InvalidVocabulary, StaleVersion
from archive.domain.findings import (
    DismissFinding,
    FindingState,
    HolderTerm,
    beginning,
    colliding_names,
    decide_dismissal,
    differ_only_in_precision,
    ends_before,
    finding_id,
    overlapping_holders,
    plan_due,
    surely_overlap,
    variant_pairs,
)
from archive.domain.time import ValidTime, make_valid_time
from archive.domain.vocabulary import parse_vocabulary

AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def vt(valid_from: str | None = None, valid_to: str | None = None, point: str | None = None) -> ValidTime:
    return make_valid_time(valid_from, valid_to, point)


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        # An open end is no end: a successor recorded later overlaps it.
        (vt("2020-12-04"), vt("2022-03"), True),
        # Meeting within one imprecise date: a handover, not two holders.
        (vt("2017", "2020-12"), vt("2020-12-04"), False),
        (vt("2009", "2010"), vt("2010-06"), False),
        # The end's first possible day is after the other's start's last possible day.
        (vt("2018", "2021"), vt("2020-12-04"), True),
        (vt(point="2010-12-01"), vt(point="2010-12-01"), True),
        (vt(point="2010"), vt(point="2010"), False),
        (vt(point="2018"), vt(point="circa 2017"), False),
        (vt("2010", "2010"), vt("2011", "2011"), False),
        # An undated term overlaps nothing: nothing rules any date in or out.
        (vt(), vt("2010"), False),
        (vt(valid_to="2015"), vt(point="2010"), True),
    ],
)
def test_terms_surely_overlap_only_however_their_bounds_are_read(
    a: ValidTime, b: ValidTime, overlap: bool
) -> None:
    assert surely_overlap(a, b) is overlap
    assert surely_overlap(b, a) is overlap


def test_overlapping_holders_pairs_different_holders_only_in_fact_id_order() -> None:
    terms = [
        HolderTerm("c", "someone", vt("2021")),
        HolderTerm("a", "someone", vt("2020")),  # the same holder twice is no finding
        HolderTerm("b", "another", vt("2022")),
        HolderTerm("d", "third", vt("1990", "1991")),
    ]
    pairs = [(x.fact_id, y.fact_id) for x, y in overlapping_holders(terms)]
    assert pairs == [("a", "b"), ("b", "c")]


@pytest.mark.parametrize(
    ("time", "due"),
    [
        (vt("2009-10"), dt.date(2009, 10, 31)),
        (vt("2010", "2010"), dt.date(2010, 12, 31)),
        (vt(point="circa 2011"), dt.date(2012, 12, 31)),
        (vt(valid_to="2011-03"), dt.date(2011, 3, 31)),
        (vt(), None),
    ],
)
def test_a_plan_is_due_by_the_last_day_its_date_may_denote(time: ValidTime, due: dt.date | None) -> None:
    assert plan_due(time) == due


@pytest.mark.parametrize(
    ("a", "b", "variants"),
    [
        (vt(point="1975"), vt(point="derived 1975"), True),
        (vt(point="2010"), vt(point="2010-12-01"), True),
        (vt("2010"), vt("2010", "2011"), True),
        (vt("2010-01-01"), vt("2010", "2010"), True),
        (vt(point="2010-12"), vt(), True),
        (vt("2010", "2011"), vt("2012", "2013"), False),
        (vt(point="2010-11"), vt(point="2010-12"), False),
        (vt("2009", "2011-12"), vt("2009", "2010-06"), False),
    ],
)
def test_valid_times_differ_only_in_precision_or_a_bound(a: ValidTime, b: ValidTime, variants: bool) -> None:
    assert differ_only_in_precision(a, b) is variants
    assert differ_only_in_precision(b, a) is variants


def test_variant_pairs_need_the_same_content_and_no_link() -> None:
    facts: list[tuple[str, Any, ValidTime]] = [
        ("b", "same", vt(point="1975")),
        ("a", "same", vt(point="derived 1975")),
        ("c", "other", vt(point="1975")),
        ("d", "same", vt(point="1975-08-01")),
    ]
    assert variant_pairs(facts, set()) == [("a", "b"), ("a", "d"), ("b", "d")]
    assert variant_pairs(facts, {frozenset(("a", "b")), frozenset(("d", "a"))}) == [("b", "d")]


def test_names_collide_case_folded_and_spaced_alike_across_entities_only() -> None:
    found = colliding_names(
        [
            ("one", "Example  Office", ["EO"]),
            ("two", "example office", []),
            ("three", "Eo", ["eo"]),  # its own label and alias agree: one entity, still two with "one"
        ]
    )
    assert found == {"example office": ["one", "two"], "eo": ["one", "three"]}


def test_a_finding_id_depends_on_its_kind_and_what_it_is_about_in_any_order() -> None:
    assert finding_id("overlapping_holders", ["a", "b"]) == finding_id("overlapping_holders", ["b", "a", "a"])
    assert finding_id("overlapping_holders", ["a", "b"]) != finding_id("precision_variants", ["a", "b"])
    assert finding_id("overlapping_holders", ["a", "b"]) != finding_id("overlapping_holders", ["a", "c"])


def dismiss(**changes: Any) -> DismissFinding:
    values: dict[str, Any] = {
        "finding_id": "f",
        "expected_version": 0,
        "reason_code": "did_not_happen",
        "justification": "the conference was cancelled",
        "recorded_at": AT,
    }
    return DismissFinding(**(values | changes))


def test_a_dismissal_names_the_reason_and_the_kind() -> None:
    (event,) = decide_dismissal(dismiss(), FindingState(exists=True, version=0, kind="plan_passed"))
    assert (event.finding_id, event.kind, event.reason_code) == ("f", "plan_passed", "did_not_happen")
    assert event.justification == "the conference was cancelled"


@pytest.mark.parametrize(
    ("command", "state", "error", "field"),
    [
        (dismiss(), FindingState(exists=False), InvalidCommand, "finding_id"),
        (dismiss(expected_version=1), FindingState(exists=True), StaleVersion, "expected_version"),
        (dismiss(expected_version=1), FindingState(exists=True, version=1), InvalidCommand, "finding_id"),
        (dismiss(reason_code="bored"), FindingState(exists=True), InvalidCommand, "reason_code"),
        (dismiss(justification="  "), FindingState(exists=True), InvalidCommand, "justification"),
    ],
)
def test_a_dismissal_is_refused_naming_the_field(
    command: DismissFinding, state: FindingState, error: type[Exception], field: str
) -> None:
    with pytest.raises(error) as caught:
        decide_dismissal(command, state)
    assert getattr(caught.value, "field", None) == field


def predicate(**fields: Any) -> dict[str, Any]:
    return {"predicates": {"held_position": {"label": "held position", "description": "d", **fields}}}


def test_single_holder_is_read_from_the_vocabulary_and_needs_a_role_mapping() -> None:
    role = {"office": "object", "organization": "qualifier:organization"}
    parsed = parse_vocabulary(predicate(object="entity", role=role, single_holder=True))
    assert parsed.get("held_position").single_holder is True
    assert parse_vocabulary(predicate(object="entity", role=role)).get("held_position").single_holder is False
    with pytest.raises(InvalidVocabulary, match="single_holder needs a role mapping"):
        parse_vocabulary(predicate(object="entity", single_holder=True))


def test_the_vocabulary_marks_the_offices_of_one_holder_at_a_time() -> None:
    vocabulary = load_vocabulary()
    marked = sorted(name for name, p in vocabulary.predicates.items() if p.single_holder)
    assert marked == ["chaired", "held_position"]


@pytest.mark.parametrize(
    ("fact", "began", "before"),
    [
        (vt(valid_to="1998"), vt(point="1999"), True),
        (vt(valid_to="1999-03"), vt(point="1999"), False),  # may end after a 1999 opening
        (vt(point="1998-12-31"), vt("1999-01-01"), True),
        (vt("1990"), vt(point="1999"), False),  # no end: it ends nowhere
        (vt(), vt(point="1999"), False),
        (vt(valid_to="circa 1998"), vt(point="1999"), False),  # circa 1998 may reach 1999
    ],
)
def test_a_fact_ends_before_a_beginning_only_if_its_end_surely_does(
    fact: ValidTime, began: ValidTime, before: bool
) -> None:
    day = beginning(began)
    assert day is not None
    assert ends_before(fact, day) is before


def test_a_beginning_is_read_from_the_vocabulary_and_an_object_one_needs_an_entity_object() -> None:
    assert load_vocabulary().predicates["opened"].begins == "subject"
    assert load_vocabulary().predicates["established"].begins == "object"
    with pytest.raises(InvalidVocabulary, match="begins 'object' needs an entity object"):
        parse_vocabulary(predicate(object="literal", begins="object"))
