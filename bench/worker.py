"""Subprocess workers for the bulk cases (4: ingest, 5: rebuild), one process per implementation and size,
and `registered_database`, the copies of one registry that cases 3, 4 and 8 start from.

The parent drives them in lock step over stdin/stdout (one JSON command a line; answers are lines that
start with `@@ `), so the implementations run interleaved, batch by batch, and never at the same time,
while each keeps its own process: its peak RSS (ru_maxrss) is its own and says nothing of the others.

    python -m bench.worker KIND CONFIG_JSON
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import corpus
from bench.common import Databases, max_rss_mb

PAGE = 2000  # page size of every replay (the archive's rebuild uses 2000 too)


class Worker:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    async def setup(self) -> dict[str, Any]:
        return {}

    async def close(self) -> None:
        return None


# -- case 4: ingest ------------------------------------------------------------------------------------


class OursIngest(Worker):
    """Archive.ingest_facts, 2000 facts a call (each batch's source is registered first, untimed).

    Its setup registers the corpus's entities, unless the config says `registered` (a copy of
    `registered_database`)."""

    async def setup(self) -> dict[str, Any]:
        from archive.bootstrap import wire
        from archive.commands import CommandMeta
        from archive.storage.engine import create_engine

        self.engine = create_engine(self.config["url"])
        self.archive = wire(self.engine).commands
        self.meta = CommandMeta(actor="bench", reason="synthetic corpus")
        if self.config.get("registered"):
            return {}
        started = time.perf_counter()
        async with self.archive.transaction() as tx:
            for entity_id, kind, label in corpus.entities():
                await self.archive.register_entity(
                    entity_id=entity_id, kind=kind, label=label, meta=self.meta, conn=tx
                )
        return {"entities_seconds": time.perf_counter() - started}

    async def batch(self, b: int, total: int) -> dict[str, Any]:
        numbers = range(b * corpus.BATCH, min((b + 1) * corpus.BATCH, total))
        text = corpus.source_text(b)
        await self.archive.register_source(
            source_id=corpus.source_id(b),
            title=f"Bench register {b:05d}",
            origin="bench/corpus.py",
            source_date=str(1900 + b % 100),
            content=text.encode("utf-8"),
            meta=self.meta,
        )
        items = corpus.fact_inputs(numbers, corpus.source_sha(b))
        started = time.perf_counter()
        done = await self.archive.ingest_facts(items, self.meta)
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "events": len(done.events)}

    async def close(self) -> None:
        await self.engine.dispose()


async def registered_database(dbs: Databases, name: str, batches: int = 0) -> str:
    """A new database `name` of ours holding the corpus's entities and its first `batches` batches, as
    OursIngest writes them; returns its URL.

    Each such database is a copy of one built once per run: registering the entities, one command each,
    is untimed setup that took about 22 s for every database of cases 3, 4 and 8.
    """
    template = f"registered{batches}"
    if template not in dbs.templates:
        if batches:
            url = await registered_database(dbs, template)
        else:
            url = await asyncio.to_thread(dbs.create, template)
        loader = OursIngest({"url": url, "registered": batches > 0})
        await loader.setup()
        for b in range(batches):
            await loader.batch(b, batches * corpus.BATCH)
        await loader.close()
        dbs.templates.add(template)
    return await asyncio.to_thread(dbs.copy, template, name)


class RawIngest(Worker):
    """The same rows (events and the six fact read models) written with the bare driver:
    COPY on PostgreSQL (asyncpg), executemany on SQLite (aiosqlite), one transaction a batch."""

    async def setup(self) -> dict[str, Any]:
        import msgspec

        self.encode = lambda obj: msgspec.json.encode(obj).decode()
        self.sqlite = self.config["backend"] == "sqlite"
        self.position = 1
        if self.sqlite:
            import aiosqlite

            self.conn = await aiosqlite.connect(self.config["dsn"], isolation_level=None)
            for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=30000"):
                await self.conn.execute(f"PRAGMA {pragma}")
        else:
            import asyncpg

            self.conn = await asyncpg.connect(self.config["dsn"])
        return {}

    async def batch(self, b: int, total: int) -> dict[str, Any]:
        numbers = range(b * corpus.BATCH, min((b + 1) * corpus.BATCH, total))
        rows = corpus.raw_rows(
            numbers, corpus.source_sha(b), datetime.now(UTC), self.position, self.encode, self.sqlite
        )
        self.position += len(numbers)
        started = time.perf_counter()
        if self.sqlite:
            await self.conn.execute("BEGIN IMMEDIATE")
            for table, records in rows.items():
                columns = corpus.RAW_COLUMNS[table]
                marks = ",".join("?" * len(columns))
                await self.conn.executemany(
                    f"INSERT INTO {table} ({','.join(columns)}) VALUES ({marks})", records
                )
            await self.conn.execute("COMMIT")
        else:
            async with self.conn.transaction():
                for table, records in rows.items():
                    await self.conn.copy_records_to_table(
                        table, records=records, columns=list(corpus.RAW_COLUMNS[table])
                    )
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "events": len(numbers)}

    async def close(self) -> None:
        await self.conn.close()


class PeerIngest(Worker):
    """eventsourcing: one FactAggregate a fact, `Application.save` of 1000 aggregates at a time."""

    async def setup(self) -> dict[str, Any]:
        from bench.peer import PeerArchive

        self.app = PeerArchive(self.config["env"])
        return {"recorder": type(self.app.recorder).__qualname__}

    async def batch(self, b: int, total: int) -> dict[str, Any]:
        from bench.peer import FactAggregate, peer_content

        numbers = range(b * corpus.BATCH, min((b + 1) * corpus.BATCH, total))
        inputs = [peer_content(n) for n in numbers]
        started = time.perf_counter()
        for offset in range(0, len(inputs), 1000):
            aggregates = [
                FactAggregate(fact_id=fid, content=content, rank="normal", citations=citations)
                for fid, content, citations in inputs[offset : offset + 1000]
            ]
            self.app.save(*aggregates)
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "events": len(inputs)}

    async def close(self) -> None:
        self.app.close()


# -- case 5: rebuild / replay ----------------------------------------------------------------------------


class OursRebuild(Worker):
    """archive.projections.rebuild.rebuild: clear every read model, replay read_all in pages of 2000."""

    async def run(self) -> dict[str, Any]:
        from archive.bootstrap import event_registry, load_vocabulary
        from archive.eventstore import EventStore
        from archive.projections.rebuild import rebuild
        from archive.projections.runner import Projector
        from archive.storage.engine import create_engine

        engine = create_engine(self.config["url"])
        try:
            store = EventStore(engine, event_registry())
            projector = Projector(load_vocabulary())
            started = time.perf_counter()
            applied = await rebuild(store, projector, page_size=PAGE)
            seconds = time.perf_counter() - started
        finally:
            await engine.dispose()
        return {"seconds": seconds, "events": applied}


class PeerFold(Worker):
    """eventsourcing: page the log with select_notifications(limit=2000), map each notification back to
    its domain event with the application's mapper, and fold the events into a dict by aggregate id."""

    async def run(self) -> dict[str, Any]:
        from bench.peer import PeerArchive

        app = PeerArchive(self.config["env"])
        try:
            started = time.perf_counter()
            state: dict[Any, dict[str, Any]] = {}
            start = 1
            seen = 0
            while True:
                page = app.recorder.select_notifications(start=start, limit=PAGE)
                for notification in page:
                    domain_event = app.mapper.to_domain_event(notification)
                    name = type(domain_event).__name__
                    if name == "Recorded":
                        state[domain_event.originator_id] = {
                            "version": domain_event.originator_version,
                            **domain_event.content,  # type: ignore[attr-defined]
                        }
                    else:
                        current = state.setdefault(domain_event.originator_id, {})
                        current.update(getattr(domain_event, "changes", {}))
                        current["version"] = domain_event.originator_version
                seen += len(page)
                if len(page) < PAGE:
                    break
                start = page[-1].id + 1
            seconds = time.perf_counter() - started
        finally:
            app.close()
        return {"seconds": seconds, "events": seen, "aggregates": len(state)}


