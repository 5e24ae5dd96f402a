"""An import keeps each event's `recorded_at` as the export wrote it (UTC) when the importing process runs
in another time zone: the time parsed back from a line is stored as a UTC time, not as a naive one that a
driver reads as local time (asyncpg does, for PostgreSQL's timestamptz), which would move every event by
the zone's offset and fail verification from the first event on."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import pytest

from archive.eventstore import EventStore
from archive.eventstore.transfer import import_log
from tests.contract.test_transfer_lines import exported
from tests.contract.test_transfer_lines import source as source
from tests.contract.test_transfer_lines import target as target
from tests.contract.test_transfer_lines import target_url as target_url


@pytest.fixture
def far_from_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local time nine hours ahead of UTC, for the test's length."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    assert time.timezone == -9 * 3600
    yield
    monkeypatch.undo()
    time.tzset()


async def test_an_import_far_from_utc_keeps_every_recorded_at(
    source: EventStore, target: EventStore, far_from_utc: None
) -> None:
    export = await exported(source)
    await import_log(target, io.BytesIO(export).readlines())
    assert (await target.verify()).ok
    assert [e.recorded_at for e in await target.read_all(0, 10, upcast=False)] == [
        e.recorded_at for e in await source.read_all(0, 10, upcast=False)
    ]
    assert await exported(target, page_size=3) == export
