"""The bench's databases: a copy holds what its template holds, and a template is built once a run and
never copied half built (bench.common.Databases.copy, bench.worker.registered_database)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bench import worker
from bench.common import Databases


def test_a_copy_holds_what_is_still_in_the_templates_journal(tmp_path: Path) -> None:
    dbs = Databases("sqlite", "", workdir=tmp_path)
    template = sqlite3.connect(tmp_path / "template.db")
    template.execute("PRAGMA journal_mode=WAL")
    template.execute("CREATE TABLE t (n INTEGER)")
    template.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(100)])
    template.commit()  # in the WAL, not checkpointed: the connection stays open
    dbs.copy("template", "copy")
    template.close()
    copy = sqlite3.connect(tmp_path / "copy.db")
    try:
        assert copy.execute("SELECT count(*), sum(n) FROM t").fetchone() == (100, 4950)
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        copy.close()


class Loader:
    """OursIngest's stand-in: counts the entities' registrations and the batches, fails when told to."""

    setups: list[bool] = []
    batches: list[int] = []
    fail = False

    def __init__(self, config: dict[str, Any]) -> None:
        self.path = config["url"].removeprefix("sqlite+aiosqlite:///")
        self.registered = bool(config.get("registered"))

    async def setup(self) -> dict[str, Any]:
        Loader.setups.append(self.registered)
        conn = sqlite3.connect(self.path)
        if not self.registered:
            conn.execute("CREATE TABLE entities (n INTEGER)")
            if Loader.fail:
                conn.close()
                raise RuntimeError("registration failed halfway")
            conn.execute("INSERT INTO entities VALUES (1)")
            conn.commit()
        conn.close()
        return {}

    async def batch(self, b: int, total: int) -> dict[str, Any]:
        Loader.batches.append(b)
        return {}

    async def close(self) -> None:
        return None


@pytest.fixture
def loader(monkeypatch: pytest.MonkeyPatch) -> type[Loader]:
    Loader.setups, Loader.batches, Loader.fail = [], [], False
    monkeypatch.setattr(worker, "OursIngest", Loader)

    def create(self: Databases, name: str, migrate: bool = True) -> str:
        (self.workdir / (name + ".db")).unlink(missing_ok=True)  # as the real one: an empty database
        sqlite3.connect(self.workdir / (name + ".db")).close()
        return self.archive_url(name)

    monkeypatch.setattr(Databases, "create", create)
    return Loader


async def test_the_registry_is_built_once_and_each_database_is_a_copy(
    tmp_path: Path, loader: type[Loader]
) -> None:
    dbs = Databases("sqlite", "", workdir=tmp_path)
    for name in ("ingest10000", "ingest100000"):
        await worker.registered_database(dbs, name)
    for name in ("correct", "writers"):
        await worker.registered_database(dbs, name, batches=2)
    # The entities once, then the two batches once, on a copy of the registry.
    assert loader.setups == [False, True]
    assert loader.batches == [0, 1]
    for name in ("ingest10000", "ingest100000", "correct", "writers"):
        conn = sqlite3.connect(tmp_path / (name + ".db"))
        assert conn.execute("SELECT count(*) FROM entities").fetchone() == (1,)
        conn.close()


async def test_a_template_that_failed_halfway_is_built_again_not_copied(
    tmp_path: Path, loader: type[Loader]
) -> None:
    dbs = Databases("sqlite", "", workdir=tmp_path)
    loader.fail = True
    with pytest.raises(RuntimeError):
        await worker.registered_database(dbs, "first")
    loader.fail = False
    await worker.registered_database(dbs, "second")
    assert loader.setups == [False, False]
    conn = sqlite3.connect(tmp_path / "second.db")
    assert conn.execute("SELECT count(*) FROM entities").fetchone() == (1,)
    conn.close()