class RawPage(Worker):
    """The floor: page `events` by position with the bare driver, decode each payload, fold into a dict."""

    async def run(self) -> dict[str, Any]:
        import msgspec

        decode = msgspec.json.decode
        state: dict[str, Any] = {}
        seen = 0
        query = (
            "SELECT position, stream_id, stream_version, event_type, schema_version, data, metadata, "
            "recorded_at, prev_hash, hash FROM events WHERE position > {} ORDER BY position LIMIT {}"
        )
        fetch: Callable[[int], Awaitable[Sequence[Any]]]
        if self.config["backend"] == "sqlite":
            import aiosqlite

            conn = await aiosqlite.connect(self.config["dsn"])

            async def fetch(after: int) -> Sequence[Any]:
                cursor = await conn.execute(query.format("?", "?"), (after, PAGE))
                return await cursor.fetchall()

        else:
            import asyncpg

            conn = await asyncpg.connect(self.config["dsn"])
            statement = await conn.prepare(query.format("$1", "$2"))

            async def fetch(after: int) -> Sequence[Any]:
                return await statement.fetch(after, PAGE)

        started = time.perf_counter()
        after = 0
        while True:
            page = await fetch(after)
            for row in page:
                state[row[1]] = (row[2], decode(row[5]))
            seen += len(page)
            if len(page) < PAGE:
                break
            after = page[-1][0]
        seconds = time.perf_counter() - started
        await conn.close()
        return {"seconds": seconds, "events": seen}


