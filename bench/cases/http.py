"""Cases 5a and 7: the HTTP API, served for real (uvicorn running bench.server:create in a subprocess on
a free loopback port, the database given by DATABASE_URL).

5a (issue #5): sequential requests on one keep-alive connection, `GET /facts/{id}?as_of=` and
`GET /roles?valid_at=YEAR`, each interleaved with the same statements run directly with the bare driver.
7: `wrk` (64 connections, loopback, bounded by time) against `GET /facts/{id}?as_of=` (ids drawn from the
corrected sample) and against the hello-JSON route of the same server, alternating.
Both run with 1 uvicorn worker and then with BENCH_WORKERS (default 2), as `archive serve --workers N`
would, and state the ratio of the two (issue 24: what a second worker process buys).
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import corpus
from bench.cases.asof import RawAsOf, open_raw_as_of, sample_numbers
from bench.common import ROOT, Databases, Results, Row, interleave, log, ratio, summary


def worker_counts(workers: int) -> list[int]:
    """One worker (the baseline) and then `workers`, when that is more."""
    return sorted({1, workers})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """uvicorn serving bench.server:create for one database; stopped (by its own pid) on close."""

    def __init__(self, url: str, workers: int) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "ARCHIVE_LOG_FORMAT": "json",
            "ARCHIVE_LOG_LEVEL": "INFO",
        }
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - held open while the server runs
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "bench.server:create", "--factory",
                "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers),
                "--log-level", "warning", "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 60.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"the server exited: {self.log.read().decode(errors='replace')[-2000:]}")
            try:
                if httpx.get(self.base + "/bench/hello", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not answer within 60 s")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _years(total: int) -> list[int]:
    return sorted({int(corpus.fact(n).valid_from[:4]) for n in sample_numbers(total, 500)})


class RawRoles:
    """The statements Reads.roles issues for ?valid_at=YEAR (count, one page, labels), with the API's
    defaults: asserted roles of best rank, dated ones only.

    The valid-time conditions, the dated filter, the opt-in term and the order are `valid_during`,
    `roles_dated`, `OPT_IN_VALID_TIME_INDEX` and `VALID_TIME_ORDER` of `archive.projections.roles`, and best
    rank is `reads.filters.rank_condition` with `projections.fact_versions.outranked`, spelled as
    ix_roles_current_valid_time is (SQLite matches indexed expressions, and a partial index's WHERE, by how
    they are spelled). On SQLite the statements name their indexes as Reads does (`INDEXED BY`).
    Reads also looks up the names the listed entities bore in that year (`reads.names.names_for`); raw
    does not, so that lookup is on the HTTP side of the ratio alone.
    """

    OUTRANKED = (
        "SELECT outranked.fact_id FROM fact_versions AS outranked{by_subject} "
        "WHERE (outranked.subject, outranked.predicate) IN ("
        "SELECT preferred.subject, preferred.predicate FROM fact_versions AS preferred{by_preferred} "
        "WHERE preferred.rank = 'preferred' AND preferred.status != 'retracted' "
        "AND preferred.recorded_to IS NULL) "
        "AND outranked.rank = 'normal' AND outranked.recorded_to IS NULL"
    )
    WHERE = (
        "recorded_to IS NULL AND rank != 'deprecated' AND status != 'retracted' "
        "AND (rank != 'normal' OR fact_id NOT IN ({outranked})) "
        "AND coalesce(valid_earliest, '0001-01-01') <= {latest} "
        "AND coalesce(valid_latest, '9999-12-31') >= {earliest} "
        "AND ((valid_earliest IS NULL) = {false} OR coalesce(valid_latest, '9999-12-31') != '9999-12-31') "
        "AND modality = 'asserted' AND (valid_earliest IS NULL) IN ({false}, {true})"
    )
    ORDER = "valid_earliest IS NULL, coalesce(valid_earliest, '0001-01-01'), fact_id"

    def __init__(self, raw: RawAsOf) -> None:
        self.raw = raw

    async def roles(self, year: int) -> int:
        from datetime import date

        conn = self.raw.conn
        earliest, latest = date(year, 1, 1), date(year, 12, 31)
        if self.raw.backend == "sqlite":
            outranked = self.OUTRANKED.format(
                by_subject=" INDEXED BY ix_fact_versions_subject_recorded_to",
                by_preferred=" INDEXED BY ix_fact_versions_preferred",
            )
            where = self.WHERE.format(outranked=outranked, latest="?", earliest="?", false=0, true=1)
            params: tuple[Any, ...] = (latest.isoformat(), earliest.isoformat())
            roles = "roles INDEXED BY ix_roles_current_valid_time"
            # sqlite3, the bare driver (RawAsOf's connection)
            total = conn.execute(
                f"SELECT count(*) FROM (SELECT * FROM {roles} WHERE {where})", params
            ).fetchone()[0]
            if total == 0:  # as Reads: no page past the end, and no labels for no rows
                return 0
            rows = conn.execute(
                f"SELECT * FROM {roles} WHERE {where} ORDER BY {self.ORDER} LIMIT 50 OFFSET 0", params
            ).fetchall()
            ids = sorted(({r[2] for r in rows} | {r[3] for r in rows} | {r[5] for r in rows}) - {None})
            marks = ",".join("?" * len(ids))
            conn.execute(
                f"SELECT entity_id, label FROM entities WHERE entity_id IN ({marks})", ids
            ).fetchall()
            return int(total)
        outranked = self.OUTRANKED.format(by_subject="", by_preferred="")
        where = self.WHERE.format(outranked=outranked, latest="$1", earliest="$2", false="false", true="true")
        total = await conn.fetchval(
            f"SELECT count(*) FROM (SELECT * FROM roles WHERE {where}) AS anon", latest, earliest
        )
        if total == 0:
            return 0
        rows = await conn.fetch(
            f"SELECT * FROM roles WHERE {where} ORDER BY {self.ORDER} LIMIT 50 OFFSET 0", latest, earliest
        )
        ids = sorted(
            (
                {r["holder"] for r in rows}
                | {r["office_id"] for r in rows}
                | {r["organization_id"] for r in rows}
            )
            - {None}
        )
        await conn.fetch("SELECT entity_id, label FROM entities WHERE entity_id = ANY($1::varchar[])", ids)
        return int(total)


async def _latencies(
    dbs: Databases, total: int, url: str, dsn: str, events: int, as_of: datetime, requests: int, reps: int,
    workers: int,
) -> dict[str, list[float]]:  # fmt: skip
    """Request latencies (ms) of each route and of its raw SQL, at one corpus size."""
    import httpx

    numbers = sample_numbers(total)
    ids = [corpus.fact_id(n) for n in numbers]
    years = _years(total)
    server = Server(url, workers)
    from archive.bootstrap import wire
    from archive.storage.engine import create_engine

    engine = create_engine(url)
    raw: RawAsOf | None = None
    try:
        await asyncio.to_thread(server.wait_ready)
        raw = await open_raw_as_of(dbs.backend, wire(engine).reads, dsn, ids[0], as_of)
        roles_raw = RawRoles(raw)
        stamp = as_of.isoformat().replace("+00:00", "Z")
        async with httpx.AsyncClient(base_url=server.base, timeout=30) as client:

            async def http_fact(i: int) -> None:
                response = await client.get(f"/facts/{ids[i % len(ids)]}", params={"as_of": stamp})
                assert response.status_code == 200, response.text[:300]
                assert response.json()["version"] == 1

            async def raw_fact(i: int) -> None:
                await raw.fact(ids[i % len(ids)], as_of)

            async def http_roles(i: int) -> None:
                response = await client.get("/roles", params={"valid_at": str(years[i % len(years)])})
                assert response.status_code == 200, response.text[:300]

            async def raw_roles(i: int) -> None:
                await roles_raw.roles(years[i % len(years)])

            impls = {
                "http GET /facts/{id}?as_of": http_fact,
                "raw SQL (fact)": raw_fact,
                "http GET /roles?valid_at": http_roles,
                "raw SQL (roles)": raw_roles,
            }
            latencies: dict[str, list[float]] = {name: [] for name in impls}
            log(f"case 5a: HTTP latency at {events:,} events, {reps} x {requests} requests each")
            for impl in impls.values():
                for i in range(10):
                    await impl(i)
            rng = random.Random(total)
            for rep in range(reps):
                picks = [rng.randrange(10**6) for _ in range(requests)]
                for name in interleave(list(impls), rep):
                    for i in picks:
                        started = time.perf_counter()
                        await impls[name](i)
                        latencies[name].append((time.perf_counter() - started) * 1000)
    finally:
        await asyncio.to_thread(server.close)
        if raw is not None:
            await raw.close()
        await engine.dispose()
    return latencies


async def run_http_latency(
    dbs: Databases,
    results: Results,
    sizes: dict[int, tuple[str, str, int, datetime]],
    requests: int,
    reps: int,
    workers: int,
) -> None:
    """Case 5a, with one worker and with `workers`. `sizes`: facts → (our URL, raw DSN, events, as_of)."""
    for total, (url, dsn, events, as_of) in sizes.items():
        p50: dict[int, dict[str, float]] = {}
        for count in worker_counts(workers):
            latencies = await _latencies(dbs, total, url, dsn, events, as_of, requests, reps, count)
            variant = f"{events:,} events, {count} worker(s)"
            stats = {name: summary(values) for name, values in latencies.items()}
            p50[count] = {name: s["median"] for name, s in stats.items()}
            for name, s in stats.items():
                results.add(Row("5a", variant, name, "ms", s["median"], s["p99"], {"requests": s["n"]}))
            for http_name, raw_name in (
                ("http GET /facts/{id}?as_of", "raw SQL (fact)"),
                ("http GET /roles?valid_at", "raw SQL (roles)"),
            ):
                for key, label in (("median", "p50"), ("p99", "p99")):
                    results.verdict(
                        "5a", variant, f"{label} {http_name} / {raw_name} (no target)",
                        ratio(stats[http_name][key], stats[raw_name][key]), "-", ">=", 0.0,
                    )  # fmt: skip
        if workers > 1:
            # One keep-alive connection is served by one worker: more workers should not change its latency.
            for http_name in ("http GET /facts/{id}?as_of", "http GET /roles?valid_at"):
                results.verdict(
                    "5a", f"{events:,} events", f"p50 {http_name}: {workers} workers / 1 (no target)",
                    ratio(p50[workers][http_name], p50[1][http_name]), "-", ">=", 0.0,
                )  # fmt: skip


# -- case 7 --------------------------------------------------------------------------------------------


def ensure_wrk() -> str | None:
    """wrk's path, installing Debian's package when it is missing and we may (root, apt-get present)."""
    found = shutil.which("wrk")
    if found or os.environ.get("BENCH_NO_APT"):
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk is missing: apt-get install -y wrk")
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], capture_output=True, check=False)
        found = shutil.which("wrk")
        if not found:
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True, check=False)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], capture_output=True, check=False)
            found = shutil.which("wrk")
    return found


LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
"""


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(
    wrk: str, base: str, script: Path, connections: int, seconds: float, threads: int
) -> dict[str, float]:
    out = subprocess.run(
        [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "10s",
         "-s", str(script), base],
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = {m.group(1): _ms(m.group(2)) for m in re.finditer(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M)}
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return {
        "rps": rps,
        "p50_ms": latency.get("50", float("nan")),
        "p99_ms": latency.get("99", float("nan")),
        "requests": total,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(0) if errors else "",
    }


def run_load(
    results: Results,
    url: str,
    events: int,
    total: int,
    as_of: datetime,
    seconds: float,
    reps: int,
    connections: int,
    workers: int,
) -> None:
    """Case 7 with one worker and then with `workers`; the ratio of their throughputs, route by route."""
    rps = {count: _load(results, url, events, total, as_of, seconds, reps, connections, count)
           for count in worker_counts(workers)}  # fmt: skip
    if workers > 1:
        for name in rps[1]:
            results.verdict(
                "7", f"{events:,} events, {connections} conns",
                f"{name} rps: {workers} workers / 1 (no target)",
                ratio(rps[workers][name], rps[1][name]), "-", ">=", 0.0,
            )  # fmt: skip


def _load(
    results: Results,
    url: str,
    events: int,
    total: int,
    as_of: datetime,
    seconds: float,
    reps: int,
    connections: int,
    workers: int,
) -> dict[str, float]:
    """Alternate wrk runs on the as-of route and on hello-JSON, same server, same workers; median rps."""
    wrk = ensure_wrk()
    if wrk is None:
        raise RuntimeError("wrk is not installed and could not be installed (apt-get install wrk)")
    ids = [corpus.fact_id(n) for n in sample_numbers(total)]
    stamp = as_of.isoformat().replace("+00:00", "Z").replace(":", "%3A").replace("+", "%2B")
    workdir = Path(tempfile.mkdtemp(prefix="bench-wrk-"))
    scripts = {
        "GET /facts/{id}?as_of": workdir / "facts.lua",
        "GET /bench/hello": workdir / "hello.lua",
    }
    scripts["GET /facts/{id}?as_of"].write_text(
        LUA % ", ".join(f'"/facts/{fid}?as_of={stamp}"' for fid in ids)
    )
    scripts["GET /bench/hello"].write_text(LUA % '"/bench/hello"')
    server = Server(url, workers)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in scripts}
    try:
        server.wait_ready()
        log(f"case 7: wrk -c{connections}, {reps} x {seconds:g}s per route, {workers} uvicorn worker(s)")
        for script in scripts.values():  # warm-up
            run_wrk(wrk, server.base, script, connections, 2, 1)
        for rep in range(reps):
            for name in interleave(list(scripts), rep):
                found = run_wrk(wrk, server.base, scripts[name], connections, seconds, 1)
                if found["non_2xx"]:
                    raise RuntimeError(f"{name}: {found['non_2xx']} responses were not 2xx")
                runs[name].append(found)
    finally:
        server.close()
        shutil.rmtree(workdir, ignore_errors=True)
    variant = f"{events:,} events, {connections} conns, {workers} worker(s)"
    rps: dict[str, float] = {}
    for name, found in runs.items():
        s = summary([r["rps"] for r in found])
        rps[name] = s["median"]
        results.add(
            Row(
                "7", variant, name, "req/s", s["median"], s["p99"],
                {
                    "rps_per_rep": [round(r["rps"], 1) for r in found],
                    "latency_ms_p50_median": summary([r["p50_ms"] for r in found])["median"],
                    "latency_ms_p99_median": summary([r["p99_ms"] for r in found])["median"],
                    "requests": sum(int(r["requests"]) for r in found),
                },
            )
        )  # fmt: skip
    results.verdict(
        "7", variant, "as-of rps / hello-JSON rps",
        ratio(rps["GET /facts/{id}?as_of"], rps["GET /bench/hello"]), ">= 0.35x", ">=", 0.35,
    )  # fmt: skip
    results.verdict(
        "7", variant, "as-of rps (absolute)", rps["GET /facts/{id}?as_of"], ">= 1000 req/s", ">=", 1000.0
    )
    return rps
