"""The read service's connections: each read takes the cheapest way its database allows."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from archive.coverage import Mark
from archive.db import SQLITE_BEGIN
from archive.eventstore import EventStore
from archive.point_reads import PointReads


class ReadBase:
    """The engines every read module uses; `Reads` (archive/reads/__init__.py) puts the modules together."""

    def __init__(
        self,
        engine: AsyncEngine,
        store: EventStore,
        marks: Callable[[], Mapping[str, Sequence[Mark]]] | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        # "No fact here" marks are curation data of the seeds folder, not events: each read checks them
        # against the source's current text, as a new version re-checks a citation.
        self._marks = marks or dict
        postgres = engine.dialect.name == "postgresql"
        # Reads open no transaction on PostgreSQL: under READ COMMITTED every statement takes its own
        # snapshot anyway, so BEGIN and the pool's ROLLBACK were two round trips that bought nothing.
        # SQLite keeps its deferred read transaction, which holds one snapshot for a multi-statement read.
        self._reads = engine.execution_options(isolation_level="AUTOCOMMIT") if postgres else engine
        # A read of one statement is consistent by itself: on SQLite it needs no BEGIN either.
        self._single_reads = self._reads if postgres else engine.execution_options(**{SQLITE_BEGIN: None})
        # The fact read of `GET /facts/{id}` (an indexed lookup): on a SQLite file, on the loop's thread.
        self._point_reads = PointReads(engine, self._single_reads)
