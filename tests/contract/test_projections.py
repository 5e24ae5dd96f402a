"""Projections: inline projection and a rebuild from the log give the same rows, on every backend.

The seeded corpus is changed through the command side (a valid-time correction with new evidence, a
retraction, a rerank, a new citation of an existing fact, and a revision of a source that moves and
removes cited lines), then every read model is snapshotted, rebuilt and snapshotted again.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from archive.commands import Archive, CommandMeta
from archive.domain.events import Citation, FactChanges
from archive.domain.facts import FactState
from archive.eventstore import ReplayedEvent, events_table
from archive.projections import fact_versions
from archive.projections.checkpoints import checkpoints_table
from archive.projections.findings import findings_table
from archive.projections.rebuild import rebuild
from archive.projections.runner import READ_MODEL_TABLES, Projector
from archive.projections.sources import sources_table

META = CommandMeta(actor="tester", reason="test")
TABLES: dict[str, Table] = {**READ_MODEL_TABLES, checkpoints_table.name: checkpoints_table}

Snapshot = dict[str, list[tuple[Any, ...]]]


async def snapshot(engine: AsyncEngine) -> Snapshot:
    """Every row of every read model and of the checkpoints, ordered by primary key."""
    taken: Snapshot = {}
    async with engine.connect() as conn:
        for name, table in TABLES.items():
            query = select(table).order_by(*table.primary_key.columns)
            taken[name] = [tuple(row) for row in await conn.execute(query)]
    return taken


async def read_model_indexes(engine: AsyncEngine) -> list[tuple[str, str]]:
    """(name, definition) of every index on the read models, from the catalog (a SQLite rebuild drops
    and remakes them). The catalog, not reflection: SQLAlchemy cannot reflect an expression index on
    SQLite, and would leave it out."""
    names = tuple(TABLES)
    if engine.dialect.name == "sqlite":
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({}) ORDER BY name"
        marks = ", ".join("?" * len(names))
    else:
        query = (
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() AND tablename IN ({}) ORDER BY indexname"
        )
        marks = ", ".join(f"${i}" for i in range(1, len(names) + 1))
    async with engine.connect() as conn:
        found = await conn.exec_driver_sql(query.format(marks), names)
        return [(str(name), str(definition)) for name, definition in found]


async def last_position(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.max(events_table.c.position)))).scalar_one())


async def event_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(events_table))).scalar_one())


async def checkpoints(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(checkpoints_table.c.projection, checkpoints_table.c.position))
        return {str(name): int(position) for name, position in rows}


async def current(engine: AsyncEngine, **where: str | None) -> FactState:
    """The one current fact whose indexed columns match `where`."""
    table = fact_versions.fact_versions_table
    query = select(table).where(
        table.c.recorded_to.is_(None), *(table.c[name] == value for name, value in where.items())
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    assert len(rows) == 1, where
    return fact_versions.state_of(rows[0])


async def change_the_corpus(archive: Archive, engine: AsyncEngine) -> None:
    """One of each kind of change a read model must follow."""
    member = await current(
        engine, subject="kazakhstan", predicate="member_of", object="osce", valid_from="1992-01"
    )
    own = member.citations[0]
    # A valid-time correction, with evidence that is a new citation (a shorter quote of the same line).
    shorter = own.quote.split(" – ")[0] if " – " in own.quote else own.quote[: len(own.quote) // 2]
    assert shorter
    assert shorter != own.quote
    await archive.correct_fact(
        fact_id=member.fact_id,
        expected_version=member.version,
        changes=FactChanges(valid_from="1992-01-30"),
        reason_code="valid_time_shift",
        justification="test: a day the source does not give",
        citations=[Citation(own.source_id, own.content_sha256, own.line_start, own.line_end, shorter)],
        meta=META,
    )

    chair = await current(
        engine,
        subject="kazakhstan",
        predicate="chaired",
        object="osce",
        valid_from="2010",
        valid_to="2010",
        modality="asserted",
    )
    await archive.retract_fact(
        fact_id=chair.fact_id,
        expected_version=chair.version,
        reason_code="other",
        justification="test: retract it",
        citations=[chair.citations[0]],
        meta=META,
    )

    budapest = await current(engine, subject="budapest-summit-1994", predicate="took_place_in")
    await archive.rerank_fact(
        fact_id=budapest.fact_id,
        expected_version=budapest.version,
        rank="preferred",
        reason_code="better_source",
        justification="test: prefer it",
        meta=META,
    )

    # The same content again with a citation it lacks appends fact.cited.
    slovakia = await current(engine, subject="slovakia", predicate="chaired", object="osce")
    cited = slovakia.citations[0]
    written = await archive.record_fact(
        content=slovakia.content,
        rank=slovakia.rank,
        citations=[
            Citation(
                cited.source_id, cited.content_sha256, cited.line_start, cited.line_end, cited.quote[:-1]
            )
        ],
        meta=META,
        expected_version=slovakia.version,
    )
    assert [e.event_type for e in written.events] == ["fact.cited"]

    # A new version of a source: a line added at the top moves every citation down (drifted), and
    # one cited line removed leaves its citations orphaned.
    async with engine.connect() as conn:
        source = (
            await conn.execute(
                select(sources_table).where(sources_table.c.source_id == "new-challenges-new-solutions")
            )
        ).one()
    lines = source.text.split("\n")
    lines[4] = ""  # line 5, which the seed cites
    revised = await archive.register_source(
        source_id=source.source_id,
        title=source.title,
        origin=source.origin,
        source_date=source.source_date,
        content=("A revised edition\n" + "\n".join(lines)).encode("utf-8"),
        meta=META,
        expected_version=source.version,
    )
    assert [e.event_type for e in revised.events] == ["source.revised"]


async def test_rebuild_of_the_seeded_corpus_gives_the_same_rows(
    seeded_archive: Archive, seeded_engine: AsyncEngine
) -> None:
    # The seed dismisses no finding: one dismissal, so that every read model has rows to compare.
    async with seeded_engine.connect() as conn:
        finding = (await conn.execute(select(findings_table.c.finding_id).limit(1))).scalar_one()
    await seeded_archive.dismiss_finding(
        finding_id=finding, expected_version=0, reason_code="other", justification="test", meta=META
    )
    before = await snapshot(seeded_engine)
    indexes = await read_model_indexes(seeded_engine)
    applied = await rebuild(seeded_archive.store, seeded_archive.projector)
    after = await snapshot(seeded_engine)

    assert applied == await event_count(seeded_engine)
    assert all(before[name] for name in TABLES), [name for name in TABLES if not before[name]]
    for name in TABLES:
        assert after[name] == before[name], name
    assert len(indexes) >= 10
    assert await read_model_indexes(seeded_engine) == indexes


async def test_rebuild_after_corrections_retraction_rerank_citation_and_revision_gives_the_same_rows(
    seeded_archive: Archive, seeded_engine: AsyncEngine
) -> None:
    await change_the_corpus(seeded_archive, seeded_engine)
    before = await snapshot(seeded_engine)
    # The changes did reach the read models.
    states = {row[TABLES["citations"].c.keys().index("state")] for row in before["citations"]}
    assert {"verified", "drifted", "orphaned"} <= states
    statuses = {row[TABLES["fact_versions"].c.keys().index("status")] for row in before["fact_versions"]}
    assert "retracted" in statuses

    applied = await rebuild(seeded_archive.store, seeded_archive.projector)
    after = await snapshot(seeded_engine)

    assert applied == await event_count(seeded_engine)
    for name in TABLES:
        assert len(after[name]) == len(before[name]), name
        for old, new in zip(before[name], after[name], strict=True):
            assert new == old, name


async def test_rebuild_in_small_pages_gives_the_same_rows(
    seeded_archive: Archive, seeded_engine: AsyncEngine
) -> None:
    await change_the_corpus(seeded_archive, seeded_engine)
    before = await snapshot(seeded_engine)
    progress: list[int] = []
    applied = await rebuild(
        seeded_archive.store, seeded_archive.projector, page_size=7, on_progress=progress.append
    )

    assert await snapshot(seeded_engine) == before
    assert progress[-1] == applied == await event_count(seeded_engine)
    assert progress == sorted(progress)
    assert all(b - a == 7 for a, b in itertools.pairwise(progress[:-1]))


async def test_every_checkpoint_is_the_last_event_position_inline_and_after_rebuild(
    seeded_archive: Archive, seeded_engine: AsyncEngine
) -> None:
    last = await last_position(seeded_engine)
    assert await checkpoints(seeded_engine) == dict.fromkeys(READ_MODEL_TABLES, last)

    await change_the_corpus(seeded_archive, seeded_engine)
    changed = await last_position(seeded_engine)
    assert changed > last
    assert await checkpoints(seeded_engine) == dict.fromkeys(READ_MODEL_TABLES, changed)

    await rebuild(seeded_archive.store, seeded_archive.projector)
    assert await checkpoints(seeded_engine) == dict.fromkeys(READ_MODEL_TABLES, changed)


class ExplodingProjector(Projector):
    """A projector that applies its first `fail_at` events, then fails, as a crash midway would.

    The events before the failure are written in the rebuild's transaction (whole pages, and part of
    the failing page), so only the rollback can bring the old rows back.
    """

    def __init__(self, projector: Projector, fail_at: int) -> None:
        super().__init__(projector.vocabulary)
        self.fail_at = fail_at
        self.applied = 0

    async def apply_replayed(self, conn: AsyncConnection, recorded_events: Sequence[ReplayedEvent]) -> None:
        room = self.fail_at - self.applied
        if room >= len(recorded_events):
            await super().apply_replayed(conn, recorded_events)
            self.applied += len(recorded_events)
            return
        await super().apply_replayed(conn, recorded_events[:room])
        self.applied += room
        raise RuntimeError(f"boom after {self.applied} events")


async def test_rebuild_that_fails_midway_leaves_the_old_read_models_intact(
    seeded_archive: Archive, seeded_engine: AsyncEngine
) -> None:
    await change_the_corpus(seeded_archive, seeded_engine)
    before = await snapshot(seeded_engine)
    indexes = await read_model_indexes(seeded_engine)
    total = await event_count(seeded_engine)
    exploding = ExplodingProjector(seeded_archive.projector, fail_at=total // 2)

    with pytest.raises(RuntimeError, match="boom"):
        await rebuild(seeded_archive.store, exploding, page_size=50)

    assert exploding.applied == total // 2 > 50, "the failure came after whole pages had been applied"
    assert await snapshot(seeded_engine) == before
    assert await read_model_indexes(seeded_engine) == indexes, "the dropped indexes came back"

    # The archive still works: a later rebuild succeeds and gives the same rows again.
    assert await rebuild(seeded_archive.store, seeded_archive.projector) == total
    assert await snapshot(seeded_engine) == before
