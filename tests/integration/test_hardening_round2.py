"""Defects of the second hardening round, each pinned on every backend: an id too long for its stream's
name, the page of a redacted fact, a retracted fact's links. Every refusal is checked twice: the problem
names the field at fault, and the log holds exactly as many events afterwards as before."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import msgspec
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.web.rendering import TOKEN_COOKIE
from archive.bootstrap import wire
from archive.domain.streams import MAX_NAMED_ID_LENGTH, MAX_STREAM_NAME_LENGTH
from archive.eventstore import EventStore
from archive.eventstore.transfer import MAX_STREAM_ID_LENGTH
from archive.storage.engine import create_engine
from archive.tokens import create_token
from tests.integration.test_back_links import fact, in_search, link, unlinked_facts
from tests.integration.test_cli import archive
from tests.integration.test_redaction import REASON, redact
from tests.integration.test_writes import Client, Json, assert_problem, evidence, membership_1992


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


def test_the_domains_stream_name_limit_is_the_logs_column() -> None:
    # The domain may not import the table; this keeps its copy of the length from drifting.
    assert MAX_STREAM_ID_LENGTH == MAX_STREAM_NAME_LENGTH  # the column's own length
    assert MAX_STREAM_NAME_LENGTH - len("entity:") == MAX_NAMED_ID_LENGTH


# -- 2. the page of a redacted fact ------------------------------------------------------------------


async def test_the_page_of_a_redacted_fact_is_410_saying_so_and_leads_to_the_redaction_in_the_log(
    seeded_client: Client, seeded_engine: AsyncEngine, headers: dict[str, dict[str, str]]
) -> None:
    # The page answered the API's problem+json (or a 404 page): a reader learnt neither that the fact
    # was withdrawn on purpose nor where the log keeps why.
    admin, _ = await create_token(seeded_engine, "admin", "admin-h5")
    fact = await membership_1992(seeded_client)
    recorded_at = (await seeded_client.get(f"/facts/{fact['id']}/history")).json()["events"][0]["position"]
    response = await redact(seeded_client, recorded_at, {"Authorization": f"Bearer {admin}"}, REASON)
    assert response.status_code == 201, response.text
    redaction_at = response.json()["redaction_position"]

    page = await seeded_client.get(f"/ui/facts/{fact['id']}", headers={"Accept": "text/html"})
    assert page.status_code == 410, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "withdrawn by a redaction" in page.text
    assert f"position {recorded_at}" in page.text
    link = f'href="/ui/audit/?after={redaction_at - 1}"'
    assert link in page.text

    # The link leads an auditor to the log from the redaction on.
    seeded_client.cookies.set(TOKEN_COOKIE, headers["auditor"]["Authorization"].removeprefix("Bearer "))
    log_page = await seeded_client.get("/ui/audit/", params={"after": redaction_at - 1})
    assert log_page.status_code == 200, log_page.text
    assert "log.redacted" in log_page.text
    # The API still answers problem+json for the same fact.
    assert_problem(await seeded_client.get(f"/facts/{fact['id']}"), 410)


# -- 4. an end-of-log line without its head hash ---------------------------------------------------


def test_an_end_of_log_line_without_head_hash_is_refused_naming_the_key_and_the_line(
    seeded_database_url: str, database_url: str, tmp_path: Path
) -> None:
    # It was refused as "not an exported event: ... unknown field `end_of_log`", which sent the reader
    # looking for a stray line rather than at the key the end-of-log line lacks.
    export = archive("export", database_url=seeded_database_url)
    assert export.returncode == 0, export.stderr
    lines = export.stdout.splitlines()
    end = msgspec.json.decode(lines[-1])
    del end["head_hash"]
    cut = tmp_path / "no-head-hash.jsonl"
    cut.write_text("\n".join([*lines[:-1], msgspec.json.encode(end).decode()]) + "\n")

    refused = archive("import", str(cut), database_url=database_url)
    assert refused.returncode == 1
    assert f"line {len(lines)}: the end-of-log line is not whole" in refused.stderr
    assert "`head_hash`" in refused.stderr
    assert "nothing was written" in refused.stderr
    assert asyncio.run(_events_in(database_url)) == 0


async def _events_in(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        return await wire(engine).store.count()
    finally:
        await engine.dispose()


# -- 5. the links of a retracted fact ----------------------------------------------------------------


async def test_a_retracted_facts_link_is_still_shown_on_its_target_marked_retracted_and_active_before(
    seeded_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    # A retraction removes no link (the link was made, an auditor must see it), but the target showed a
    # retracted fact's `superseded_by` exactly as a standing one: a client took it as superseded now.
    a, b = await unlinked_facts(seeded_client, 2)
    made = await link(seeded_client, headers["archivist"], a, "supersedes", b)
    retracted = await seeded_client.post(
        f"/facts/{a['id']}/retractions",
        json={
            "expected_version": made["version"],
            "reason_code": "other",
            "justification": "test: the superseding statement was wrong",
            "citations": evidence(made),
        },
        headers=headers["archivist"],
    )
    assert retracted.status_code == 200, retracted.text
    assert retracted.json()["status"] == "retracted"
    retracted_at = datetime.fromisoformat(retracted.json()["recorded_at"])
    before = (retracted_at - timedelta(microseconds=1)).isoformat()

    now = [{"relation": "superseded_by", "fact_id": a["id"], "status": "retracted"}]
    then = [{"relation": "superseded_by", "fact_id": a["id"], "status": "active"}]
    assert (await fact(seeded_client, b["id"]))["linked_from"] == now
    assert (await in_search(seeded_client, b["id"]))["linked_from"] == now
    assert (await fact(seeded_client, b["id"], as_of=before))["linked_from"] == then
    assert (await in_search(seeded_client, b["id"], as_of=before))["linked_from"] == then

    page = await seeded_client.get(f"/ui/facts/{b['id']}")
    assert page.status_code == 200, page.text
    (entry,) = re.findall(r'<dd class="linked-from[^"]*"[^>]*>.*?</dd>', page.text, flags=re.S)
    assert 'data-status="retracted"' in entry
    assert "the fact that made it was retracted" in entry
    assert f'href="/ui/facts/{a["id"]}"' in entry
    earlier = await seeded_client.get(f"/ui/facts/{b['id']}", params={"as_of": before})
    (entry,) = re.findall(r'<dd class="linked-from[^"]*"[^>]*>.*?</dd>', earlier.text, flags=re.S)
    assert 'data-status="active"' in entry
    assert "retracted" not in entry
