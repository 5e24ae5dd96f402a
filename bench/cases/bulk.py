"""Cases 4 and 5: bulk ingest and full replay, each implementation in its own subprocess per size.

Case 4 drives three workers in lock step, batch by batch (the order rotates each batch):
- ours: `Archive.ingest_facts` with 2000 synthetic facts a call (the bulk path: one query for the
  context, one for the facts' states, the decider for each fact, one multi-row append, one statement per
  read model). Each batch's source document (2000 lines) is registered first, untimed.
- raw: the same rows (events + fact_versions, relations x2, roles, timeline x3, citations,
  citations_by_line: ten rows a fact) with the bare driver in one transaction a batch: COPY on
  PostgreSQL, executemany on SQLite. Rows are built before the clock starts.
- peer: eventsourcing, one aggregate a fact, `Application.save` of 1000 aggregates at a time (two saves a
  batch), inputs built before the clock starts.
Each database's rows (by table) and bytes are measured before the first batch and after the last, and
reported per fact: what a fact costs to store, beside what it costs in time.
Case 5 replays what case 4 wrote, one fresh subprocess per repetition (order rotating):
- ours: `rebuild()` (clear every read model, replay read_all in pages of 2000 through the Projector,
  one transaction);
- raw-rebuild, the floor ours is judged against: the same rows into fresh tables and the same indexes
  built after them, with the bare driver (bench.worker.RawRebuild);
- peer: select_notifications pages of 2000, mapper.to_domain_event, fold into a dict (information: it
  writes nothing);
- raw: SELECT pages of 2000 from `events` with the bare driver, decode the JSON, fold into a dict
  (information: reading the log alone).
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench import corpus
from bench.common import (
    Databases,
    Results,
    Row,
    WorkerProc,
    footprint,
    interleave,
    log,
    peer_row_count,
    ratio,
    summary,
    vacuum_analyze,
    written_per_fact,
)
from bench.worker import registered_database


def names(total: int) -> dict[str, str]:
    tag = f"{total}"
    return {"ours": f"ingest{tag}", "raw": f"ingestraw{tag}", "peer": f"es_ingest{tag}"}


def run_ingest(dbs: Databases, results: Results, total: int, report: bool = True) -> dict[str, Any]:
    """Case 4 at `total` facts. Leaves the three databases in place for cases 5, 6, 5a and 7."""
    db = names(total)
    ours_url = asyncio.run(registered_database(dbs, db["ours"]))
    dbs.create(db["raw"])
    dbs.create(db["peer"], migrate=False)
    workers = {
        "ours": WorkerProc("ours-ingest", {"url": ours_url, "registered": True}),
        "raw": WorkerProc("raw-ingest", {"dsn": dbs.raw_dsn(db["raw"]), "backend": dbs.backend}),
        "peer": WorkerProc("peer-ingest", {"env": dbs.peer_env(db["peer"])}),
    }
    seconds: dict[str, list[float]] = {name: [] for name in workers}
    rss: dict[str, float] = {}
    batches = (total + corpus.BATCH - 1) // corpus.BATCH
    try:
        for worker in workers.values():
            worker.call("setup")
        before = {name: footprint(dbs.backend, dbs.raw_dsn(db[name])) for name in workers}
        log(f"case 4: ingest {total:,} facts, {batches} batches of {corpus.BATCH}, interleaved per batch")
        every = max(1, batches // 10)
        for b in range(batches):
            for name in interleave(list(workers), b):
                seconds[name].append(float(workers[name].call("batch", b=b, total=total)["seconds"]))
            if (b + 1) % every == 0:
                done = (b + 1) * corpus.BATCH
                log(
                    f"  {min(done, total):,} facts: "
                    + ", ".join(
                        f"{n} {corpus.BATCH * every / sum(s[-every:]):,.0f} facts/s"
                        for n, s in seconds.items()
                    )
                )
        for name, worker in workers.items():
            rss[name] = worker.stop()
    finally:
        for worker in workers.values():
            worker.kill()
    written = {
        name: written_per_fact(before[name], footprint(dbs.backend, dbs.raw_dsn(db[name])), total)
        for name in workers
    }
    # The peer application names its table after itself on PostgreSQL (benchpeer_events).
    table = "benchpeer_events" if dbs.backend == "postgres" else "stored_events"
    peer_rows = peer_row_count(dbs.backend, dbs.raw_dsn(db["peer"]), table)
    if peer_rows != total:
        raise RuntimeError(f"the peer wrote {peer_rows} rows to its database, not {total}")
    results.meta.setdefault("peer_rows_written", {})[f"case4 {total}"] = peer_rows
    asyncio.run(vacuum_analyze(dbs.backend, dbs.raw_dsn(db["ours"])))
    if dbs.backend == "postgres":
        asyncio.run(vacuum_analyze(dbs.backend, dbs.raw_dsn(db["peer"])))
    throughput = {name: total / sum(values) for name, values in seconds.items()}
    if report:
        variant = f"{total:,} facts"
        for name, values in seconds.items():
            per_batch = summary([v * 1000 for v in values])
            results.add(
                Row(
                    "4", variant, name, "facts/s", throughput[name], None,
                    {
                        "batch_ms_median": per_batch["median"],
                        "batch_ms_p99": per_batch["p99"],
                        "batch_facts_s_median": corpus.BATCH / (per_batch["median"] / 1000),
                        "total_s": sum(values),
                        "peak_rss_mb": rss[name],
                        **written[name],
                    },
                )
            )  # fmt: skip
        ingest_verdicts(results, variant, throughput, written)
    return {"throughput": throughput, "rss": rss, "seconds": {n: sum(v) for n, v in seconds.items()}}


def ingest_verdicts(
    results: Results, variant: str, throughput: dict[str, float], written: dict[str, dict[str, Any]]
) -> None:
    """Case 4 is judged against raw, which writes our rows with the bare driver (>= 0.7x); the peer,
    which writes one row a fact, and the rows and bytes each writes per fact are reported beside it."""
    results.verdict(
        "4", variant, "ours/raw facts/s", ratio(throughput["ours"], throughput["raw"]), ">= 0.7x", ">=", 0.7
    )
    results.verdict(
        "4", variant, "ours/peer facts/s (no target)", ratio(throughput["ours"], throughput["peer"]),
        "-", ">=", 0.0,
    )  # fmt: skip
    for key, what in (("rows_per_fact", "rows"), ("bytes_per_fact", "bytes")):
        others = f"raw {written['raw'][key]:,.1f}, peer {written['peer'][key]:,.1f}"
        results.verdict(
            "4", variant, f"ours {what} written per fact (info: lower is better; {others})",
            written["ours"][key], "-", ">=", 0.0,
        )  # fmt: skip


def rebuild_verdicts(results: Results, variant: str, rates: dict[str, float]) -> None:
    """Case 5 is judged against the raw rebuild, which writes the same rows and builds the same indexes
    (>= 0.8x); the peer's fold and raw's read of the log write nothing, and are reported as information."""
    results.verdict(
        "5", variant, "ours/raw-rebuild ev/s", ratio(rates["ours"], rates["raw-rebuild"]),
        ">= 0.8x", ">=", 0.8,
    )  # fmt: skip
    results.verdict(
        "5", variant, "ours/peer ev/s (info: the peer only folds in memory)",
        ratio(rates["ours"], rates["peer"]), "-", ">=", 0.0,
    )  # fmt: skip
    results.verdict(
        "5", variant, "ours/raw ev/s (info: raw only reads the log)", ratio(rates["ours"], rates["raw"]),
        "-", ">=", 0.0,
    )  # fmt: skip


def run_rebuild(dbs: Databases, results: Results, total: int, events: int, reps: int) -> dict[str, Any]:
    """Case 5 over the log case 4 left at `total` facts (`events` events in our log)."""
    db = names(total)
    configs = {
        "ours": ("ours-rebuild", {"url": dbs.archive_url(db["ours"])}),
        "raw-rebuild": ("raw-rebuild", {"dsn": dbs.raw_dsn(db["ours"]), "backend": dbs.backend}),
        "peer": ("peer-fold", {"env": dbs.peer_env(db["peer"])}),
        "raw": ("raw-page", {"dsn": dbs.raw_dsn(db["ours"]), "backend": dbs.backend}),
    }
    seconds: dict[str, list[float]] = {name: [] for name in configs}
    counted: dict[str, int] = {}
    rss: dict[str, list[float]] = {name: [] for name in configs}
    log(f"case 5: replay at {events:,} events, {reps} repetitions of {list(configs)}, a process each")
    for rep in range(reps):
        for name in interleave(list(configs), rep):
            kind, config = configs[name]
            worker = WorkerProc(kind, config)
            try:
                found = worker.call("run")
                rss[name].append(worker.stop())
            finally:
                worker.kill()
            seconds[name].append(float(found["seconds"]))
            counted[name] = int(found["events"])
            if name == "ours":
                asyncio.run(vacuum_analyze(dbs.backend, dbs.raw_dsn(db["ours"])))
        log(f"  rep {rep + 1}: " + ", ".join(f"{n} {s[-1]:.1f}s" for n, s in seconds.items() if s))
    variant = f"{counted['ours']:,} events"
    rates: dict[str, float] = {}
    for name, values in seconds.items():
        stats = summary(values)
        rates[name] = counted[name] / stats["median"]
        results.add(
            Row(
                "5", variant, name, "ev/s", rates[name], counted[name] / stats["max"],
                {
                    "seconds_median": stats["median"],
                    "seconds_max": stats["max"],
                    "seconds_per_rep": [round(v, 2) for v in values],
                    "events": counted[name],
                    "peak_rss_mb": max(rss[name]),
                },
            )
        )  # fmt: skip
    rebuild_verdicts(results, variant, rates)
    if total >= 10**6:
        results.verdict(
            "5",
            variant,
            "ours rebuild seconds (median)",
            summary(seconds["ours"])["median"],
            "<= 60 s",
            "<=",
            60.0,
        )
    return {
        "seconds": {n: summary(v)["median"] for n, v in seconds.items()},
        "rss": {n: max(v) for n, v in rss.items()},
    }
