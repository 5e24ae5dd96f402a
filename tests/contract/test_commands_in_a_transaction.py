"""A fact command decided inside a caller's transaction (the seeder's, a proposal's acceptance) holds the
append lock from its reads to its append, and no version it read is checked at the append: so it must
read the cited sources' heads there, never take them from what this process remembered, which another
process may have moved on."""

from __future__ import annotations

import msgspec
import pytest

from archive.commands import Archive
from archive.domain.errors import SourceHashMismatch
from archive.eventstore import EventStore
from tests.contract.example_archive import (
    META,
    OFFICER,
    OFFICER_QUOTE,
    REVISED_TEXT,
    VOCABULARY,
    Ticking,
    example_archive,
    record,
)
from tests.unit.examples import SOURCE_ID, cite


async def test_a_source_revised_by_another_process_is_read_again_inside_a_callers_transaction(
    store: EventStore,
) -> None:
    here = await example_archive(store)
    await record(here, OFFICER, cite(7, 7, OFFICER_QUOTE))  # the source's head, version 1, remembered
    elsewhere = Archive(store, VOCABULARY, Ticking())
    await elsewhere.register_source(
        source_id=SOURCE_ID,
        title="Example Report",
        origin="invented for tests",
        source_date="2011",
        content=REVISED_TEXT.encode("utf-8"),
        meta=META,
        expected_version=1,
    )
    count = await store.count()
    other = msgspec.structs.replace(OFFICER, valid_from="2011")  # another fact, citing the same line
    with pytest.raises(SourceHashMismatch):
        async with here.transaction() as tx:
            await here.record_fact(
                content=other, rank="normal", citations=[cite(7, 7, OFFICER_QUOTE)], meta=META, conn=tx
            )
    assert await store.count() == count  # nothing appended
