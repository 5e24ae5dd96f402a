"""Links from both ends (issue 23): a fact shows the links other facts made to it (`linked_from`, named
from its end: fulfilled_by, contradicted_by, superseded_by), as believed at the time asked. The links
are kept by their target in the read model `fact_links`, which a replay writes the same, and which its
migration fills from the log."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.bootstrap import wire
from archive.commands import Archive
from archive.domain.facts import LINK_RELATIONS, FactLink, FactState
from archive.eventstore import ReplayedEvent
from archive.projections import checkpoints
from archive.projections.links import (
    INVERSE_RELATIONS,
    fact_links_table,
    parse_linked_from,
    rows_for,
)
from archive.projections.rebuild import rebuild
from archive.projections.shadow import compare_with_rebuild, snapshot
from archive.projections.versioning import NewVersion
from archive.storage.engine import create_engine
from archive.storage.migrate import downgrade, upgrade
from archive.storage.postgres.batch import PostgresEncoding
from tests.integration.test_query_plan import answer_and_its_sql

Client = AsyncTestClient[Litestar]
#: Rows encoded as asyncpg takes them: dates and times as Python objects, so they read back as given.
ENCODING = PostgresEncoding(PGDialect())  # type: ignore[no-untyped-call]


async def unlinked_facts(client: Client, count: int) -> list[dict[str, Any]]:
    """`count` current facts of the seed that link nowhere and that no fact links to, in id order."""
    found = (await client.get("/facts", params={"subject": "kazakhstan", "limit": 100})).json()["items"]
    free = sorted((f for f in found if not f["links"] and not f["linked_from"]), key=lambda f: f["id"])
    assert len(free) >= count
    return free[:count]


async def link(
    client: Client, headers: dict[str, str], fact: dict[str, Any], relation: str, target: dict[str, Any]
) -> dict[str, Any]:
    """`fact` links to `target` over the API; the linking fact as the write answers it."""
    response = await client.post(
        f"/facts/{fact['id']}/links",
        json={
            "relation": relation,
            "target_fact_id": target["id"],
            "expected_version": fact["version"],
            "reason": "test: link",
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def fact(client: Client, fact_id: str, **params: str) -> dict[str, Any]:
    response = await client.get(f"/facts/{fact_id}", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def in_search(client: Client, fact_id: str, **params: str) -> dict[str, Any]:
    """The fact as a search page lists it."""
    page = (await client.get("/facts", params={"subject": "kazakhstan", "limit": 100, **params})).json()
    return next(item for item in page["items"] if item["id"] == fact_id)


async def test_a_fact_shows_the_links_made_to_it_named_from_its_end_in_the_order_made(
    seeded_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    a, b, c = await unlinked_facts(seeded_client, 3)
    archivist = headers["archivist"]

    a_after = await link(seeded_client, archivist, a, "fulfils", b)
    assert a_after["links"] == [{"relation": "fulfils", "fact_id": b["id"]}]
    assert a_after["linked_from"] == []  # A made the link; nothing links to A

    shown = await fact(seeded_client, b["id"])
    assert shown["linked_from"] == [{"relation": "fulfilled_by", "fact_id": a["id"], "status": "active"}]
    assert shown["version"] == b["version"]  # the link is A's event: B is unchanged
    assert shown["links"] == []
    assert (await in_search(seeded_client, b["id"]))["linked_from"] == shown["linked_from"]

    await link(seeded_client, archivist, c, "contradicts", b)
    expected = [
        {"relation": "fulfilled_by", "fact_id": a["id"], "status": "active"},
        {"relation": "contradicted_by", "fact_id": c["id"], "status": "active"},
    ]
    assert (await fact(seeded_client, b["id"]))["linked_from"] == expected
    assert (await in_search(seeded_client, b["id"]))["linked_from"] == expected
    # A write answers with the version it made (a read by version): with the links as they are now.
    reranked = await seeded_client.post(
        f"/facts/{b['id']}/rank",
        json={"expected_version": b["version"], "rank": "preferred", "justification": "test: rank"},
        headers=archivist,
    )
    assert reranked.status_code == 200, reranked.text
    assert reranked.json()["linked_from"] == expected
    assert (await fact(seeded_client, a["id"]))["linked_from"] == []


async def test_a_link_made_after_as_of_is_not_shown_at_as_of(
    seeded_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    a, b = await unlinked_facts(seeded_client, 2)
    made = await link(seeded_client, headers["archivist"], a, "supersedes", b)
    linked_at = datetime.fromisoformat(made["recorded_at"])
    before, at = (linked_at - timedelta(microseconds=1)).isoformat(), linked_at.isoformat()
    superseded_by = [{"relation": "superseded_by", "fact_id": a["id"], "status": "active"}]

    assert (await fact(seeded_client, b["id"], as_of=before))["linked_from"] == []
    assert (await in_search(seeded_client, b["id"], as_of=before))["linked_from"] == []
    assert (await fact(seeded_client, b["id"], as_of=at))["linked_from"] == superseded_by
    assert (await in_search(seeded_client, b["id"], as_of=at))["linked_from"] == superseded_by
    assert (await fact(seeded_client, b["id"]))["linked_from"] == superseded_by


async def link_rows(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        return await snapshot(conn, fact_links_table)


async def test_a_rebuild_writes_the_same_link_rows_as_the_commands_did(
    seeded_archive: Archive,
    seeded_engine: AsyncEngine,
    seeded_client: Client,
    headers: dict[str, dict[str, str]],
) -> None:
    a, b = await unlinked_facts(seeded_client, 2)
    await link(seeded_client, headers["archivist"], a, "fulfils", b)
    rows = await link_rows(seeded_engine)
    assert (b["id"], "fulfils", a["id"]) in {row[:3] for row in rows}

    assert await compare_with_rebuild(seeded_archive.store, seeded_archive.projector) == []
    await rebuild(seeded_archive.store, seeded_archive.projector)
    assert await link_rows(seeded_engine) == rows


def test_the_migration_fills_the_links_of_an_existing_log_as_a_replay_would(
    seeded_database_url: str,
) -> None:
    async def read() -> tuple[list[tuple[Any, ...]], dict[str, int]]:
        engine = create_engine(seeded_database_url)
        try:
            async with engine.connect() as conn:
                return await snapshot(conn, fact_links_table), await checkpoints.positions(conn)
        finally:
            await engine.dispose()

    async def verify() -> list[Any]:
        engine = create_engine(seeded_database_url)
        try:
            archive = wire(engine).commands
            return await compare_with_rebuild(archive.store, archive.projector)
        finally:
            await engine.dispose()

    projected, positions = asyncio.run(read())
    assert len(projected) >= 5  # the seed's links, from its `links:` entries

    downgrade(seeded_database_url, "0007")
    upgrade(seeded_database_url)

    migrated, migrated_positions = asyncio.run(read())
    assert migrated == projected
    assert migrated_positions == positions  # fact_links's checkpoint included, where the others stand
    assert asyncio.run(verify()) == []


async def test_the_fact_read_answers_its_back_links_in_its_one_statement(
    postgres_backend: str, seeded_engine: AsyncEngine
) -> None:
    # On SQLite the point read runs by the driver on the calling thread, unseen by the engine's events.
    async with seeded_engine.connect() as conn:
        target = (await conn.execute(select(fact_links_table.c.target_fact_id).limit(1))).scalar_one()
    reads = wire(seeded_engine).reads
    view, statement, _ = await answer_and_its_sql(seeded_engine, lambda: reads.fact(target))
    assert view.linked_from
    assert "fact_links" in statement


def test_every_link_relation_has_a_name_from_its_other_end() -> None:
    assert set(INVERSE_RELATIONS) == set(LINK_RELATIONS)
    assert len(set(INVERSE_RELATIONS.values())) == len(LINK_RELATIONS)


def test_a_row_is_written_for_a_new_link_only() -> None:
    recorded = ReplayedEvent(
        position=7, event_type="fact.linked", recorded_at=datetime(2026, 1, 1, tzinfo=UTC), event=None
    )
    before = FactState(exists=True, fact_id="a", version=2, links=(FactLink("fulfils", "b"),))
    again = msgspec.structs.replace(before, version=3)
    assert rows_for(before, NewVersion(again, recorded, ENCODING)) == []
    after = msgspec.structs.replace(before, version=3, links=(*before.links, FactLink("contradicts", "c")))
    [row] = rows_for(before, NewVersion(after, recorded, ENCODING))
    assert (row.target_fact_id, row.relation, row.fact_id, row.position_from) == ("c", "contradicts", "a", 7)


def test_the_links_of_a_point_read_come_back_in_the_order_they_were_made() -> None:
    assert parse_linked_from(None) == []
    assert parse_linked_from("12 supersedes x retracted,3 fulfils y active") == [
        ("fulfilled_by", "y", "active"),
        ("superseded_by", "x", "retracted"),
    ]
