"""Memento (RFC 7089) for facts over HTTP, on every backend: the TimeMap, each version at its own URL, the
fact as its own TimeGate, HEAD on the fact's URLs, and a Memento-Datetime that finds its own version.

The versions are recorded at chosen times (the store's clock is the test's): two within one second,
which no HTTP date can tell apart, and one seconds later.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.bootstrap import wire
from archive.commands import Archive
from archive.domain.events import FactChanges
from archive.eventstore import EventStore
from tests.integration.test_read_api import (
    META,
    Client,
    Json,
    assert_problem,
    citation_of,
    find_fact,
    get_json,
)

BASE = "http://testserver.local"
LINK = re.compile(r'<([^>]*)>((?:\s*;\s*[a-z]+="[^"]*")*)')
PARAM = re.compile(r'([a-z]+)="([^"]*)"')


def links(header: str) -> list[tuple[str, dict[str, str]]]:
    """The links of a `Link` header or a link-format document: (target, {parameter: value})."""
    return [(target, dict(PARAM.findall(params))) for target, params in LINK.findall(header)]


def rels(header: str) -> dict[str, str]:
    """Each relation named in a `Link` header, to its target."""
    return {rel: target for target, params in links(header) for rel in params.get("rel", "").split()}


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


@pytest.fixture
def record_times() -> Iterator[datetime]:
    """The record times of the test's writes: two within one second, then one two seconds on."""
    second = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
    return iter(
        (
            second.replace(microsecond=400_000),
            second.replace(microsecond=700_000),
            second + timedelta(seconds=2),
        )
    )


@pytest.fixture
def timed_archive(seeded_engine: AsyncEngine, record_times: Iterator[datetime]) -> Archive:
    """The command side on the seeded database, its store recording at `record_times`."""
    wired = wire(seeded_engine)
    store = EventStore(seeded_engine, wired.store.registry, clock=lambda: next(record_times))
    return Archive(store, wired.commands.vocabulary)


async def fact_with_versions(client: Client, archive: Archive) -> tuple[Json, list[Json]]:
    """The seeded membership from 1992-01 after three corrections at the chosen times, and its events."""
    fact = await find_fact(
        client, subject="kazakhstan", predicate="member_of", object="osce", valid_from="1992-01"
    )
    for valid_from in ("1992", "1992-01", "1992-01-30"):
        current = await get_json(client, f"/facts/{fact['id']}")
        await archive.correct_fact(
            fact_id=fact["id"],
            expected_version=current["version"],
            changes=FactChanges(valid_from=valid_from),
            reason_code="precision_refinement",
            justification=f"test: the start as {valid_from}",
            citations=[citation_of(current)],
            meta=META,
        )
    history = (await get_json(client, f"/facts/{fact['id']}/history"))["events"]
    return await get_json(client, f"/facts/{fact['id']}"), history


async def test_the_timemap_lists_every_version_with_its_datetime(
    seeded_client: Client, timed_archive: Archive
) -> None:
    fact, history = await fact_with_versions(seeded_client, timed_archive)
    uri_r = f"{BASE}/facts/{fact['id']}"

    response = await seeded_client.get(f"/facts/{fact['id']}/timemap")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/link-format")
    listed = links(response.text)
    assert listed[0] == (uri_r, {"rel": "original timegate"})
    target, params = listed[1]
    assert (target, params["rel"], params["type"]) == (f"{uri_r}/timemap", "self", "application/link-format")
    assert params["from"] == http_date(datetime.fromisoformat(history[0]["recorded_at"]))
    assert params["until"] == http_date(datetime.fromisoformat(history[-1]["recorded_at"]))
    mementos = listed[2:]
    assert [target for target, _ in mementos] == [f"{uri_r}/versions/{e['version']}" for e in history]
    assert [params["datetime"] for _, params in mementos] == [
        http_date(datetime.fromisoformat(e["recorded_at"])) for e in history
    ]
    assert mementos[0][1]["rel"] == "first memento"
    assert mementos[-1][1]["rel"] == "last memento"
    assert all(params["rel"] == "memento" for _, params in mementos[1:-1])
    # The two versions recorded within one second share their datetime, and each has its own URL.
    assert mementos[-3][1]["datetime"] == mementos[-2][1]["datetime"] != mementos[-1][1]["datetime"]


async def test_each_version_answers_at_its_own_url_as_a_memento(
    seeded_client: Client, timed_archive: Archive
) -> None:
    fact, history = await fact_with_versions(seeded_client, timed_archive)
    uri_r = f"{BASE}/facts/{fact['id']}"
    for event in history:
        response = await seeded_client.get(f"/facts/{fact['id']}/versions/{event['version']}")
        assert response.status_code == 200, response.text
        shown = response.json()
        assert shown["version"] == event["version"]
        assert shown["recorded_at"] == event["recorded_at"]
        assert response.headers["etag"] == f'"{event["version"]}"'
        assert response.headers["memento-datetime"] == http_date(datetime.fromisoformat(event["recorded_at"]))
        linked = rels(response.headers["link"])
        assert linked["original"] == linked["timegate"] == uri_r
        assert linked["timemap"] == f"{uri_r}/timemap"
        assert (
            linked["memento"]
            == response.headers["content-location"]
            == f"{uri_r}/versions/{event['version']}"
        )
    corrected = await get_json(seeded_client, f"/facts/{fact['id']}/versions/{history[-1]['version']}")
    assert corrected == fact
    assert corrected["valid_from"]["value"] == "1992-01-30"
    older = await get_json(seeded_client, f"/facts/{fact['id']}/versions/{history[-2]['version']}")
    assert older["valid_from"]["value"] == "1992-01"
    assert older["superseded_at"] == history[-1]["recorded_at"]


