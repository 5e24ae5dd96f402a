"""Cases 1, 2 and 3: appends, one event or 100 a commit, and a correction through the whole service.

Every implementation appends the same ~600-byte JSON payload (a fact.recorded-shaped object) to a new
stream each time:
- ours: `EventStore.append(stream, 0, events)`: one write transaction that takes the append lock
  (`BEGIN IMMEDIATE` on SQLite, `pg_advisory_xact_lock` on PostgreSQL, held to the commit so that global
  order equals commit order), reads the chain head (and checks the expected version in the same
  query), computes sha256(prev_hash || canonical JSON) for each event, INSERT ... RETURNING position,
  COMMIT. No projection: that is case 3.
- peer: eventsourcing's application recorder, `insert_events([StoredEvent])` (the payload as JSON bytes).
  On PostgreSQL in its default mode (LOCK TABLE ... IN EXCLUSIVE MODE, so its ids follow commit order
  too) and with POSTGRES_ENABLE_DB_FUNCTIONS=y (one function call, no table lock: ids may commit out of
  order, which the archive may not allow itself). On SQLite it takes a Python writer lock and BEGIN.
- raw: a bare INSERT of the same row into a copy of our `events` table with our own driver (asyncpg /
  aiosqlite) in autocommit: no lock, no chain head, no hash.
- raw-sync (SQLite, case 1): the same INSERT through the synchronous `sqlite3` driver, one connection a
  client thread: no event loop and no hop to aiosqlite's thread, so the real floor of a single append on
  SQLite. Case 1 judges ours against it there (against raw on PostgreSQL).
Concurrent clients are asyncio tasks sharing one engine or pool (ours, raw) or threads sharing one
recorder (the peer is synchronous), all in the bench process, as a server's requests would be.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from bench import corpus
from bench.common import (
    Databases,
    Results,
    Row,
    interleave,
    log,
    peer_factory,
    peer_row_count,
    peer_sqlite_pragmas,
    ratio,
    summary,
)

PAYLOADS = [corpus.append_payload(n) for n in range(64)]
EVENT_TYPE = "fact.recorded"
INSERT_COLUMNS = (
    "stream_id, stream_version, event_type, schema_version, data, metadata, recorded_at, prev_hash, hash"
)


class Sample:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.events = 0
        self.seconds = 0.0


# -- ours ----------------------------------------------------------------------------------------------


class Ours:
    def __init__(self, url: str) -> None:
        from archive.bootstrap import event_registry
        from archive.eventstore import EventStore
        from archive.storage.engine import create_engine

        self.engine = create_engine(url)
        self.store = EventStore(self.engine, event_registry())
        self.meta = {"actor": "bench", "reason": "append benchmark"}

    async def run(self, clients: int, seconds: float, per_commit: int) -> Sample:
        from archive.eventstore import NewEvent

        sample = Sample()
        deadline = time.perf_counter() + seconds

        async def client(k: int) -> None:
            i = k
            while time.perf_counter() < deadline:
                events = [NewEvent(EVENT_TYPE, PAYLOADS[(i + j) % len(PAYLOADS)]) for j in range(per_commit)]
                started = time.perf_counter()
                await self.store.append(f"bench:{uuid.uuid4()}", 0, events, self.meta)
                sample.latencies.append(time.perf_counter() - started)
                sample.events += per_commit
                i += 1

        started = time.perf_counter()
        await asyncio.gather(*(client(k) for k in range(clients)))
        sample.seconds = time.perf_counter() - started
        return sample

    async def close(self) -> None:
        await self.engine.dispose()


# -- raw -----------------------------------------------------------------------------------------------


def in_threads(clients: int, seconds: float, per_commit: int, commit: Callable[[int, int], None]) -> Sample:
    """`clients` threads each calling `commit(client, i)` for i = client, client + 1, ... until `seconds`
    have passed; each call (building its rows included) is one timed commit of `per_commit` events."""
    sample = Sample()
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(k: int) -> None:
        latencies: list[float] = []
        events = 0
        i = k
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            commit(k, i)
            latencies.append(time.perf_counter() - started)
            events += per_commit
            i += 1
        with lock:
            sample.latencies.extend(latencies)
            sample.events += events

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sample.seconds = time.perf_counter() - started
    return sample


RAW_META = json.dumps({"actor": "bench", "reason": "append benchmark"})


def raw_insert(sqlite: bool) -> str:
    marks = ",".join("?" * 9) if sqlite else ",".join(f"${i}" for i in range(1, 10))
    return f"INSERT INTO events ({INSERT_COLUMNS}) VALUES ({marks})"


def raw_rows(i: int, per_commit: int, sqlite: bool) -> list[tuple[Any, ...]]:
    """The `events` rows of one raw commit: a new stream, versions 1..per_commit."""
    stream = f"bench:{uuid.uuid4()}"
    now = datetime.now(UTC)
    when = now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now
    return [
        (stream, j + 1, EVENT_TYPE, 1, json.dumps(PAYLOADS[(i + j) % len(PAYLOADS)]), RAW_META, when,
         "0" * 64, "f" * 64)
        for j in range(per_commit)
    ]  # fmt: skip


class Raw:
    """Bare INSERTs into a copy of the `events` table, with the archive's own driver."""

    def __init__(self, backend: str, dsn: str) -> None:
        self.backend = backend
        self.dsn = dsn
        self.conns: list[Any] = []

    async def open(self, clients: int) -> None:
        while len(self.conns) < clients:
            if self.backend == "sqlite":
                import aiosqlite

                conn = await aiosqlite.connect(self.dsn, isolation_level=None)
                for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
                    await conn.execute(f"PRAGMA {pragma}")
            else:
                import asyncpg

                conn = await asyncpg.connect(self.dsn)
            self.conns.append(conn)

    async def run(self, clients: int, seconds: float, per_commit: int) -> Sample:
        await self.open(clients)
        sample = Sample()
        deadline = time.perf_counter() + seconds
        sqlite = self.backend == "sqlite"
        statement = raw_insert(sqlite)

        async def client(conn: Any, k: int) -> None:
            i = k
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                batch = raw_rows(i, per_commit, sqlite)
                if sqlite:
                    if per_commit == 1:
                        await conn.execute(statement, batch[0])
                    else:
                        await conn.execute("BEGIN IMMEDIATE")
                        await conn.executemany(statement, batch)
                        await conn.execute("COMMIT")
                elif per_commit == 1:
                    await conn.execute(statement, *batch[0])
                else:
                    async with conn.transaction():
                        await conn.executemany(statement, batch)
                sample.latencies.append(time.perf_counter() - started)
                sample.events += per_commit
                i += 1

        started = time.perf_counter()
        await asyncio.gather(*(client(self.conns[k], k) for k in range(clients)))
        sample.seconds = time.perf_counter() - started
        return sample

    async def close(self) -> None:
        for conn in self.conns:
            await conn.close()


