"""Record-time versioning shared by the fact-derived read models.

Each row carries the record-time interval in which the archive believed it: `recorded_from` (the
event's `recorded_at`) and `recorded_to` (when a later event replaced it; null while current), with
the matching positions. A new fact event closes the fact's current rows and inserts the new ones (the
runner batches both), so an `as_of` query is an indexed range condition, never a replay.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import BigInteger, Column, ColumnElement, DateTime, FromClause, Integer, and_, or_

from archive.domain.facts import FactState
from archive.domain.time import bounds, make_valid_time
from archive.eventstore import Logged
from archive.storage import Encoding


def record_time_columns() -> list[Column[Any]]:
    """The four columns of a record-time interval."""
    return [
        Column("recorded_from", DateTime(timezone=True), nullable=False),
        Column("recorded_to", DateTime(timezone=True), nullable=True),
        Column("position_from", BigInteger().with_variant(Integer(), "sqlite"), nullable=False),
        Column("position_to", BigInteger().with_variant(Integer(), "sqlite"), nullable=True),
    ]


def believed_at(table: FromClause, as_of: datetime | None) -> ColumnElement[bool]:
    """Rows the archive believed at `as_of` (the current rows when `as_of` is None)."""
    if as_of is None:
        return table.c.recorded_to.is_(None)
    return and_(
        table.c.recorded_from <= as_of,
        or_(table.c.recorded_to.is_(None), table.c.recorded_to > as_of),
    )


@lru_cache(maxsize=8192)
def valid_days(
    valid_from: str | None, valid_to: str | None, point_in_time: str | None
) -> tuple[date | None, date | None, bool]:
    """(earliest, latest, dated) of a valid time: its widest days (None is open), and whether it has one.

    Parsed once per distinct valid time (facts share a handful of dates), not once per read model.
    """
    valid_time = make_valid_time(valid_from, valid_to, point_in_time)
    earliest, latest = bounds(valid_time)
    return earliest, latest, not valid_time.is_empty


#: (encoding, valid time) → what `NewVersion` takes from it, encoded; bounded, cleared when full. Full, an
#: entry costs about 700 bytes with `valid_days`'s: the bound is what a process's memory grows by when an
#: archive has many distinct valid times (bench/README.md, change 40). A bulk load meets its dates in runs,
#: so a few thousand hold the run at hand.
_encoded_days: dict[tuple[Encoding, tuple[str | None, str | None, str | None]], tuple[Any, ...]] = {}
_ENCODED_DAYS_MAX = 8192


class NewVersion:
    """One new version of a fact, with what all its versioned rows share, encoded for the driver once.

    Each fact-derived read model turns it into its rows (a Struct per table, `Versioned`), each with the
    record-time interval `recorded_from, recorded_to, position_from, position_to`; `close` ends that
    interval in rows not yet written.
    """

    __slots__ = (
        "dated",
        "earliest",
        "encoding",
        "event_type",
        "latest",
        "position",
        "recorded_from",
        "sort_end",
        "sort_start",
        "state",
    )

    def __init__(self, state: FactState, recorded: Logged, encoding: Encoding) -> None:
        self.state = state
        self.event_type = recorded.event_type
        self.encoding = encoding
        key = (state.valid_from, state.valid_to, state.point_in_time)
        days = _encoded_days.get((encoding, key))
        if days is None:
            if len(_encoded_days) >= _ENCODED_DAYS_MAX:
                _encoded_days.clear()
            earliest, latest, dated = valid_days(*key)
            days = _encoded_days[encoding, key] = (
                dated,
                encoding.day(earliest),
                encoding.day(latest),
                encoding.day(earliest or date.min),
                encoding.day(latest or date.max),
            )
        self.dated, self.earliest, self.latest, self.sort_start, self.sort_end = days
        self.recorded_from = encoding.moment(recorded.recorded_at)
        self.position = recorded.position


class Versioned(Protocol):
    """A row of a versioned read model: its record-time interval, by name."""

    recorded_to: Any
    position_to: int | None


def close(rows: Sequence[Versioned], recorded_to: Any, position_to: int) -> None:
    """End the record-time interval of buffered rows (a fact's rows superseded within one batch)."""
    for row in rows:
        row.recorded_to = recorded_to
        row.position_to = position_to
