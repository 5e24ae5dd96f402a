"""The peer's side of the benchmark: an `eventsourcing` application whose aggregate is one fact.

`FactAggregate` carries the same content as our `fact.recorded` (subject, predicate, object, qualifiers,
valid time, rank, citations) and can be corrected; its id is the same uuid our archive derives (or a
uuid4 in the raw cases). The application is built from an explicit `env` (eventsourcing ignores
os.environ in `InfrastructureFactory.construct`, and `Application` would merge it in), and the
factory it builds is checked to be the database one, never the in-memory default.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from bench.common import patch_peer_sqlite_synchronous


class FactAggregate(Aggregate):
    @staticmethod
    def create_id(fact_id: str, **_: Any) -> UUID:
        return UUID(fact_id)

    @event("Recorded")
    def __init__(
        self, fact_id: str, content: dict[str, Any], rank: str, citations: list[dict[str, Any]]
    ) -> None:
        self.fact_id = fact_id
        self.content = content
        self.rank = rank
        self.citations = citations

    @event("Corrected")
    def correct(self, changes: dict[str, Any], justification: str, citations: list[dict[str, Any]]) -> None:
        self.content = {**self.content, **changes}
        self.citations = [*self.citations, *citations]


class PeerArchive(Application[UUID]):
    """The peer application (no snapshots, no cache: every get replays)."""

    name = "BenchPeer"

    def __init__(self, env: dict[str, str]) -> None:
        if env["PERSISTENCE_MODULE"].endswith("sqlite"):
            patch_peer_sqlite_synchronous()
        super().__init__(env=env)
        module = type(self.factory).__module__
        if module not in ("eventsourcing.sqlite", "eventsourcing.postgres"):
            raise RuntimeError(f"the peer application uses {module}, not a database")

    def construct_env(self, name: str, env: Any = None) -> Any:
        # Only the explicit env: never os.environ (which could redirect the peer elsewhere).
        from eventsourcing.utils import Environment

        return Environment(name, dict(env or {}))


def peer_content(n: int) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """(fact id, content, citations) of corpus fact `n`, as the peer stores it."""
    from bench import corpus

    content, citations = corpus.fact_json(n)
    return str(peer_id(n)), content, citations


PEER_NAMESPACE = UUID("2b0c6a51-8d9e-4c57-b3a5-6e1f0a9d4c21")


def peer_id(n: int) -> UUID:
    """The peer's own deterministic id of corpus fact `n` (uuid5 of its natural key)."""
    from bench import corpus

    f = corpus.fact(n)
    return uuid5(PEER_NAMESPACE, f"{f.person}|held_position|{f.office}|{f.org}|{f.valid_from}|{f.valid_to}")