class RawSync:
    """Bare INSERTs into a copy of the `events` table through the synchronous `sqlite3` driver, one
    connection a client thread (WAL, synchronous=FULL, autocommit as raw's).

    The threads take turns on a lock of this process, as ours (its writer lock) and the peer (its
    Python writer lock) do: SQLite has one writer, and threads left to its busy handler sleep and
    retry (in a quick run, 4 threads made 305 appends a second, one thread 2,927), which is no floor.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.conns: list[sqlite3.Connection] = []
        self.writer = threading.Lock()

    def run_sync(self, clients: int, seconds: float, per_commit: int) -> Sample:
        while len(self.conns) < clients:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
                conn.execute(f"PRAGMA {pragma}")
            self.conns.append(conn)
        statement = raw_insert(sqlite=True)

        def commit(k: int, i: int) -> None:
            batch = raw_rows(i, per_commit, sqlite=True)
            with self.writer:
                if per_commit == 1:
                    self.conns[k].execute(statement, batch[0])
                else:
                    self.conns[k].execute("BEGIN IMMEDIATE")
                    self.conns[k].executemany(statement, batch)
                    self.conns[k].execute("COMMIT")

        return in_threads(clients, seconds, per_commit, commit)

    async def run(self, clients: int, seconds: float, per_commit: int) -> Sample:
        return await asyncio.to_thread(self.run_sync, clients, seconds, per_commit)

    async def close(self) -> None:
        for conn in self.conns:
            conn.close()


# -- the peer ------------------------------------------------------------------------------------------


class Peer:
    """eventsourcing's ApplicationRecorder.insert_events, from `clients` threads."""

    def __init__(self, env: dict[str, str]) -> None:
        self.factory = peer_factory(env)
        self.recorder = self.factory.application_recorder()

    def run_sync(self, clients: int, seconds: float, per_commit: int) -> Sample:
        from eventsourcing.persistence import StoredEvent

        topic = "bench.peer:FactAggregate.Recorded"

        def commit(_: int, i: int) -> None:
            originator = uuid.uuid4()
            stored = [
                StoredEvent(originator, j + 1, topic, json.dumps(PAYLOADS[(i + j) % len(PAYLOADS)]).encode())
                for j in range(per_commit)
            ]
            self.recorder.insert_events(stored)

        return in_threads(clients, seconds, per_commit, commit)

    async def run(self, clients: int, seconds: float, per_commit: int) -> Sample:
        return await asyncio.to_thread(self.run_sync, clients, seconds, per_commit)

    async def close(self) -> None:
        self.factory.close()


