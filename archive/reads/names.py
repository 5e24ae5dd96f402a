"""Names at a date: the name an entity bore at the time a question asks about, from the archive's own
facts (`known_as` gives a name with its valid time; `renamed_to` says an entity became another one).

The rules, so that an answer never shows a name the facts do not support:

- A `known_as` name holds over its valid time. A name attested only at points in time (the text says
  it was in use in January 1992, and again in 1994) is taken to hold from its first attestation to its
  last, unless another name is attested in between; outside its attestations nothing is inferred.
- If an entity was `renamed_to` another at a point in time, after that point it bore the other's name,
  and the other, before it, bore the first one's.
- Where no rule gives one name (none, or two that disagree), today's label stands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import msgspec
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.time import PartialDate, bounds, make_valid_time
from archive.projections import entities
from archive.projections.fact_versions import fact_versions_table
from archive.projections.versioning import believed_at

#: The predicates whose facts name an entity over time (archive/vocabulary.yaml).
NAMED_AS = "known_as"
RENAMED_TO = "renamed_to"


class NameFact(msgspec.Struct, frozen=True):
    """A fact that names an entity: `known_as` (with the name as `value`) or `renamed_to` (`object`)."""

    subject: str
    predicate: str
    value: str | None
    object: str | None
    valid_from: str | None
    valid_to: str | None
    point_in_time: str | None


Span = tuple[dt.date | None, dt.date | None]


def _overlaps(span: Span, day_first: dt.date, day_last: dt.date) -> bool:
    start, end = span
    return (start is None or start <= day_last) and (end is None or end >= day_first)


def _known_as_spans(facts: Iterable[NameFact]) -> list[tuple[str, Span]]:
    """(name, the days it held) for one entity's `known_as` facts."""
    spans: list[tuple[str, Span]] = []
    attested: dict[str, list[Span]] = {}
    for fact in facts:
        if fact.value is None:
            continue
        vt = make_valid_time(fact.valid_from, fact.valid_to, fact.point_in_time)
        if vt.is_empty:
            continue
        if vt.point_in_time is not None:
            attested.setdefault(fact.value, []).append(bounds(vt))
        else:
            spans.append((fact.value, bounds(vt)))
    points = [(name, span) for name, found in attested.items() for span in found]
    for name, found in attested.items():
        first = min(start for start, _ in found if start is not None)
        last = max(end for _, end in found if end is not None)
        between = any(
            other != name and start is not None and end is not None and first < start and end < last
            for other, (start, end) in points
        )
        spans += [(name, span) for span in found] if between else [(name, (first, last))]
    return spans


def names_at(facts: Iterable[NameFact], labels: Mapping[str, str], when: PartialDate) -> dict[str, str]:
    """Entity id → the name it bore at some time within `when`, for the entities the rules name (the
    module's docstring). `labels` are today's labels, the names a renaming hands on."""
    first, last = when.earliest, when.latest
    by_entity: dict[str, list[NameFact]] = {}
    for fact in facts:
        by_entity.setdefault(fact.subject, []).append(fact)
    named: dict[str, str] = {}
    for entity_id, own in by_entity.items():
        held = {
            name
            for name, span in _known_as_spans(f for f in own if f.predicate == NAMED_AS)
            if _overlaps(span, first, last)
        }
        if len(held) == 1:
            named[entity_id] = held.pop()
    for fact in facts:
        if fact.predicate != RENAMED_TO or fact.object is None or fact.point_in_time is None:
            continue
        renamed = make_valid_time(None, None, fact.point_in_time).point_in_time
        assert renamed is not None
        if first > renamed.latest and fact.subject not in named and fact.object in labels:
            named[fact.subject] = named.get(fact.object, labels[fact.object])
        if last < renamed.earliest and fact.object not in named and fact.subject in labels:
            named[fact.object] = labels[fact.subject]
    return {entity_id: name for entity_id, name in named.items() if name != labels.get(entity_id)}


async def name_facts(
    conn: AsyncConnection, entity_ids: set[str], as_of: dt.datetime | None
) -> list[NameFact]:
    """The naming facts, believed at `as_of`, about these entities (as subject, or as a renaming's
    object), leaving out retracted and deprecated ones."""
    if not entity_ids:
        return []
    fv = fact_versions_table
    wanted = sorted(entity_ids)
    query = select(
        fv.c.subject,
        fv.c.predicate,
        fv.c.value,
        fv.c.object,
        fv.c.valid_from,
        fv.c.valid_to,
        fv.c.point_in_time,
    ).where(
        believed_at(fv, as_of),
        fv.c.predicate.in_([NAMED_AS, RENAMED_TO]),
        fv.c.status != "retracted",
        fv.c.rank != "deprecated",
        or_(fv.c.subject.in_(wanted), fv.c.object.in_(wanted)),
    )
    return [NameFact(*row) for row in await conn.execute(query)]


async def names_for(
    conn: AsyncConnection,
    ids: set[str],
    labels: Mapping[str, str],
    valid_at: PartialDate,
    as_of: dt.datetime | None,
) -> dict[str, str]:
    """The names these entities bore at `valid_at`, where the facts believed at `as_of` say and the
    names differ from today's `labels`."""
    facts = await name_facts(conn, ids, as_of)
    others = {f.object for f in facts if f.object} | {f.subject for f in facts}
    known = {**labels, **await entities.labels(conn, others - set(labels))}
    return {
        entity_id: name for entity_id, name in names_at(facts, known, valid_at).items() if entity_id in ids
    }
