"""Roles: who held which office in which organisation, when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select

from archive.domain.time import PartialDate
from archive.projections import entities
from archive.projections.roles import (
    OPT_IN_VALID_TIME_INDEX,
    VALID_TIME_ORDER,
    roles_dated,
    roles_table,
    valid_during,
    valid_time_index,
)
from archive.projections.versioning import believed_at
from archive.reads.base import ReadBase
from archive.reads.filters import (
    CertaintyFilter,
    ModalityFilter,
    RankFilter,
    held_page,
    rank_condition,
    unmatchable,
)
from archive.reads.names import names_for
from archive.reads.views import EntityRef, LabelledRef, RolePage, RoleView, certainty_of, date_value
from archive.storage.engine import stored_utc


class RoleReads(ReadBase):
    """The roles read."""

    async def roles(
        self,
        holder: str | None,
        office: str | None,
        organization: str | None,
        valid_at: PartialDate | None,
        as_of: datetime | None,
        rank: RankFilter,
        modality: ModalityFilter,
        limit: int,
        offset: int,
        certainty: CertaintyFilter = "possible",
        undated: bool = False,
    ) -> RolePage:
        """Who held which office in which organisation; `office` matches an entity id or a label. With
        `valid_at`, the terms that held then (only the sure ones with `certainty="definite"`), and the
        undated ones too with `undated`."""
        if unmatchable(holder, office, organization):
            return RolePage(items=[], total=0, limit=limit, offset=offset)
        table = roles_table
        conditions = [believed_at(table, as_of), *rank_condition(table, rank, as_of, self.backend.use_index)]
        if valid_at is not None:
            # The rows of `_valid_condition`, written so that ix_roles_current_valid_time answers them.
            conditions += valid_during(valid_at.earliest, valid_at.latest)
            if not undated:
                conditions.append(roles_dated)
        if modality != "all":
            conditions.append(table.c.modality == modality)
        listing = not (holder or office or organization)
        if listing:
            # Only listings by valid time read ix_roles_current_valid_time (see OPT_IN_VALID_TIME_INDEX);
            # a holder, office or organization is found through its own index or a scan, as before.
            conditions.append(OPT_IN_VALID_TIME_INDEX)
        async with self._reads.connect() as conn:
            # A merged entity's id finds the terms recorded under the entity it now names, and back.
            if holder:
                conditions.append(table.c.holder.in_(await entities.same_entity(conn, holder)))
            if office:
                offices = await entities.same_entity(conn, office)
                conditions.append(
                    or_(table.c.office_id.in_(offices), func.lower(table.c.office_label) == office.lower())
                )
            if organization:
                conditions.append(table.c.organization_id.in_(await entities.same_entity(conn, organization)))
            query = select(table).where(*conditions).order_by(*VALID_TIME_ORDER)
            if as_of is None and listing:
                # A planner with statistics may take another index for this listing, at many times the cost.
                query = self.backend.use_index(query, table, valid_time_index)
            rows, total = await held_page(conn, query, table, valid_at, certainty, limit, offset)
            ids = {r.holder for r in rows} | {r.office_id for r in rows} | {r.organization_id for r in rows}
            named_ids = {i for i in ids if i is not None}
            labels = await entities.labels(conn, named_ids)
            names = {} if valid_at is None else await names_for(conn, named_ids, labels, valid_at, as_of)

        def labelled(entity_id: str | None, label: str | None) -> LabelledRef | None:
            if entity_id is None and label is None:
                return None
            today = label or labels.get(entity_id or "", entity_id or "")
            then = names.get(entity_id or "") if label is None else None
            return LabelledRef(entity_id, today) if then is None else LabelledRef(entity_id, then, today)

        def holder_ref(entity_id: str) -> EntityRef:
            today = labels.get(entity_id, entity_id)
            then = names.get(entity_id)
            return EntityRef(entity_id, today) if then is None else EntityRef(entity_id, then, today)

        items = [
            RoleView(
                fact_id=r.fact_id,
                holder=holder_ref(r.holder),
                office=labelled(r.office_id, r.office_label),
                organization=labelled(r.organization_id, r.organization_label),
                predicate=r.predicate,
                valid_from=date_value(r.valid_from),
                valid_to=date_value(r.valid_to),
                point_in_time=date_value(r.point_in_time),
                modality=r.modality,
                rank=r.rank,
                status=r.status,
                certainty=certainty_of(r, valid_at),
                recorded_at=stored_utc(r.recorded_from),
            )
            for r in rows
        ]
        return RolePage(items=items, total=total, limit=limit, offset=offset)
