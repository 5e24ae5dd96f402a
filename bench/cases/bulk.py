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
Case 5 replays what case 4 wrote, one fresh subprocess per repetition (order rotating):
- ours: `rebuild()` (clear every read model, replay read_all in pages of 2000 through the Projector,
  one transaction);
- peer: select_notifications pages of 2000, mapper.to_domain_event, fold into a dict;
- raw: SELECT pages of 2000 from `events` with the bare driver, decode the JSON, fold into a dict.
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
    interleave,
    log,
    peer_row_count,
    ratio,
    summary,
    vacuum_analyze,
)


def names(total: int) -> dict[str, str]:
    tag = f"{total}"
    return {"ours": f"ingest{tag}", "raw": f"ingestraw{tag}", "peer": f"es_ingest{tag}"}


def run_ingest(dbs: Databases, results: Results, total: int, report: bool = True) -> dict[str, Any]:
    """Case 4 at `total` facts. Leaves the three databases in place for cases 5, 6, 5a and 7."""
    db = names(total)
    ours_url = dbs.create(db["ours"])
    dbs.create(db["raw"])
    dbs.create(db["peer"], migrate=False)
    workers = {
        "ours": WorkerProc("ours-ingest", {"url": ours_url}),
        "raw": WorkerProc("raw-ingest", {"dsn": dbs.raw_dsn(db["raw"]), "backend": dbs.backend}),
        "peer": WorkerProc("peer-ingest", {"env": dbs.peer_env(db["peer"])}),
    }
    seconds: dict[str, list[float]] = {name: [] for name in workers}
    rss: dict[str, float] = {}
    batches = (total + corpus.BATCH - 1) // corpus.BATCH
    try:
        for worker in workers.values():
            worker.call("setup")
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
    # The peer application names its table after itself on PostgreSQL (benchpeer_events).
    table = "benchpeer_events" if dbs.backend == "postgres" else "stored_events"
    written = peer_row_count(dbs.backend, dbs.raw_dsn(db["peer"]), table)
    if written != total:
        raise RuntimeError(f"the peer wrote {written} rows to its database, not {total}")
    results.meta.setdefault("peer_rows_written", {})[f"case4 {total}"] = written
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
                    },
                )
            )  # fmt: skip
        results.verdict(
            "4",
            variant,
            "ours/raw facts/s",
            ratio(throughput["ours"], throughput["raw"]),
            ">= 0.5x",
            ">=",
            0.5,
        )
        results.verdict(
            "4",
            variant,
            "ours/peer facts/s",
            ratio(throughput["ours"], throughput["peer"]),
            ">= 2x",
            ">=",
            2.0,
        )
    return {"throughput": throughput, "rss": rss, "seconds": {n: sum(v) for n, v in seconds.items()}}


def run_rebuild(dbs: Databases, results: Results, total: int, events: int, reps: int) -> dict[str, Any]:
    """Case 5 over the log case 4 left at `total` facts (`events` events in our log)."""
    db = names(total)
    configs = {
        "ours": ("ours-rebuild", {"url": dbs.archive_url(db["ours"])}),
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
    results.verdict("5", variant, "ours/peer ev/s", ratio(rates["ours"], rates["peer"]), ">= 1.0x", ">=", 1.0)
    results.verdict(
        "5", variant, "ours/raw ev/s (no target)", ratio(rates["ours"], rates["raw"]), "-", ">=", 0.0
    )
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
