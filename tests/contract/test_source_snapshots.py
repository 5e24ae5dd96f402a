"""The command side's cache of split source texts stays within its line budget, however many sources."""

from __future__ import annotations

import hashlib

import pytest

from archive.commands import Archive, CommandMeta
from archive.commands import facts as fact_commands
from archive.domain.events import Citation
from archive.domain.facts import FactContent

META = CommandMeta(actor="tester", reason="test")
LINES = 10


async def test_cached_source_texts_stay_within_the_line_budget(
    seeded_archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An ingest cites a new source every batch: a cache bounded only by the number of versions kept
    # every long text it had seen, up to 60 MB for the bench's 2000-line registers.
    monkeypatch.setattr(fact_commands, "SNAPSHOT_CACHE_LINES", 2 * LINES + 5)
    for n in range(6):
        text = "\n".join(f"Register {n}, line {i}: Kazakhstan is a member of the OSCE." for i in range(LINES))
        await seeded_archive.register_source(
            source_id=f"register-{n}",
            title=f"Register {n}",
            origin="test",
            source_date="2000",
            content=text.encode("utf-8"),
            meta=META,
        )
        line = text.split("\n")[3]
        written = await seeded_archive.record_fact(
            content=FactContent(
                subject="kazakhstan", predicate="member_of", object="osce", valid_from=str(1990 + n)
            ),
            rank="normal",
            citations=[
                Citation(f"register-{n}", hashlib.sha256(text.encode("utf-8")).hexdigest(), 4, 4, line)
            ],
            meta=META,
        )
        assert [e.event_type for e in written.events] == ["fact.recorded"]

        cached = seeded_archive._snapshots
        assert sum(len(snapshot.lines) for snapshot in cached.values()) <= 2 * LINES + 5
        assert [snapshot.source_id for snapshot in cached.values()][-1] == f"register-{n}"
    assert len(cached) == 2  # the two newest registers: a third would pass the budget
