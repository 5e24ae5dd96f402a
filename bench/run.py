"""The benchmark suite: every case of issue #7 (and #5's HTTP latency as case 5a) on SQLite and PostgreSQL.

    python -m bench [--backend sqlite,postgres] [--quick] [--cases 1,2,3,4,5,5a,6,7]
                    [--million auto|always|never] [--budget SECONDS]

Each run makes its own databases (PostgreSQL: `<name>_bench_<pid>` on the cluster named by
BENCH_POSTGRES_URL or ARCHIVE_TEST_POSTGRES_URL, default the local archive_test; SQLite: files in a
temporary directory) and drops them at the end. It prints a table and writes
bench/results/<date>-<backend>.json for each backend (`results_path` names a partial run apart). Only a
full run judges its ratios against their targets: `--quick` prints the ratios alone.

The 10^6 tier (case 4 and 5 at 10^6 facts, case 6 at 10^6) is expensive. With `--million auto` (the
default) it runs only when the time projected from the measured 10^5 rates fits in what is left of
`--budget` (default 1800 s for the whole run); otherwise the table says it was skipped, with the
projection. `--million always` runs it regardless.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import (
    DEFAULT_POSTGRES_URL,
    RESULTS,
    ROOT,
    Databases,
    Results,
    Row,
    log,
    pg_settings,
)

ALL_CASES = ["1", "2", "3", "4", "5", "6", "5a", "7", "8"]


class Plan:
    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.append_seconds = 0.5 if quick else 2.0
        self.reps = 3 if quick else 5
        self.concurrency = [1, 2, 4]
        self.small = 2_000 if quick else 10_000
        self.medium = 10_000 if quick else 100_000
        self.large = 1_000_000
        self.rebuild_reps = 3  # one rebuild of ours at 10^5 takes about a minute: 3 fit the budget, 5 do not
        self.rebuild_reps_large = 3
        self.asof_queries = 30 if quick else 100
        self.http_requests = 20
        # A wrk run at 64 connections makes thousands of requests in 4 s; runs of 6 s took 40 s more a
        # backend (5 runs x 2 routes x 2 worker counts), which a slow machine's budget did not have.
        self.load_seconds = 2.0 if quick else 4.0
        self.load_reps = 2 if quick else 5
        self.connections = 64
        self.workers = int(os.environ.get("BENCH_WORKERS", "2"))
        self.writer_seconds = 1.0 if quick else 4.0
        self.writer_reps = 2 if quick else 3


def postgres_url() -> str:
    url = (
        os.environ.get("BENCH_POSTGRES_URL")
        or os.environ.get("ARCHIVE_TEST_POSTGRES_URL")
        or DEFAULT_POSTGRES_URL
    )
    for prefix in ("postgresql+asyncpg://", "postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql://" + url[len(prefix) :]
    return url


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "archive", "api"], cwd=ROOT, capture_output=True, text=True
        )
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def event_count(dbs: Databases, name: str) -> int:
    async def run() -> int:
        from archive.bootstrap import event_registry
        from archive.eventstore import EventStore
        from archive.storage.engine import create_engine

        engine = create_engine(dbs.archive_url(name))
        try:
            return await EventStore(engine, event_registry()).count()
        finally:
            await engine.dispose()

    return asyncio.run(run())


# -- one backend -------------------------------------------------------------------------------------------


def run_backend(
    backend: str, plan: Plan, cases: list[str], million: str, deadline: float, backends_left: int
) -> Results:
    from bench.cases import append, asof, bulk, http, writers

    results = Results(backend, judged=not plan.quick)
    results.meta.update(
        {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "backend": backend,
            "quick": plan.quick,
            "cases": cases,
            "commit": git_commit(),
            "python": platform.python_version(),
            "machine": f"{os.cpu_count()} cpus, {platform.machine()}, {platform.platform()}",
            "load_average_at_start": os.getloadavg(),
        }
    )
    dbs = Databases(backend, postgres_url())
    if backend == "postgres":
        results.meta["postgres"] = pg_settings(postgres_url())
        if results.meta["postgres"]["synchronous_commit"] != "on":
            raise RuntimeError("synchronous_commit is not on: this suite measures durable commits")
    else:
        import sqlite3

        results.meta["sqlite"] = {
            "version": sqlite3.sqlite_version,
            "ours": "WAL, synchronous=FULL (archive.db pragma listener), BEGIN IMMEDIATE for writes",
            "peer": (
                "WAL (its pool's default), synchronous=FULL set by bench.common.patch_peer_sqlite_synchronous"
            ),
            "raw": "WAL, synchronous=FULL set by the bench on each connection",
        }
    try:

        def timed(name: str, fn: Any, *args: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args)
            finally:
                results.timings[name] = round(time.perf_counter() - started, 1)
                log(f"{backend}: {name} took {results.timings[name]:.0f}s")

        if "1" in cases or "2" in cases:
            timed(
                "cases 1-2",
                asyncio.run,
                append.run_append_cases(dbs, results, plan.append_seconds, plan.reps, plan.concurrency),
            )
        if "3" in cases:
            timed(
                "case 3",
                asyncio.run,
                append.run_correction_case(dbs, results, plan.append_seconds, plan.reps),
            )
        if "8" in cases:
            timed(
                "case 8",
                asyncio.run,
                writers.run_writers_case(dbs, results, plan.writer_seconds, plan.writer_reps),
            )

        needs_corpus = any(c in cases for c in ("4", "5", "6", "5a", "7"))
        sizes: dict[int, dict[str, Any]] = {}
        if needs_corpus:
            for total in (plan.small, plan.medium):
                info = timed(f"case 4 @ {total:,}", bulk.run_ingest, dbs, results, total, "4" in cases)
                sizes[total] = {"ingest": info}
            # The 10^6 tier: project its cost from the medium size, run it if it fits.
            medium = sizes[plan.medium]["ingest"]["seconds"]
            scale = plan.large / plan.medium
            projected = scale * sum(medium.values()) * 1.3 + 60  # indexes grow: +30%; rebuild/as-of +60 s
            for total in sorted(sizes):
                n = bulk.names(total)
                as_of = asyncio.run(asof.prepare_history(dbs, dbs.archive_url(n["ours"]), n["peer"], total))
                sizes[total]["as_of"] = as_of
                sizes[total]["events"] = event_count(dbs, n["ours"])
            if "5" in cases:
                reb = timed(
                    f"case 5 @ {plan.medium:,}", bulk.run_rebuild, dbs, results, plan.medium,
                    sizes[plan.medium]["events"], plan.rebuild_reps,
                )  # fmt: skip
                projected = (
                    scale * sum(medium.values()) * 1.3
                    + plan.rebuild_reps_large * scale * sum(reb["seconds"].values())
                    + 60
                )
            # What the rest of this backend (cases 6, 5a, 7: about 220 s) and each later backend (about 720 s
            # at 10^5, measured) still need.
            reserve = 720 * (backends_left - 1) + 220
            left = deadline - time.time() - reserve
            run_large = million == "always" or (million == "auto" and projected <= left)
            results.meta["million_tier"] = {
                "projected_s": round(projected),
                "budget_left_s": round(left),
                "ran": run_large,
                "mode": million,
            }
            if run_large:
                info = timed(
                    f"case 4 @ {plan.large:,}", bulk.run_ingest, dbs, results, plan.large, "4" in cases
                )
                n = bulk.names(plan.large)
                sizes[plan.large] = {
                    "ingest": info,
                    "as_of": asyncio.run(
                        asof.prepare_history(dbs, dbs.archive_url(n["ours"]), n["peer"], plan.large)
                    ),
                    "events": event_count(dbs, n["ours"]),
                }
                if "5" in cases:
                    timed(
                        f"case 5 @ {plan.large:,}", bulk.run_rebuild, dbs, results, plan.large,
                        sizes[plan.large]["events"], plan.rebuild_reps_large,
                    )  # fmt: skip
            else:
                log(
                    f"{backend}: 10^6 tier skipped: projected {projected:.0f}s, "
                    f"{left:.0f}s left in the budget"
                )
                note = (
                    f"skipped: projected {projected:.0f} s from the measured {plan.medium:,} rates "
                    f"(x{scale:g}), {max(left, 0):.0f} s left of the budget; run with --million always"
                )
                for case in ("4", "5", "6"):
                    if case in cases:
                        results.add(
                            Row(case, f"{plan.large:,}", "(not run)", "-", math.nan, None, {"note": note})
                        )
            if "6" in cases:
                timed(
                    "case 6", asyncio.run,
                    asof.run_asof(
                        dbs, results,
                        {
                            total: (
                                dbs.archive_url(bulk.names(total)["ours"]),
                                dbs.raw_dsn(bulk.names(total)["ours"]),
                                bulk.names(total)["peer"],
                                info["events"],
                                info["as_of"],
                            )
                            for total, info in sorted(sizes.items())
                        },
                        plan.asof_queries, plan.reps,
                    ),
                )  # fmt: skip
            if "5a" in cases:
                timed(
                    "case 5a", asyncio.run,
                    http.run_http_latency(
                        dbs, results,
                        {
                            total: (
                                dbs.archive_url(bulk.names(total)["ours"]),
                                dbs.raw_dsn(bulk.names(total)["ours"]),
                                info["events"],
                                info["as_of"],
                            )
                            for total, info in sorted(sizes.items())
                        },
                        plan.http_requests, plan.reps, plan.workers,
                    ),
                )  # fmt: skip
            if "7" in cases:
                largest = max(sizes)
                info = sizes[largest]
                url = dbs.archive_url(bulk.names(largest)["ours"])
                timed(
                    "case 7", http.run_load, results, url, info["events"], largest, info["as_of"],
                    plan.load_seconds, plan.load_reps, plan.connections, plan.workers,
                )  # fmt: skip
            results.meta["corpus_events"] = {str(t): i["events"] for t, i in sizes.items()}
            if "4" in cases and len(sizes) >= 2:
                _rss_verdicts(results, sizes)
    finally:
        dbs.close()
    return results


def _rss_verdicts(results: Results, sizes: dict[int, dict[str, Any]]) -> None:
    ordered = sorted(sizes)
    small, large = ordered[0], ordered[-1]
    growth = sizes[large]["ingest"]["rss"]["ours"] / sizes[small]["ingest"]["rss"]["ours"]
    results.verdict(
        "4",
        f"{small:,} -> {large:,} facts",
        "ours peak RSS growth (ingest)",
        growth,
        "flat (<= 1.25x)",
        "<=",
        1.25,
    )
    rebuilds = [r for r in results.rows if r.case == "5" and r.impl == "ours" and "peak_rss_mb" in r.extra]
    if len(rebuilds) >= 2:
        growth = rebuilds[-1].extra["peak_rss_mb"] / rebuilds[0].extra["peak_rss_mb"]
        results.verdict(
            "5", f"{rebuilds[0].variant} -> {rebuilds[-1].variant}", "ours peak RSS growth (rebuild)", growth,
            "flat (<= 1.25x)", "<=", 1.25,
        )  # fmt: skip


# -- output ----------------------------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 100 or (digits == 0 and abs(value) >= 10):
        return f"{value:,.0f}"
    return f"{value:,.{max(digits, 2)}f}"


def table(results: Results) -> str:
    lines = [f"## {results.backend}", ""]
    lines.append("| case | variant | impl | median | p99 | unit | detail |")
    lines.append("| --- | --- | --- | ---: | ---: | --- | --- |")
    for row in results.rows:
        detail = ""
        extra = row.extra
        if "latency_ms_p50" in extra:
            detail = (
                f"commit latency p50 {fmt(extra['latency_ms_p50'], 2)} ms, "
                f"p99 {fmt(extra['latency_ms_p99'], 2)} ms"
            )
        elif "batch_ms_median" in extra:
            detail = (
                f"2000-fact batch p50 {fmt(extra['batch_ms_median'])} ms, "
                f"p99 {fmt(extra['batch_ms_p99'])} ms; "
                f"total {fmt(extra['total_s'], 1)} s; peak RSS {fmt(extra['peak_rss_mb'])} MiB"
            )
            if "rows_per_fact" in extra:
                detail += (
                    f"; writes {fmt(extra['rows_per_fact'], 1)} rows, "
                    f"{fmt(extra['bytes_per_fact'])} bytes a fact"
                )
        elif "seconds_median" in extra:
            detail = (
                f"{fmt(extra['seconds_median'], 2)} s median ({extra['seconds_per_rep']}); "
                f"peak RSS {fmt(extra['peak_rss_mb'])} MiB"
            )
        elif "rps_per_rep" in extra:
            detail = (
                f"latency p50 {fmt(extra['latency_ms_p50_median'], 2)} ms, "
                f"p99 {fmt(extra['latency_ms_p99_median'], 2)} ms "
                f"(medians over reps)"
            )
        elif "note" in extra:
            detail = extra["note"]
        lines.append(
            f"| {row.case} | {row.variant} | {row.impl} | {fmt(row.median, 2)} | {fmt(row.p99, 2)} "
            f"| {row.metric} | {detail} |"
        )
    if results.judged:
        lines += [
            "",
            "| case | variant | ratio | value | target | met |",
            "| --- | --- | --- | ---: | --- | --- |",
        ]
        for v in results.verdicts:
            met = "-" if v.target == "-" else ("yes" if v.met else ("n/a" if v.met is None else "**no**"))
            lines.append(f"| {v.case} | {v.variant} | {v.what} | {fmt(v.value, 2)} | {v.target} | {met} |")
    else:
        lines += [
            "",
            "Quick run: the ratios only. Targets are judged on full runs (`make bench`).",
            "",
            "| case | variant | ratio | value |",
            "| --- | --- | --- | ---: |",
        ]
        for v in results.verdicts:
            lines.append(f"| {v.case} | {v.variant} | {v.what} | {fmt(v.value, 2)} |")
    lines += ["", "Wall time per case: " + ", ".join(f"{k} {v:.0f}s" for k, v in results.timings.items())]
    return "\n".join(lines)


def results_path(results: Results, directory: Path = RESULTS) -> Path:
    """Where a run's JSON goes: `<date>-<backend>[-cases-...][-million][-quick].json`, never over another.

    A run of some cases, or a quick one, is named for what it ran, so that it cannot replace the day's
    full run; a second run of the same kind on the same day gets `-2`, `-3`, ...
    """
    stamp = str(results.meta.get("date", datetime.now(UTC).isoformat()))[:10]
    cases = results.meta.get("cases", ALL_CASES)
    name = f"{stamp}-{results.backend}"
    if set(cases) != set(ALL_CASES):
        name += "-cases-" + "-".join(cases)
    if results.meta.get("million_tier", {}).get("ran"):
        name += "-million"
    if results.meta.get("quick"):
        name += "-quick"
    path, n = directory / f"{name}.json", 1
    while path.exists():
        n += 1
        path = directory / f"{name}-{n}.json"
    return path


def write_json(results: Results) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = results_path(results)

    def clean(value: Any) -> Any:
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        if isinstance(value, datetime):
            return value.isoformat()
        return value

    payload = {
        "meta": results.meta,
        "timings_s": results.timings,
        "rows": [asdict(r) for r in results.rows],
        "ratios": [asdict(v) for v in results.verdicts],
    }
    path.write_text(json.dumps(clean(payload), indent=2) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--backend", default="sqlite,postgres", help="sqlite, postgres or both (comma-separated)"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes and short runs, for development")
    parser.add_argument("--cases", default=",".join(ALL_CASES), help="which cases (default: all)")
    parser.add_argument("--million", choices=["auto", "always", "never"], default="auto")
    parser.add_argument(
        "--budget", type=float, default=1800.0, help="seconds the whole run may take (default 1800)"
    )
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backend.split(",") if b.strip()]
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in cases if c not in ALL_CASES] + [
        b for b in backends if b not in ("sqlite", "postgres")
    ]
    if unknown:
        parser.error(f"unknown case or backend: {unknown}")
    plan = Plan(args.quick)
    started = time.time()
    deadline = started + args.budget
    million = "never" if args.quick else args.million
    outputs = []
    for index, backend in enumerate(backends):
        log(f"=== {backend} ({'quick' if plan.quick else 'full'}) ===")
        results = run_backend(backend, plan, cases, million, deadline, len(backends) - index)
        results.meta["wall_s"] = round(sum(results.timings.values()), 1)
        path = write_json(results)
        outputs.append(table(results))
        print("\n" + outputs[-1] + "\n", flush=True)
        log(f"wrote {path.relative_to(ROOT)}")
    print("\n\n".join(outputs))
    print(f"\nwhole run: {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
