"""What a redaction does to the read models: a fact with a redacted event is withdrawn from all of them.

A fact's state is a fold of its events, and the fold cannot go on past a payload that is gone: a
redacted correction leaves the current values unknown, a redacted recording leaves nothing. Showing the
fold without the lost event would show a value the archive no longer holds (or one it corrected away) as
current, so every row the fact has in the fact-derived read models goes, in every record-time version.
The log keeps the rest of its events, and the fact's stream records each redaction (`log.redacted`),
which the reads show (docs/decisions/0011-redaction.md). This module owns no table: it deletes from the
read models'.

The same end state comes out of a replay: the redacted payload itself is skipped (`RedactedPayload`),
the fact's later events are not folded onto a recording that is gone (`runner`), and the redaction event
withdraws whatever rows the fact had by then.
"""

from __future__ import annotations

from sqlalchemy import Table, delete
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.events import EventRedacted
from archive.domain.streams import stream_owner
from archive.projections import (
    citations,
    citations_by_line,
    fact_versions,
    links,
    relations,
    roles,
    timeline,
)

#: Every read model with rows of a fact, by its `fact_id` column (a link made to the fact by another
#: fact is that fact's, and stays).
FACT_TABLES: tuple[Table, ...] = (
    fact_versions.fact_versions_table,
    relations.relations_table,
    roles.roles_table,
    timeline.timeline_table,
    citations.citations_table,
    citations_by_line.citations_by_line_table,
    links.fact_links_table,
)


def withdrawn_fact(event: EventRedacted) -> str | None:
    """The fact a redaction withdraws (None for another stream's event)."""
    kind, owner = stream_owner(event.stream_id)
    return owner if kind == "fact" else None


async def apply(conn: AsyncConnection, event: EventRedacted) -> None:
    """Withdraw the fact whose event was redacted from every fact read model."""
    fact_id = withdrawn_fact(event)
    if fact_id is None:
        return
    for table in FACT_TABLES:
        await conn.execute(delete(table).where(table.c.fact_id == fact_id))
