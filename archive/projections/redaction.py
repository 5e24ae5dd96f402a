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

from sqlalchemy import Table, delete, select, union
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.events import EventRedacted
from archive.domain.streams import stream_owner
from archive.domain.vocabulary import Vocabulary
from archive.projections import (
    citations,
    citations_by_line,
    fact_versions,
    findings,
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


async def apply(conn: AsyncConnection, event: EventRedacted, vocabulary: Vocabulary) -> None:
    """Withdraw the fact whose event was redacted from every fact read model, then compute again the
    findings of what it touched: the entities it related (one may have lost its last fact) and the facts
    it linked to (a plan it fulfilled), as a replay, which never folds the fact, finds them."""
    fact_id = withdrawn_fact(event)
    if fact_id is None:
        return
    # Every entity a version of it involved, as the findings see involvement: relations (subject and
    # object) and the timeline (a dated fact's qualifiers too).
    r, t, link = relations.relations_table.c, timeline.timeline_table.c, links.fact_links_table.c
    related = union(
        select(r.entity_id).where(r.fact_id == fact_id),
        select(r.other_entity_id).where(r.fact_id == fact_id, r.other_entity_id.is_not(None)),
        select(t.entity_id).where(t.fact_id == fact_id),
    )
    entity_ids = set(await conn.scalars(select(related.subquery().c[0])))
    linked = set(await conn.scalars(select(link.target_fact_id).where(link.fact_id == fact_id)))
    for table in FACT_TABLES:
        await conn.execute(delete(table).where(table.c.fact_id == fact_id))
    await findings.refresh(conn, (), vocabulary, facts={fact_id, *linked}, entities=entity_ids)
