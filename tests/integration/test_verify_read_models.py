"""`archive verify` checks every read model against a rebuild into shadow tables."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.commands import Archive
from archive.projections.fact_versions import fact_versions_table
from archive.projections.rebuild import REPLAYED_TABLES
from archive.projections.roles import roles_table
from archive.projections.shadow import compare_with_rebuild, snapshot
from tests.integration.test_cli import archive


async def test_intact_read_models_equal_a_rebuild_and_the_check_leaves_them_untouched(
    seeded_archive: Archive, seeded_engine: AsyncEngine
) -> None:
    async with seeded_engine.connect() as conn:
        before = {t.name: await snapshot(conn, t) for t in REPLAYED_TABLES}
    assert await compare_with_rebuild(seeded_archive.store, seeded_archive.projector) == []
    async with seeded_engine.connect() as conn:
        after = {t.name: await snapshot(conn, t) for t in REPLAYED_TABLES}
    assert after == before
    assert len(before["fact_versions"]) > 100


async def test_a_read_model_row_changed_behind_the_projector_is_reported(
    seeded_archive: Archive, seeded_engine: AsyncEngine, seeded_database_url: str
) -> None:
    async with seeded_engine.begin() as conn:
        await conn.execute(update(roles_table).values(office_label="Forged Office"))
        await conn.execute(
            update(fact_versions_table).where(fact_versions_table.c.rank == "normal").values(rank="preferred")
        )
    differences = await compare_with_rebuild(seeded_archive.store, seeded_archive.projector)
    assert sorted(d.table for d in differences) == ["fact_versions", "roles"]
    roles = next(d for d in differences if d.table == "roles")
    async with seeded_engine.connect() as conn:
        role_rows = len(await snapshot(conn, roles_table))
    # every role row was forged: each is only live, and its rebuilt twin only rebuilt
    assert roles.only_live == roles.only_rebuilt == roles.live_rows == role_rows > 0
    assert "Forged Office" in roles.example  # the example is a live row, as forged
    fact_versions = next(d for d in differences if d.table == "fact_versions")
    assert fact_versions.only_live == fact_versions.only_rebuilt > 0
    assert "'preferred'" in fact_versions.example  # every column shows, however long the row's texts

    result = archive("verify", database_url=seeded_database_url)
    assert result.returncode == 1
    assert "FAILED read model fact_versions" in result.stderr
    assert "FAILED read model roles" in result.stderr
    assert "ok: " in result.stdout  # the hash chain itself is intact
