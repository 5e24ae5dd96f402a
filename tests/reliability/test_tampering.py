"""Tampering with the log the way a DBA could: switch off the immutability trigger, edit or delete a row.

The hash chain must name the first position that no longer matches, through GET /audit/verify (as an
auditor) and through `archive verify`, which exits 1.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from archive.bootstrap import wire
from archive.eventstore import events_table
from archive.tokens import create_token

ROOT = Path(__file__).resolve().parents[2]
Client = AsyncTestClient[Litestar]


async def as_a_dba(engine: AsyncEngine, statement: Any) -> None:
    """Run `statement` on `events` with the immutability trigger out of the way, as a DBA could."""
    async with engine.begin() as conn:
        await bypass_trigger(conn)
        result = await conn.execute(statement)
        assert result.rowcount == 1


async def bypass_trigger(conn: AsyncConnection) -> None:
    if conn.dialect.name == "postgresql":
        await conn.execute(text("ALTER TABLE events DISABLE TRIGGER events_immutable"))
    else:
        await conn.execute(text("DROP TRIGGER IF EXISTS events_no_update"))
        await conn.execute(text("DROP TRIGGER IF EXISTS events_no_delete"))


async def middle_fact_event(engine: AsyncEngine) -> tuple[int, dict[str, Any]]:
    """The position and data of a fact.recorded event in the middle of the seeded log."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(events_table.c.position, events_table.c.data)
                .where(events_table.c.event_type == "fact.recorded")
                .order_by(events_table.c.position)
            )
        ).all()
    position, data = rows[len(rows) // 2]
    return position, dict(data)


async def events_before(engine: AsyncEngine, position: int) -> int:
    """How many events the log holds before `position`."""
    async with engine.connect() as conn:
        query = select(func.count()).select_from(events_table).where(events_table.c.position < position)
        return int((await conn.execute(query)).scalar_one())


async def verify_over_http(client: Client, token: str) -> dict[str, Any]:
    response = await client.get("/audit/verify", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def archive_verify(database_url: str) -> tuple[int, str, str]:
    """`archive verify` as a subprocess: its exit code, stdout and stderr."""
    env = {**os.environ, "DATABASE_URL": database_url, "ARCHIVE_LOG_FORMAT": "json"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "archive.cli",
        "verify",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_the_immutability_trigger_refuses_update_and_delete_without_a_bypass(
    seeded_engine: AsyncEngine,
) -> None:
    position, _ = await middle_fact_event(seeded_engine)
    for statement in (
        update(events_table).where(events_table.c.position == position).values(stream_id="forged"),
        delete(events_table).where(events_table.c.position == position),
    ):
        with pytest.raises(DBAPIError, match="events are immutable"):
            async with seeded_engine.begin() as conn:
                await conn.execute(statement)
    assert (await wire(seeded_engine).store.verify()).ok


@pytest.mark.parametrize("change", ["data", "metadata", "recorded_at", "event_type"])
async def test_an_edited_event_fails_verification_at_its_position(
    seeded_client: Client, seeded_engine: AsyncEngine, change: str
) -> None:
    token, _ = await create_token(seeded_engine, "auditor", "tamper-auditor")
    store = wire(seeded_engine).store
    count = await store.count()
    intact = await verify_over_http(seeded_client, token)
    assert (intact["ok"], intact["events_checked"], intact["first_bad_position"]) == (True, count, None)

    position, data = await middle_fact_event(seeded_engine)
    (original,) = await store.read_all(position - 1, 1)
    values: dict[str, Any] = {
        "data": {"data": {**data, "valid_from": "1066"}},
        "metadata": {"event_metadata": {**original.metadata, "actor": "someone else"}},
        "recorded_at": {"recorded_at": original.recorded_at + timedelta(microseconds=1)},
        "event_type": {"event_type": "fact.cited"},
    }[change]
    await as_a_dba(
        seeded_engine, update(events_table).where(events_table.c.position == position).values(**values)
    )

    report = await verify_over_http(seeded_client, token)
    assert report["ok"] is False
    assert report["first_bad_position"] == position
    assert report["events_checked"] == await events_before(seeded_engine, position)
    assert report["head_hash"] == original.prev_hash
    assert "changed" in report["problem"]


async def test_a_deleted_event_fails_verification_at_the_next_position(
    seeded_client: Client, seeded_engine: AsyncEngine
) -> None:
    token, _ = await create_token(seeded_engine, "auditor", "tamper-auditor")
    position, _ = await middle_fact_event(seeded_engine)
    await as_a_dba(seeded_engine, delete(events_table).where(events_table.c.position == position))

    report = await verify_over_http(seeded_client, token)
    assert report["ok"] is False
    assert report["first_bad_position"] == position + 1
    assert report["events_checked"] == await events_before(seeded_engine, position)
    assert "missing" in report["problem"]


async def test_archive_verify_exits_1_naming_the_first_tampered_position(
    seeded_database_url: str, seeded_engine: AsyncEngine
) -> None:
    store = wire(seeded_engine).store
    count = await store.count()
    code, stdout, stderr = await archive_verify(seeded_database_url)
    assert code == 0, stderr
    assert f"ok: {count} events" in stdout

    position, _ = await middle_fact_event(seeded_engine)
    later = position + 7
    await as_a_dba(seeded_engine, delete(events_table).where(events_table.c.position == later))
    code, _, stderr = await archive_verify(seeded_database_url)
    assert code == 1
    assert f"FAILED at position {later + 1}:" in stderr
    assert f"({await events_before(seeded_engine, later)} events verified before it)" in stderr

    (original,) = await store.read_all(position - 1, 1)
    edited = {**original.metadata, "reason": "rewritten history"}
    await as_a_dba(
        seeded_engine,
        update(events_table).where(events_table.c.position == position).values(event_metadata=edited),
    )
    code, _, stderr = await archive_verify(seeded_database_url)
    assert code == 1
    assert f"FAILED at position {position}:" in stderr
    assert f"({await events_before(seeded_engine, position)} events verified before it)" in stderr
