"""Findings: what an archivist should look at, by kind, entity, source or fact, with how to resolve each.

The rows are the read model `findings` (archive/projections/findings.py). A plan's finding stands in the
table from the day it is recorded, with the day it falls due; a read lists it only once that day has
passed on the day the read asks about (`on`, today by default), so the same rows answer any date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.domain.facts import FactState
from archive.domain.findings import finding_stream
from archive.eventstore.table import events_table
from archive.projections import entities
from archive.projections.fact_versions import current_states
from archive.projections.findings import finding_dismissals_table, finding_refs_table, findings_table
from archive.reads.base import ReadBase
from archive.reads.filters import MAX_OFFSET
from archive.reads.views import (
    DismissalView,
    EntityRef,
    FactView,
    FindingAction,
    FindingFact,
    FindingPage,
    FindingView,
    RecordedFactView,
    date_value,
)
from archive.storage.engine import stored_utc

#: At most this many findings named in a write's answer (the rest are listed by GET /findings?fact=).
MAX_NAMED_FINDINGS = 50


def _standing(on: date) -> ColumnElement[bool]:
    """Findings that stand on the day `on`: a plan's only once its due day is past."""
    table = findings_table
    return or_(table.c.due_on.is_(None), table.c.due_on < on)


class FindingReads(ReadBase):
    """The findings read."""

    async def findings(
        self,
        *,
        on: date,
        kind: str | None = None,
        entity: str | None = None,
        source: str | None = None,
        fact: str | None = None,
        finding: str | None = None,
        dismissed: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> FindingPage:
        """Findings standing on the day `on`, kind then id order; dismissed ones too with `dismissed`.
        `counts` gives, with the same filters but `kind`, how many stand of each kind."""
        if isinstance(self._findings_from, FindingReads):
            return await self._findings_from.findings(
                on=on, kind=kind, entity=entity, source=source, fact=fact, finding=finding,
                dismissed=dismissed, limit=limit, offset=offset,
            )  # fmt: skip
        await self._settled()
        table, dismissals = findings_table, finding_dismissals_table
        async with self._reads.connect() as conn:
            conditions: list[ColumnElement[bool]] = [_standing(on)]
            if finding:
                conditions.append(table.c.finding_id == finding)
            if not dismissed:
                conditions.append(dismissals.c.finding_id.is_(None))
            refs: list[list[str]] = []
            if entity:
                refs.append([f"entity:{e}" for e in await entities.same_entity(conn, entity)])
            if source:
                refs.append([f"source:{source}"])
            if fact:
                refs.append([f"fact:{fact}"])
            for wanted in refs:
                named = select(finding_refs_table.c.finding_id).where(finding_refs_table.c.ref.in_(wanted))
                conditions.append(table.c.finding_id.in_(named))
            joined = table.outerjoin(dismissals, dismissals.c.finding_id == table.c.finding_id)
            by_kind = (
                select(table.c.kind, func.count())
                .select_from(joined)
                .where(*conditions)
                .group_by(table.c.kind)
            )
            counts = {str(k): int(n) for k, n in await conn.execute(by_kind)}
            if kind:
                conditions.append(table.c.kind == kind)
            total = sum(n for k, n in counts.items() if not kind or k == kind)
            query: Select[Any] = (
                select(table, dismissals.c.reason_code, dismissals.c.justification, dismissals.c.recorded_at)
                .select_from(joined)
                .where(*conditions)
                .order_by(table.c.kind, table.c.finding_id)
                .limit(limit)
                .offset(min(offset, MAX_OFFSET))  # past what the databases' integers hold: nothing there
            )
            rows = list(await conn.execute(query))
            items = await self._views(conn, rows)
        return FindingPage(items=items, total=total, limit=limit, offset=offset, counts=counts)

    async def with_findings(self, fact: FactView, on: date) -> RecordedFactView:
        """The fact, with the findings about it that stand on the day `on` and are not dismissed."""
        page = await self.findings(on=on, fact=fact.id, limit=MAX_NAMED_FINDINGS)
        return RecordedFactView(**msgspec.structs.asdict(fact), findings=page.items)

    async def finding_count(self, on: date) -> int:
        """How many findings stand on the day `on`, not dismissed (the home page's count)."""
        if isinstance(self._findings_from, FindingReads):
            return await self._findings_from.finding_count(on)
        await self._settled()
        table, dismissals = findings_table, finding_dismissals_table
        joined = table.outerjoin(dismissals, dismissals.c.finding_id == table.c.finding_id)
        query = (
            select(func.count()).select_from(joined).where(_standing(on), dismissals.c.finding_id.is_(None))
        )
        async with self._single_reads.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def _settled(self) -> None:
        if self._settle_findings is not None:
            await self._settle_findings()

    async def _views(self, conn: AsyncConnection, rows: Sequence[Any]) -> list[FindingView]:
        fact_ids = {f for row in rows for f in row.fact_ids}
        states = await current_states(conn, fact_ids)
        named = {e for row in rows for e in row.entity_ids}
        for state in states.values():
            named |= {i for i in (state.subject, state.object) if i is not None}
        labels = await entities.labels(conn, named)
        ids = [row.finding_id for row in rows]
        sources: dict[str, list[str]] = {}
        versions: dict[str, int] = {}
        if ids:
            query = select(finding_refs_table.c.finding_id, finding_refs_table.c.ref).where(
                finding_refs_table.c.finding_id.in_(ids), finding_refs_table.c.ref.like("source:%")
            )
            for found, named_ref in await conn.execute(query.order_by(finding_refs_table.c.ref)):
                sources.setdefault(found, []).append(named_ref.removeprefix("source:"))
            streams = {finding_stream(i): i for i in ids}
            query = (
                select(events_table.c.stream_id, func.max(events_table.c.stream_version))
                .where(events_table.c.stream_id.in_(sorted(streams)))
                .group_by(events_table.c.stream_id)
            )
            versions = {streams[s]: int(v) for s, v in await conn.execute(query)}

        def ref(entity_id: str | None) -> EntityRef | None:
            return None if entity_id is None else EntityRef(entity_id, labels.get(entity_id, entity_id))

        def fact_view(state: FactState) -> FindingFact:
            return FindingFact(
                id=state.fact_id,
                subject=EntityRef(state.subject, labels.get(state.subject, state.subject)),
                predicate=state.predicate,
                object=ref(state.object),
                value=state.value,
                valid_from=date_value(state.valid_from),
                valid_to=date_value(state.valid_to),
                point_in_time=date_value(state.point_in_time),
                modality=state.modality,
                rank=state.rank,
                status=state.status,
                version=state.version,
            )

        views = []
        for row in rows:
            facts = [fact_view(states[f]) for f in row.fact_ids if f in states]
            refs = [EntityRef(e, labels.get(e, e)) for e in row.entity_ids]
            dismissal = (
                None
                if row.reason_code is None
                else DismissalView(row.reason_code, row.justification, stored_utc(row.recorded_at))
            )
            views.append(
                FindingView(
                    id=row.finding_id,
                    kind=row.kind,
                    summary=_summary(row.kind, row.scope, facts, refs, self.vocabulary.predicates),
                    facts=facts,
                    entities=refs,
                    sources=sources.get(row.finding_id, []),
                    version=versions.get(row.finding_id, 0),
                    resolve=_actions(row.finding_id, row.kind, facts, refs),
                    due_on=None if row.due_on is None else str(row.due_on),
                    dismissed=dismissal,
                )
            )
        return views


def _when(fact: FindingFact) -> str:
    if fact.point_in_time is not None:
        return fact.point_in_time.value
    start = fact.valid_from.value if fact.valid_from else "?"
    end = fact.valid_to.value if fact.valid_to else "?"
    return f"{start} to {end}"


def _summary(kind: str, scope: str, facts: list[FindingFact], refs: list[EntityRef], predicates: Any) -> str:
    """One sentence for people: what the finding says, with today's labels."""
    if kind == "overlapping_holders" and len(facts) == 2:
        a, b = facts
        held = a.object.label if a.object else "the office"
        office = f"the chair of {held}" if a.predicate == "chaired" else held
        return (
            f"{a.subject.label} ({_when(a)}) and {b.subject.label} ({_when(b)}) both hold {office}, "
            "which has one holder at a time, over overlapping valid time"
        )
    if kind == "plan_passed" and facts:
        plan = facts[0]
        what = plan.object.label if plan.object else (plan.value or "")
        label = predicates[plan.predicate].label if plan.predicate in predicates else plan.predicate
        planned = " ".join(part for part in (plan.subject.label, label, what) if part)
        return (
            f"The plan '{planned}' ({_when(plan)}) has passed; no fact fulfils it, "
            "and no note says it did not happen"
        )
    if kind == "citations_unverified":
        return "Every citation of this fact has drifted or is orphaned: its source no longer says it there"
    if kind == "precision_variants" and len(facts) == 2:
        a, b = facts
        return (
            f"Two facts say the same of {a.subject.label} but for their valid time "
            f"({_when(a)} and {_when(b)}), and no link relates them: a duplicate or a contradiction "
            "waiting to be ranked"
        )
    if kind == "ends_before_beginning" and len(facts) == 2 and refs:
        early, dating = facts
        label = predicates[early.predicate].label if early.predicate in predicates else early.predicate
        return (
            f"'{early.subject.label} {label}' ({_when(early)}) ends before {refs[0].label} began "
            f"({_when(dating)}, '{dating.subject.label} {dating.predicate}')"
        )
    if kind == "entity_without_facts" and refs:
        return f"{refs[0].label} is named by no fact"
    if kind == "name_collision":
        name = scope.removeprefix("name:")
        return f"The name '{name}' labels or aliases {len(refs)} entities: " + ", ".join(r.id for r in refs)
    return kind


def _actions(finding: str, kind: str, facts: list[FindingFact], refs: list[EntityRef]) -> list[FindingAction]:
    """The requests that resolve the finding: relate two facts (link), fix a fact (rank, correct,
    retract), fix an entity (revise, merge), or dismiss the finding with a reason."""
    actions: list[FindingAction] = []
    if len(facts) == 2:
        actions.append(FindingAction("link", "POST", f"/facts/{facts[0].id}/links", fact_id=facts[0].id))
    if kind == "plan_passed" and facts:
        # The fact that fulfils the plan makes the link, from its own side, to the plan.
        actions.append(
            FindingAction("link", "POST", "/facts/{fulfilling_fact_id}/links", fact_id=facts[0].id)
        )
    for fact in facts:
        for action, path in (("rank", "rank"), ("correct", "corrections"), ("retract", "retractions")):
            actions.append(FindingAction(action, "POST", f"/facts/{fact.id}/{path}", fact_id=fact.id))
    if kind in ("entity_without_facts", "name_collision"):
        for entity in refs:
            href = f"/entities/{entity.id}/revisions"
            actions.append(FindingAction("revise", "POST", href, entity_id=entity.id))
        if len(refs) > 1:
            href = f"/entities/{refs[0].id}/merge"
            actions.append(FindingAction("merge", "POST", href, entity_id=refs[0].id))
    actions.append(FindingAction("dismiss", "POST", f"/findings/{finding}/dismissals"))
    return actions


__all__ = ["FindingReads"]