async def test_a_memento_datetime_sent_back_as_accept_datetime_finds_the_same_version(
    seeded_client: Client, timed_archive: Archive
) -> None:
    fact, history = await fact_with_versions(seeded_client, timed_archive)
    seconds = [datetime.fromisoformat(e["recorded_at"]).replace(microsecond=0) for e in history]
    for index, event in enumerate(history):
        memento = await seeded_client.get(f"/facts/{fact['id']}/versions/{event['version']}")
        sent_back = memento.headers["memento-datetime"]
        answer = await seeded_client.get(f"/facts/{fact['id']}", headers={"Accept-Datetime": sent_back})
        assert answer.status_code == 200, answer.text
        assert answer.headers["memento-datetime"] == sent_back
        assert "accept-datetime" in answer.headers["vary"].lower()
        # The version believed at the end of that second: this one, unless another came within it.
        last_in_its_second = max(i for i, second in enumerate(seconds) if second == seconds[index])
        expected = history[last_in_its_second]["version"]
        assert answer.json()["version"] == expected, (event["version"], sent_back)
        assert answer.headers["content-location"] == f"{BASE}/facts/{fact['id']}/versions/{expected}"
    # The corrections at the chosen times: the first of the two within one second is the only one no
    # HTTP date can reach; the one two seconds later finds itself.
    assert [seconds[-3] == seconds[-2], seconds[-2] == seconds[-1]] == [True, False]


async def test_an_accept_datetime_before_the_fact_was_recorded_is_a_404(
    seeded_client: Client, timed_archive: Archive
) -> None:
    fact, history = await fact_with_versions(seeded_client, timed_archive)
    first = datetime.fromisoformat(history[0]["recorded_at"])
    early = http_date(first - timedelta(seconds=1))
    response = await seeded_client.get(f"/facts/{fact['id']}", headers={"Accept-Datetime": early})
    assert response.status_code == 404, response.text


async def test_the_current_fact_links_its_timegate_and_timemap_without_a_memento_datetime(
    seeded_client: Client,
) -> None:
    fact = await find_fact(
        seeded_client, subject="kazakhstan", predicate="member_of", object="osce", valid_from="1992-01"
    )
    response = await seeded_client.get(f"/facts/{fact['id']}")
    assert response.status_code == 200
    assert "memento-datetime" not in response.headers
    assert "accept-datetime" in response.headers["vary"].lower()
    linked = rels(response.headers["link"])
    assert linked["original"] == linked["timegate"] == f"{BASE}/facts/{fact['id']}"
    assert linked["timemap"] == f"{BASE}/facts/{fact['id']}/timemap"
    assert "memento" not in linked


async def test_head_on_fact_urls_sends_the_headers_of_get_without_a_body(
    seeded_client: Client, timed_archive: Archive
) -> None:
    fact, history = await fact_with_versions(seeded_client, timed_archive)
    moment = {"Accept-Datetime": http_date(datetime.fromisoformat(history[0]["recorded_at"]))}
    for url, headers in (
        (f"/facts/{fact['id']}", {}),
        (f"/facts/{fact['id']}", moment),
        (f"/facts/{fact['id']}/versions/2", {}),
        (f"/facts/{fact['id']}/timemap", {}),
    ):
        got = await seeded_client.get(url, headers=headers)
        head = await seeded_client.head(url, headers=headers)
        assert (got.status_code, head.status_code) == (200, 200), (url, head.text)
        assert head.content == b""
        for name in ("link", "memento-datetime", "content-location", "vary", "etag", "content-length"):
            assert head.headers.get(name) == got.headers.get(name), (url, name)
        assert head.headers["content-type"].split(";")[0] == got.headers["content-type"].split(";")[0]
    assert (await seeded_client.head(f"/facts/{fact['id']}")).headers["etag"] == f'"{fact["version"]}"'
    for missing in ("/facts/no-such-fact", "/facts/no-such-fact/timemap", f"/facts/{fact['id']}/versions/99"):
        assert (await seeded_client.head(missing)).status_code == 404, missing


async def test_a_version_the_fact_never_had_is_a_problem(seeded_client: Client) -> None:
    fact = await find_fact(
        seeded_client, subject="kazakhstan", predicate="member_of", object="osce", valid_from="1992-01"
    )
    beyond = fact["version"] + 1
    response = await seeded_client.get(f"/facts/{fact['id']}/versions/{beyond}")
    assert response.status_code == 404
    assert f"versions 1..{fact['version']}, not {beyond}" in response.json()["detail"]
    assert_problem(await seeded_client.get(f"/facts/{fact['id']}/versions/0"), 400, ("version",))
    assert (await seeded_client.get("/facts/no-such-fact/timemap")).status_code == 404
