"""The read service's connections: each read takes the cheapest way its database allows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.coverage import Mark
from archive.domain.vocabulary import Vocabulary
from archive.eventstore import EventStore
from archive.storage import backend_for


class ReadBase:
    """The engines every read module uses; `Reads` (archive/reads/__init__.py) puts the modules together."""

    def __init__(
        self,
        engine: AsyncEngine,
        store: EventStore,
        marks: Callable[[], Mapping[str, Sequence[Mark]]] | None = None,
        vocabulary: Vocabulary | None = None,
        settle_findings: Callable[[], Awaitable[None]] | None = None,
        findings_from: ReadBase | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        #: The predicates and their labels, so that an answer can name them and a search for a predicate
        #: the vocabulary does not define can say so.
        self.vocabulary = vocabulary or Vocabulary(predicates={})
        self.predicates = tuple(sorted(self.vocabulary.predicates))
        # "No fact here" marks are curation data of the seeds folder, not events: each read checks them
        # against the source's current text, as a new version re-checks a citation.
        self._marks = marks or dict
        # The findings catch up with one-trip writes after them (archive/commands/follow.py): a read of
        # them first settles them, on the primary, which a replica's reads of them therefore go to.
        self._settle_findings = settle_findings
        self._findings_from = findings_from
        self.backend = backend_for(engine)
        # Reads of several statements, and reads of one (consistent by itself), each the cheapest way.
        self._reads, self._single_reads = self.backend.read_engines(engine)
        # The fact read of `GET /facts/{id}` (an indexed lookup): on a SQLite file, on the loop's thread.
        self._point_reads = self.backend.point_reader(engine, self._single_reads)

    async def ping(self) -> str:
        """The database's name, once it has answered a query (raises when it does not answer)."""
        async with self._single_reads.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return self.backend.name
