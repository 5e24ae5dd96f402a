"""What changed between two states (archive/reads/changes.py): old → new, as the history and /diff show it."""

from __future__ import annotations

from archive.domain.entities import EntityState
from archive.reads.changes import struct_changes


def test_a_new_entity_shows_its_fields_not_its_id_nor_an_empty_alias_list() -> None:
    created = EntityState(exists=True, entity_id="body-a", kind="body", label="Body A", aliases=(), version=1)
    assert [(c.field, c.old, c.new) for c in struct_changes(None, created)] == [
        ("kind", None, "body"),
        ("label", None, "Body A"),
    ]


def test_a_revision_shows_only_what_it_changed() -> None:
    before = EntityState(exists=True, entity_id="body-a", kind="body", label="Body A", aliases=(), version=1)
    after = EntityState(
        exists=True, entity_id="body-a", kind="body", label="Body B", aliases=("A",), version=2
    )
    assert [(c.field, c.old, c.new) for c in struct_changes(before, after)] == [
        ("label", "Body A", "Body B"),
        ("aliases", None, "A"),
    ]
