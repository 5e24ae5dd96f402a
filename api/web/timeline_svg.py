"""The layout of an entity's timeline chart: its roles and memberships drawn on a years axis.

The chart is drawn on the server as SVG (the template `_timeline.svg.html` writes the markup; this
module computes where everything goes). Valid time is drawn at the precision the sources give:

- a bound known to the day is a sharp edge;
- a bound known only to the month or the year (or hedged with circa) is a *fuzzy band* from the first
  to the last day it may denote: a start fades in across that period, an end fades out;
- an open bound fades to the chart's edge;
- a point in time is a band over the period it may denote (a sharp mark for a day).

Contested facts (linked by `contradicts`, or stating the same subject, predicate and object with
different dates) are drawn in adjacent rows, with a marker.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Literal

import msgspec

from archive.domain.time import PartialDate, parse_partial_date
from archive.reads import DateValue, FactView

ShapeKind = Literal["fuzzy-band", "core", "open-start", "open-end", "point-day"]
Fill = Literal["rise", "fall", "solid", "point"]
Style = Literal["asserted", "planned", "deprecated"]

WIDTH = 1180
LABEL_WIDTH = 360
RIGHT_PAD = 16
AXIS_HEIGHT = 30
ROW_HEIGHT = 28
BAR_HEIGHT = 14
BOTTOM_PAD = 10
MIN_SHAPE_WIDTH = 2.0
LABEL_CHARS = 42
TICK_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000)
MIN_TICK_SPACING = 48.0
STYLES: tuple[Style, ...] = ("asserted", "planned", "deprecated")


class Shape(msgspec.Struct, frozen=True):
    """One drawn rectangle of a row: a band, the solid core, an open end or a day mark."""

    kind: ShapeKind
    fill: Fill
    x: float
    width: float
    bound: str
    precision: str
    title: str


class Row(msgspec.Struct, frozen=True):
    """One fact's row."""

    fact_id: str
    y: float
    label: str
    full_label: str
    dates: str
    style: Style
    shapes: list[Shape]
    contested_group: int | None = None


class Tick(msgspec.Struct, frozen=True):
    """A year on the axis."""

    x: float
    label: str


class ContestedMark(msgspec.Struct, frozen=True):
    """The bracket drawn beside a group of contested rows."""

    group: int
    y: float
    height: float
    fact_ids: list[str]


class Highlight(msgspec.Struct, frozen=True):
    """The period a `valid_at` query names, shaded across the rows."""

    x: float
    width: float
    label: str


class TimelineChart(msgspec.Struct, frozen=True):
    """Everything the SVG template needs."""

    width: int
    height: int
    plot_left: float
    plot_right: float
    axis_y: float
    ticks: list[Tick]
    rows: list[Row]
    contested: list[ContestedMark]
    highlight: Highlight | None
    first_year: int
    last_year: int


class _Item(msgspec.Struct, frozen=True):
    fact: FactView
    start: PartialDate | None
    end: PartialDate | None
    point: PartialDate | None


def _parse(value: DateValue | None) -> PartialDate | None:
    return None if value is None else parse_partial_date(value.value)


def _item(fact: FactView) -> _Item | None:
    start, end, point = _parse(fact.valid_from), _parse(fact.valid_to), _parse(fact.point_in_time)
    if start is None and end is None and point is None:
        return None
    return _Item(fact, start, end, point)


def _is_sharp(date: PartialDate) -> bool:
    return date.precision == "day" and not date.circa


def _precision(date: PartialDate) -> str:
    return f"circa {date.precision}" if date.circa else date.precision


def _next_day(day: dt.date) -> dt.date:
    return day if day == dt.date.max else day + dt.timedelta(days=1)


def date_text(value: DateValue | None) -> str:
    """A partial date as shown: its text and its precision."""
    if value is None:
        return "open"
    return f"{value.value} ({value.precision})"


def valid_time_text(fact: FactView) -> str:
    """A fact's valid time in words."""
    if fact.point_in_time is not None:
        return f"at {date_text(fact.point_in_time)}"
    if fact.valid_from is None and fact.valid_to is None:
        return "no date"
    return f"from {date_text(fact.valid_from)} to {date_text(fact.valid_to)}"


def row_label(fact: FactView, predicate_labels: dict[str, str], entity_id: str) -> str:
    """What a row says: the predicate and the other side, with the role when there is one."""
    predicate = predicate_labels.get(fact.predicate, fact.predicate)
    if fact.subject.id != entity_id:
        text = f"{fact.subject.label} {predicate}"
    else:
        other = fact.object.label if fact.object is not None else (fact.value or "")
        text = f"{predicate} {other}".strip()
    if fact.qualifiers.role is not None:
        text += f" (as {fact.qualifiers.role.label})"
    if fact.modality == "planned":
        text += " [planned]"
    return text


