"""How `pinned_log.db` and `pinned_log.json` were written, once, by the code of commit 6413b88.

Never re-run this to make `test_hash_format.py` pass: the files pin the hash format that every database
already written depends on. A change that makes them fail would make every existing archive fail
`archive verify`. Kept only to show what the files hold: `python -m tests.contract.data.write_pinned_log`.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from archive.bootstrap import event_registry
from archive.eventstore import EventStore, NewEvent, StreamWrite
from archive.storage.engine import create_engine
from archive.storage.migrate import upgrade

HERE = Path(__file__).resolve().parent
MOMENTS = [
    datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2024, 3, 1, 0, 0, 0, 0, tzinfo=UTC),
    datetime(2025, 12, 31, 12, 30, 45, 123000, tzinfo=UTC),
    datetime(2026, 7, 4, 1, 2, 3, 4, tzinfo=UTC),
]


def clock() -> Iterator[datetime]:
    yield from MOMENTS


async def write(path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await append_pinned_events(engine)
    finally:
        await engine.dispose()


async def append_pinned_events(engine: AsyncEngine) -> None:
    """Append the pinned events to an empty log, each batch at the next of `MOMENTS`."""
    ticks = clock()
    store = EventStore(engine, event_registry(), clock=lambda: next(ticks))
    await store.append(
        "entity-e-1",
        0,
        [
            NewEvent(
                "entity.registered",
                {"entity_id": "e-1", "kind": "country", "label": "Ünïcödé ☃", "aliases": []},
            )
        ],
        {"actor": "seed", "reason": "seed entities.yaml"},
    )
    await store.append(
        "entity-e-1",
        1,
        [
            NewEvent(
                "entity.revised",
                {
                    "entity_id": "e-1",
                    "kind": "country",
                    "label": "Ünïcödé ☃",
                    "aliases": ['"quoted" \\ slash', "tab\there", "日本"],
                },
            ),
            NewEvent(
                "entity.revised",
                {
                    "entity_id": "e-1",
                    "kind": "place",
                    "label": "Z",
                    "aliases": [],
                    "nested": {"b": [1, -2, True, False, None], "a": {"z": 0, "y": 9007199254740993}},
                },
            ),
        ],
        {"reason": "revision", "actor": "Ada Archivist", "request_id": "r-1"},
    )
    async with store.transaction() as conn:
        await store.append_streams_in(
            conn,
            [
                StreamWrite(
                    "s-2",
                    0,
                    [
                        NewEvent(
                            "entity.registered",
                            {"entity_id": "e-2", "kind": "person", "label": "B", "aliases": []},
                        )
                    ],
                ),
                StreamWrite(
                    "entity-e-1",
                    3,
                    [
                        NewEvent(
                            "entity.revised",
                            {"entity_id": "e-1", "kind": "country", "label": "", "aliases": []},
                        )
                    ],
                ),
            ],
            {},
        )
    await store.append(
        "s-3",
        0,
        [
            NewEvent(
                "entity.registered",
                {"entity_id": "e-3", "kind": "body", "label": "line\nbreak", "aliases": []},
            )
        ],
        {"actor": "x"},
    )


def main() -> None:
    db = HERE / "pinned_log.db"
    db.unlink(missing_ok=True)
    upgrade(f"sqlite+aiosqlite:///{db}")
    asyncio.run(write(db))
    conn = sqlite3.connect(db)
    conn.execute("VACUUM")
    rows = conn.execute(
        "SELECT position, stream_id, stream_version, event_type, schema_version, data, metadata, "
        "recorded_at, prev_hash, hash FROM events ORDER BY position"
    ).fetchall()
    conn.close()
    names = [
        "position",
        "stream_id",
        "stream_version",
        "event_type",
        "schema_version",
        "data",
        "metadata",
        "recorded_at",
        "prev_hash",
        "hash",
    ]
    out = []
    for row in rows:
        record = dict(zip(names, row, strict=True))
        record["data"] = json.loads(record["data"])
        record["metadata"] = json.loads(record["metadata"])
        out.append(record)
    (HERE / "pinned_log.json").write_text(
        json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
