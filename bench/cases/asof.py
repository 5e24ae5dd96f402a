"""Case 6: the as-of query for one fact, at growing log sizes.

Before it runs, `prepare_history` corrects a sample of facts spread over the corpus (ours through
Archive.correct_fact, the peer through its aggregate's `correct` and `save`), so each sampled fact has
two versions and the instant `as_of`, taken just before the corrections, names the superseded one.

Measured, interleaved, on the same database:
- ours-view: `Reads.fact(fact_id, as_of)`, what GET /facts/{id}?as_of= returns (the version
  row, the entity labels, the citation states, built into a FactView);
- ours-version_at: `fact_versions.version_at` alone (the single as-of statement, through SQLAlchemy);
- raw: the one statement ours-view sends, compiled for the bare driver (asyncpg / aiosqlite), rows only;
- peer: eventsourcing `repository.get(id, version=1)`, which replays the aggregate's events.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bench import corpus
from bench.common import Databases, Results, Row, interleave, log, ratio, summary

SAMPLE = 200


def sample_numbers(total: int, k: int = SAMPLE) -> list[int]:
    """Fact numbers spread evenly over the corpus."""
    step = max(1, total // k)
    return [min(total - 1, i * step + (i * 7919) % step) for i in range(min(k, total))]


async def prepare_history(dbs: Databases, url: str, peer_db: str, total: int) -> datetime:
    """Correct the sampled facts once, in ours and in the peer; return an instant before the corrections."""
    from archive.bootstrap import wire
    from archive.commands import CommandMeta
    from archive.domain.events import Citation, FactChanges
    from archive.storage.engine import create_engine
    from bench.peer import PeerArchive, peer_id

    numbers = sample_numbers(total)
    as_of = datetime.now(UTC)
    await asyncio.sleep(0.01)
    engine = create_engine(url)
    archive = wire(engine).commands
    meta = CommandMeta(actor="bench", reason="history for as-of queries")
    shas: dict[int, str] = {}
    try:
        for n in numbers:
            f = corpus.fact(n)
            if f.batch not in shas:
                shas[f.batch] = corpus.source_sha(f.batch)
            await archive.correct_fact(
                fact_id=corpus.fact_id(n),
                expected_version=1,
                changes=FactChanges(valid_to=str(int(f.valid_to) + 1)),
                reason_code="valid_time_shift",
                justification="bench: the term ended a year later",
                citations=[Citation(corpus.source_id(f.batch), shas[f.batch], f.line, f.line, f.text)],
                meta=meta,
            )
    finally:
        await engine.dispose()

    def peer_side() -> None:
        app = PeerArchive(dbs.peer_env(peer_db))
        try:
            for n in numbers:
                aggregate = app.repository.get(peer_id(n))
                f = corpus.fact(n)
                aggregate.correct(
                    changes={"valid_to": str(int(f.valid_to) + 1)},
                    justification="bench: the term ended a year later",
                    citations=[],
                )
                app.save(aggregate)
        finally:
            app.close()

    await asyncio.to_thread(peer_side)
    return as_of


class RawAsOf:
    """The statement Reads.fact issues, with the bare driver."""

    def __init__(self, backend: str, dsn: str) -> None:
        self.backend = backend
        self.dsn = dsn

    async def open(self, statement: str, parameters: Sequence[Any], fact_id: str, as_of: Any) -> None:
        """`statement` and `parameters`: what Reads.fact sent to the driver for `fact_id`, `as_of`.

        Raw runs that very statement (one: version, citations, labels), so it pays for the same query
        but not for SQLAlchemy, the pool or the view; the positions of the fact id and the moment in
        the parameters are found by their values.
        """
        self.sql = statement
        self.template = [
            "fact_id" if value == fact_id else "as_of" if value == as_of else value for value in parameters
        ]
        if self.backend == "sqlite":
            # sqlite3 on the calling thread, as ours runs this read (archive.point_reads): the bare driver.
            import sqlite3

            self.conn = sqlite3.connect(self.dsn, isolation_level=None)
            self.conn.execute("PRAGMA busy_timeout=30000")
        else:
            import asyncpg

            self.conn = await asyncpg.connect(self.dsn)

    async def fact(self, fact_id: str, as_of: datetime) -> Any:
        moment: Any = as_of.strftime("%Y-%m-%d %H:%M:%S.%f") if self.backend == "sqlite" else as_of
        values = [fact_id if v == "fact_id" else moment if v == "as_of" else v for v in self.template]
        if self.backend == "sqlite":
            return self.conn.execute(self.sql, values).fetchall()
        return await self.conn.fetch(self.sql, *values)

    async def close(self) -> None:
        if self.backend == "sqlite":
            self.conn.close()
        else:
            await self.conn.close()


async def open_raw_as_of(backend: str, queries: Any, dsn: str, fact_id: str, as_of: datetime) -> RawAsOf:
    """A RawAsOf that runs the statement `queries.fact(fact_id, as_of)` sends, captured on its way out:
    from SQLAlchemy's events, or, on a SQLite file, where ours hands the read to `sqlite3` itself
    (`archive.storage.sqlite.point_reads`), as the SQL and values it gives the driver."""
    from sqlalchemy import Engine, event

    sent: list[tuple[str, Sequence[Any]]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        sent.append((statement, parameters))

    reads = queries._point_reads
    read = reads.all

    async def capture_inline(statement: Any, parameters: Any) -> Any:
        if reads.inline:
            driver = reads.compiled(statement)
            sent.append((driver.sql, driver.parameters(parameters)))
        return await read(statement, parameters)

    event.listen(Engine, "before_cursor_execute", capture)
    reads.all = capture_inline
    try:
        await queries.fact(fact_id, as_of)
    finally:
        event.remove(Engine, "before_cursor_execute", capture)
        del reads.all
    assert len(sent) == 1, sent
    moment: Any = as_of.strftime("%Y-%m-%d %H:%M:%S.%f") if backend == "sqlite" else as_of
    raw = RawAsOf(backend, dsn)
    await raw.open(sent[0][0], sent[0][1], fact_id, moment)
    return raw


async def _one_size(
    dbs: Databases,
    total: int,
    url: str,
    dsn: str,
    peer_db: str,
    as_of: datetime,
    queries: int,
    reps: int,
    label: str,
) -> dict[str, list[float]]:
    """Latencies (ms) of each implementation at one corpus size."""
    from archive.bootstrap import wire
    from archive.projections import fact_versions
    from archive.storage.engine import create_engine
    from bench.peer import PeerArchive, peer_id

    numbers = sample_numbers(total)
    ids = {n: corpus.fact_id(n) for n in numbers}
    engine = create_engine(url)
    queries_api = wire(engine).reads
    raw = await open_raw_as_of(dbs.backend, queries_api, dsn, ids[numbers[0]], as_of)
    app = PeerArchive(dbs.peer_env(peer_db))
    rng = random.Random(total)

    async def ours_view(fact_id: str, n: int) -> None:
        view = await queries_api.fact(fact_id, as_of)
        assert view.version == 1, view

    async def ours_version_at(fact_id: str, n: int) -> None:
        async with engine.connect() as conn:
            row = await fact_versions.version_at(conn, fact_id, as_of)
        assert row is not None
        assert row.version == 1

    async def raw_sql(fact_id: str, n: int) -> None:
        rows = await raw.fact(fact_id, as_of)
        assert rows, fact_id

    async def peer(fact_id: str, n: int) -> None:
        aggregate = app.repository.get(peer_id(n), version=1)
        assert aggregate.version == 1

    impls = {"ours-view": ours_view, "ours-version_at": ours_version_at, "raw": raw_sql, "peer": peer}
    latencies: dict[str, list[float]] = {name: [] for name in impls}
    log(f"case 6: as-of at {label}, {reps} x {queries} queries each of {list(impls)}")
    try:
        for impl in impls.values():  # warm-up
            for n in numbers[:20]:
                await impl(ids[n], n)
        for rep in range(reps):
            picks = [rng.choice(numbers) for _ in range(queries)]
            for name in interleave(list(impls), rep):
                impl = impls[name]
                for n in picks:
                    started = time.perf_counter()
                    await impl(ids[n], n)
                    latencies[name].append((time.perf_counter() - started) * 1000)
    finally:
        await raw.close()
        await engine.dispose()
        app.close()
    return latencies


async def run_asof(
    dbs: Databases,
    results: Results,
    sizes: dict[int, tuple[str, str, str, int, datetime]],
    queries: int,
    reps: int,
) -> None:
    """`sizes`: facts → (our URL, our raw DSN, peer db name, events in the log, as_of)."""
    medians: dict[int, dict[str, float]] = {}
    for total, (url, dsn, peer_db, events, as_of) in sizes.items():
        variant = f"{events:,} events"
        latencies = await _one_size(dbs, total, url, dsn, peer_db, as_of, queries, reps, variant)
        medians[total] = {}
        for name, values in latencies.items():
            stats = summary(values)
            medians[total][name] = stats["median"]
            results.add(
                Row("6", variant, name, "ms", stats["median"], stats["p99"], {"queries": len(values)})
            )
        results.verdict(
            "6", variant, "p50 ours-view/raw SQL", ratio(medians[total]["ours-view"], medians[total]["raw"]),
            "<= 3x", "<=", 3.0,
        )  # fmt: skip
        results.verdict(
            "6", variant, "p50 ours-version_at/raw SQL (info)",
            ratio(medians[total]["ours-version_at"], medians[total]["raw"]), "-", ">=", 0.0,
        )  # fmt: skip
        results.verdict(
            "6", variant, "p50 peer/ours-view (info: >1 means ours is faster)",
            ratio(medians[total]["peer"], medians[total]["ours-view"]), "-", ">=", 0.0,
        )  # fmt: skip
    if len(medians) >= 2:
        smallest, largest = min(medians), max(medians)
        for name in ("ours-view", "ours-version_at"):
            results.verdict(
                "6", f"{smallest:,} -> {largest:,} facts", f"p50 growth {name}",
                ratio(medians[largest][name], medians[smallest][name]), "< 2x", "<", 2.0,
            )  # fmt: skip
