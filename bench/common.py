"""Shared plumbing: statistics, databases made and dropped per run, the peer library's factories, RSS.

Every database a run uses is its own: PostgreSQL databases named `<kind>_bench_<pid>` on the local
cluster (created from the admin URL, dropped at the end), SQLite files in a temporary directory on the
same disk as the cluster. Nothing here touches a database the run did not create.
"""

from __future__ import annotations

import asyncio
import math
import os
import resource
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"

DEFAULT_POSTGRES_URL = "postgresql://archive:archive@127.0.0.1:5432/archive_test"


# -- statistics ------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else math.nan


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median, p99, min, max and count of a list of samples."""
    return {
        "n": len(values),
        "median": median(values),
        "p99": percentile(values, 99),
        "min": min(values) if values else math.nan,
        "max": max(values) if values else math.nan,
    }


def ratio(ours: float, peer: float) -> float:
    if not peer or math.isnan(peer) or math.isnan(ours):
        return math.nan
    return ours / peer


def max_rss_mb() -> float:
    """Peak resident set size of this process, in MiB.

    Linux's VmHWM (the high-water mark of this process image, reset by exec), not ru_maxrss: a child's
    ru_maxrss starts at its parent's RSS at fork and survives exec, so for a worker started by a large
    parent it would report the parent's size. Falls back to ru_maxrss where /proc is missing.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# -- results ---------------------------------------------------------------------------------------------


@dataclass
class Row:
    """One measured implementation in one case and variant."""

    case: str
    variant: str
    impl: str
    metric: str  # what `median`/`p99` are: "ev/s", "ms", "rps", "s"
    median: float
    p99: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Verdict:
    """A ratio the issue sets a target for."""

    case: str
    variant: str
    what: str
    value: float
    target: str
    met: bool | None
    note: str = ""


@dataclass
class Results:
    backend: str
    rows: list[Row] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    #: Whether ratios are judged against their targets: a quick run's small sizes and short runs say
    #: nothing about a target, so its ratios are reported and never called met or missed.
    judged: bool = True

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def verdict(
        self,
        case: str,
        variant: str,
        what: str,
        value: float,
        target: str,
        op: str,
        bound: float,
        note: str = "",
    ) -> Verdict:
        met: bool | None
        if not self.judged or math.isnan(value):
            met = None
        elif op == ">=":
            met = value >= bound
        elif op == "<=":
            met = value <= bound
        else:
            met = value < bound
        found = Verdict(case, variant, what, value, target, met, note)
        self.verdicts.append(found)
        return found


# -- timing ----------------------------------------------------------------------------------------------


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- databases -------------------------------------------------------------------------------------------


def _pg_parts(url: str) -> dict[str, str]:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return {
        "user": parsed.username or "",
        "password": parsed.password or "",
        "host": parsed.host or "127.0.0.1",
        "port": str(parsed.port or 5432),
        "database": parsed.database or "",
    }


