"""Hostile requests against a real server (uvicorn on a loopback port), on every backend.

Each attack that once got a 500, a silent overwrite or a stalled server: invalid UTF-8 and JSON nested a
thousand levels deep on every write endpoint, unversioned overwrites of a source from eight clients at
once, a source far over the limits, and the longest source the archive accepts read by four clients
while another asks `/health`. None may get a 5xx, none may append anything it was refused, and the
server must keep answering.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from archive.bootstrap import wire
from archive.domain.sources import MAX_SOURCE_LINES
from archive.eventstore import EventStore
from archive.settings import Settings
from archive.tokens import create_token
from tests.integration.test_hardening import WRITE_ENDPOINTS

SOURCE = "general-information"
#: A slow answer from /health while pages are rendered; the event loop blocked for 5.5 s before windows.
HEALTH_PATIENCE_S = 2.0


@pytest.fixture
def server(seeded_database_url: str) -> Iterator[str]:
    """The archive under uvicorn in a thread, on the test's seeded database; its base URL."""
    settings = Settings(database_url=seeded_database_url, log_format="json", log_level="WARNING")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(create_app(settings), log_level="warning", access_log=False, lifespan="on")
    served = uvicorn.Server(config)
    thread = threading.Thread(target=served.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not served.started:
        assert thread.is_alive(), "the server stopped before it started"
        assert time.monotonic() < deadline, "the server did not start in 20 s"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    served.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture
async def http(server: str, seeded_engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the server, with an archivist's token."""
    token, _ = await create_token(seeded_engine, "archivist", "hostile-tester")
    async with httpx.AsyncClient(
        base_url=server, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        yield client


@pytest.fixture
def store(seeded_engine: AsyncEngine) -> EventStore:
    """The log the server writes to."""
    return wire(seeded_engine).store


async def a_fact_id(http: httpx.AsyncClient) -> str:
    page = (await http.get("/facts", params={"source": SOURCE, "limit": 1})).json()
    fact_id: str = page["items"][0]["id"]
    return fact_id


async def test_undecodable_bodies_on_every_write_endpoint_are_400_and_append_nothing(
    http: httpx.AsyncClient, store: EventStore
) -> None:
    fact = await a_fact_id(http)
    count = await store.count()
    bodies = {"invalid-utf8": b'{"text": "\xc3\x28"}', "nested": b"[" * 1000 + b"]" * 1000}
    for endpoint in WRITE_ENDPOINTS:
        for name, body in bodies.items():
            response = await http.post(
                endpoint.format(fact=fact), content=body, headers={"content-type": "application/json"}
            )
            assert response.status_code == 400, (endpoint, name, response.text)
            assert response.json()["parameter"] == "body"
    assert await store.count() == count


async def test_eight_unversioned_overwrites_at_once_are_all_refused_and_the_source_is_intact(
    http: httpx.AsyncClient, store: EventStore
) -> None:
    before = (await http.get(f"/sources/{SOURCE}")).json()
    count = await store.count()
    body = {"source_id": SOURCE, "title": "t", "origin": "o", "source_date": "2021"}
    responses = await asyncio.gather(
        *(http.post("/sources", json=body | {"text": f"overwrite {n}\n"}) for n in range(8))
    )
    assert [r.status_code for r in responses] == [428] * 8, [r.text for r in responses]
    assert await store.count() == count
    assert (await http.get(f"/sources/{SOURCE}")).json() == before
    citations = await http.get("/citations", params={"state": "orphaned"})
    assert citations.json()["total"] == 0


async def test_a_source_of_300_000_lines_in_900_kb_is_refused_naming_the_limit(
    http: httpx.AsyncClient, store: EventStore
) -> None:
    count = await store.count()
    body = {"source_id": "huge", "title": "t", "origin": "o", "source_date": "2021", "text": "a\n" * 300_000}
    response = await http.post("/sources", json=body)
    assert response.status_code == 422, response.text
    assert f"at most {MAX_SOURCE_LINES}" in response.json()["detail"]
    assert response.json()["parameter"] == "text"
    assert await store.count() == count


async def test_the_longest_source_accepted_is_read_in_windows_while_the_server_keeps_answering(
    http: httpx.AsyncClient,
) -> None:
    text = "\n".join(f"{n}." for n in range(1, MAX_SOURCE_LINES + 1))
    body = {"source_id": "longest", "title": "t", "origin": "o", "source_date": "2021", "text": text}
    assert (await http.post("/sources", json=body)).status_code == 201

    async def page(line: int) -> httpx.Response:
        return await http.get("/ui/sources/longest", params={"line": line})

    async def health_while(pages: asyncio.Future[list[httpx.Response]]) -> list[float]:
        waits = []
        while not pages.done():
            started = time.perf_counter()
            assert (await http.get("/health")).status_code == 200
            waits.append(time.perf_counter() - started)
            await asyncio.sleep(0.05)
        return waits

    pages = asyncio.ensure_future(asyncio.gather(*(page(n) for n in (1, 12_345, 30_000, MAX_SOURCE_LINES))))
    waits = await health_while(pages)
    for response in pages.result():
        assert response.status_code == 200
        assert len(response.content) < 500_000  # a window, not the 50,000 lines
    assert f'id="L{MAX_SOURCE_LINES}"' in pages.result()[-1].text
    assert max(waits) < HEALTH_PATIENCE_S, waits
