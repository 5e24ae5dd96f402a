"""The standalone verifier agrees with the archive: it imports only the standard library and cryptography,
folds a fact's events as `evolve_fact` does, checks quotes as `verify_quote` does, and hashes events as the
store does."""

from __future__ import annotations

import ast
import datetime as dt
import sys
from pathlib import Path

import msgspec
import pytest

import archive.audit.verify_evidence as verifier_module
from archive.audit.verify_evidence import (
    FACT_FIELDS,
    canonical_event_bytes,
    fold_fact,
    quote_stands,
)
from archive.domain.errors import DomainError
from archive.domain.events import (
    Citation,
    Event,
    FactChanges,
    FactCited,
    FactCorrected,
    FactLinked,
    FactRecorded,
    FactReranked,
    FactRetracted,
    Qualifiers,
    encode_event,
    event_type_of,
)
from archive.domain.facts import evolve_fact, initial_fact_state
from archive.domain.sources import verify_quote
from archive.eventstore.hashing import canonical_bytes, canonical_time
from tests.unit.examples import AT, LATER, SOURCE_ID, SOURCE_LINES, SOURCE_SHA


def test_the_verifier_imports_only_the_standard_library_and_cryptography() -> None:
    tree = ast.parse(Path(verifier_module.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "a relative import needs the package around it"
            imported.add((node.module or "").split(".")[0])
    assert "cryptography" in imported
    assert {name for name in imported if name not in sys.stdlib_module_names} == {"cryptography"}


def cite(line: int, quote: str, sha: str = SOURCE_SHA) -> Citation:
    return Citation(source_id=SOURCE_ID, content_sha256=sha, line_start=line, line_end=line, quote=quote)


FIRST = cite(3, "Example Country joined the Example Organisation")
SECOND = cite(7, "appointed Example Officer")
EVENTS: list[Event] = [
    FactRecorded(
        fact_id="f1",
        subject="example-country",
        predicate="member_of",
        object="example-organisation",
        value=None,
        qualifiers=Qualifiers(note="a note"),
        valid_from="1992-01",
        valid_to=None,
        point_in_time=None,
        modality="asserted",
        rank="normal",
        citations=(FIRST, FIRST),  # a repeat, kept once
        recorded_at=AT,
    ),
    FactCited(fact_id="f1", citation=SECOND, recorded_at=AT),
    FactCited(fact_id="f1", citation=cite(3, FIRST.quote, sha="0" * 64), recorded_at=AT),  # same citation
    FactCorrected(
        fact_id="f1",
        changes=FactChanges(valid_from="1992", qualifiers=Qualifiers(role="example-role"), object=None),
        reason_code="precision_refinement",
        justification="the year alone",
        citations=(SECOND, cite(4, "took up the chair")),
        recorded_at=LATER,
    ),
    FactReranked(fact_id="f1", rank="preferred", reason_code="other", justification="why", recorded_at=LATER),
    FactLinked(fact_id="f1", relation="supersedes", target_fact_id="f0", recorded_at=LATER),
    FactLinked(fact_id="f1", relation="supersedes", target_fact_id="f0", recorded_at=LATER),  # a repeat
    FactRetracted(
        fact_id="f1", reason_code="other", justification="no longer", citations=(FIRST,), recorded_at=LATER
    ),
]


def stored(event: Event) -> dict[str, object]:
    """The event as a pack carries it: its type and its payload as JSON gives it back."""
    data = msgspec.json.decode(msgspec.json.encode(encode_event(event)))
    return {"event_type": event_type_of(event), "schema_version": 1, "data": data}


@pytest.mark.parametrize("upto", range(1, len(EVENTS) + 1))
def test_the_fold_of_a_facts_events_is_evolve_facts(upto: int) -> None:
    state = initial_fact_state()
    for event in EVENTS[:upto]:
        state = evolve_fact(state, event)
    expected = msgspec.json.decode(msgspec.json.encode(state))
    folded = fold_fact([stored(e) for e in EVENTS[:upto]])
    assert {name: folded[name] for name in FACT_FIELDS} == {name: expected[name] for name in FACT_FIELDS}


def test_the_fold_refuses_what_it_does_not_know() -> None:
    recorded = stored(EVENTS[0])
    with pytest.raises(ValueError, match="not a fact event"):
        fold_fact([recorded, {**stored(EVENTS[1]), "event_type": "fact.renamed"}])
    with pytest.raises(ValueError, match="not a fact event"):
        fold_fact([{**recorded, "schema_version": 2}])
    with pytest.raises(ValueError, match="before the fact was recorded"):
        fold_fact([stored(EVENTS[1])])


QUOTES = [
    (3, 3, "Example Country joined the Example Organisation"),
    (4, 5, "took up the chair of the Example Organisation"),  # across the wrap, spaces collapsed
    (4, 5, "took up the chair of the\nExample Organisation"),  # copied with the break
    (4, 5, "took up the chair of the   Example Organisation"),  # spaces inside kept as they are
    (4, 4, "Example Organisation for one year"),  # not in that line
    (7, 7, "Jane Example was appointed"),  # two spaces in the line
    (7, 7, "Jane Example was  appointed"),
    (0, 1, "Example Report"),
    (8, 9, "anything"),
    (5, 4, "Example"),
    (3, 3, "   "),
]


@pytest.mark.parametrize(("start", "end", "quote"), QUOTES)
def test_a_quote_stands_where_the_archive_says_it_does(start: int, end: int, quote: str) -> None:
    try:
        verify_quote(SOURCE_ID, SOURCE_LINES, start, end, quote)
        archive_says = True
    except DomainError:
        archive_says = False
    assert quote_stands(SOURCE_LINES, start, end, quote) is archive_says


def test_the_canonical_bytes_are_the_stores() -> None:
    data = {
        "quote": "a \u201cquote\u201d \u00e9 \t\x01 \u2028 \U0001f600",
        "n": 3,
        "z": None,
        "list": [True, 1],
    }
    metadata = {"actor": "\u00e9ve", "token_id": "t", "reason": "\x7f"}
    moment = dt.datetime(2024, 3, 1, 12, 0, 0, 5, tzinfo=dt.UTC)
    event = {
        "stream_id": "fact:f1",
        "stream_version": 2,
        "event_type": "fact.cited",
        "schema_version": 1,
        "data": data,
        "metadata": metadata,
        "recorded_at": canonical_time(moment),
    }
    expected = canonical_bytes(
        stream_id="fact:f1",
        stream_version=2,
        event_type="fact.cited",
        schema_version=1,
        data=data,
        metadata=metadata,
        recorded_at=moment,
    )
    assert canonical_event_bytes(event) == expected