class Databases:
    """Fresh databases for one backend and one run; `close()` drops every one it made."""

    def __init__(self, backend: str, postgres_url: str, workdir: Path | None = None) -> None:
        self.backend = backend
        self.postgres_url = postgres_url
        self.pid = os.getpid()
        self.made: list[str] = []
        #: The databases finished as templates to copy (bench.worker.registered_database): one that failed
        #: halfway exists but is not here, so it is never copied.
        self.templates: set[str] = set()
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix=f"archive-bench-{self.pid}-"))
        self.workdir.mkdir(parents=True, exist_ok=True)

    # URLs ------------------------------------------------------------------------------------------------

    def archive_url(self, name: str) -> str:
        """The SQLAlchemy (async driver) URL of one of our databases."""
        if self.backend == "sqlite":
            return f"sqlite+aiosqlite:///{self.workdir / (name + '.db')}"
        parts = _pg_parts(self.postgres_url)
        return (
            f"postgresql+asyncpg://{parts['user']}:{parts['password']}@{parts['host']}:{parts['port']}/"
            f"{self.db_name(name)}"
        )

    def raw_dsn(self, name: str) -> str:
        """What the raw driver connects to: a file path (aiosqlite) or a libpq DSN (asyncpg)."""
        if self.backend == "sqlite":
            return str(self.workdir / (name + ".db"))
        parts = _pg_parts(self.postgres_url)
        return (
            f"postgresql://{parts['user']}:{parts['password']}@{parts['host']}:{parts['port']}/"
            f"{self.db_name(name)}"
        )

    def db_name(self, name: str) -> str:
        return f"{name}_bench_{self.pid}"

    def peer_env(self, name: str, **extra: str) -> dict[str, str]:
        """The `env` for eventsourcing's InfrastructureFactory.construct (it ignores os.environ)."""
        if self.backend == "sqlite":
            env = {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.workdir / (name + ".db")),
                "SQLITE_LOCK_TIMEOUT": "30",
            }
        else:
            parts = _pg_parts(self.postgres_url)
            env = {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": self.db_name(name),
                "POSTGRES_HOST": parts["host"],
                "POSTGRES_PORT": parts["port"],
                "POSTGRES_USER": parts["user"],
                "POSTGRES_PASSWORD": parts["password"],
                "POSTGRES_POOL_SIZE": "6",
                "POSTGRES_MAX_OVERFLOW": "4",
                "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "0",
            }
        env.update(extra)
        return env

    # lifecycle -------------------------------------------------------------------------------------------

    def create(self, name: str, migrate: bool = True) -> str:
        """Create (or recreate) an empty database `name`; migrate it to head when asked. Returns its URL."""
        if self.backend == "sqlite":
            path = self.workdir / (name + ".db")
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            if not migrate:
                sqlite3.connect(path).close()
        else:
            db = self.db_name(name)
            _pg_admin(
                self.postgres_url, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", f"CREATE DATABASE {db}"
            )
            if db not in self.made:
                self.made.append(db)
        url = self.archive_url(name)
        if migrate:
            from archive.storage.migrate import upgrade

            upgrade(url)
        return url

    def copy(self, template: str, name: str) -> str:
        """Create (or recreate) database `name` as a copy of `template`, which no one may be connected to.
        Returns its URL. SQLite: the backup API, a consistent copy whatever the journal holds; PostgreSQL:
        CREATE DATABASE ... TEMPLATE."""
        if self.backend == "sqlite":
            path = self.workdir / (name + ".db")
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            source = sqlite3.connect(self.workdir / (template + ".db"))
            target = sqlite3.connect(path)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        else:
            db = self.db_name(name)
            _pg_admin(
                self.postgres_url,
                f"DROP DATABASE IF EXISTS {db} WITH (FORCE)",
                f"CREATE DATABASE {db} TEMPLATE {self.db_name(template)}",
            )
            if db not in self.made:
                self.made.append(db)
        return self.archive_url(name)

    def exists(self, name: str) -> bool:
        if self.backend == "sqlite":
            return (self.workdir / (name + ".db")).exists()
        return self.db_name(name) in self.made

    def close(self) -> None:
        if self.backend == "postgres" and self.made:
            _pg_admin(self.postgres_url, *[f"DROP DATABASE IF EXISTS {db} WITH (FORCE)" for db in self.made])
            self.made = []
        shutil.rmtree(self.workdir, ignore_errors=True)


def _pg_admin(url: str, *statements: str) -> list[Any]:
    import asyncpg

    parts = _pg_parts(url)

    async def run() -> list[Any]:
        conn = await asyncpg.connect(
            user=parts["user"],
            password=parts["password"],
            host=parts["host"],
            port=int(parts["port"]),
            database=parts["database"],
        )
        try:
            out = []
            for statement in statements:
                out.append(await conn.fetch(statement))
            return out
        finally:
            await conn.close()

    return asyncio.run(run())


def pg_settings(url: str) -> dict[str, str]:
    """The cluster settings that decide what a commit costs."""
    names = ["synchronous_commit", "fsync", "wal_sync_method", "shared_buffers", "server_version"]
    rows = _pg_admin(url, *[f"SHOW {n}" for n in names])
    return {n: str(r[0][0]) for n, r in zip(names, rows, strict=True)}


async def vacuum_analyze(backend: str, raw_dsn: str) -> None:
    """Bring planner statistics up to date after a bulk load (untimed; autovacuum would, later)."""
    if backend == "sqlite":
        import aiosqlite

        async with aiosqlite.connect(raw_dsn) as conn:
            await conn.execute("ANALYZE")
            await conn.commit()
        return
    import asyncpg

    conn = await asyncpg.connect(raw_dsn)
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


# -- the peer library --------------------------------------------------------------------------------------


def patch_peer_sqlite_synchronous() -> None:
    """Give every SQLite connection the peer opens `PRAGMA synchronous=FULL`, as ours has.

    The peer's pool already switches a file database to WAL; it never sets `synchronous`. We wrap its
    `_create_connection` (once per process) so the two libraries commit with the same durability.
    """
    from eventsourcing import sqlite as es_sqlite

    pool_class = es_sqlite.SQLiteConnectionPool
    if getattr(pool_class, "_bench_patched", False):
        return
    original = pool_class._create_connection

    def create_connection(self: Any) -> Any:
        conn = original(self)
        cursor = conn._sqlite_conn.cursor()
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()
        return conn

    pool_class._create_connection = create_connection  # type: ignore[method-assign]
    pool_class._bench_patched = True  # type: ignore[attr-defined]


def peer_factory(env: dict[str, str]) -> Any:
    """eventsourcing's InfrastructureFactory for `env`, refusing the silent in-memory fallback."""
    from eventsourcing.persistence import InfrastructureFactory

    if env["PERSISTENCE_MODULE"].endswith("sqlite"):
        patch_peer_sqlite_synchronous()
    factory = InfrastructureFactory.construct(env=env)
    module = type(factory).__module__
    if module not in ("eventsourcing.sqlite", "eventsourcing.postgres"):
        raise RuntimeError(f"eventsourcing built {type(factory).__qualname__} from {module}, not a database")
    return factory


