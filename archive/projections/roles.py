"""Read model `roles`: who held which office in which organisation, and when.

A fact feeds it when its predicate has a role mapping in the vocabulary; the mapping says where the
office and the organisation come from (the object, the subject, a qualifier, or a fixed label).

`GET /roles?valid_at=` reads the current rows through `ix_roles_current_valid_time`, in its order; the
conditions and the order it needs are spelled here, next to the index: `valid_during`,
`VALID_TIME_ORDER` and `OPT_IN_VALID_TIME_INDEX`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from sqlalchemy import (
    Column,
    ColumnElement,
    Date,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    false,
    func,
    literal_column,
    or_,
    true,
)

from archive.domain.facts import FactState
from archive.domain.vocabulary import Vocabulary
from archive.projections.versioning import NewVersion, record_time_columns
from archive.storage.engine import metadata

NAME = "roles"

roles_table = Table(
    NAME,
    metadata,
    Column("fact_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("office_id", String(200), nullable=True),
    Column("office_label", Text, nullable=True),
    Column("organization_id", String(200), nullable=True),
    Column("organization_label", Text, nullable=True),
    Column("predicate", String(100), nullable=False),
    Column("valid_from", String(40), nullable=True),
    Column("valid_to", String(40), nullable=True),
    Column("point_in_time", String(40), nullable=True),
    Column("valid_earliest", Date, nullable=True),
    Column("valid_latest", Date, nullable=True),
    Column("modality", String(20), nullable=False),
    Column("rank", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    *record_time_columns(),
    Index("ix_roles_holder_recorded_to", "holder", "recorded_to"),
    Index("ix_roles_office_id_recorded_to", "office_id", "recorded_to"),
    Index("ix_roles_organization_id_recorded_to", "organization_id", "recorded_to"),
)

#: The days an open bound of valid time stands for: the first and the last a `Date` holds (as the
#: timeline's sort_start and sort_end). They are SQL literals, never bound parameters: SQLite uses an
#: index on an expression only for a query that spells the expression the same way.
OPEN_START = literal_column(f"'{date.min.isoformat()}'", Date)
OPEN_END = literal_column(f"'{date.max.isoformat()}'", Date)

#: Whether the valid time has no earliest day (1 or true sorts after 0 or false).
starts_open = roles_table.c.valid_earliest.is_(None)
#: The earliest day of the valid time, an open start read as the first day there is.
valid_start = func.coalesce(roles_table.c.valid_earliest, OPEN_START)
#: The latest day of the valid time, an open end read as the last day there is.
valid_end = func.coalesce(roles_table.c.valid_latest, OPEN_END)

#: The order roles are listed in: dated starts first, by day, then open starts; the fact id breaks
#: ties. It is the order of `valid_earliest IS NULL, valid_earliest, fact_id` (among open starts the
#: second key is a constant either way), spelled as `ix_roles_current_valid_time` begins, so that a
#: page is read from the index in order and stops after its last row instead of sorting every match.
VALID_TIME_ORDER = (starts_open, valid_start, roles_table.c.fact_id)

#: Roles with a valid time, spelled in the index's own expressions so that a count by valid time is still
#: answered from `ix_roles_current_valid_time` (`valid_earliest IS NOT NULL OR valid_latest IS NOT NULL`
#: read the table for every entry). An open end is the last day a Date holds, which no stated date is.
roles_dated = or_(starts_open == false(), valid_end != OPEN_END)

#: Always true; a query says it to opt in to `ix_roles_current_valid_time`. It names the index's first
#: column, so both databases read two ranges of the index (dated starts up to the period's last day,
#: then open starts) instead of all of it, still in VALID_TIME_ORDER.
OPT_IN_VALID_TIME_INDEX = starts_open.in_([false(), true()])

#: Current roles by valid time, for listings not narrowed by holder, office or organization. A page
#: walks it in VALID_TIME_ORDER; the count reads only the index: the rest of the conditions (the end,
#: modality, rank, status) are checked on its entries.
#:
#: On SQLite its WHERE also says OPT_IN_VALID_TIME_INDEX, so that only a query saying it can use it:
#: without statistics SQLite takes a partial index to hold half the table, and walked this one, with a
#: lookup in the table per entry, for roles narrowed by office (no index serves that OR) instead of
#: scanning the table. Narrowed queries do not say it: SQLite also takes a constraint on an index's
#: first column to be selective, and read this index instead of `ix_roles_holder_recorded_to`, hundreds
#: of times slower (docs/decisions/0004-roles-valid-time-index-is-opt-in.md). PostgreSQL has statistics,
#: and drops from the index conditions a clause that its WHERE implies (the two ranges would be lost):
#: there the WHERE is only "current". It also
#: carries the two bare columns (INCLUDE): its planner allows an index-only scan only when every column
#: a query names is in the index, even one used only inside an indexed expression.
valid_time_index = Index(
    "ix_roles_current_valid_time",
    *VALID_TIME_ORDER,
    valid_end,
    roles_table.c.modality,
    roles_table.c.rank,
    roles_table.c.status,
    sqlite_where=and_(roles_table.c.recorded_to.is_(None), OPT_IN_VALID_TIME_INDEX),
    postgresql_where=roles_table.c.recorded_to.is_(None),
    postgresql_include=["valid_earliest", "valid_latest"],
)


def valid_during(earliest: date, latest: date) -> list[ColumnElement[bool]]:
    """Roles that held, definitely or possibly, at some time between the days `earliest` and `latest`.

    The same rows as `(valid_earliest IS NULL OR valid_earliest <= latest) AND (valid_latest IS NULL OR
    valid_latest >= earliest)`: an open bound becomes OPEN_START or OPEN_END, which every day passes.
    Written so, each bound is one comparison with an indexed expression; the ORs were not indexable,
    so each request read every current row.
    """
    return [valid_start <= latest, valid_end >= earliest]


def resolve_slot(slot: str, state: FactState) -> tuple[str | None, str | None]:
    """(entity id, fixed label) named by a role-mapping slot for this fact."""
    if slot.startswith("label:"):
        return None, slot.removeprefix("label:")
    by_slot = {
        "object": state.object,
        "subject": state.subject,
        "qualifier:role": state.qualifiers.role,
        "qualifier:organization": state.qualifiers.organization,
    }
    return by_slot[slot], None


class RoleRow(msgspec.Struct, kw_only=True):
    """A row of `roles` (dates and times encoded for the driver)."""

    fact_id: str
    version: int
    holder: str
    office_id: str | None
    office_label: str | None
    organization_id: str | None
    organization_label: str | None
    predicate: str
    valid_from: str | None
    valid_to: str | None
    point_in_time: str | None
    valid_earliest: Any
    valid_latest: Any
    modality: str
    rank: str
    status: str
    recorded_from: Any
    recorded_to: Any = None
    position_from: int
    position_to: int | None = None


def rows_for(new: NewVersion, vocabulary: Vocabulary) -> list[RoleRow]:
    """The role row of the fact's new version, if its predicate describes a role."""
    after = new.state
    predicate = vocabulary.predicates.get(after.predicate)
    if predicate is None or predicate.role is None:
        return []
    office_id, office_label = resolve_slot(predicate.role.office, after)
    organization_id, organization_label = resolve_slot(predicate.role.organization, after)
    return [
        RoleRow(
            fact_id=after.fact_id,
            version=after.version,
            holder=after.subject,
            office_id=office_id,
            office_label=office_label,
            organization_id=organization_id,
            organization_label=organization_label,
            predicate=after.predicate,
            valid_from=after.valid_from,
            valid_to=after.valid_to,
            point_in_time=after.point_in_time,
            valid_earliest=new.earliest,
            valid_latest=new.latest,
            modality=after.modality,
            rank=after.rank,
            status=after.status,
            recorded_from=new.recorded_from,
            position_from=new.position,
        )
    ]
