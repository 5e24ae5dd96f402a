"""The pure parts of the pages, without a browser: where a quote sits in its lines, and the timeline's
layout of partial dates."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import httpx
import pytest

from api.web.quotes import quote_ranges, segments
from api.web.timeline_svg import contested_groups, layout
from archive.domain.sources import split_lines
from archive.reads import DateValue, EntityRef, FactView, LinkView, QualifiersView
from tests.conftest import SEEDS


@pytest.mark.parametrize(
    ("lines", "quote", "expected"),
    [
        (["the quick brown fox"], "quick brown", {1: [(4, 15)]}),
        (["ends with a  ", "   wrap here"], "a wrap", {1: [(10, 11)], 2: [(3, 7)]}),
        (["ends with a  ", "   wrap here"], "a\nwrap", {1: [(10, 11)], 2: [(3, 7)]}),
        (["first ", "  ", " third"], "first third", {1: [(0, 5)], 3: [(1, 6)]}),
        (["a  b"], "a b", {}),
        (["nothing here"], "absent", {}),
    ],
)
def test_a_quote_is_located_on_its_lines_as_the_archive_normalises_line_breaks(
    lines: list[str], quote: str, expected: dict[int, list[tuple[int, int]]]
) -> None:
    assert quote_ranges(lines, 1, len(lines), quote) == expected


def test_segments_mark_exactly_the_quoted_characters() -> None:
    parts = segments("say <b>hi</b> now", [(4, 13)])
    assert [(p.text, p.marked) for p in parts] == [("say ", False), ("<b>hi</b>", True), (" now", False)]


def test_every_seeded_citation_is_found_where_it_points(base_url: str) -> None:
    documents = {
        p.stem: split_lines(p.read_text(encoding="utf-8")) for p in (SEEDS / "documents").glob("*.txt")
    }
    facts = httpx.get(f"{base_url}/facts", params={"rank": "all", "limit": 500}).raise_for_status().json()
    checked = 0
    for fact in facts["items"]:
        for c in fact["citations"]:
            lines = documents.get(c["source_id"])
            if lines is None or c["content_sha256"] != _sha(SEEDS / "documents" / f"{c['source_id']}.txt"):
                continue
            assert quote_ranges(lines, c["line_start"], c["line_end"], c["quote"]), (fact["id"], c)
            checked += 1
    assert checked > 100


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fact(
    fact_id: str,
    *,
    valid_from: str | None = None,
    valid_to: str | None = None,
    point: str | None = None,
    modality: str = "asserted",
    predicate: str = "member_of",
    links: list[LinkView] | None = None,
) -> FactView:
    def date(text: str | None) -> DateValue | None:
        if text is None:
            return None
        precision = {4: "year", 7: "month", 10: "day"}[len(text)]
        return DateValue(text, precision)

    return FactView(
        id=fact_id,
        subject=EntityRef("e", "E"),
        predicate=predicate,
        object=EntityRef("o", "O"),
        value=None,
        qualifiers=QualifiersView(),
        valid_from=date(valid_from),
        valid_to=date(valid_to),
        point_in_time=date(point),
        modality=modality,
        rank="normal",
        status="active",
        version=1,
        recorded_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        superseded_at=None,
        certainty=None,
        citations=[],
        links=links or [],
    )


def test_partial_bounds_are_bands_day_bounds_sharp_and_open_ends_fade() -> None:
    chart = layout(
        [
            _fact("month", valid_from="1992-01"),
            _fact("days", valid_from="2000-03-01", valid_to="2001-06-30"),
            _fact("years", valid_from="2010", valid_to="2010"),
            _fact("point", point="2005-07"),
        ],
        "e",
        {},
    )
    assert chart is not None
    kinds = {row.fact_id: [(s.kind, s.bound, s.precision) for s in row.shapes] for row in chart.rows}
    assert kinds["month"] == [("fuzzy-band", "start", "month"), ("open-end", "end", "open")]
    assert kinds["days"] == [("core", "held", "day")]
    assert kinds["years"] == [("fuzzy-band", "start", "year"), ("fuzzy-band", "end", "year")]
    assert kinds["point"] == [("fuzzy-band", "point", "month")]
    month = next(r for r in chart.rows if r.fact_id == "month").shapes[0]
    per_day = (chart.plot_right - chart.plot_left) / (
        dt.date(chart.last_year, 1, 1) - dt.date(chart.first_year, 1, 1)
    ).days
    assert month.width == pytest.approx(31 * per_day, abs=0.02)


def test_contested_facts_are_grouped_but_a_plan_and_its_fulfilment_are_not() -> None:
    facts = [
        _fact("a", point="2007-11", predicate="elected_to_chair"),
        _fact("b", point="2007-12", predicate="elected_to_chair", links=[LinkView("contradicts", "a")]),
        _fact("c", valid_from="2009", valid_to="2011-12"),
        _fact("d", valid_from="2009-01-01"),
        _fact("plan", valid_from="2009", modality="planned"),
        _fact("alone", valid_from="1992-01", predicate="known_as"),
    ]
    assert sorted(sorted(group) for group in contested_groups(facts)) == [["a", "b"], ["c", "d"]]
    chart = layout(facts, "e", {})
    assert chart is not None
    order = [row.fact_id for row in chart.rows]
    for first, second in (("a", "b"), ("c", "d")):
        assert abs(order.index(first) - order.index(second)) == 1
    assert len(chart.contested) == 2
