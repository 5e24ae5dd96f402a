"""Each read model names its rows' fields, one Struct per table; the driver takes them as tuples in that
order. A Struct whose fields drift from its table's columns (one added in the middle, two swapped) would
write values into the wrong columns without a word: this pins the two together."""

from __future__ import annotations

import msgspec
import pytest
from sqlalchemy import Table

from archive.projections.citations import CitationRow, citations_table
from archive.projections.citations_by_line import CitationLineRow, citations_by_line_table
from archive.projections.entities import EntityRow, entities_table
from archive.projections.fact_versions import FactVersionRow, fact_versions_table
from archive.projections.links import LinkRow, fact_links_table
from archive.projections.relations import RelationRow, relations_table
from archive.projections.roles import RoleRow, roles_table
from archive.projections.runner import INSERT_ORDER
from archive.projections.timeline import TimelineRow, timeline_table
from archive.storage import positional

ROWS: list[tuple[type[msgspec.Struct], Table]] = [
    (FactVersionRow, fact_versions_table),
    (RelationRow, relations_table),
    (RoleRow, roles_table),
    (CitationRow, citations_table),
    (CitationLineRow, citations_by_line_table),
    (EntityRow, entities_table),
    (TimelineRow, timeline_table),
    (LinkRow, fact_links_table),
]


@pytest.mark.parametrize(("row", "table"), ROWS, ids=lambda v: getattr(v, "__name__", ""))
def test_a_row_struct_lists_its_tables_columns_in_order(row: type[msgspec.Struct], table: Table) -> None:
    assert list(row.__struct_fields__) == [column.name for column in table.columns]


def test_every_table_the_projector_inserts_into_has_a_row_struct() -> None:
    assert {table.name for _, table in ROWS} == {table.name for table in INSERT_ORDER}


def test_the_driver_gets_the_fields_in_order() -> None:
    row = CitationLineRow(source_id="s", line=3, fact_id="f", citation_id="c")
    assert positional([row]) == [("s", 3, "f", "c")]
    assert positional([("already", "a", "tuple")]) == [("already", "a", "tuple")]
