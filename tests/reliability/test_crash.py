"""Crash safety of seeding: `archive seed` killed with SIGKILL at random points, then run again.

A synthetic corpus (tests/reliability/synthetic.py) is seeded by a real subprocess, which is killed
at a random point of the time a clean seed spends past its start-up (counted from the run's first
progress line, so a slow start-up on a busy machine does not waste kills before any write). After
every kill the log's hash chain verifies,
the log holds exactly what a whole number of seed transactions append (the entity registry, then each
facts file, all or nothing), no stream has a gap, and the read models equal a rebuild from the log. A
last run completes the corpus: the same events as a clean seed into a fresh database, no duplicates.

The random delays come from a seeded RNG; the seed is printed (run with -s), and ARCHIVE_CRASH_SEED
replays a failing run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.bootstrap import wire
from archive.eventstore import events_table
from archive.storage.engine import create_engine

from .synthetic import SyntheticCorpus, generate

ROOT = Path(__file__).resolve().parents[2]
KILLS = 10
FILES, FACTS_PER_FILE = 10, 100


async def seed_process(database_url: str, folder: Path, log: Path) -> asyncio.subprocess.Process:
    """`python -m archive.cli seed FOLDER` against `database_url`, as a child process writing to `log`."""
    env = {**os.environ, "DATABASE_URL": database_url, "ARCHIVE_LOG_FORMAT": "json"}
    with log.open("wb") as output:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "archive.cli",
            "seed",
            str(folder),
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=output,
        )


def text_of(log: Path) -> str:
    """What a seed run printed."""
    return log.read_text(encoding="utf-8", errors="replace")


async def seed_to_the_end(database_url: str, folder: Path, log: Path) -> tuple[float, float, str]:
    """Run a seed to completion; return how long it took, when its first progress line came (both in
    seconds from the start), and what it printed."""
    started, wall = time.perf_counter(), datetime.now(UTC)
    process = await seed_process(database_url, folder, log)
    await process.wait()
    elapsed = time.perf_counter() - started
    output = text_of(log)
    assert process.returncode == 0, output
    first = next(json.loads(line) for line in output.splitlines() if line.startswith('{"done"'))
    return elapsed, (datetime.fromisoformat(first["timestamp"]) - wall).total_seconds(), output


async def progress_reported(process: asyncio.subprocess.Process, log: Path) -> None:
    """Wait until a seed run prints its first progress line (or ends), polling its log."""
    for _ in range(12_000):
        if process.returncode is not None or '{"done"' in text_of(log):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the seed run printed no progress in two minutes")


async def settle(database_url: str) -> None:
    """Wait until no session of a killed client is left on a PostgreSQL database.

    A backend whose client died finishes (commits a COMMIT already sent, or rolls back) on its own
    schedule; until it is gone, a snapshot could miss a commit that a rebuild would then see.
    """
    if not database_url.startswith("postgresql"):
        return
    url = make_url(database_url)
    conn = await asyncpg.connect(
        user=url.username, password=url.password, host=url.host, port=url.port, database=url.database
    )
    try:
        for _ in range(200):
            others = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
            if others == 0:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{others} sessions of the killed seed are still open")
    finally:
        await conn.close()


async def streams_with_gaps(engine: AsyncEngine) -> list[tuple[str, int, int, int]]:
    """Streams whose versions are not exactly 1..n."""
    version = events_table.c.stream_version
    query = (
        select(events_table.c.stream_id, func.count(), func.min(version), func.max(version))
        .group_by(events_table.c.stream_id)
        .having((func.count() != func.max(version)) | (func.min(version) != 1))
    )
    async with engine.connect() as conn:
        return [tuple(row) for row in await conn.execute(query)]  # type: ignore[misc]


async def event_keys(engine: AsyncEngine) -> list[tuple[str, int, str]]:
    """(stream, version, type) of every event, in log order."""
    query = select(
        events_table.c.stream_id, events_table.c.stream_version, events_table.c.event_type
    ).order_by(events_table.c.position)
    async with engine.connect() as conn:
        return [(row[0], row[1], row[2]) for row in await conn.execute(query)]


async def check_consistent(
    engine: AsyncEngine,
    allowed: list[int],
    context: str,
    assert_read_models_equal_rebuild: Callable[[AsyncEngine], Awaitable[int]],
) -> int:
    """After a kill: the chain verifies, whole transactions only, no stream gaps, read models = rebuild."""
    store = wire(engine).store
    report = await store.verify()
    count = await store.count()
    context = f"{context}: {count} events"
    assert report.ok, (context, report)
    assert report.events_checked == count, context
    assert count in allowed, f"{context}, not a whole number of seed transactions {allowed}"
    assert await streams_with_gaps(engine) == [], context
    await assert_read_models_equal_rebuild(engine)
    return count


@pytest.mark.slow
async def test_seed_killed_at_random_points_leaves_a_consistent_archive_and_a_rerun_completes_it(
    database_url: str,
    fresh_database: Callable[[], Awaitable[str]],
    tmp_path: Path,
    assert_read_models_equal_rebuild: Callable[[AsyncEngine], Awaitable[int]],
) -> None:
    corpus: SyntheticCorpus = generate(tmp_path / "seeds", files=FILES, facts_per_file=FACTS_PER_FILE)
    allowed = corpus.prefix_counts()
    rng_seed = int(os.environ.get("ARCHIVE_CRASH_SEED", str(time.time_ns() % 1_000_000)))
    rng = random.Random(rng_seed)
    log = tmp_path / "seed.log"

    # A clean seed into a fresh database: how long a seed takes, and what it appends.
    clean_url = await fresh_database()
    clean_duration, planned_after, clean_output = await seed_to_the_end(clean_url, corpus.root, log)
    assert f"{corpus.total_events} events appended" in clean_output
    clean = create_engine(clean_url)
    try:
        clean_keys = await event_keys(clean)
    finally:
        await clean.dispose()
    assert len(clean_keys) == corpus.total_events

    print(
        f"\ncrash test on {make_url(database_url).get_backend_name()}: RNG seed {rng_seed} "
        f"(ARCHIVE_CRASH_SEED), {corpus.files} files, {corpus.total_events} events, "
        f"a clean seed takes {clean_duration:.1f}s, its files are parsed after {planned_after:.1f}s"
    )
    # Runs are killed one after the other on one database; when a run gets to finish first, that
    # database holds the whole corpus (checked), and the kills go on in a fresh one.
    url, rounds, runs = database_url, 1, 0
    counts: list[int] = []
    engine = create_engine(url)
    try:
        while len(counts) < KILLS:
            runs += 1
            assert runs <= 3 * KILLS, f"only {len(counts)} of {runs} runs were still going at their kill"
            # A random point of the seed's duration after its start-up (imports, parsing the files),
            # counted from when this run reports its progress, however slow its start-up is.
            delay = rng.uniform(0.0, clean_duration - planned_after)
            process = await seed_process(url, corpus.root, log)
            await progress_reported(process, log)
            try:
                await asyncio.wait_for(process.wait(), timeout=delay)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGKILL)
            await process.wait()
            if process.returncode != -signal.SIGKILL:
                assert process.returncode == 0, text_of(log)
                assert await event_keys(engine) == clean_keys
                print(
                    f"  run {runs:2d} finished before its kill at {delay:5.2f}s: complete; a fresh database"
                )
                await engine.dispose()
                url, rounds = await fresh_database(), rounds + 1
                engine = create_engine(url)
                continue
            await settle(url)
            started = time.perf_counter()
            context = f"kill {len(counts) + 1} at {delay:.2f}s after start-up (RNG seed {rng_seed})"
            count = await check_consistent(engine, allowed, context, assert_read_models_equal_rebuild)
            await engine.dispose()
            counts.append(count)
            print(
                f"  kill {len(counts):2d} at +{delay:4.2f}s: {count:4d} events, "
                f"{allowed.index(count)} of {len(allowed) - 1} seed transactions; verified and equal to a "
                f"rebuild ({time.perf_counter() - started:.1f}s)"
            )
            if count == corpus.total_events and len(counts) < KILLS:
                # Killed after its last commit: the corpus is whole here, so go on in a fresh database.
                assert await event_keys(engine) == clean_keys
                await engine.dispose()
                url, rounds = await fresh_database(), rounds + 1
                engine = create_engine(url)

        store = wire(engine).store
        before = await store.count()
        _, _, output = await seed_to_the_end(url, corpus.root, log)
        assert f"{corpus.total_events - before} events appended" in output, output
        assert await store.count() == corpus.total_events
        assert await event_keys(engine) == clean_keys
        assert await streams_with_gaps(engine) == []
        report = await store.verify()
        assert (report.ok, report.events_checked) == (True, corpus.total_events)
        await assert_read_models_equal_rebuild(engine)
        print(
            f"  {len(counts)} kills survived in {runs} runs on {rounds} databases; the last re-run appended "
            f"{corpus.total_events - before} events and the log equals a clean seed's"
        )
    finally:
        await engine.dispose()