# -- the cases -----------------------------------------------------------------------------------------


Runner = Callable[[int, float, int], Awaitable[Sample]]


async def _measure(
    impls: dict[str, Runner], clients: int, seconds: float, per_commit: int, reps: int
) -> dict[str, list[Sample]]:
    samples: dict[str, list[Sample]] = {name: [] for name in impls}
    order = list(impls)
    for name in order:  # warm up: connections, prepared statements, first pages
        await impls[name](clients, min(0.5, seconds), per_commit)
    for rep in range(reps):
        for name in interleave(order, rep):
            samples[name].append(await impls[name](clients, seconds, per_commit))
    return samples


def _rows(
    results: Results, case: str, variant: str, samples: dict[str, list[Sample]]
) -> dict[str, dict[str, float]]:
    stats: dict[str, dict[str, float]] = {}
    for name, runs in samples.items():
        throughput = summary([s.events / s.seconds for s in runs])
        latency = summary([v * 1000 for s in runs for v in s.latencies])
        stats[name] = {"ev_s": throughput["median"], "ev_s_p99": throughput["p99"], **{
            f"lat_{k}": v for k, v in latency.items()
        }}  # fmt: skip
        results.add(
            Row(
                case,
                variant,
                name,
                "ev/s",
                throughput["median"],
                None,
                {
                    "throughput_per_rep": [round(s.events / s.seconds, 1) for s in runs],
                    "latency_ms_p50": latency["median"],
                    "latency_ms_p99": latency["p99"],
                    "commits": int(latency["n"]),
                    "events": sum(s.events for s in runs),
                },
            )
        )
    return stats