def _style(fact: FactView) -> Style:
    if fact.rank == "deprecated":
        return "deprecated"
    return "planned" if fact.modality == "planned" else "asserted"


def contested_groups(facts: Sequence[FactView]) -> list[list[str]]:
    """Groups of fact ids that contest each other, each in the given order.

    Two facts contest each other when one `contradicts` the other, or when they state the same subject,
    predicate, object (or value) and role, with the same modality, and different valid times. (A plan and
    the assertion that fulfils it do not contest each other.)
    """
    ids = [f.id for f in facts]
    parent = {i: i for i in ids}

    def find(i: str) -> str:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    by_claim: dict[tuple[str | None, ...], list[FactView]] = {}
    for fact in facts:
        for link in fact.links:
            if link.relation == "contradicts" and link.fact_id in parent:
                union(fact.id, link.fact_id)
        claim = (
            fact.subject.id,
            fact.predicate,
            fact.object.id if fact.object else None,
            fact.value,
            fact.qualifiers.role.id if fact.qualifiers.role else None,
            fact.modality,
        )
        by_claim.setdefault(claim, []).append(fact)
    for same in by_claim.values():
        dates = {(f.valid_from, f.valid_to, f.point_in_time) for f in same}
        if len(dates) > 1:
            for other in same[1:]:
                union(same[0].id, other.id)
    groups: dict[str, list[str]] = {}
    for i in ids:
        groups.setdefault(find(i), []).append(i)
    return [members for members in groups.values() if len(members) > 1]


def valid_time_order(fact: FactView) -> tuple[dt.date, dt.date, str]:
    """A sort key putting facts in order of valid time: the earliest day each may start, then end."""
    item = _item(fact)
    return _sort_key(item) if item is not None else (dt.date.max, dt.date.max, fact.id)


def _sort_key(item: _Item) -> tuple[dt.date, dt.date, str]:
    first = item.point or item.start or item.end
    last = item.point or item.end or item.start
    return (
        first.earliest if first else dt.date.min,
        last.latest if last else dt.date.max,
        item.fact.id,
    )


def _ordered(items: list[_Item], groups: list[list[str]]) -> list[tuple[_Item, int | None]]:
    """Items by valid time, each contested group kept together where its first member falls."""
    group_of = {fact_id: n for n, members in enumerate(groups) for fact_id in members}
    placed: set[str] = set()
    ordered: list[tuple[_Item, int | None]] = []
    by_id = {item.fact.id: item for item in items}
    for item in sorted(items, key=_sort_key):
        if item.fact.id in placed:
            continue
        group = group_of.get(item.fact.id)
        if group is None:
            ordered.append((item, None))
            placed.add(item.fact.id)
            continue
        for member in sorted((by_id[i] for i in groups[group]), key=_sort_key):
            ordered.append((member, group))
            placed.add(member.fact.id)
    return ordered


def _year_span(items: Iterable[_Item], valid_at: PartialDate | None) -> tuple[int, int]:
    days: list[dt.date] = []
    for item in items:
        for date in (item.start, item.end, item.point):
            if date is not None:
                days += [date.earliest, date.latest]
    if valid_at is not None:
        days += [valid_at.earliest, valid_at.latest]
    first, last = min(days).year, max(days).year
    # One year of room on the right, where open ends fade out.
    return first, last + 2


def _tick_step(years: int, plot_width: float) -> int:
    for step in TICK_STEPS:
        if plot_width / years * step >= MIN_TICK_SPACING:
            return step
    return TICK_STEPS[-1]


class _Scale:
    def __init__(self, first_year: int, end_year: int, left: float, right: float) -> None:
        self.origin = dt.date(first_year, 1, 1).toordinal()
        self.end = dt.date(min(end_year, 9999), 1, 1).toordinal()
        self.left = left
        self.right = right

    def x(self, day: dt.date) -> float:
        span = self.end - self.origin
        return round(self.left + (day.toordinal() - self.origin) / span * (self.right - self.left), 2)


def _band(
    scale: _Scale,
    kind: ShapeKind,
    fill: Fill,
    start: dt.date,
    end: dt.date,
    bound: str,
    precision: str,
    title: str,
) -> Shape:
    """A shape covering the days [start, end] inclusive, at least MIN_SHAPE_WIDTH wide."""
    x0, x1 = scale.x(start), scale.x(_next_day(end))
    width = x1 - x0
    if width < MIN_SHAPE_WIDTH:
        x0 -= (MIN_SHAPE_WIDTH - width) / 2
        width = MIN_SHAPE_WIDTH
    return Shape(kind, fill, round(x0, 2), round(width, 2), bound, precision, title)


