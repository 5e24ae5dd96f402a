"""Defects of the second hardening round, each pinned on every backend: an id too long for its stream's
name, the page of a redacted fact, a retracted fact's links. Every refusal is checked twice: the problem
names the field at fault, and the log holds exactly as many events afterwards as before."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.bootstrap import wire
from archive.domain.streams import MAX_NAMED_ID_LENGTH
from archive.eventstore import EventStore
from tests.integration.test_writes import Client, Json, assert_problem


@pytest.fixture
def store(seeded_engine: AsyncEngine) -> EventStore:
    """The event store of the seeded database the client writes to."""
    return wire(seeded_engine).store


def entity_body(entity_id: str) -> Json:
    """A new person registered under ``entity_id``."""
    return {"entity_id": entity_id, "kind": "person", "label": "A person of a long name"}


def source_body(source_id: str) -> Json:
    """A new one-line source registered under ``source_id``."""
    return {
        "source_id": source_id,
        "title": "A document",
        "origin": "test",
        "source_date": "2001",
        "text": "One line of text.\n",
    }


# -- 1. an id longer than its stream's name can hold -----------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [("/entities", entity_body, "entity_id"), ("/sources", source_body, "source_id")],
)
async def test_an_id_one_character_too_long_for_its_stream_is_422_naming_the_field_and_appends_nothing(
    seeded_client: Client,
    headers: dict[str, dict[str, str]],
    store: EventStore,
    path: str,
    body: Callable[[str], Json],
    field: str,
) -> None:
    # 194 to 200 characters passed the API's limit of 200 and were a 500 at the append: the stream's
    # name (`entity:` or `source:` and the id) holds at most 200.
    count = await store.count()
    too_long = "a" * (MAX_NAMED_ID_LENGTH + 1)
    response = await seeded_client.post(path, json=body(too_long), headers=headers["archivist"])
    problem = assert_problem(response, 422, "invalid_command")
    assert problem["parameter"] == field
    assert f"at most {MAX_NAMED_ID_LENGTH}" in problem["detail"]
    assert await store.count() == count

    longest = "b" * MAX_NAMED_ID_LENGTH
    accepted = await seeded_client.post(path, json=body(longest), headers=headers["archivist"])
    assert accepted.status_code == 201, accepted.text
    assert await store.count() > count