def append_verdicts(
    results: Results, variant: str, stats: dict[str, dict[str, float]], peers: list[str], clients: int
) -> None:
    """Case 1's ratios: ours against the fastest peer mode (>= 1.1x) and against the floor (>= 0.7x),
    which is the synchronous `sqlite3` driver where it was measured (SQLite) and raw otherwise; raw
    through aiosqlite, beside it, is information. With one client the p50 commit latencies are compared
    too (information: below 1 ours commits faster), since one client's throughput is 1 / its latency
    plus the loop's own time."""
    fastest = max(peers, key=lambda n: stats[n]["ev_s"])
    floor = "raw-sync" if "raw-sync" in stats else "raw"
    results.verdict(
        "1", variant, f"ours/{fastest} (fastest peer mode) ev/s",
        ratio(stats["ours"]["ev_s"], stats[fastest]["ev_s"]), ">= 1.1x", ">=", 1.1,
    )  # fmt: skip
    results.verdict(
        "1", variant, f"ours/{floor} ev/s", ratio(stats["ours"]["ev_s"], stats[floor]["ev_s"]),
        ">= 0.7x", ">=", 0.7,
    )  # fmt: skip
    if floor != "raw":
        results.verdict(
            "1", variant, "ours/raw (aiosqlite) ev/s (no target)",
            ratio(stats["ours"]["ev_s"], stats["raw"]["ev_s"]), "-", ">=", 0.0,
        )  # fmt: skip
    if clients == 1:
        for other in (fastest, floor):
            results.verdict(
                "1", variant, f"latency p50 ours/{other} (info: < 1 means ours commits faster)",
                ratio(stats["ours"]["lat_median"], stats[other]["lat_median"]), "-", ">=", 0.0,
            )  # fmt: skip


async def run_append_cases(
    dbs: Databases, results: Results, seconds: float, reps: int, concurrency: list[int]
) -> dict[str, Any]:
    """Cases 1 and 2. Returns case 1's single-client latency of ours, for case 3."""
    backend = dbs.backend
    ours_url = await asyncio.to_thread(dbs.create, "append")
    await asyncio.to_thread(dbs.create, "appendraw")
    await asyncio.to_thread(dbs.create, "es_append", False)
    peer_envs = {"peer": dbs.peer_env("es_append")}
    if backend == "postgres":
        await asyncio.to_thread(dbs.create, "es_append_fn", False)
        peer_envs["peer-dbfn"] = dbs.peer_env("es_append_fn", POSTGRES_ENABLE_DB_FUNCTIONS="y")
    ours = Ours(ours_url)
    raw = Raw(backend, dbs.raw_dsn("appendraw"))
    raw_sync: RawSync | None = None
    peers = {name: Peer(env) for name, env in peer_envs.items()}
    impls: dict[str, Runner] = {"ours": ours.run, **{n: p.run for n, p in peers.items()}, "raw": raw.run}
    if backend == "sqlite":
        results.meta["peer_sqlite"] = peer_sqlite_pragmas(peers["peer"].recorder)
        await asyncio.to_thread(dbs.create, "appendrawsync")
        raw_sync = RawSync(dbs.raw_dsn("appendrawsync"))
        impls["raw-sync"] = raw_sync.run
    case1: dict[int, dict[str, dict[str, float]]] = {}
    try:
        for clients in concurrency:
            log(f"case 1: 1 event/commit, {clients} client(s), {reps} x {seconds:g}s each of {list(impls)}")
            samples = await _measure(impls, clients, seconds, 1, reps)
            variant = f"{clients} client{'s' if clients > 1 else ''}"
            stats = _rows(results, "1", variant, samples)
            case1[clients] = stats
            append_verdicts(results, variant, stats, list(peers), clients)
        log(f"case 2: 100 events/commit, 1 client, {reps} x {seconds:g}s each")
        impls2: dict[str, Runner] = {"ours": ours.run, "peer": peers["peer"].run, "raw": raw.run}
        samples = await _measure(impls2, 1, seconds, 100, reps)
        stats2 = _rows(results, "2", "100 events/commit", samples)
        results.verdict(
            "2", "100 events/commit", "ours/peer ev/s", ratio(stats2["ours"]["ev_s"], stats2["peer"]["ev_s"]),
            ">= 1.0x", ">=", 1.0,
        )  # fmt: skip
        results.verdict(
            "2", "100 events/commit", "ours/raw ev/s (no target)",
            ratio(stats2["ours"]["ev_s"], stats2["raw"]["ev_s"]), "-", ">=", 0.0,
        )  # fmt: skip
    finally:
        await ours.close()
        await raw.close()
        if raw_sync is not None:
            await raw_sync.close()
        for peer in peers.values():
            await peer.close()
    for name in peer_envs:
        db = "es_append" if name == "peer" else "es_append_fn"
        rows = await asyncio.to_thread(peer_row_count, backend, dbs.raw_dsn(db))
        if rows == 0:
            raise RuntimeError(
                f"the peer {name} wrote no row to its database: it is not measuring a database"
            )
        results.meta.setdefault("peer_rows_written", {})[f"case1-2 {name}"] = rows
    return case1


