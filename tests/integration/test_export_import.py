"""Moving an archive, whole: `archive export` writes the log as JSON Lines and `archive import` loads it
into an empty database, either backend, with the same positions, recorded_at and hashes; a line that
is not the next event of an intact log refuses the whole file, naming the line, and writes nothing."""

from __future__ import annotations

import copy
import io
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from archive.bootstrap import wire
from archive.commands import CommandMeta
from archive.eventstore import ConcurrencyError, EventStore, EventStoreError, NewEvent
from archive.eventstore.hashing import canonical_bytes, chain_hash
from archive.eventstore.redaction import redaction_marker
from archive.eventstore.transfer import TransferError, TransferReport, export_log, import_log
from archive.projections.rebuild import rebuild
from archive.projections.shadow import compare_with_rebuild
from archive.settings import Settings
from archive.storage.engine import create_engine, stored_utc
from archive.tokens import create_token
from tests.contract.test_projections import snapshot
from tests.integration.test_cli import archive
from tests.integration.test_log_is_readable import whole_log


async def exported(store: EventStore) -> bytes:
    out = io.BytesIO()
    await export_log(store, out, page_size=50)
    return out.getvalue()


async def imported(store: EventStore, export: bytes) -> TransferReport:
    return await import_log(store, io.BytesIO(export).readlines(), batch_size=50)


def lines_of(export: bytes) -> list[dict[str, Any]]:
    return [msgspec.json.decode(line) for line in export.splitlines()]


def joined(lines: list[dict[str, Any]]) -> bytes:
    return b"".join(msgspec.json.encode(line) + b"\n" for line in lines)


def relinked(lines: list[dict[str, Any]], index: int) -> None:
    """Rehash the (changed) line `index` and every line after it, the end-of-log line too, as a forger
    would: the chain links, so only what the test aims at is wrong."""
    previous = lines[index - 1]["hash"] if index else "0" * 64
    for line in lines[index:-1]:
        body = {key: line[key] for key in ("stream_id", "stream_version", "event_type", "schema_version")}
        recorded_at = datetime.fromisoformat(line["recorded_at"])
        event_bytes = canonical_bytes(
            **body, data=line["data"], metadata=line["metadata"], recorded_at=recorded_at
        )
        line["prev_hash"], line["hash"] = previous, chain_hash(previous, event_bytes)
        previous = line["hash"]
    lines[-1]["head_hash"] = previous


def normalised(value: Any) -> Any:
    """A read model's value as both backends give it (SQLite keeps no time zone: its times are UTC)."""
    return stored_utc(value).isoformat() if isinstance(value, datetime) else value


