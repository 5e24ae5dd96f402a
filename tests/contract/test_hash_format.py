"""The hash chain's format, pinned: every database already written depends on it.

Appending and verifying share `canonical_bytes` and `chain_hash`, so a change to either (a renamed key,
another timestamp format, another genesis hash) agrees with itself and passes every other test, while
every existing archive then fails `archive verify` at position 1. These tests hold the format to
literals written by the code of commit 6413b88 (`data/write_pinned_log.py` shows how), and to a SQLite
file that code wrote. Never regenerate the data to make them pass.

`.ci/run` runs this file once more under a non-UTC `TZ`: SQLite hands back naive times.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.bootstrap import wire
from archive.eventstore import EventStore, events_table
from archive.eventstore.hashing import GENESIS_HASH, canonical_bytes, canonical_time, chain_hash
from archive.storage.engine import create_engine
from archive.storage.migrate import upgrade
from tests.contract.data.write_pinned_log import MOMENTS, append_pinned_events

DATA = Path(__file__).resolve().parent / "data"

#: The first pinned event's canonical bytes, written out by hand: sorted keys at every depth, no
#: whitespace, UTF-8 text unescaped, the time as UTC with six fraction digits and a `Z`.
FIRST_EVENT_BYTES = (
    '{"data":{"aliases":[],"entity_id":"e-1","kind":"country","label":"Ünïcödé ☃"},'
    '"event_type":"entity.registered",'
    '"metadata":{"actor":"seed","reason":"seed entities.yaml"},'
    '"recorded_at":"2024-02-29T23:59:59.999999Z",'
    '"schema_version":1,"stream_id":"entity-e-1","stream_version":1}'
).encode()

#: The hashes of the six pinned events, in position order, as commit 6413b88 wrote them.
PINNED_HASHES = [
    "5b1f97efcda647c67da7bfa5e56dd7922b0b522d83820595473e3bd15b0a83dd",
    "36362502991ac4b049db5a9fb30ce99f1880ecc27c0bddd04c94dbbd9e7884fb",
    "be040e3bfc0952a5ca0a6d1361205e54ab9d0b9f7285234bf55f8982904ec7a3",
    "76a306d242c2ea6eb98c0675b37d1933ade19aa14d75d338785a4f61a9305961",
    "df1331b971d165c73ca0604499b48733d1ab8d661dd69732a2dbb9ebbb1f09d7",
    "5524431b0aa50888685323507b10a44389d9f909ff24a118ba9ad0e21a572343",
]


def _pinned_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads((DATA / "pinned_log.json").read_text(encoding="utf-8"))
    return rows


def test_the_genesis_hash_is_sixty_four_zeros() -> None:
    assert GENESIS_HASH == "0" * 64


def test_a_known_event_has_these_canonical_bytes_and_this_hash() -> None:
    first = _pinned_rows()[0]
    built = canonical_bytes(
        stream_id=first["stream_id"],
        stream_version=first["stream_version"],
        event_type=first["event_type"],
        schema_version=first["schema_version"],
        data=first["data"],
        metadata=first["metadata"],
        recorded_at=MOMENTS[0],
    )
    assert built == FIRST_EVENT_BYTES
    independent = hashlib.sha256(b"0" * 64 + FIRST_EVENT_BYTES).hexdigest()
    assert independent == PINNED_HASHES[0]
    assert chain_hash("0" * 64, FIRST_EVENT_BYTES) == PINNED_HASHES[0]


def test_a_naive_time_is_read_as_utc_and_an_aware_one_is_converted() -> None:
    first = _pinned_rows()[0]
    fields = {k: first[k] for k in ("stream_id", "stream_version", "event_type", "schema_version", "data")}
    naive = canonical_bytes(
        **fields, metadata=first["metadata"], recorded_at=datetime(2024, 2, 29, 23, 59, 59, 999999)
    )
    elsewhere = datetime(2024, 3, 1, 5, 44, 59, 999999, tzinfo=timezone(timedelta(hours=5, minutes=45)))
    aware = canonical_bytes(**fields, metadata=first["metadata"], recorded_at=elsewhere)
    assert naive == aware == FIRST_EVENT_BYTES


@pytest.fixture
def local_time_not_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's local time at UTC+05:45 for one test (a POSIX TZ: no tzdata needed).

    Under UTC, taking a naive time as local time and taking it as UTC agree; here they differ by 5h45.
    """
    monkeypatch.setenv("TZ", "ARC-05:45")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_canonical_time_is_utc_whatever_the_local_time_zone(local_time_not_utc: None) -> None:
    assert datetime(2024, 1, 1).astimezone().utcoffset() == timedelta(hours=5, minutes=45)
    naive = datetime(2024, 2, 29, 23, 59, 59, 999999)
    assert canonical_time(naive) == "2024-02-29T23:59:59.999999Z"
    aware = datetime(2024, 3, 1, 5, 44, 59, 999999, tzinfo=timezone(timedelta(hours=5, minutes=45)))
    assert canonical_time(aware) == "2024-02-29T23:59:59.999999Z"


