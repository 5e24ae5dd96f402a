"""The `archive` command, run as a real subprocess against the test's database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.eventstore import EventStore, NewEvent

ROOT = Path(__file__).resolve().parents[2]


def archive(
    *args: str, database_url: str = "sqlite+aiosqlite:///./var/unused.db"
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "ARCHIVE_LOG_FORMAT": "json"}
    return subprocess.run(
        [sys.executable, "-m", "archive.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_db_upgrade_creates_the_schema_on_a_new_sqlite_file(tmp_path: Path) -> None:
    target = tmp_path / "new" / "archive.db"
    result = archive("db", "upgrade", database_url=f"sqlite:///{target}")
    assert result.returncode == 0, result.stderr
    assert "database at head" in result.stdout
    assert target.is_file()


async def test_verify_passes_on_an_intact_log_and_names_the_tampered_position(
    database_url: str, engine: AsyncEngine, store: EventStore
) -> None:
    for n in range(3):
        await store.append("source-x", n, [NewEvent("entity.registered", {"n": n})])
    ok = archive("verify", "--chain-only", database_url=database_url)
    assert ok.returncode == 0, ok.stderr
    assert "ok: 3 events" in ok.stdout

    second = (await store.read_all(0, limit=3))[1].position
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("ALTER TABLE events DISABLE TRIGGER events_immutable"))
        else:
            await conn.execute(text("DROP TRIGGER events_no_update"))
        await conn.execute(text("UPDATE events SET stream_id = 'forged' WHERE position = :p"), {"p": second})
    bad = archive("verify", "--chain-only", database_url=database_url)
    assert bad.returncode == 1
    assert f"FAILED at position {second}" in bad.stderr


def test_usage_errors_exit_non_zero_with_a_clear_message() -> None:
    unknown = archive("no-such-command")
    assert unknown.returncode == 2
    assert "No such command 'no-such-command'" in unknown.stderr
    bad_port = archive("serve", "--port", "70000")
    assert bad_port.returncode == 2
    assert "70000 is not in the range" in bad_port.stderr
    bad_url = archive("verify", database_url="mysql://somewhere/db")
    assert bad_url.returncode == 2
    assert "DATABASE_URL 'mysql://somewhere/db' is not supported" in bad_url.stderr


def test_a_command_on_a_database_never_migrated_says_to_upgrade_it(tmp_path: Path) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    for command in (("verify", "--chain-only"), ("coverage",), ("seed",)):
        result = archive(*command, database_url=empty)
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        assert "run `archive db upgrade` first" in result.stderr, (command, result.stderr)
        assert "Traceback" not in result.stderr, command