def peer_sqlite_pragmas(recorder: Any) -> dict[str, Any]:
    """journal_mode and synchronous as the peer's own connections see them."""
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
    return {
        "journal_mode": journal,
        "synchronous": {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[synchronous],
    }


def peer_row_count(backend: str, raw_dsn: str, table: str = "stored_events") -> int:
    """Rows the peer really wrote to the database (its in-memory fallback would leave none)."""

    async def run() -> int:
        if backend == "sqlite":
            import aiosqlite

            async with aiosqlite.connect(raw_dsn) as conn:
                cursor = await conn.execute(f"SELECT count(*) FROM {table}")
                return int((await cursor.fetchone())[0])
        import asyncpg

        conn = await asyncpg.connect(raw_dsn)
        try:
            return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
        finally:
            await conn.close()

    return asyncio.run(run())


def footprint(backend: str, raw_dsn: str) -> dict[str, Any]:
    """What a database holds: the rows of each of its tables and the bytes of all its pages.

    SQLite: `count(*)` of every table and virtual table (`PRAGMA table_list`; an FTS index's shadow
    tables are its own business) and the page sizes `dbstat` reports (tables, indexes, the WAL's newer
    pages included). PostgreSQL: `count(*)` of every table in the current schema and the sum of their
    `pg_total_relation_size` (heap, indexes and TOAST).
    """

    async def run() -> dict[str, Any]:
        rows: dict[str, int] = {}
        if backend == "sqlite":
            import aiosqlite

            async with aiosqlite.connect(raw_dsn) as conn:
                cursor = await conn.execute("PRAGMA table_list")
                names = [
                    r[1] for r in await cursor.fetchall()
                    if r[0] == "main" and r[2] in ("table", "virtual") and not r[1].startswith("sqlite_")
                ]  # fmt: skip
                for name in names:
                    cursor = await conn.execute(f'SELECT count(*) FROM "{name}"')
                    rows[name] = int((await cursor.fetchone())[0])
                cursor = await conn.execute("SELECT sum(pgsize) FROM dbstat")
                size = int((await cursor.fetchone())[0] or 0)
            return {"rows": rows, "bytes": size}
        import asyncpg

        conn = await asyncpg.connect(raw_dsn)
        try:
            names = [
                r[0]
                for r in await conn.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
                )
            ]
            for name in names:
                rows[name] = int(await conn.fetchval(f'SELECT count(*) FROM "{name}"'))
            size = await conn.fetchval(
                "SELECT coalesce(sum(pg_total_relation_size(format('%I.%I', schemaname, tablename))), 0) "
                "FROM pg_tables WHERE schemaname = current_schema()"
            )
        finally:
            await conn.close()
        return {"rows": rows, "bytes": int(size)}

    return asyncio.run(run())


def written_per_fact(before: dict[str, Any], after: dict[str, Any], facts: int) -> dict[str, Any]:
    """Rows and bytes a database gained per fact between two `footprint`s, and the rows by table."""
    by_table = {
        name: count - before["rows"].get(name, 0)
        for name, count in sorted(after["rows"].items())
        if count != before["rows"].get(name, 0)
    }
    return {
        "rows_per_fact": sum(by_table.values()) / facts,
        "bytes_per_fact": (after["bytes"] - before["bytes"]) / facts,
        "rows_by_table": by_table,
    }


def interleave(order: Sequence[str], rep: int) -> list[str]:
    """The implementations of one repetition, rotated by `rep` so none always goes first."""
    shift = rep % len(order)
    return list(order[shift:]) + list(order[:shift])


def flatten(chunks: Iterable[Sequence[float]]) -> list[float]:
    return [v for chunk in chunks for v in chunk]


# -- subprocess workers --------------------------------------------------------------------------------------


class WorkerProc:
    """A `python -m bench.worker` child driven in lock step (see bench/worker.py)."""

    def __init__(self, kind: str, config: dict[str, Any]) -> None:
        import json
        import subprocess
        import sys

        self.kind = kind
        self._json = json
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.worker", kind, json.dumps(config)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )

    def call(self, op: str, **args: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(self._json.dumps({"op": op, **args}) + "\n")
        self.proc.stdin.flush()
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"worker {self.kind} exited (code {self.proc.wait()}) during {op}")
            if line.startswith("@@ "):
                reply = self._json.loads(line[3:])
                if not reply.get("ok"):
                    raise RuntimeError(f"worker {self.kind} failed in {op}: {reply.get('trace') or reply}")
                return reply

    def stop(self) -> float:
        """Close the worker; returns its peak RSS in MiB."""
        reply = self.call("stop")
        self.proc.wait(timeout=60)
        return float(reply["maxrss_mb"])

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