def _shapes(item: _Item, scale: _Scale, last_day: dt.date, first_day: dt.date) -> list[Shape]:
    if item.point is not None:
        point = item.point
        if _is_sharp(point):
            return [
                _band(scale, "point-day", "solid", point.earliest, point.latest, "point", "day", str(point))
            ]
        title = f"at some time in {point} ({_precision(point)}): {point.earliest} to {point.latest}"
        return [
            _band(scale, "fuzzy-band", "point", point.earliest, point.latest, "point", point.precision, title)
        ]
    start, end = item.start, item.end
    before: list[Shape] = []
    after: list[Shape] = []
    # The solid core runs from the first day the fact surely held to the last: from the latest day the
    # start may denote to the earliest day the end may denote.
    if end is None:
        core_to = last_day
    elif _is_sharp(end):
        core_to = end.latest
    else:
        title = f"ended in {end} ({_precision(end)}): between {end.earliest} and {end.latest}"
        after.append(
            _band(scale, "fuzzy-band", "fall", end.earliest, end.latest, "end", end.precision, title)
        )
        core_to = end.earliest - dt.timedelta(days=1)
    if start is None:
        before.append(
            _band(scale, "open-start", "rise", first_day, core_to, "start", "open", "start not known")
        )
        return before + after
    if _is_sharp(start):
        core_from = start.earliest
    else:
        title = f"started in {start} ({_precision(start)}): between {start.earliest} and {start.latest}"
        before.append(
            _band(scale, "fuzzy-band", "rise", start.earliest, start.latest, "start", start.precision, title)
        )
        core_from = _next_day(start.latest)
    if end is None:
        after.append(_band(scale, "open-end", "fall", core_from, last_day, "end", "open", "end not known"))
        return before + after
    core = []
    if core_to >= core_from:
        core.append(_band(scale, "core", "solid", core_from, core_to, "held", "day", "held throughout"))
    return before + core + after


def layout(
    facts: Sequence[FactView],
    entity_id: str,
    predicate_labels: dict[str, str],
    valid_at: PartialDate | None = None,
) -> TimelineChart | None:
    """The chart of `facts` (the dated ones), or None when none is dated."""
    items = [item for item in (_item(f) for f in facts) if item is not None]
    if not items:
        return None
    groups = contested_groups([item.fact for item in items])
    first_year, end_year = _year_span(items, valid_at)
    plot_left, plot_right = float(LABEL_WIDTH), float(WIDTH - RIGHT_PAD)
    scale = _Scale(first_year, end_year, plot_left, plot_right)
    first_day = dt.date(first_year, 1, 1)
    last_day = dt.date(min(end_year, 9999), 1, 1) - dt.timedelta(days=1)
    step = _tick_step(end_year - first_year, plot_right - plot_left)
    ticks = [
        Tick(scale.x(dt.date(year, 1, 1)), str(year))
        for year in range(first_year - first_year % step, end_year + 1, step)
        if year >= first_year and year <= min(end_year, 9999)
    ]
    rows: list[Row] = []
    for index, (item, group) in enumerate(_ordered(items, groups)):
        full = row_label(item.fact, predicate_labels, entity_id)
        label = full if len(full) <= LABEL_CHARS else full[: LABEL_CHARS - 1].rstrip() + "…"
        rows.append(
            Row(
                fact_id=item.fact.id,
                y=AXIS_HEIGHT + index * ROW_HEIGHT,
                label=label,
                full_label=full,
                dates=valid_time_text(item.fact),
                style=_style(item.fact),
                shapes=_shapes(item, scale, last_day, first_day),
                contested_group=group,
            )
        )
    contested = []
    for n in range(len(groups)):
        members = [row for row in rows if row.contested_group == n]
        contested.append(
            ContestedMark(
                group=n,
                y=members[0].y + 3,
                height=members[-1].y - members[0].y + ROW_HEIGHT - 6,
                fact_ids=[row.fact_id for row in members],
            )
        )
    highlight = None
    if valid_at is not None:
        x0, x1 = scale.x(valid_at.earliest), scale.x(_next_day(valid_at.latest))
        highlight = Highlight(x0, max(x1 - x0, MIN_SHAPE_WIDTH), f"valid at {valid_at}")
    return TimelineChart(
        width=WIDTH,
        height=AXIS_HEIGHT + len(rows) * ROW_HEIGHT + BOTTOM_PAD,
        plot_left=plot_left,
        plot_right=plot_right,
        axis_y=AXIS_HEIGHT - 8,
        ticks=ticks,
        rows=rows,
        contested=contested,
        highlight=highlight,
        first_year=first_year,
        last_year=end_year,
    )