class RawRebuild(Worker):
    """The rebuild's floor: the same rows into fresh tables, then the same indexes, with the bare driver.

    In one transaction, timed: create the read-model tables fresh with their primary keys and unique
    constraints (as our rebuild does), page the whole log by position and decode each payload (our
    rebuild reads it too), write every row our read models hold (COPY on PostgreSQL, executemany on
    SQLite, in chunks of `PAGE` rows), build the secondary indexes once the rows are in, and on
    PostgreSQL analyze the new tables. The rows are read from our live read models, untimed, chunk by
    chunk: the floor does none of the deciding, only the writing. Not in the floor: the search index
    (ours makes it again from the new rows). PostgreSQL fills a schema of its own in our database;
    SQLite a fresh file beside ours (a new file, where ours reuses the pages it cleared). Both are
    dropped afterwards, untimed.
    """

    SCHEMA = "bench_raw_rebuild"
    EVENTS = "SELECT position, data FROM events WHERE position > {} ORDER BY position LIMIT {}"

    async def run(self) -> dict[str, Any]:
        from archive.projections.rebuild import REPLAYED_TABLES

        self.tables = [table.name for table in REPLAYED_TABLES]
        if self.config["backend"] == "sqlite":
            return await self._sqlite()
        return await self._postgres()

    async def _postgres(self) -> dict[str, Any]:
        import asyncpg
        import msgspec

        conn = await asyncpg.connect(self.config["dsn"])  # writes, timed
        source = await asyncpg.connect(self.config["dsn"])  # our live rows, read untimed
        schema = self.SCHEMA
        try:
            live = await conn.fetchval("SELECT current_schema()")
            constraints = await conn.fetch(
                "SELECT c.conrelid::regclass::text AS tab, c.conname, pg_get_constraintdef(c.oid) AS def "
                "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
                "WHERE t.relname = ANY($1::text[]) AND t.relnamespace = $2::regnamespace "
                "AND c.contype IN ('p', 'u')",
                self.tables, live,
            )  # fmt: skip
            indexes = await conn.fetch(
                "SELECT pg_get_indexdef(i.indexrelid) AS def FROM pg_index i "
                "JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = ANY($1::text[]) "
                "AND t.relnamespace = $2::regnamespace "
                "AND i.indexrelid NOT IN (SELECT conindid FROM pg_constraint WHERE contype IN ('p', 'u'))",
                self.tables, live,
            )  # fmt: skip
            columns = {
                name: [
                    r["attname"]
                    for r in await conn.fetch(
                        "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 "
                        "AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
                        f'"{live}"."{name}"',
                    )
                ]
                for name in self.tables
            }
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            decode = msgspec.json.decode
            seconds = 0.0
            rows_written = 0
            started = time.perf_counter()
            async with conn.transaction():
                await conn.execute(f"CREATE SCHEMA {schema}")
                for name in self.tables:
                    await conn.execute(
                        f'CREATE TABLE {schema}."{name}" (LIKE "{live}"."{name}" INCLUDING DEFAULTS)'
                    )
                for row in constraints:
                    table = row["tab"].split(".")[-1]
                    await conn.execute(
                        f'ALTER TABLE {schema}.{table} ADD CONSTRAINT "{row["conname"]}" {row["def"]}'
                    )
                page = await conn.prepare(self.EVENTS.format("$1", "$2"))
                after, seen = 0, 0
                while True:
                    found = await page.fetch(after, PAGE)
                    for event in found:
                        decode(event["data"])
                    seen += len(found)
                    if len(found) < PAGE:
                        break
                    after = found[-1]["position"]
                seconds += time.perf_counter() - started
                for name in self.tables:
                    listed = ", ".join(f'"{c}"' for c in columns[name])
                    async with source.transaction():
                        cursor = await source.cursor(f'SELECT {listed} FROM "{live}"."{name}"')
                        while chunk := await cursor.fetch(PAGE):
                            started = time.perf_counter()
                            await conn.copy_records_to_table(
                                name, records=chunk, columns=columns[name], schema_name=schema
                            )
                            seconds += time.perf_counter() - started
                            rows_written += len(chunk)
                started = time.perf_counter()
                for row in indexes:
                    await conn.execute(row["def"].replace(f" ON {live}.", f" ON {schema}.", 1))
                for name in self.tables:
                    await conn.execute(f'ANALYZE {schema}."{name}"')
            seconds += time.perf_counter() - started
            await conn.execute(f"DROP SCHEMA {schema} CASCADE")
        finally:
            await source.close()
            await conn.close()
        return {"seconds": seconds, "events": seen, "rows": rows_written, "indexes": len(indexes)}

    async def _sqlite(self) -> dict[str, Any]:
        import aiosqlite
        import msgspec

        ours = Path(self.config["dsn"])
        fresh = ours.with_name(ours.stem + "-raw-rebuild.db")
        _remove_sqlite_files(fresh)
        source = await aiosqlite.connect(ours)
        conn = await aiosqlite.connect(fresh, isolation_level=None)
        try:
            for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
                await conn.execute(f"PRAGMA {pragma}")
            marks = ",".join("?" * len(self.tables))
            cursor = await source.execute(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ({marks})", self.tables
            )
            creates = [row[1] for row in await cursor.fetchall()]
            cursor = await source.execute(
                f"SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({marks})",
                self.tables,
            )
            indexes = [row[0] for row in await cursor.fetchall()]
            decode = msgspec.json.decode
            seconds = 0.0
            rows_written = 0
            started = time.perf_counter()
            await conn.execute("BEGIN IMMEDIATE")
            for create in creates:
                await conn.execute(create)
            after, seen = 0, 0
            while True:
                cursor = await source.execute(self.EVENTS.format("?", "?"), (after, PAGE))
                found = list(await cursor.fetchall())
                for event in found:
                    decode(event[1])
                seen += len(found)
                if len(found) < PAGE:
                    break
                after = found[-1][0]
            seconds += time.perf_counter() - started
            for name in self.tables:
                cursor = await source.execute(f'SELECT * FROM "{name}"')
                width = len(cursor.description)
                insert = f'INSERT INTO "{name}" VALUES ({",".join("?" * width)})'
                while chunk := list(await cursor.fetchmany(PAGE)):
                    started = time.perf_counter()
                    await conn.executemany(insert, chunk)
                    seconds += time.perf_counter() - started
                    rows_written += len(chunk)
            started = time.perf_counter()
            for index in indexes:
                await conn.execute(index)
            await conn.execute("COMMIT")
            seconds += time.perf_counter() - started
        finally:
            await source.close()
            await conn.close()
            _remove_sqlite_files(fresh)
        return {"seconds": seconds, "events": seen, "rows": rows_written, "indexes": len(indexes)}


def _remove_sqlite_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


KINDS: dict[str, type[Worker]] = {
    "ours-ingest": OursIngest,
    "raw-ingest": RawIngest,
    "peer-ingest": PeerIngest,
    "ours-rebuild": OursRebuild,
    "peer-fold": PeerFold,
    "raw-page": RawPage,
    "raw-rebuild": RawRebuild,
}


def answer(payload: dict[str, Any]) -> None:
    sys.stdout.write("@@ " + json.dumps(payload) + "\n")
    sys.stdout.flush()


async def serve(kind: str, config: dict[str, Any]) -> None:
    worker = KINDS[kind](config)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        command = json.loads(line)
        op = command.pop("op")
        try:
            if op == "stop":
                await worker.close()
                answer({"ok": True, "maxrss_mb": max_rss_mb()})
                return
            result = await getattr(worker, op)(**command)
            answer({"ok": True, **result})
        except Exception as error:  # reported to the parent, which stops the run
            import traceback

            answer(
                {"ok": False, "error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()}
            )


def main() -> None:
    kind, config = sys.argv[1], json.loads(sys.argv[2])
    asyncio.run(serve(kind, config))


if __name__ == "__main__":
    main()
