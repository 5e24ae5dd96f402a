"""A replica whose host does not answer (`ARCHIVE_READ_CONNECT_TIMEOUT_MS`, `api.replica`).

A replica that refuses connections fails at once (tests/reliability/test_replica.py); one that accepts
them and never answers held every read for asyncpg's own 60 s connect timeout before the primary
answered it. Here it is a listening socket that never speaks: the kernel completes the handshake, the
driver waits for the server's first message, and nothing comes.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from litestar.testing import AsyncTestClient
from structlog.testing import capture_logs

from api.app import create_app
from archive.settings import Settings, SettingsError, normalise_database_url

#: Far under asyncpg's 60 s, far over the timeout the test sets: a read slower than this waited for the
#: driver's own timeout, not the setting's.
PATIENCE_S = 15.0


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A local port that accepts TCP connections and never sends a byte."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


def test_the_replica_connect_timeout_defaults_to_a_few_seconds_and_is_read_from_the_environment() -> None:
    assert Settings().read_connect_timeout_ms == Settings.from_env({}).read_connect_timeout_ms == 3000
    assert Settings.from_env({"ARCHIVE_READ_CONNECT_TIMEOUT_MS": "750"}).read_connect_timeout_ms == 750


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("0", "ARCHIVE_READ_CONNECT_TIMEOUT_MS=0 is out of range"),
        ("60001", "ARCHIVE_READ_CONNECT_TIMEOUT_MS=60001 is out of range"),
        ("soon", "ARCHIVE_READ_CONNECT_TIMEOUT_MS='soon' is not a whole number"),
    ],
)
def test_an_unusable_replica_connect_timeout_is_refused_naming_it(raw: str, says: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"ARCHIVE_READ_CONNECT_TIMEOUT_MS": raw})
    assert says in str(refused.value)


async def test_a_replica_host_that_never_answers_costs_a_read_the_connect_timeout_not_a_minute(
    seeded_database_url: str, postgres_backend: str, silent_port: int
) -> None:
    settings = Settings(
        database_url=normalise_database_url(seeded_database_url),
        read_database_url=normalise_database_url(f"postgresql://archive:archive@127.0.0.1:{silent_port}/a"),
        read_connect_timeout_ms=300,
        log_format="json",
        log_level="WARNING",
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        with capture_logs() as logs:
            started = time.monotonic()
            read = await client.get("/entities/osce")
            took = time.monotonic() - started
            # The replica rests after failing: the next read goes straight to the primary.
            again = await client.get("/entities/osce")
        health = await client.get("/health")
    assert (read.status_code, read.headers["Archive-Read-From"]) == (200, "primary")
    assert (again.status_code, again.headers["Archive-Read-From"]) == (200, "primary")
    assert 0.3 <= took < PATIENCE_S
    assert health.json()["replica"] == {"state": "down", "error": "TimeoutError"}
    warnings = [e for e in logs if e["log_level"] == "warning"]
    assert [(e["event"], e["error"]) for e in warnings] == [
        ("read replica unavailable, reading from the primary", "TimeoutError")
    ]