# -- case 3 --------------------------------------------------------------------------------------------


async def run_correction_case(dbs: Databases, results: Results, seconds: float, reps: int) -> None:
    """Case 3: Archive.correct_fact with the expected version, beside case 1's single append, same run.

    The corrected facts are in a corpus of 4000 facts (two 2000-line sources). Each correction changes
    valid_to (alternating two values) and cites the fact's own source line, so the service loads the
    fact's state, the cited source's current text (to verify the quote), decides, appends one event,
    and projects it into every read model, in one transaction.
    """
    from archive.bootstrap import wire
    from archive.commands import CommandMeta
    from archive.domain.events import Citation, FactChanges
    from archive.settings import FINDINGS_DELAY_MS
    from archive.storage.engine import create_engine
    from bench.worker import registered_database

    url = await registered_database(dbs, "correct", batches=2)

    engine = create_engine(url)
    # As the server runs it: the findings catch up in the background (archive/commands/follow.py).
    archive = wire(engine, findings_delay=FINDINGS_DELAY_MS / 1000).commands
    meta = CommandMeta(actor="bench", reason="correction benchmark")
    versions: dict[int, int] = {}
    shas: dict[int, str] = {}
    counter = {"next": 0}
    ours_append = Ours(url)

    async def correct(clients: int, seconds: float, _: int) -> Sample:
        sample = Sample()
        deadline = time.perf_counter() + seconds
        started_all = time.perf_counter()
        while time.perf_counter() < deadline:
            n = counter["next"] % (2 * corpus.BATCH)
            counter["next"] += 1
            f = corpus.fact(n)
            version = versions.get(n, 1)
            new_to = str(int(f.valid_to) + (1 if version % 2 else 0))
            if f.batch not in shas:
                shas[f.batch] = corpus.source_sha(f.batch)
            citation = Citation(corpus.source_id(f.batch), shas[f.batch], f.line, f.line, f.text)
            fact_id = corpus.fact_id(n)
            started = time.perf_counter()
            written = await archive.correct_fact(
                fact_id=fact_id,
                expected_version=version,
                changes=FactChanges(valid_to=new_to),
                reason_code="valid_time_shift",
                justification="bench: the term ended later",
                citations=[citation],
                meta=meta,
            )
            sample.latencies.append(time.perf_counter() - started)
            sample.events += 1
            versions[n] = written.version
        # The findings' catch-up of the sample's last corrections is part of its time.
        await archive.findings.settled()
        sample.seconds = time.perf_counter() - started_all
        return sample

    try:
        log(f"case 3: correct_fact vs case 1's append (1 client), {reps} x {seconds:g}s each")
        samples = await _measure(
            {"ours-correct": correct, "ours-append": ours_append.run}, 1, seconds, 1, reps
        )
        stats = _rows(results, "3", "correction, 1 client", samples)
    finally:
        await ours_append.close()
        await engine.dispose()
    for key in ("lat_median", "lat_p99"):
        label = "p50" if key == "lat_median" else "p99"
        results.verdict(
            "3", "correction, 1 client", f"latency {label} correction/append",
            ratio(stats["ours-correct"][key], stats["ours-append"][key]), "<= 2x", "<=", 2.0,
        )  # fmt: skip