async def test_the_pinned_file_reads_back_in_utc_whatever_the_local_time_zone(
    tmp_path: Path, local_time_not_utc: None
) -> None:
    copy = tmp_path / "pinned_log.db"
    shutil.copyfile(DATA / "pinned_log.db", copy)
    engine = create_engine(f"sqlite+aiosqlite:///{copy}")
    try:
        store = wire(engine).store
        assert [e.recorded_at for e in await store.read_all(0, limit=2)] == MOMENTS[:2]
        report = await store.verify()
        assert (report.ok, report.head_hash) == (True, PINNED_HASHES[-1])
    finally:
        await engine.dispose()


def test_the_pinned_file_holds_the_pinned_chain() -> None:
    rows = _pinned_rows()
    assert [row["hash"] for row in rows] == PINNED_HASHES
    assert [row["prev_hash"] for row in rows] == ["0" * 64, *PINNED_HASHES[:-1]]


async def test_appending_the_pinned_events_at_the_pinned_times_gives_the_pinned_hashes(
    engine: AsyncEngine, store: EventStore
) -> None:
    await append_pinned_events(engine)
    recorded = await store.read_all(0, limit=100)
    assert [e.hash for e in recorded] == PINNED_HASHES
    assert [e.prev_hash for e in recorded] == ["0" * 64, *PINNED_HASHES[:-1]]
    assert [e.recorded_at for e in recorded] == [
        MOMENTS[0],
        MOMENTS[1],
        MOMENTS[1],
        MOMENTS[2],
        MOMENTS[2],
        MOMENTS[3],
    ]
    report = await store.verify()
    assert (report.ok, report.events_checked, report.head_hash) == (True, 6, PINNED_HASHES[-1])


async def test_rows_stored_by_earlier_code_verify_on_every_backend(
    engine: AsyncEngine, store: EventStore
) -> None:
    rows = _pinned_rows()
    async with engine.begin() as conn:
        await conn.execute(
            events_table.insert(),
            [
                {
                    "position": row["position"],
                    "stream_id": row["stream_id"],
                    "stream_version": row["stream_version"],
                    "event_type": row["event_type"],
                    "schema_version": row["schema_version"],
                    "data": row["data"],
                    "event_metadata": row["metadata"],
                    "recorded_at": datetime.fromisoformat(row["recorded_at"]).replace(tzinfo=UTC),
                    "prev_hash": row["prev_hash"],
                    "hash": row["hash"],
                }
                for row in rows
            ],
        )
    report = await store.verify()
    assert (report.ok, report.events_checked, report.head_hash) == (True, 6, PINNED_HASHES[-1])


async def test_the_database_file_written_by_earlier_code_migrates_and_verifies(tmp_path: Path) -> None:
    copy = tmp_path / "pinned_log.db"
    shutil.copyfile(DATA / "pinned_log.db", copy)
    url = f"sqlite+aiosqlite:///{copy}"
    await _upgrade_off_the_loop(url)
    engine = create_engine(url)
    try:
        store = wire(engine).store
        report = await store.verify()
        assert (report.ok, report.events_checked, report.head_hash) == (True, 6, PINNED_HASHES[-1])
        first = (await store.read_all(0, limit=1))[0]
        assert first.recorded_at == MOMENTS[0]
        assert first.recorded_at.utcoffset() is not None
    finally:
        await engine.dispose()


async def _upgrade_off_the_loop(url: str) -> None:
    """Alembic's env calls asyncio.run(): run the upgrade in a thread of its own."""
    await asyncio.to_thread(upgrade, url)
