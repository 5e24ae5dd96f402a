"""`archive serve --workers 2`: two uvicorn worker processes on one database, started as a real command.

Requests go over loopback, each corrector on connections of its own, so the kernel hands them to either
worker. The workers share nothing but the database and the environment `serve` gives them: a correction
decided in one process races one decided in the other, a form rendered by one is posted to the other, and
a token revoked through one must be refused by both.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.bootstrap import wire
from archive.tokens import create_token, revoke_token
from tests.reliability.test_concurrency import NOTES, qualifiers_with_note

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2
CORRECTORS = 8
ATTEMPTS_EACH = 40
FACTS = 3
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([0-9a-f]+)"')

Json = dict[str, Any]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _archive(*args: str, database_url: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "ARCHIVE_LOG_FORMAT": "json"}
    return subprocess.run(
        [sys.executable, "-m", "archive.cli", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False, **kwargs,
    )  # fmt: skip


@pytest.fixture
def served(seeded_database_url: str, tmp_path: Path) -> Iterator[str]:
    """`archive serve --workers 2` on the test's seeded database (no CSRF secret set); its base URL."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": seeded_database_url, "ARCHIVE_LOG_FORMAT": "json"}
    env.pop("ARCHIVE_CSRF_SECRET", None)
    env["ARCHIVE_LOG_LEVEL"] = "WARNING"
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "archive.cli", "serve", "--port", str(port), "--workers", str(WORKERS)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"the server exited: {log_path.read_text()[-2000:]}"
            assert time.monotonic() < deadline, "the server did not answer within 60 s"
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


async def test_concurrent_corrections_through_two_workers_lose_no_write_and_verify_ok(
    served: str, seeded_database_url: str, seeded_engine: AsyncEngine
) -> None:
    token, _ = await create_token(seeded_engine, "archivist", "two-worker-corrector")
    headers = {"Authorization": f"Bearer {token}"}
    store = wire(seeded_engine).store
    head_before = await store.head_position()
    async with httpx.AsyncClient(base_url=served, timeout=60) as client:
        listed = await client.get("/facts", params={"subject": "kazakhstan", "rank": "best", "limit": 20})
        assert listed.status_code == 200, listed.text
    facts = [f for f in listed.json()["items"] if f["status"] == "active"][:FACTS]
    assert len(facts) == FACTS
    versions_before = {f["id"]: f["version"] for f in facts}
    outcomes: list[tuple[str, str, int, Json]] = []

    async def corrector(number: int) -> None:
        # No keep-alive: each request is a new connection, which either worker may accept. (Kept alive,
        # a few connections opened at once mostly land on one worker, and the processes seldom race.)
        no_keep_alive = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(
            base_url=served, timeout=60, headers=headers, limits=no_keep_alive
        ) as client:
            for attempt in range(ATTEMPTS_EACH):
                fact_id = facts[(number + attempt) % FACTS]["id"]
                read = await client.get(f"/facts/{fact_id}")
                assert read.status_code == 200, read.text
                current = read.json()
                note = NOTES[1] if current["qualifiers"]["note"] == NOTES[0] else NOTES[0]
                justification = f"corrector {number} attempt {attempt}"
                c = current["citations"][0]
                response = await client.post(
                    f"/facts/{fact_id}/corrections",
                    json={
                        "expected_version": current["version"],
                        "changes": {"qualifiers": qualifiers_with_note(current, note)},
                        "reason_code": "transcription_error",
                        "justification": justification,
                        "citations": [{k: c[k] for k in ("source_id", "line_start", "line_end", "quote")}],
                    },
                )
                outcomes.append((justification, fact_id, response.status_code, response.json()))

    await asyncio.gather(*(corrector(n) for n in range(CORRECTORS)))

    statuses = Counter(status for _, _, status, _ in outcomes)
    assert set(statuses) <= {200, 409}, statuses
    succeeded = {j: fact_id for j, fact_id, status, _ in outcomes if status == 200}
    assert len(succeeded) > 0
    # Every 200 is in the log exactly once, on its fact's stream, and nothing else was appended.
    appended = await store.read_all(head_before, 100_000)
    assert Counter(e.data["justification"] for e in appended) == Counter(succeeded.keys())
    assert {e.data["justification"]: e.stream_id for e in appended} == {
        j: f"fact:{fact_id}" for j, fact_id in succeeded.items()
    }
    for fact_id, version_before in versions_before.items():
        won = sum(1 for f in succeeded.values() if f == fact_id)
        stream = await store.read_stream(f"fact:{fact_id}")
        assert [e.stream_version for e in stream] == list(range(1, version_before + won + 1))

    verified = await asyncio.to_thread(_archive, "verify", database_url=seeded_database_url)
    assert verified.returncode == 0, verified.stderr
    events = await store.count()
    assert re.search(rf"^ok: {events} events, head hash ", verified.stdout, re.M), verified.stdout
    assert "ok: every read model equals a rebuild from the log" in verified.stdout
    print(f"\ntwo workers on {seeded_engine.dialect.name}: statuses {dict(statuses)}")


async def test_a_form_rendered_by_one_worker_posts_to_either_worker(
    served: str, seeded_engine: AsyncEngine
) -> None:
    token, _ = await create_token(seeded_engine, "archivist", "two-worker-signer")
    refused = []
    for attempt in range(20):
        # Two clients, two connections: the form and its post may well be served by different workers.
        async with httpx.AsyncClient(base_url=served, timeout=30) as opener:
            form = await opener.get("/ui/sign-in")
            assert form.status_code == 200
            csrf_cookie = opener.cookies["csrftoken"]
        found = CSRF_FIELD.search(form.text)
        assert found is not None
        cookies = {"csrftoken": csrf_cookie}
        async with httpx.AsyncClient(base_url=served, timeout=30, cookies=cookies) as poster:
            posted = await poster.post(
                "/ui/sign-in", data={"_csrf_token": found.group(1), "token": token, "next": "/ui/search"}
            )
        if posted.status_code != 303:
            refused.append((attempt, posted.status_code))
    assert refused == []


async def test_a_token_revoked_is_refused_by_every_worker(served: str, seeded_engine: AsyncEngine) -> None:
    token, info = await create_token(seeded_engine, "auditor", "two-worker-auditor")
    headers = {"Authorization": f"Bearer {token}"}

    async def statuses() -> Counter[int]:
        found: Counter[int] = Counter()
        for _ in range(12):
            async with httpx.AsyncClient(base_url=served, timeout=30, headers=headers) as client:
                found[(await client.get("/events", params={"limit": 1})).status_code] += 1
        return found

    assert await statuses() == {200: 12}
    assert [t.token_id for t in await revoke_token(seeded_engine, info.token_id)] == [info.token_id]
    assert await statuses() == {401: 12}


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        ((), {"ARCHIVE_WORKERS": "0"}, "ARCHIVE_WORKERS=0 is out of range"),
        (("--workers", "0"), {}, "--workers"),
    ],
)
def test_a_worker_count_below_one_is_refused_before_serving(
    args: tuple[str, ...], env: dict[str, str], named: str
) -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "archive.cli", "serve", *args],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert refused.returncode == 2
    assert named in refused.stderr
