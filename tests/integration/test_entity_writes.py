"""Entities written over HTTP: create, revise, merge, on a fresh copy of the seeded corpus, on every backend.

Every refused write is checked twice: the problem names the field at fault, and the log holds exactly as
many events afterwards as before. A merge is followed through every read it changes (the entity, its
relations, the registry's search, a new fact naming the merged entity) and through a rebuild of the read
models from the log.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.bootstrap import wire
from archive.commands import Archive, CommandMeta
from archive.domain.entities import EntityChanges
from archive.eventstore import EventStore, RecordedEvent
from archive.projections.entities import entities_table
from archive.projections.rebuild import rebuild
from archive.projections.shadow import compare_with_rebuild
from archive.storage.engine import create_engine
from archive.storage.migrate import downgrade, upgrade
from tests.integration.conftest import ARCHIVIST

Client = AsyncTestClient[Litestar]
Json = dict[str, Any]
Headers = dict[str, dict[str, str]]
PROBLEM_JSON = "application/problem+json"

# The seeded corpus: general-information.txt, line 19, quoted exactly.
LINE_19_PART = "Having become a full member of the pan-European conference"


@pytest.fixture
def store(seeded_engine: AsyncEngine) -> EventStore:
    """The event store of the seeded database the client writes to."""
    return wire(seeded_engine).store


def problem(response: Any, status: int, code: str | None = None, parameter: str | None = None) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: Json = response.json()
    if code is not None:
        assert body["code"] == code, body
    if parameter is not None:
        assert body["parameter"] == parameter, body
    return body


def new_entity(**overrides: Any) -> Json:
    return {
        "entity_id": "example-delegation",
        "kind": "body",
        "label": "Example Delegation",
        "aliases": ["ED"],
        "reason": "test: a body the seeds do not name",
    } | overrides


def revision(version: int | None, **changes: Any) -> Json:
    body: Json = {
        "changes": changes,
        "reason_code": "transcription_error",
        "justification": "test: the label was mistyped",
    }
    return body if version is None else body | {"expected_version": version}


async def appended_since(store: EventStore, head: int) -> list[RecordedEvent]:
    return await store.read_all(head, 100_000)


async def create(client: Client, headers: Headers, **overrides: Any) -> Json:
    response = await client.post("/entities", json=new_entity(**overrides), headers=headers["archivist"])
    assert response.status_code == 201, response.text
    created: Json = response.json()
    return created


async def version_of(client: Client, entity_id: str) -> int:
    response = await client.get(f"/entities/{entity_id}")
    assert response.status_code == 200, response.text
    version: int = response.json()["version"]
    return version


async def merge(client: Client, headers: Headers, entity_id: str, into: str, **overrides: Any) -> Any:
    body = {
        "into": into,
        "justification": f"test: {entity_id} and {into} are one",
        "expected_version": await version_of(client, entity_id),
        "into_expected_version": await version_of(client, into),
    } | overrides
    return await client.post(f"/entities/{entity_id}/merge", json=body, headers=headers["archivist"])


# -- create ----------------------------------------------------------------------------------------


async def test_post_entity_is_201_with_an_event_on_its_stream_and_the_same_again_changes_nothing(
    seeded_client: Client, headers: Headers, store: EventStore
) -> None:
    head = await store.head_position()
    response = await seeded_client.post("/entities", json=new_entity(), headers=headers["archivist"])
    assert response.status_code == 201, response.text
    assert response.json() == {
        "id": "example-delegation",
        "kind": "body",
        "label": "Example Delegation",
        "aliases": ["ED"],
        "version": 1,
        "merged_from": [],
        "redirected_from": None,
    }
    (event,) = await appended_since(store, head)
    assert (event.stream_id, event.stream_version, event.event_type) == (
        "entity:example-delegation",
        1,
        "entity.registered",
    )
    assert (event.metadata["actor"], event.metadata["reason"]) == (
        ARCHIVIST,
        "test: a body the seeds do not name",
    )
    assert (await seeded_client.get("/entities/example-delegation")).json() == response.json()
    found = (await seeded_client.get("/entities", params={"q": "example deleg"})).json()["items"]
    assert [e["id"] for e in found] == ["example-delegation"]

    again = await seeded_client.post("/entities", json=new_entity(), headers=headers["archivist"])
    assert again.status_code == 200, again.text
    assert again.json() == response.json()
    assert len(await appended_since(store, head)) == 1


@pytest.mark.parametrize(
    ("entity_id", "label"),
    [
        ("example-delegation", "Another Delegation"),
        ("osce", "Organization for Security and Cooperation in Europe"),
    ],
    ids=["created-here", "seeded"],
)
async def test_creating_an_id_that_is_taken_is_409_naming_it_and_appends_nothing(
    seeded_client: Client, headers: Headers, store: EventStore, entity_id: str, label: str
) -> None:
    await create(seeded_client, headers)
    count = await store.count()
    response = await seeded_client.post(
        "/entities", json=new_entity(entity_id=entity_id, label=label), headers=headers["archivist"]
    )
    body = problem(response, 409, "entity_exists", "entity_id")
    assert f"entity {entity_id!r} exists" in body["detail"]
    assert "revise that entity" in body["detail"]
    assert await store.count() == count


@pytest.mark.parametrize(
    ("change", "status", "parameter", "says"),
    [
        ({"entity_id": None}, 400, "entity_id", "missing required field"),
        ({"kind": None}, 400, "kind", "missing required field"),
        ({"label": None}, 400, "label", "missing required field"),
        ({"label": ""}, 400, "label", "length >= 1"),
        ({"label": "   "}, 422, "label", "needs a label"),
        ({"kind": "planet"}, 422, "kind", "known kinds are person"),
        ({"entity_id": "Example Delegation"}, 422, "entity_id", "is not a slug"),
        ({"entity_id": "example_delegation"}, 422, "entity_id", "is not a slug"),
        ({"aliases": ["ED", " "]}, 422, "aliases", "has an empty alias"),
        ({"aliases": "ED"}, 400, "aliases", "Expected `array`"),
        ({"label": "Example\x00Delegation"}, 400, "label", "matching regex"),
        ({"colour": "blue"}, 400, "colour", "unknown field"),
    ],
    ids=lambda value: str(value) if not isinstance(value, dict) else "-".join(map(str, value)),
)
async def test_a_bad_create_is_refused_naming_the_field_and_appends_nothing(
    seeded_client: Client,
    headers: Headers,
    store: EventStore,
    change: Json,
    status: int,
    parameter: str,
    says: str,
) -> None:
    count = await store.count()
    body = new_entity(**change)
    for name, value in change.items():
        if value is None:
            del body[name]
    response = await seeded_client.post("/entities", json=body, headers=headers["archivist"])
    refused = problem(response, status, parameter=parameter)
    assert says in refused["detail"], refused
    if parameter == "kind" and status == 422:
        assert "person" in refused["allowed"]
    assert await store.count() == count


async def test_writing_an_entity_needs_an_archivist(
    seeded_client: Client, headers: Headers, store: EventStore
) -> None:
    count = await store.count()
    problem(await seeded_client.post("/entities", json=new_entity()), 401)
    problem(await seeded_client.post("/entities", json=new_entity(), headers=headers["auditor"]), 403)
    for path in ("/entities/osce/revisions", "/entities/osce/merge"):
        problem(await seeded_client.post(path, json={}, headers=headers["auditor"]), 403)
    assert await store.count() == count


# -- revise ----------------------------------------------------------------------------------------


async def test_a_revision_changes_the_given_values_with_its_reason_on_the_version_read(
    seeded_client: Client, headers: Headers, store: EventStore
) -> None:
    await create(seeded_client, headers)
    head = await store.head_position()
    response = await seeded_client.post(
        "/entities/example-delegation/revisions",
        json=revision(1, label="Example Delegation to the Council"),
        headers=headers["archivist"],
    )
    assert response.status_code == 200, response.text
    revised = response.json()
    assert (revised["label"], revised["kind"], revised["aliases"], revised["version"]) == (
        "Example Delegation to the Council",
        "body",
        ["ED"],
        2,
    )
    (event,) = await appended_since(store, head)
    assert (event.event_type, event.stream_version) == ("entity.revised", 2)
    assert event.data["reason_code"] == "transcription_error"
    assert event.data["justification"] == event.metadata["reason"] == "test: the label was mistyped"

    aliases = await seeded_client.post(
        "/entities/example-delegation/revisions",
        json=revision(2, aliases=[], kind="organisation"),
        headers=headers["archivist"],
    )
    assert aliases.status_code == 200, aliases.text
    assert (aliases.json()["aliases"], aliases.json()["kind"], aliases.json()["version"]) == (
        [],
        "organisation",
        3,
    )
    history = (await seeded_client.get("/entities/example-delegation/history")).json()
    assert [(e["event_type"], e["version"]) for e in history["events"]] == [
        ("entity.registered", 1),
        ("entity.revised", 2),
        ("entity.revised", 3),
    ]
    assert history["merged_into"] is None


async def test_a_revision_without_its_version_is_428_and_a_stale_one_409_and_neither_appends(
    seeded_client: Client, headers: Headers, store: EventStore
) -> None:
    version = await version_of(seeded_client, "osce")
    count = await store.count()
    path = "/entities/osce/revisions"
    missing = await seeded_client.post(path, json=revision(None, label="OSCE"), headers=headers["archivist"])
    body = problem(missing, 428, "version_required", "expected_version")
    assert body["current_version"] == version
    assert f"send expected_version {version}" in body["detail"]
    stale = await seeded_client.post(
        path, json=revision(version + 1, label="OSCE"), headers=headers["archivist"]
    )
    body = problem(stale, 409, "stale_version", "expected_version")
    assert (body["expected_version"], body["current_version"]) == (version + 1, version)
    assert await store.count() == count


@pytest.mark.parametrize(
    ("body", "status", "code", "parameter", "says"),
    [
        (revision(1), 422, "invalid_command", "changes", "changes nothing"),
        (revision(1, label="Example Delegation"), 422, "invalid_command", "changes", "changes nothing"),
        (revision(1, kind="planet"), 422, "invalid_command", "changes.kind", "known kinds are"),
        (revision(1, label=" "), 422, "invalid_command", "changes.label", "needs a label"),
        (revision(1, label=""), 400, None, "changes.label", "length >= 1"),
        (revision(1, aliases=[""]), 400, None, "changes.aliases[0]", "length >= 1"),
        (revision(1, colour="blue"), 400, None, "changes.colour", "unknown field"),
        (revision(1, label="X") | {"reason_code": "whim"}, 400, None, "reason_code", "Invalid enum value"),
        (revision(1, label="X") | {"justification": ""}, 400, None, "justification", "length >= 1"),
        (
            revision(1, label="X") | {"justification": "  "},
            422,
            "invalid_command",
            "justification",
            "required",
        ),
        (revision(1, label="X") | {"expected_version": -1}, 400, None, "expected_version", ">= 0"),
        (
            {"reason_code": "other", "justification": "j", "expected_version": 1},
            400,
            None,
            "changes",
            "missing",
        ),
        (revision(1, label="X") | {"extra": 1}, 400, None, "extra", "unknown field"),
    ],
    ids=lambda value: value if isinstance(value, str) else str(value)[:40],
)
async def test_a_bad_revision_is_refused_naming_the_field_and_appends_nothing(
    seeded_client: Client,
    headers: Headers,
    store: EventStore,
    body: Json,
    status: int,
    code: str | None,
    parameter: str,
    says: str,
) -> None:
    await create(seeded_client, headers)
    count = await store.count()
    response = await seeded_client.post(
        "/entities/example-delegation/revisions", json=body, headers=headers["archivist"]
    )
    refused = problem(response, status, code, parameter)
    assert says in refused["detail"], refused
    assert await store.count() == count


async def test_revising_or_merging_an_entity_that_does_not_exist_is_404(
    seeded_client: Client, headers: Headers, store: EventStore
) -> None:
    count = await store.count()
    revised = await seeded_client.post(
        "/entities/no-such-entity/revisions", json=revision(1, label="X"), headers=headers["archivist"]
    )
    assert "'no-such-entity' does not exist" in problem(revised, 404, "entity_not_found")["detail"]
    merged = await seeded_client.post(
        "/entities/no-such-entity/merge",
        json={"into": "osce", "justification": "j", "expected_version": 1, "into_expected_version": 1},
        headers=headers["archivist"],
    )
    problem(merged, 404, "entity_not_found")
    assert await store.count() == count


# -- merge -----------------------------------------------------------------------------------------


async def test_a_merge_redirects_the_entity_its_facts_follow_and_a_new_fact_naming_it_is_refused(
    seeded_client: Client, headers: Headers, store: EventStore, seeded_archive: Archive
) -> None:
    archivist = headers["archivist"]
    await create(
        seeded_client,
        headers,
        entity_id="kazakhstan-duplicate",
        kind="country",
        label="Qazaqstan",
        aliases=[],
    )
    fact = {
        "subject": "kazakhstan-duplicate",
        "predicate": "member_of",
        "object": "osce",
        "valid_from": "1993-02",
        "citations": [
            {"source_id": "general-information", "line_start": 19, "line_end": 19, "quote": LINE_19_PART}
        ],
    }
    recorded = await seeded_client.post("/facts", json=fact, headers=archivist)
    assert recorded.status_code == 201, recorded.text
    fact_id = recorded.json()["id"]
    before = (await seeded_client.get("/entities/kazakhstan/relations", params={"rank": "all"})).json()
    assert fact_id not in [f["id"] for f in before["items"]]
    target_version = await version_of(seeded_client, "kazakhstan")
    head = await store.head_position()

    merged = await merge(seeded_client, headers, "kazakhstan-duplicate", "kazakhstan")
    assert merged.status_code == 200, merged.text
    assert (merged.json()["id"], merged.json()["redirected_from"]) == ("kazakhstan", "kazakhstan-duplicate")
    # One event on each stream: the merged entity's ends with the redirect; the target's records it.
    event, other_side = await appended_since(store, head)
    assert (event.stream_id, event.stream_version, event.event_type) == (
        "entity:kazakhstan-duplicate",
        2,
        "entity.merged_into",
    )
    assert (other_side.stream_id, other_side.stream_version, other_side.event_type) == (
        "entity:kazakhstan",
        target_version + 1,
        "entity.merged_from",
    )
    assert (event.data["into"], other_side.data["merged"]) == ("kazakhstan", "kazakhstan-duplicate")
    assert event.metadata["reason"] == "test: kazakhstan-duplicate and kazakhstan are one"

    # The merged id answers the entity it was merged into; the target lists what it took in.
    redirected = (await seeded_client.get("/entities/kazakhstan-duplicate")).json()
    assert (redirected["id"], redirected["label"], redirected["redirected_from"]) == (
        "kazakhstan",
        "Kazakhstan",
        "kazakhstan-duplicate",
    )
    target = (await seeded_client.get("/entities/kazakhstan")).json()
    assert (target["merged_from"], target["redirected_from"], target["version"]) == (
        ["kazakhstan-duplicate"],
        None,
        target_version + 1,
    )
    # Both histories are kept: the merged one ends with its merge, the target's records the other side.
    history = (await seeded_client.get("/entities/kazakhstan-duplicate/history")).json()
    assert [e["event_type"] for e in history["events"]] == ["entity.registered", "entity.merged_into"]
    assert history["merged_into"] == "kazakhstan"
    target_history = (await seeded_client.get("/entities/kazakhstan/history")).json()
    assert len(target_history["events"]) == target_version + 1
    assert target_history["events"][-1]["event_type"] == "entity.merged_from"

    # Relations follow the redirect, from either id; the fact itself still names what it named.
    after = (await seeded_client.get("/entities/kazakhstan/relations", params={"rank": "all"})).json()
    assert after["total"] == before["total"] + 1
    assert fact_id in [f["id"] for f in after["items"]]
    via_old_id = (
        await seeded_client.get("/entities/kazakhstan-duplicate/relations", params={"rank": "all"})
    ).json()
    assert via_old_id == after
    assert (await seeded_client.get(f"/facts/{fact_id}")).json()["subject"]["id"] == "kazakhstan-duplicate"

    # The registry lists the target only, and finds it by the merged entity's name.
    found = (await seeded_client.get("/entities", params={"q": "qazaqstan"})).json()
    assert [e["id"] for e in found["items"]] == ["kazakhstan"]
    listed = (await seeded_client.get("/entities", params={"kind": "country", "limit": 500})).json()
    assert "kazakhstan-duplicate" not in [e["id"] for e in listed["items"]]

    # A new fact naming the merged entity is refused, naming the target; nothing is appended.
    count = await store.count()
    another = fact | {
        "valid_from": "1994",
        "subject": "osce",
        "object": "kazakhstan-duplicate",
        "predicate": "member_of",
    }
    for body, field in ((fact | {"valid_from": "1994"}, "subject"), (another, "object")):
        refused = await seeded_client.post("/facts", json=body, headers=archivist)
        detail = problem(refused, 422, "unknown_entity", field)["detail"]
        assert "'kazakhstan-duplicate' was merged into 'kazakhstan'" in detail
    assert await store.count() == count

    # The read models a rebuild makes from the log are the ones the writes made.
    assert await compare_with_rebuild(seeded_archive.store, seeded_archive.projector) == []


async def test_after_a_merge_the_merged_entity_cannot_be_revised_merged_or_created_again(
    seeded_client: Client, headers: Headers, store: EventStore
) -> None:
    await create(seeded_client, headers, entity_id="delegation-a")
    await create(seeded_client, headers, entity_id="delegation-b")
    assert (await merge(seeded_client, headers, "delegation-a", "delegation-b")).status_code == 200
    count = await store.count()
    revised = await seeded_client.post(
        "/entities/delegation-a/revisions", json=revision(2, label="X"), headers=headers["archivist"]
    )
    assert "merged into 'delegation-b'" in problem(revised, 409, "already_merged", "entity_id")["detail"]
    again = await seeded_client.post(
        "/entities/delegation-a/merge",
        json={"into": "osce", "justification": "j", "expected_version": 2, "into_expected_version": 1},
        headers=headers["archivist"],
    )
    problem(again, 409, "already_merged", "entity_id")
    created = await seeded_client.post(
        "/entities", json=new_entity(entity_id="delegation-a"), headers=headers["archivist"]
    )
    assert "merged into 'delegation-b'" in problem(created, 409, "entity_exists", "entity_id")["detail"]
    assert await store.count() == count


async def test_merges_never_chain_or_loop_and_a_merged_target_passes_its_redirects_on(
    seeded_client: Client, headers: Headers, store: EventStore, seeded_archive: Archive
) -> None:
    for name in ("a", "b", "c"):
        await create(
            seeded_client, headers, entity_id=f"delegation-{name}", label=f"Delegation {name.upper()}"
        )
    assert (await merge(seeded_client, headers, "delegation-a", "delegation-b")).status_code == 200
    count = await store.count()
    # Into a merged entity: refused, naming where it went (no chain, and so no cycle B -> A -> B).
    for entity_id in ("delegation-c", "delegation-b"):
        refused = await merge(seeded_client, headers, entity_id, "delegation-a", into_expected_version=2)
        detail = problem(refused, 422, "invalid_command", "into")["detail"]
        assert "'delegation-a' was itself merged into 'delegation-b'" in detail
    assert await store.count() == count

    # The target merged in turn: what redirected to it now redirects to its own target, one step.
    assert (await merge(seeded_client, headers, "delegation-b", "delegation-c")).status_code == 200
    for entity_id in ("delegation-a", "delegation-b"):
        answer = (await seeded_client.get(f"/entities/{entity_id}")).json()
        assert (answer["id"], answer["redirected_from"]) == ("delegation-c", entity_id)
    assert (await seeded_client.get("/entities/delegation-c")).json()["merged_from"] == [
        "delegation-a",
        "delegation-b",
    ]
    assert await compare_with_rebuild(seeded_archive.store, seeded_archive.projector) == []


@pytest.mark.parametrize(
    ("overrides", "status", "code", "parameter", "says"),
    [
        ({"into": "delegation-a"}, 422, "invalid_command", "into", "cannot be merged into itself"),
        ({"into": "no-such-entity"}, 422, "unknown_entity", "into", "not a registered entity"),
        (
            {"into": "kazakhstan"},
            422,
            "invalid_command",
            "into",
            "of kind body and 'kazakhstan' of kind country",
        ),
        ({"expected_version": None}, 428, "version_required", "expected_version", "send expected_version 1"),
        ({"expected_version": 2}, 409, "stale_version", "expected_version", "at version 1, not 2"),
        (
            {"into_expected_version": None},
            428,
            "version_required",
            "into_expected_version",
            "send into_expected_version 1",
        ),
        ({"into_expected_version": 5}, 409, "stale_version", "into_expected_version", "at version 1, not 5"),
        ({"justification": None}, 400, None, "justification", "missing required field"),
        ({"justification": " "}, 422, "invalid_command", "justification", "required"),
        ({"into": None}, 400, None, "into", "missing required field"),
        ({"into": "x\x00"}, 400, None, "into", "matching regex"),
        ({"reason_code": "other"}, 400, None, "reason_code", "unknown field"),
    ],
    ids=lambda value: value if isinstance(value, str) else str(value)[:40],
)
async def test_a_bad_merge_is_refused_naming_the_field_and_appends_nothing(
    seeded_client: Client,
    headers: Headers,
    store: EventStore,
    overrides: Json,
    status: int,
    code: str | None,
    parameter: str,
    says: str,
) -> None:
    await create(seeded_client, headers, entity_id="delegation-a")
    await create(seeded_client, headers, entity_id="delegation-b")
    body: Json = {"into": "delegation-b", "justification": "test: one delegation", "expected_version": 1}
    body |= {"into_expected_version": 1} | overrides
    body = {name: value for name, value in body.items() if value is not None}
    count = await store.count()
    response = await seeded_client.post(
        "/entities/delegation-a/merge", json=body, headers=headers["archivist"]
    )
    refused = problem(response, status, code, parameter)
    assert says in refused["detail"], refused
    assert await store.count() == count


# -- concurrency -----------------------------------------------------------------------------------


async def test_eight_concurrent_revisions_of_one_version_one_wins_and_seven_are_409(
    seeded_client: Client, headers: Headers, store: EventStore
) -> None:
    await create(seeded_client, headers)
    count = await store.count()
    responses = await asyncio.gather(
        *(
            seeded_client.post(
                "/entities/example-delegation/revisions",
                json=revision(1, label=f"Example Delegation {n}"),
                headers=headers["archivist"],
            )
            for n in range(8)
        )
    )
    assert sorted(r.status_code for r in responses) == [200] + [409] * 7, [r.text for r in responses]
    (winner,) = [r.json() for r in responses if r.status_code == 200]
    assert winner["version"] == 2
    for refused in (r for r in responses if r.status_code == 409):
        assert (refused.json()["code"], refused.json()["current_version"]) == ("stale_version", 2)
    assert await store.count() == count + 1
    assert (await seeded_client.get("/entities/example-delegation")).json()["label"] == winner["label"]


async def test_eight_concurrent_creates_of_one_id_one_wins_and_seven_are_409(
    seeded_client: Client, headers: Headers, store: EventStore
) -> None:
    count = await store.count()
    responses = await asyncio.gather(
        *(
            seeded_client.post(
                "/entities", json=new_entity(label=f"Example Delegation {n}"), headers=headers["archivist"]
            )
            for n in range(8)
        )
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 7, [r.text for r in responses]
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.json()["code"] == "entity_exists"
    assert await store.count() == count + 1


async def test_eight_concurrent_merges_of_one_entity_one_wins(
    seeded_client: Client, headers: Headers, store: EventStore
) -> None:
    for n in range(9):
        await create(seeded_client, headers, entity_id=f"delegation-{n}")
    count = await store.count()
    responses = await asyncio.gather(
        *(
            seeded_client.post(
                "/entities/delegation-0/merge",
                json={
                    "into": f"delegation-{n}",
                    "justification": "test: the same delegation",
                    "expected_version": 1,
                    "into_expected_version": 1,
                },
                headers=headers["archivist"],
            )
            for n in range(1, 9)
        )
    )
    assert sorted(r.status_code for r in responses) == [200] + [409] * 7, [r.text for r in responses]
    assert await store.count() == count + 2  # the merged entity's event and its target's


# -- conditional reads -----------------------------------------------------------------------------


async def test_a_merge_changes_the_targets_etag_and_a_redirected_answer_is_never_304(
    seeded_client: Client, headers: Headers
) -> None:
    await create(seeded_client, headers, entity_id="delegation-a")
    await create(seeded_client, headers, entity_id="delegation-b")
    tags = {
        e: (await seeded_client.get(f"/entities/{e}")).headers["etag"]
        for e in ("delegation-a", "delegation-b")
    }
    assert tags == {"delegation-a": '"1"', "delegation-b": '"1"'}
    assert (await merge(seeded_client, headers, "delegation-a", "delegation-b")).status_code == 200

    # The target's answer changed (it took the other in), and so did its version and its tag.
    target = await seeded_client.get(
        "/entities/delegation-b", headers={"If-None-Match": tags["delegation-b"]}
    )
    assert (target.status_code, target.json()["merged_from"], target.headers["etag"]) == (
        200,
        ["delegation-a"],
        '"2"',
    )
    # The merged id answers another entity now: whatever tag the client holds, it gets the answer whole.
    for held in (tags["delegation-a"], target.headers["etag"]):
        redirected = await seeded_client.get("/entities/delegation-a", headers={"If-None-Match": held})
        assert redirected.status_code == 200, held
        assert (redirected.json()["id"], redirected.json()["redirected_from"]) == (
            "delegation-b",
            "delegation-a",
        )


# -- rebuild and migration -------------------------------------------------------------------------


async def entity_rows(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        rows = await conn.execute(sa.select(entities_table).order_by(entities_table.c.entity_id))
        return [tuple(row) for row in rows]


async def test_a_rebuild_of_the_read_models_gives_the_same_entity_rows(
    seeded_client: Client, headers: Headers, seeded_engine: AsyncEngine, seeded_archive: Archive
) -> None:
    for name in ("a", "b", "c"):
        await create(seeded_client, headers, entity_id=f"delegation-{name}")
    revised = await seeded_client.post(
        "/entities/delegation-a/revisions",
        json=revision(1, aliases=["DA", "Delegation Alpha"]),
        headers=headers["archivist"],
    )
    assert revised.status_code == 200, revised.text
    assert (await merge(seeded_client, headers, "delegation-a", "delegation-b")).status_code == 200
    assert (await merge(seeded_client, headers, "delegation-b", "delegation-c")).status_code == 200
    written = await entity_rows(seeded_engine)
    relations = (await seeded_client.get("/entities/delegation-c")).json()

    await rebuild(seeded_archive.store, seeded_archive.projector)

    assert await entity_rows(seeded_engine) == written
    assert (await seeded_client.get("/entities/delegation-c")).json() == relations
    merged = {row[0]: row[-1] for row in written if row[-1] is not None}
    assert merged == {"delegation-a": "delegation-c", "delegation-b": "delegation-c"}


def test_the_migration_gives_existing_entities_their_stream_version(seeded_database_url: str) -> None:
    # Synchronous: Alembic's environment runs its own event loop.
    async def revise_and_read() -> dict[str, tuple[int, str | None]]:
        engine = create_engine(seeded_database_url)
        try:
            archive = wire(engine).commands
            meta = CommandMeta(actor="tester")
            for label in ("OSCE, revised once", "OSCE, revised twice"):
                version = await archive.store.stream_version("entity:osce")
                await archive.revise_entity(
                    entity_id="osce",
                    changes=EntityChanges(label=label),
                    reason_code="other",
                    justification="test",
                    meta=meta,
                    expected_version=version,
                )
            return await versions(engine)
        finally:
            await engine.dispose()

    async def versions(engine: AsyncEngine | None = None) -> dict[str, tuple[int, str | None]]:
        own = engine or create_engine(seeded_database_url)
        try:
            async with own.connect() as conn:
                table = entities_table
                rows = await conn.execute(sa.select(table.c.entity_id, table.c.version, table.c.merged_into))
                return {entity_id: (version, merged) for entity_id, version, merged in rows}
        finally:
            if engine is None:
                await own.dispose()

    written = asyncio.run(revise_and_read())
    assert written["osce"][0] >= 3
    assert {version for version, _ in written.values()} != {1}

    downgrade(seeded_database_url, "0006")
    upgrade(seeded_database_url)

    assert asyncio.run(versions()) == written


async def test_filters_by_a_merged_id_or_its_target_find_what_was_recorded_under_either(
    seeded_client: Client, headers: Headers
) -> None:
    """`/facts?entity|subject|object=` and `/roles?holder|organization=` name an entity, not an id: after
    a merge, the old id and the new one find the same facts and terms."""

    async def listed(path: str, **params: str) -> list[str]:
        body = (await seeded_client.get(path, params={"rank": "all", "limit": "500", **params})).json()
        if path == "/roles":
            return sorted(
                f"{r['holder']['id']} {r['office']['label']} {r['valid_from']}" for r in body["items"]
            )
        return sorted(f["id"] for f in body["items"])

    await create(
        seeded_client, headers, entity_id="kazakhstan-new", kind="country", label="Qazaqstan", aliases=[]
    )
    chairs = await listed("/roles", holder="kazakhstan")
    facts = await listed("/facts", entity="kazakhstan")
    as_subject = await listed("/facts", subject="kazakhstan")
    osce_terms = await listed("/roles", organization="osce")
    for found in (chairs, facts, as_subject, osce_terms):
        assert found
    assert await listed("/roles", holder="kazakhstan-new") == []

    merged = await merge(seeded_client, headers, "kazakhstan", "kazakhstan-new")
    assert merged.status_code == 200, merged.text

    for entity_id in ("kazakhstan", "kazakhstan-new"):
        assert await listed("/roles", holder=entity_id) == chairs, entity_id
        assert await listed("/facts", entity=entity_id) == facts, entity_id
        assert await listed("/facts", subject=entity_id) == as_subject, entity_id
    assert await listed("/roles", organization="osce") == osce_terms
    # An id that names nothing still finds nothing.
    assert await listed("/facts", entity="no-such-entity") == []
