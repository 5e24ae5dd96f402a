"""Reads on a read replica, with read-your-writes (issue 24 §4; `api.replica`).

The write side of it runs on both databases: every write answers `Archive-Position`, a read's
`Archive-Min-Position` is refused when it is not a position. The rest needs a real PostgreSQL streaming
replica of the cluster ARCHIVE_TEST_POSTGRES_URL names (`.ci/run` starts one on port 5433):
ARCHIVE_TEST_REPLICA_URL names it, and each test reads its own per-test database there once replayed.
The lag is real too: replay is paused on the replica with `pg_wal_replay_pause()`.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import make_url
from structlog.testing import capture_logs

from api.app import create_app
from api.replica import POSITION_COOKIE
from archive.bootstrap import wire
from archive.domain.streams import entity_stream
from archive.settings import Settings, SettingsError, normalise_database_url
from archive.storage.engine import create_engine
from archive.tokens import create_token

REPLICA_URL = os.environ.get("ARCHIVE_TEST_REPLICA_URL")
NO_REPLICA = (
    "set ARCHIVE_TEST_REPLICA_URL to a streaming replica of ARCHIVE_TEST_POSTGRES_URL's cluster "
    "(.ci/run starts one on port 5433) to run the replica tests"
)
if os.environ.get("CI") == "true" and not REPLICA_URL:
    raise pytest.UsageError("CI=true but ARCHIVE_TEST_REPLICA_URL is unset: .ci/run must set it")
#: How long a test waits for its per-test database to be replayed onto the replica.
REPLAY_TIMEOUT_S = 60.0

Json = dict[str, Any]


def _on_database(url: str, database: str) -> str:
    return make_url(normalise_database_url(url)).set(database=database).render_as_string(hide_password=False)


def _plain(url: str) -> str:
    """`url` as asyncpg takes it."""
    return (
        make_url(normalise_database_url(url))
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )


async def _head(url: str) -> int:
    engine = create_engine(url)
    try:
        return await wire(engine).store.head_position()
    finally:
        await engine.dispose()


async def _replayed(replica_url: str, position: int) -> None:
    """Wait until the replica's copy of the database answers and holds `position`."""
    deadline = time.monotonic() + REPLAY_TIMEOUT_S
    while True:
        try:
            if await _head(replica_url) >= position:
                return
        except Exception:  # not replayed yet: the database or its tables do not exist there yet
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"the replica did not reach position {position} in {REPLAY_TIMEOUT_S} s")
        await asyncio.sleep(0.05)


@asynccontextmanager
async def replay_paused() -> AsyncIterator[None]:
    """Replay paused on the replica (it keeps receiving WAL, it stops applying it), resumed after."""
    assert REPLICA_URL is not None
    conn = await asyncpg.connect(_plain(REPLICA_URL))
    try:
        await conn.execute("SELECT pg_wal_replay_pause()")
        # Pausing is asked for; it holds once replay stops at its next record.
        for _ in range(200):
            if await conn.fetchval("SELECT pg_get_wal_replay_pause_state()") == "paused":
                break
            await asyncio.sleep(0.01)
        yield
    finally:
        await conn.execute("SELECT pg_wal_replay_resume()")
        await conn.close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the socket is: nothing listens there


