"""A source read whole and at any version, and a change of its title, origin or date recorded, not dropped."""

from __future__ import annotations

import hashlib
from typing import Any

from archive.commands import Archive
from tests.conftest import SEEDS
from tests.integration.test_hardening import source_body
from tests.integration.test_writes import SOURCE, Client, assert_problem

ORIGINAL = (SEEDS / "documents" / f"{SOURCE}.txt").read_text(encoding="utf-8")


async def test_a_source_is_read_whole_with_its_record(seeded_client: Client) -> None:
    response = await seeded_client.get(f"/sources/{SOURCE}", params={"text": "true"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["text"] == ORIGINAL
    assert body["source"]["content_sha256"] == hashlib.sha256(ORIGINAL.encode()).hexdigest()
    assert "text" not in (await seeded_client.get(f"/sources/{SOURCE}")).json()


async def test_each_version_is_listed_and_readable_with_its_own_text_and_record(
    seeded_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    first = (await seeded_client.get(f"/sources/{SOURCE}")).json()
    body = await source_body(
        seeded_client, text="A second edition\n", title="General information (2nd ed.)", expected_version=1
    )
    written = await seeded_client.post("/sources", json=body, headers=headers["archivist"])
    assert written.status_code == 200, written.text
    assert (written.json()["events_appended"], written.json()["source"]["version"]) == (2, 3)

    versions = (await seeded_client.get(f"/sources/{SOURCE}/versions")).json()
    items: list[dict[str, Any]] = versions["items"]
    assert [(v["version"], v["change"], v["title"]) for v in items] == [
        (1, "registered", first["title"]),
        (2, "text", first["title"]),
        (3, "record", "General information (2nd ed.)"),
    ]
    new_sha = hashlib.sha256(b"A second edition\n").hexdigest()
    assert [v["content_sha256"] for v in items] == [first["content_sha256"], new_sha, new_sha]
    assert items[1]["actor"] == items[2]["actor"] == "archivist-ada"
    assert items[2]["reason"] == "test"

    one = (await seeded_client.get(f"/sources/{SOURCE}/versions/1")).json()
    assert (one["text"], one["version"]["title"]) == (ORIGINAL, first["title"])
    two = (await seeded_client.get(f"/sources/{SOURCE}/versions/2")).json()
    assert (two["text"], two["version"]["title"]) == ("A second edition\n", first["title"])
    current = (await seeded_client.get(f"/sources/{SOURCE}")).json()
    assert (current["title"], current["version"]) == ("General information (2nd ed.)", 3)

    page = await seeded_client.get(f"/ui/sources/{SOURCE}")
    assert page.status_code == 200
    assert 'id="versions-heading"' in page.text
    for n in (1, 2, 3):
        assert f'href="/sources/{SOURCE}/versions/{n}"' in page.text
    assert "title, origin or date" in page.text


async def test_a_new_record_alone_needs_the_version_and_is_one_event(
    seeded_client: Client, headers: dict[str, dict[str, str]], seeded_archive: Archive
) -> None:
    store = seeded_archive.store
    count = await store.count()
    body = await source_body(seeded_client, text=ORIGINAL, origin="Received again, by post")
    refused = await seeded_client.post("/sources", json=body, headers=headers["archivist"])
    problem = assert_problem(refused, 428, "version_required")
    assert "change its title, origin or date" in problem["detail"]
    assert await store.count() == count
    accepted = await seeded_client.post(
        "/sources", json=body | {"expected_version": 1}, headers=headers["archivist"]
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["events_appended"] == 1
    assert accepted.json()["rechecks"] == []
    assert (await seeded_client.get(f"/sources/{SOURCE}")).json()["origin"] == "Received again, by post"
    assert await store.count() == count + 1


async def test_a_version_or_source_that_does_not_exist_is_404(seeded_client: Client) -> None:
    assert_problem(await seeded_client.get(f"/sources/{SOURCE}/versions/2"), 404)
    assert_problem(await seeded_client.get("/sources/no-such-source/versions"), 404)
    assert_problem(await seeded_client.get(f"/sources/{SOURCE}/versions/0"), 400)