async def read_models(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read model, comparable across backends (sorted here, not by a collation)."""
    return {
        name: sorted((tuple(normalised(v) for v in row) for row in rows), key=repr)
        for name, rows in (await snapshot(engine)).items()
    }


async def auditors_log(database_url: str, engine: AsyncEngine) -> list[dict[str, Any]]:
    """The whole of `GET /events`, read by an auditor (tokens are not part of the log: made here)."""
    token, _ = await create_token(engine, "auditor", "auditor-ode")
    settings = Settings(database_url=database_url, log_format="json", log_level="WARNING")
    async with AsyncTestClient(app=create_app(settings)) as client:
        return await whole_log(client, {"Authorization": f"Bearer {token}"})


@pytest.fixture
def seeded_store(seeded_engine: AsyncEngine) -> EventStore:
    """The log of a fresh copy of the seeded corpus."""
    return wire(seeded_engine).store


async def test_a_log_moved_to_an_empty_database_keeps_its_positions_hashes_and_read_models(
    seeded_store: EventStore, store: EventStore, engine: AsyncEngine
) -> None:
    export = await exported(seeded_store)
    report = await imported(store, export)
    source = await seeded_store.verify()
    assert report == TransferReport(events=source.events_checked, head_hash=source.head_hash)
    assert report.events >= 390
    # Every field of every event, as stored: the target exports the same bytes.
    assert await exported(store) == export
    target = wire(engine)
    await rebuild(target.store, target.commands.projector)
    assert await read_models(engine) == await read_models(seeded_store.engine)
    assert await compare_with_rebuild(target.store, target.commands.projector) == []
    # The next append continues the chain at the next position (PostgreSQL's sequence was moved on).
    [appended] = await store.append("entity:after-import", 0, [NewEvent("entity.registered", {"n": 1})])
    assert (appended.position, appended.prev_hash) == (report.events + 1, report.head_hash)
    assert (await store.verify()).ok


async def test_a_log_moves_from_sqlite_to_postgresql_and_back_unchanged(
    postgres_backend: str,
    seeded_sqlite_template: Path,
    sqlite_template: Path,
    database_url: str,
    engine: AsyncEngine,
    tmp_path: Path,
) -> None:
    on_sqlite = tmp_path / "from.db"
    back_on_sqlite = tmp_path / "back.db"
    shutil.copyfile(seeded_sqlite_template, on_sqlite)
    shutil.copyfile(sqlite_template, back_on_sqlite)
    urls = [f"sqlite+aiosqlite:///{on_sqlite}", database_url, f"sqlite+aiosqlite:///{back_on_sqlite}"]
    engines = [create_engine(urls[0]), engine, create_engine(urls[2])]
    try:
        stores = [wire(e).store for e in engines]
        export = await exported(stores[0])
        await imported(stores[1], export)
        from_postgres = await exported(stores[1])
        await imported(stores[2], from_postgres)
        assert from_postgres == export
        assert await exported(stores[2]) == export
        heads = {(await s.verify()).head_hash for s in stores}
        assert len(heads) == 1
        for moved in engines[1:]:
            wired = wire(moved)
            await rebuild(wired.store, wired.commands.projector)
        models = [await read_models(e) for e in engines]
        assert models[1] == models[0]
        assert models[2] == models[0]
        logs = [await auditors_log(url, e) for url, e in zip(urls, engines, strict=True)]
        assert len(logs[0]) >= 390
        assert logs[1] == logs[0]
        assert logs[2] == logs[0]
    finally:
        await engines[0].dispose()
        await engines[2].dispose()


async def refused(store: EventStore, export: bytes) -> TransferError:
    """The import's refusal; the log must still be empty after it."""
    with pytest.raises(TransferError) as caught:
        await imported(store, export)
    assert await store.count() == 0
    return caught.value


async def test_a_changed_event_is_refused_at_its_line(seeded_store: EventStore, store: EventStore) -> None:
    lines = lines_of(await exported(seeded_store))
    lines[120]["data"]["label"] = "a label it never had"
    error = await refused(store, joined(lines))
    assert error.line == 121
    assert "line 121: the event does not match its hash" in str(error)
    # Given the hash its new content has, it no longer links to the line after it.
    forged = copy.deepcopy(lines)
    relinked(forged, 120)
    lines[120]["hash"] = forged[120]["hash"]
    error = await refused(store, joined(lines))
    assert error.line == 122
    assert "prev_hash does not link" in str(error)


async def test_a_missing_event_is_refused_at_the_line_after_it(
    seeded_store: EventStore, store: EventStore
) -> None:
    lines = lines_of(await exported(seeded_store))
    del lines[200]
    error = await refused(store, joined(lines))
    assert error.line == 201
    assert "prev_hash does not link to the hash of the event before it" in str(error)


async def test_a_position_that_does_not_increase_is_refused(
    seeded_store: EventStore, store: EventStore
) -> None:
    lines = lines_of(await exported(seeded_store))
    lines[200]["position"] = 200  # positions are not hashed: only this check sees it
    error = await refused(store, joined(lines))
    assert error.line == 201
    assert "position 200 does not follow position 200" in str(error)


async def test_positions_a_failed_append_skipped_are_kept(
    seeded_store: EventStore, store: EventStore, backend: str
) -> None:
    await seeded_store.append("entity:probe", 0, [NewEvent("entity.registered", {"n": 1})])
    with pytest.raises(ConcurrencyError):
        await seeded_store.append("entity:probe", 0, [NewEvent("entity.registered", {"n": 2})])
    await seeded_store.append("entity:probe", 1, [NewEvent("entity.registered", {"n": 3})])
    lines = lines_of(await exported(seeded_store))
    last, after_the_409 = lines[-3]["position"], lines[-2]["position"]
    # PostgreSQL's sequence gave the refused append a position it never used; SQLite numbers from the head.
    assert after_the_409 == last + (2 if backend == "postgres" else 1)
    for line in lines[100:-1]:
        line["position"] += 5  # a gap of five more, which the chain does not see
    export = joined(lines)
    await imported(store, export)
    assert await exported(store) == export
    [appended] = await store.append("entity:probe", 2, [NewEvent("entity.registered", {"n": 4})])
    assert appended.position == lines[-2]["position"] + 1


async def test_a_stream_version_skipped_is_refused(seeded_store: EventStore, store: EventStore) -> None:
    lines = lines_of(await exported(seeded_store))
    lines[0]["stream_version"] = 2
    relinked(lines, 0)
    error = await refused(store, joined(lines))
    assert error.line == 1
    assert "goes from version 0 to 2" in str(error)


async def test_a_database_holding_events_is_refused_and_left_as_it_was(
    seeded_store: EventStore, store: EventStore
) -> None:
    export = await exported(seeded_store)
    await store.append("entity:already-here", 0, [NewEvent("entity.registered", {"n": 1})])
    with pytest.raises(TransferError, match="already holds 1 events") as caught:
        await imported(store, export)
    assert caught.value.line is None
    assert await store.count() == 1


async def test_a_file_cut_short_is_refused_naming_the_line(
    seeded_store: EventStore, store: EventStore
) -> None:
    export = await exported(seeded_store)
    cut_in_a_line = export[: export.index(b"\n", len(export) // 2) - 10]
    error = await refused(store, cut_in_a_line)
    assert error.line == cut_in_a_line.count(b"\n") + 1
    assert "not valid JSON (is the file cut short?)" in str(error)
    lines = export.splitlines(keepends=True)
    error = await refused(store, b"".join(lines[:-1]))
    assert error.line == len(lines)
    assert "ends without its end-of-log line" in str(error)
    error = await refused(store, b"")
    assert "line 1: the file ends without its end-of-log line" in str(error)


async def test_an_end_of_log_line_that_does_not_match_is_refused(
    seeded_store: EventStore, store: EventStore
) -> None:
    lines = lines_of(await exported(seeded_store))
    lines[-1]["events"] += 1
    error = await refused(store, joined(lines))
    assert error.line == len(lines)
    assert f"promises {lines[-1]['events']} events" in str(error)
    lines = lines_of(await exported(seeded_store))
    error = await refused(store, joined([*lines, lines[0]]))
    assert error.line == len(lines) + 1
    assert "after the end-of-log line" in str(error)


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("data", "a NUL \u0000 here", "holds a NUL character"),
        ("metadata", "a NUL \u0000 here", "holds a NUL character"),
        ("event_type", "entity." + "x" * 100, "is not storable: an event type is at most 100 characters"),
        ("stream_id", "entity:\u0000", "holds a NUL character"),
    ],
)
async def test_what_a_backend_cannot_hold_is_refused_in_the_stores_words(
    seeded_store: EventStore, store: EventStore, field: str, value: str, problem: str
) -> None:
    lines = lines_of(await exported(seeded_store))
    if field in ("data", "metadata"):
        lines[5][field]["note"] = value
    else:
        lines[5][field] = value
    relinked(lines, 5)
    error = await refused(store, joined(lines))
    assert isinstance(error, EventStoreError)
    assert error.line == 6
    assert problem in str(error)


async def test_a_lone_surrogate_is_refused_in_the_stores_words(
    seeded_store: EventStore, store: EventStore
) -> None:
    export = await exported(seeded_store)
    lines = export.splitlines(keepends=True)
    # JSON may escape a lone surrogate; no backend can store it (and msgspec will not even read it).
    lines[7] = lines[7].replace(b'"data":{', b'"data":{"note":"half a pair \\ud800 here",', 1)
    error = await refused(store, b"".join(lines))
    assert error.line == 8
    assert "holds a lone surrogate at character 12" in str(error)


async def test_a_float_is_refused_as_the_store_refuses_it(
    seeded_store: EventStore, store: EventStore
) -> None:
    lines = lines_of(await exported(seeded_store))
    lines[9]["data"]["weight"] = 0.5
    error = await refused(store, joined(lines))
    assert error.line == 10
    assert ".data.weight is a float, which the log cannot store" in str(error)


def test_the_commands_export_and_import_a_whole_archive_and_refuse_a_changed_file(
    seeded_database_url: str, database_url: str, tmp_path: Path
) -> None:
    to_stdout = archive("export", database_url=seeded_database_url)
    assert to_stdout.returncode == 0, to_stdout.stderr
    # stdout is the log alone: progress and logs went to stderr.
    lines = to_stdout.stdout.splitlines()
    assert all("position" in msgspec.json.decode(line) for line in lines[:-1])
    end = msgspec.json.decode(lines[-1])
    assert end["end_of_log"] is True
    assert f"exported {end['events']} events, head hash {end['head_hash']}" in to_stdout.stderr

    changed = tmp_path / "changed.jsonl"
    changed.write_text(to_stdout.stdout.replace('"stream_version":1,', '"stream_version":3,', 1))
    refused = archive("import", str(changed), database_url=database_url)
    assert refused.returncode == 1
    assert "import refused: line 1: stream " in refused.stderr
    assert "nothing was written" in refused.stderr

    export = tmp_path / "archive.jsonl"
    written = archive("export", "--output", str(export), database_url=seeded_database_url)
    assert written.returncode == 0, written.stderr
    assert export.read_text() == to_stdout.stdout
    result = archive("import", str(export), database_url=database_url)
    assert result.returncode == 0, result.stderr + result.stdout
    assert f"imported {end['events']} events, head hash {end['head_hash']}" in result.stdout
    assert f"ok: {end['events']} events, head hash {end['head_hash']}" in result.stdout
    assert "ok: every read model equals a rebuild from the log" in result.stdout
    again = archive("import", str(export), database_url=database_url)
    assert again.returncode == 1
    assert f"already holds {end['events']} events" in again.stderr


def test_a_failed_export_leaves_the_file_it_would_replace_as_it_was(tmp_path: Path) -> None:
    backup = tmp_path / "archive.jsonl"
    backup.write_text("an older backup\n")
    unmigrated = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    result = archive("export", "--output", str(backup), database_url=unmigrated)
    assert result.returncode == 1
    assert "run `archive db upgrade` first" in result.stderr
    assert backup.read_text() == "an older backup\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["archive.jsonl", "empty.db"]


async def test_a_redacted_log_moves_with_its_hashes(
    seeded_engine: AsyncEngine, seeded_store: EventStore, store: EventStore
) -> None:
    lines = lines_of(await exported(seeded_store))
    first_fact = next(line for line in lines[:-1] if line["stream_id"].startswith("fact:"))
    await wire(seeded_engine).commands.redact_event(
        position=first_fact["position"],
        reason_code="privacy",
        justification="the person named asked to be forgotten",
        meta=CommandMeta(actor="admin-ada"),
    )
    export = await exported(seeded_store)
    assert redaction_marker(first_fact["data"]) in [line.get("data") for line in lines_of(export)]
    report = await imported(store, export)
    assert report.head_hash == (await seeded_store.verify()).head_hash
    assert (await store.verify()).ok
    assert await exported(store) == export


async def test_a_marker_no_redaction_event_records_is_refused(
    seeded_store: EventStore, store: EventStore
) -> None:
    lines = lines_of(await exported(seeded_store))
    index = next(i for i, line in enumerate(lines) if line["stream_id"].startswith("fact:"))
    lines[index]["data"] = redaction_marker(lines[index]["data"])  # the hash stays: as a redaction does
    error = await refused(store, joined(lines))
    assert error.line == index + 1
    assert "a redaction marker that no redaction event records" in str(error)
