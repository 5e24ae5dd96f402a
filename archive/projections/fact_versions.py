"""Read model `fact_versions`: one row per version of each fact, with its record-time interval.

As-of queries read this table through its indexes: the version believed at T is the row whose
interval contains T. The full fact state is kept as JSON beside the indexed columns, so a response
needs no replay.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import (
    JSON,
    Column,
    Date,
    FromClause,
    Index,
    Integer,
    Select,
    String,
    Table,
    Text,
    bindparam,
    func,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.facts import FactState, initial_fact_state
from archive.projections.versioning import NewVersion, believed_at, record_time_columns
from archive.storage.engine import metadata

NAME = "fact_versions"

fact_versions_table = Table(
    NAME,
    metadata,
    Column("fact_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("event_type", String(100), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("predicate", String(100), nullable=False),
    Column("object", String(200), nullable=True),
    Column("value", Text, nullable=True),
    Column("valid_from", String(40), nullable=True),
    Column("valid_to", String(40), nullable=True),
    Column("point_in_time", String(40), nullable=True),
    Column("valid_earliest", Date, nullable=True),
    Column("valid_latest", Date, nullable=True),
    Column("modality", String(20), nullable=False),
    Column("rank", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("state", JSON, nullable=False),
    *record_time_columns(),
    Index("ix_fact_versions_fact_id_recorded", "fact_id", "recorded_from", "recorded_to"),
    Index("ix_fact_versions_subject_recorded_to", "subject", "recorded_to"),
    Index("ix_fact_versions_object_recorded_to", "object", "recorded_to"),
    Index("ix_fact_versions_predicate_recorded_to", "predicate", "recorded_to"),
    Index("ix_fact_versions_recorded_to_recorded_from", "recorded_to", "recorded_from"),
)

#: The current facts of one content (subject, predicate, object): the findings' precision variants look
#: a batch's contents up here, where by subject alone they read every fact of every subject in the batch.
content_index = Index(
    "ix_fact_versions_content",
    fact_versions_table.c.subject,
    fact_versions_table.c.predicate,
    fact_versions_table.c.object,
    fact_versions_table.c.recorded_to,
)

#: `rank = 'preferred'` spelled as a literal: SQLite uses a partial index only for a query whose WHERE
#: says the index's own condition, and a bound parameter is not known to equal it.
PREFERRED = literal_column("'preferred'", String)

#: The preferred versions by subject and predicate: few, so the pairs that outrank others are read from a
#: small index, not found by a scan of every version (`reads.filters.rank_condition`, `outranked`).
preferred_index = Index(
    "ix_fact_versions_preferred",
    fact_versions_table.c.subject,
    fact_versions_table.c.predicate,
    sqlite_where=fact_versions_table.c.rank == PREFERRED,
    postgresql_where=fact_versions_table.c.rank == PREFERRED,
)


#: How a query is told to read a table through an index (the storage backend's `use_index`).
UseIndex = Callable[[Select[Any], FromClause, Index], Select[Any]]


def outranked(as_of: datetime | None, use_index: UseIndex | None = None) -> Select[Any]:
    """The ids of the normal facts believed at `as_of` that a preferred, unretracted fact with the same
    subject and predicate outranks: with rank "best", Wikidata's best rank hides them.

    The preferred versions' (subject, predicate) pairs are a subquery of their own, read through
    `preferred_index`, and each pair finds its normal versions by subject. Written as a join of the two,
    the query left the order to SQLite's planner, which once ANALYZE had run walked every version and
    looked each up among the (usually no) preferred ones: the whole table for every listing by best rank
    (docs/decisions/0008-valid-time-and-rank-filters-on-the-roles-index.md). `use_index` names both
    indexes where the planner must be told: without statistics SQLite took every current row instead.
    """
    preferred = fact_versions_table.alias("preferred")
    normal = fact_versions_table.alias("outranked")
    pairs = select(preferred.c.subject, preferred.c.predicate).where(
        preferred.c.rank == PREFERRED,
        preferred.c.status != "retracted",
        believed_at(preferred, as_of),
    )
    if use_index is not None:
        pairs = use_index(pairs, preferred, preferred_index)
    query = select(normal.c.fact_id).where(
        tuple_(normal.c.subject, normal.c.predicate).in_(pairs),
        normal.c.rank == "normal",
        believed_at(normal, as_of),
    )
    if use_index is None:
        return query
    by_subject = next(
        i for i in fact_versions_table.indexes if i.name == "ix_fact_versions_subject_recorded_to"
    )
    return use_index(query, normal, by_subject)


class FactVersionRow(msgspec.Struct, kw_only=True):
    """A row of `fact_versions` (dates and times encoded for the driver)."""

    fact_id: str
    version: int
    event_type: str
    subject: str
    predicate: str
    object: str | None
    value: str | None
    valid_from: str | None
    valid_to: str | None
    point_in_time: str | None
    valid_earliest: Any
    valid_latest: Any
    modality: str
    rank: str
    status: str
    state: str
    recorded_from: Any
    recorded_to: Any = None
    position_from: int
    position_to: int | None = None


def rows_for(new: NewVersion) -> list[FactVersionRow]:
    """The row of the fact's new version."""
    after = new.state
    return [
        FactVersionRow(
            fact_id=after.fact_id,
            version=after.version,
            event_type=new.event_type,
            subject=after.subject,
            predicate=after.predicate,
            object=after.object,
            value=after.value,
            valid_from=after.valid_from,
            valid_to=after.valid_to,
            point_in_time=after.point_in_time,
            valid_earliest=new.earliest,
            valid_latest=new.latest,
            modality=after.modality,
            rank=after.rank,
            status=after.status,
            state=new.encoding.json(msgspec.to_builtins(after)),
            recorded_from=new.recorded_from,
            position_from=new.position,
        )
    ]


