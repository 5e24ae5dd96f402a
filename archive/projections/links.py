"""Read model `fact_links`: each link a fact made to another, found from the fact it names.

A fact's own links live in its state (`FactState.links`); this table turns them around, so that a fact
can show the links made to it (`fulfilled_by`, `contradicted_by`, `superseded_by`). No event removes a
link, so a row is only ever inserted: the archive has believed the link since its event's record time,
and "as believed at T" is `recorded_from <= T`, without the closing half of the other read models'
record-time intervals.

A retraction removes no link either: the linking fact is withdrawn, not its history. So a link made to a
fact is shown with the status its maker had at the time asked (`active`, or `retracted`), read from that
fact's version in `fact_versions`: an auditor still sees that the link was made, and a client sees that
it no longer stands (a fact superseded only by a retracted one is not superseded now), and as it stood
before the retraction with `as_of`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final, Literal
from typing import cast as cast_status

import msgspec
from sqlalchemy import (
    BigInteger,
    BindParameter,
    Column,
    ColumnElement,
    DateTime,
    Integer,
    ScalarSelect,
    String,
    Table,
    and_,
    cast,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.events import FactStatus
from archive.domain.facts import FactState
from archive.projections.fact_versions import fact_versions_table
from archive.projections.versioning import NewVersion
from archive.storage.engine import metadata

NAME = "fact_links"

fact_links_table = Table(
    NAME,
    metadata,
    # The target first: every lookup asks for the links made to one fact or a page of them.
    Column("target_fact_id", String(36), primary_key=True),
    Column("relation", String(20), primary_key=True),
    Column("fact_id", String(36), primary_key=True),
    Column("recorded_from", DateTime(timezone=True), nullable=False),
    Column("position_from", BigInteger().with_variant(Integer(), "sqlite"), nullable=False),
)

#: A link named from the fact it points at: A fulfils B, so B is fulfilled by A.
InverseRelation = Literal["fulfilled_by", "contradicted_by", "superseded_by"]
INVERSE_RELATIONS: Final[dict[str, InverseRelation]] = {
    "fulfils": "fulfilled_by",
    "contradicts": "contradicted_by",
    "supersedes": "superseded_by",
}


class LinkRow(msgspec.Struct, kw_only=True):
    """A row of `fact_links`: `fact_id` made a link of `relation` to `target_fact_id` (time encoded)."""

    target_fact_id: str
    relation: str
    fact_id: str
    recorded_from: Any
    position_from: int


def rows_for(before: FactState, new: NewVersion) -> list[LinkRow]:
    """A row for each link the fact's new version has and its previous one had not (a link made again
    changes nothing)."""
    after = new.state
    if len(after.links) == len(before.links):  # links are only ever added
        return []
    made = set(before.links)
    return [
        LinkRow(
            target_fact_id=link.target_fact_id,
            relation=link.relation,
            fact_id=after.fact_id,
            recorded_from=new.recorded_from,
            position_from=new.position,
        )
        for link in after.links
        if link not in made
    ]


def made_by(as_of: datetime | BindParameter[Any] | None) -> ColumnElement[bool]:
    """Links the archive believed at `as_of` (every link when None): those made by then."""
    return true() if as_of is None else fact_links_table.c.recorded_from <= as_of


#: A link made to a fact, as its lookups give it: the relation named from that fact's end
#: (`fulfilled_by`, ...), the fact that made it, and that fact's status at the time asked.
LinkedFrom = tuple[InverseRelation, str, FactStatus]

#: The linking fact's versions, under a name of their own: a point read's statement holds
#: `fact_versions` already (the target's), which a correlated lookup would otherwise take for this one.
_maker = fact_versions_table.alias("link_maker")


def _maker_believed_at(as_of: datetime | BindParameter[Any] | None) -> ColumnElement[bool]:
    """The version of each link's maker the archive believed at `as_of` (its current one when None)."""
    maker = _maker.c
    same_fact = maker.fact_id == fact_links_table.c.fact_id
    if as_of is None:
        return and_(same_fact, maker.recorded_to.is_(None))
    return and_(
        same_fact, maker.recorded_from <= as_of, or_(maker.recorded_to.is_(None), maker.recorded_to > as_of)
    )


async def linked_from(
    conn: AsyncConnection, fact_ids: Iterable[str], as_of: datetime | None
) -> dict[str, list[LinkedFrom]]:
    """The links made to each of these facts by `as_of` (now when None), in the order they were made,
    each with its maker's status then."""
    table = fact_links_table
    ordered = sorted(set(fact_ids))
    found: dict[str, list[LinkedFrom]] = {}
    for offset in range(0, len(ordered), 1000):
        query = (
            select(table.c.target_fact_id, table.c.relation, table.c.fact_id, _maker.c.status)
            .select_from(table.join(_maker, _maker_believed_at(as_of)))
            .where(table.c.target_fact_id.in_(ordered[offset : offset + 1000]), made_by(as_of))
            .order_by(table.c.position_from)
        )
        for target, relation, fact_id, status in await conn.execute(query):
            found.setdefault(target, []).append((INVERSE_RELATIONS[relation], fact_id, status))
    return found


def linked_from_text(
    target_fact_id: ColumnElement[Any], as_of: BindParameter[Any] | None
) -> ScalarSelect[Any]:
    """The links made to `target_fact_id` by `as_of`, as one text (`parse_linked_from` reads it back).

    For a point read that answers in one statement: one row per link would multiply its citation rows.
    Each link is `position relation fact_id status` (the maker's status at `as_of`, now when None), the
    position kept so that the links come back in the order
    they were made (SQLite's `group_concat` orders nothing before 3.44). The separator is a literal in
    the SQL, not a parameter SQLAlchemy renders at run time, so the statement can run by the driver
    itself (archive/storage/driver.py).
    """
    table = fact_links_table
    each = (
        cast(table.c.position_from, String)
        + " "
        + table.c.relation
        + " "
        + table.c.fact_id
        + " "
        + _maker.c.status
    )
    joined = func.aggregate_strings(each, literal_column("','"))  # type: ignore[arg-type]  # see above
    return (
        select(joined)
        .select_from(table.join(_maker, _maker_believed_at(as_of)))
        .where(table.c.target_fact_id == target_fact_id, made_by(as_of))
        .scalar_subquery()
    )


def parse_linked_from(text: str | None) -> list[LinkedFrom]:
    """The links of a `linked_from_text`, in the order they were made."""
    if not text:
        return []
    made = sorted(
        (int(position), relation, fact_id, status)
        for position, relation, fact_id, status in (each.split(" ") for each in text.split(","))
    )
    return [
        (INVERSE_RELATIONS[relation], fact_id, cast_status(FactStatus, status))
        for _, relation, fact_id, status in made
    ]