async def _archivist(database_url: str) -> dict[str, str]:
    engine = create_engine(database_url)
    try:
        token, _ = await create_token(engine, "archivist", "archivist-replica")
    finally:
        await engine.dispose()
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def _client(database_url: str, read_url: str | None, wait_ms: int = 2000) -> AsyncIterator[Any]:
    settings = Settings(
        database_url=normalise_database_url(database_url),
        read_database_url=None if read_url is None else normalise_database_url(read_url),
        read_wait_ms=wait_ms,
        log_format="json",
        log_level="WARNING",
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


def _entity(entity_id: str, label: str) -> Json:
    return {"entity_id": entity_id, "kind": "body", "label": label, "reason": "test: replica reads"}


def _relabel(version: int, label: str) -> Json:
    return {
        "changes": {"label": label},
        "reason_code": "transcription_error",
        "justification": "test: a relabel the replica has not replayed",
        "expected_version": version,
    }


# -- the settings ----------------------------------------------------------------------------------


def test_the_read_database_url_is_read_normalised_with_its_wait() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://archive:archive@primary/archive",
            "ARCHIVE_READ_DATABASE_URL": "postgres://archive:archive@replica/archive",
            "ARCHIVE_READ_WAIT_MS": "250",
        }
    )
    assert settings.read_database_url == "postgresql+asyncpg://archive:archive@replica/archive"
    assert settings.read_wait_ms == 250
    assert Settings.from_env({}).read_database_url is None


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"ARCHIVE_READ_DATABASE_URL": "postgresql://r/archive"}, "must be PostgreSQL too"),
        ({"DATABASE_URL": "postgresql://p/a", "ARCHIVE_READ_DATABASE_URL": "sqlite:///x.db"}, "PostgreSQL"),
        ({"DATABASE_URL": "postgresql://p/a", "ARCHIVE_READ_DATABASE_URL": "mysql://r/a"}, "not supported"),
        ({"ARCHIVE_READ_WAIT_MS": "-1"}, "ARCHIVE_READ_WAIT_MS=-1 is out of range"),
        ({"ARCHIVE_READ_WAIT_MS": "soon"}, "ARCHIVE_READ_WAIT_MS='soon' is not a whole number"),
    ],
)
def test_an_unusable_read_setting_is_refused_naming_it(env: dict[str, str], says: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(env)
    assert says in str(refused.value)
    assert "ARCHIVE_READ_" in str(refused.value)


# -- on both databases: the position a write answers, the position a read names ----------------------


async def test_every_write_answers_the_log_position_of_its_last_event(seeded_database_url: str) -> None:
    auth = await _archivist(seeded_database_url)
    async with _client(seeded_database_url, None) as client:
        created = await client.post("/entities", json=_entity("replica-body", "Replica Body"), headers=auth)
        assert created.status_code == 201, created.text
        relabelled = await client.post(
            "/entities/replica-body/revisions", json=_relabel(1, "Replica Body, relabelled"), headers=auth
        )
        assert relabelled.status_code == 200, relabelled.text
    engine = create_engine(seeded_database_url)
    try:
        stream = await wire(engine).store.read_stream(entity_stream("replica-body"))
    finally:
        await engine.dispose()
    first, second = (event.position for event in stream)
    assert int(created.headers["Archive-Position"]) == first
    assert int(relabelled.headers["Archive-Position"]) == second > first
    # Without a replica every read is fresh: no cookie is needed to keep it so.
    assert POSITION_COOKIE not in client.cookies


async def test_a_write_that_appends_nothing_answers_the_head_and_a_refused_one_no_position(
    seeded_database_url: str,
) -> None:
    auth = await _archivist(seeded_database_url)
    async with _client(seeded_database_url, None) as client:
        first = await client.post("/entities", json=_entity("replica-body", "Replica Body"), headers=auth)
        other = await client.post("/entities", json=_entity("other-body", "Other Body"), headers=auth)
        again = await client.post("/entities", json=_entity("replica-body", "Replica Body"), headers=auth)
        stale = await client.post("/entities/replica-body/revisions", json=_relabel(7, "X"), headers=auth)
    assert (first.status_code, other.status_code, again.status_code) == (201, 201, 200)
    # The same values again change nothing: the head covers the write that made them so.
    assert int(again.headers["Archive-Position"]) == int(other.headers["Archive-Position"])
    assert int(again.headers["Archive-Position"]) == await _head(seeded_database_url)
    assert stale.status_code == 409
    assert "Archive-Position" not in stale.headers


@pytest.mark.parametrize("given", [b"-1", b"1.5", b"next", b"", b"9223372036854775808", "²".encode()])
async def test_a_read_naming_no_position_is_a_400_naming_the_header(
    seeded_database_url: str, given: bytes
) -> None:
    async with _client(seeded_database_url, None) as client:
        response = await client.get("/entities/osce", headers={b"Archive-Min-Position": given})
        largest = await client.get("/entities/osce", headers={"Archive-Min-Position": str(2**63 - 1)})
    assert response.status_code == 400, response.text
    assert response.json()["parameter"] == "Archive-Min-Position"
    assert "is not a log position" in response.json()["detail"]
    assert largest.status_code == 200


async def test_without_a_replica_a_read_naming_a_position_is_answered_at_once(
    seeded_database_url: str,
) -> None:
    async with _client(seeded_database_url, None, wait_ms=5000) as client:
        started = time.monotonic()
        response = await client.get("/entities/osce", headers={"Archive-Min-Position": str(10**12)})
    assert response.status_code == 200
    assert time.monotonic() - started < 2
    assert "Archive-Read-From" not in response.headers


# -- a real streaming replica (PostgreSQL) -----------------------------------------------------------


@pytest.fixture
def replica_url(postgres_backend: str, seeded_database_url: str) -> str:
    """The test's own seeded database, as the replica serves it, once replayed there."""
    if REPLICA_URL is None:
        pytest.skip(NO_REPLICA)
    url = _on_database(REPLICA_URL, make_url(seeded_database_url).database or "")
    asyncio.run(_replayed(url, asyncio.run(_head(seeded_database_url))))
    return url


async def test_a_read_naming_its_write_position_reads_the_write_from_the_replica(
    seeded_database_url: str, replica_url: str
) -> None:
    auth = await _archivist(seeded_database_url)
    async with _client(seeded_database_url, replica_url, wait_ms=5000) as client:
        created = await client.post("/entities", json=_entity("replica-body", "Replica Body"), headers=auth)
        assert created.status_code == 201, created.text
        position = created.headers["Archive-Position"]
        # Whoever answers (the replica within the wait, else the primary), the write is in the answer.
        read = await client.get("/entities/replica-body", headers={"Archive-Min-Position": position})
        assert (read.status_code, read.json()["label"]) == (200, "Replica Body"), read.text
        # Once the replica holds the position, it answers such reads itself, its event store included.
        await _replayed(replica_url, int(position))
        again = await client.get("/entities/replica-body", headers={"Archive-Min-Position": position})
        history = await client.get(
            "/entities/replica-body/history", headers={"Archive-Min-Position": position}
        )
    assert (again.headers["Archive-Read-From"], again.json()) == ("replica", read.json())
    assert history.headers["Archive-Read-From"] == "replica"
    assert [e["position"] for e in history.json()["events"]] == [int(position)]


async def test_a_lagging_replica_answers_a_read_naming_a_position_from_the_primary_after_the_wait(
    seeded_database_url: str, replica_url: str
) -> None:
    auth = await _archivist(seeded_database_url)
    wait_ms = 400
    async with _client(seeded_database_url, replica_url, wait_ms=wait_ms) as client:
        created = await client.post("/entities", json=_entity("replica-body", "Replica Body"), headers=auth)
        await _replayed(replica_url, int(created.headers["Archive-Position"]))
        async with replay_paused():
            relabelled = await client.post(
                "/entities/replica-body/revisions", json=_relabel(1, "Relabelled"), headers=auth
            )
            assert relabelled.status_code == 200, relabelled.text
            position = relabelled.headers["Archive-Position"]
            # Without a position (nor the cookie the write set): the replica answers, as far as it
            # has replayed.
            client.cookies.clear()
            stale = await client.get("/entities/replica-body")
            assert (stale.headers["Archive-Read-From"], stale.json()["label"]) == ("replica", "Replica Body")
            health = (await client.get("/health")).json()["replica"]
            assert health["state"] == "up"
            assert health["events_behind"] >= 1
            assert health["lag_seconds"] > 0
            # With it: the replica is waited for, then the primary answers what was written.
            started = time.monotonic()
            fresh = await client.get("/entities/replica-body", headers={"Archive-Min-Position": position})
            waited = time.monotonic() - started
            assert (fresh.headers["Archive-Read-From"], fresh.json()["label"]) == ("primary", "Relabelled")
            assert wait_ms / 1000 <= waited < wait_ms / 1000 + 5
        # Replay resumed: the replica catches up and answers the same read itself.
        await _replayed(replica_url, int(position))
        caught_up = await client.get("/entities/replica-body", headers={"Archive-Min-Position": position})
        assert (caught_up.headers["Archive-Read-From"], caught_up.json()["label"]) == (
            "replica",
            "Relabelled",
        )
        assert (await client.get("/health")).json()["replica"]["events_behind"] == 0


async def test_a_browser_reads_its_own_write_through_the_position_cookie(
    seeded_database_url: str, replica_url: str
) -> None:
    """A form posts, the browser follows the redirect with no header of its own: the cookie names it."""
    auth = await _archivist(seeded_database_url)
    async with _client(seeded_database_url, replica_url, wait_ms=200) as client:
        created = await client.post("/entities", json=_entity("replica-body", "Replica Body"), headers=auth)
        await _replayed(replica_url, int(created.headers["Archive-Position"]))
        async with replay_paused():
            relabelled = await client.post(
                "/entities/replica-body/revisions", json=_relabel(1, "Relabelled"), headers=auth
            )
            assert client.cookies[POSITION_COOKIE] == relabelled.headers["Archive-Position"]
            own = await client.get("/entities/replica-body")
            client.cookies.clear()
            someone_elses = await client.get("/entities/replica-body")
    assert (own.headers["Archive-Read-From"], own.json()["label"]) == ("primary", "Relabelled")
    assert (someone_elses.headers["Archive-Read-From"], someone_elses.json()["label"]) == (
        "replica",
        "Replica Body",
    )


# A read through the read side's own methods, and one the API makes on its engine (a Merkle proof).
@pytest.mark.parametrize("first", ["/entities/osce", "/log/proofs/inclusion?position=1"])
async def test_a_replica_that_is_down_leaves_every_read_to_the_primary_with_a_warning(
    seeded_database_url: str, postgres_backend: str, first: str
) -> None:
    down = f"postgresql://archive:archive@127.0.0.1:{_closed_port()}/archive"
    auth = await _archivist(seeded_database_url)
    async with _client(seeded_database_url, down) as client:
        with capture_logs() as logs:
            read = await client.get(first)
            named = await client.get("/entities/osce", headers={"Archive-Min-Position": "1"})
        created = await client.post("/entities", json=_entity("replica-body", "Replica Body"), headers=auth)
        health = await client.get("/health")
    assert (read.status_code, read.headers["Archive-Read-From"]) == (200, "primary")
    assert (named.status_code, named.headers["Archive-Read-From"]) == (200, "primary")
    assert created.status_code == 201
    assert health.status_code == 200
    assert health.json()["replica"] == {"state": "down", "error": "ConnectionRefusedError"}
    warnings = [e for e in logs if e["log_level"] == "warning"]
    # Once: after it failed, the replica is left alone for a while rather than asked on every read.
    assert [e["event"] for e in warnings] == ["read replica unavailable, reading from the primary"]


async def test_a_replica_connection_that_breaks_mid_service_falls_back_to_the_primary(
    seeded_database_url: str, replica_url: str
) -> None:
    async with _client(seeded_database_url, replica_url) as client:
        before = await client.get("/entities/osce")
        assert before.headers["Archive-Read-From"] == "replica"
        # The app's pooled replica connections are ended from the replica's side.
        conn = await asyncpg.connect(_plain(replica_url))
        try:
            ended = await conn.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await conn.close()
        assert ended >= 1
        with capture_logs() as logs:
            after = await client.get("/entities/osce")
    assert (after.status_code, after.headers["Archive-Read-From"]) == (200, "primary")
    assert after.json() == before.json()
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == [
        "read replica unavailable, reading from the primary"
    ]


async def test_the_replica_never_receives_a_write(
    seeded_database_url: str, database_url: str, postgres_backend: str
) -> None:
    """The read URL here is a writable database of its own: whatever reached it would stay there."""
    auth = await _archivist(seeded_database_url)
    async with _client(seeded_database_url, database_url, wait_ms=100) as client:
        head = await _head(seeded_database_url)
        created = await client.post("/entities", json=_entity("replica-body", "Replica Body"), headers=auth)
        relabelled = await client.post(
            "/entities/replica-body/revisions", json=_relabel(1, "Relabelled"), headers=auth
        )
        client.cookies.clear()
        from_reads = await client.get("/entities/replica-body")
        named = await client.get(
            "/entities/replica-body", headers={"Archive-Min-Position": relabelled.headers["Archive-Position"]}
        )
    assert await _head(database_url) == 0
    assert await _head(seeded_database_url) == head + 2
    assert (created.status_code, relabelled.status_code) == (201, 200)
    # Reads did go there: it knows nothing of the entity, until a position sends the read to the primary.
    assert (from_reads.status_code, from_reads.headers["Archive-Read-From"]) == (404, "replica")
    assert (named.status_code, named.headers["Archive-Read-From"]) == (200, "primary")


async def test_a_real_replica_refuses_writes_so_none_can_be_routed_there(
    seeded_database_url: str, replica_url: str
) -> None:
    conn = await asyncpg.connect(_plain(replica_url))
    try:
        assert await conn.fetchval("SELECT pg_is_in_recovery()") is True
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            await conn.execute("DELETE FROM events")
    finally:
        await conn.close()