def state_of(row: Row[Any]) -> FactState:
    """The fact state a stored version holds."""
    return msgspec.convert(row.state, FactState)


# The state lookups select every version of the facts asked for and keep the current one here: with
# `recorded_to IS NULL` in the statement, a planner whose statistics lag behind a bulk load takes the
# condition to be rare and reads every current row through the record-time index instead of looking
# the facts up by id (tests/integration/test_query_plan.py). A fact has a handful of versions.


async def current_states(conn: AsyncConnection, fact_ids: set[str]) -> dict[str, FactState]:
    """The current state of each fact already recorded among `fact_ids`."""
    states: dict[str, FactState] = {}
    ordered = sorted(fact_ids)
    for offset in range(0, len(ordered), 1000):
        query = select(fact_versions_table.c.state, fact_versions_table.c.recorded_to).where(
            fact_versions_table.c.fact_id.in_(ordered[offset : offset + 1000])
        )
        for stored, recorded_to in await conn.execute(query):
            if recorded_to is None:
                state = msgspec.convert(stored, FactState)
                states[state.fact_id] = state
    return states


#: One fact's versions' states, for a point read (`PointReader`): a decision's load, which on a SQLite
#: file runs on the loop's thread, as `current_states` by id (the current one kept in Python).
FACT_STATES = select(fact_versions_table.c.state, fact_versions_table.c.recorded_to).where(
    fact_versions_table.c.fact_id == bindparam("fact_id")
)


def current_of(rows: Sequence[Any]) -> FactState:
    """The current state among `FACT_STATES`'s rows (the initial state when none is current)."""
    for row in rows:
        if row.recorded_to is None:
            return state_of(row)
    return initial_fact_state()


async def current_state(conn: AsyncConnection, fact_id: str) -> FactState:
    """The fact's current state, or the initial state of a fact not yet recorded."""
    state = (await current_states(conn, {fact_id})).get(fact_id)
    return initial_fact_state() if state is None else state


async def version_at(conn: AsyncConnection, fact_id: str, as_of: datetime | None) -> Row[Any] | None:
    """The version of one fact the archive believed at `as_of` (the current one when None)."""
    query = select(fact_versions_table).where(
        fact_versions_table.c.fact_id == fact_id, believed_at(fact_versions_table, as_of)
    )
    return (await conn.execute(query)).first()


async def exists(conn: AsyncConnection, fact_id: str) -> bool:
    """Whether the fact was ever recorded."""
    query = select(func.count()).where(fact_versions_table.c.fact_id == fact_id)
    return bool((await conn.execute(query)).scalar_one())
