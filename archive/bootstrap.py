"""Wiring, once: settings in; the engine, the event store, the vocabulary, the commands and the reads out.

The app, the CLI, the tests, the bench and the screenshot script all build the archive here, so a new
piece of wiring is added in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import NamedTuple

import yaml
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.commands import Archive
from archive.coverage import Mark
from archive.domain.events import SCHEMA_VERSIONS
from archive.domain.upcasters import UPCASTERS
from archive.domain.vocabulary import Vocabulary, parse_vocabulary
from archive.eventstore import EventStore, EventTypeRegistry
from archive.reads import Reads
from archive.seeding import SeedMarks
from archive.settings import Settings
from archive.storage.engine import create_engine

#: The controlled predicate vocabulary: data that is part of the release, not of the archive's content.
VOCABULARY_FILE = Path(__file__).resolve().parent / "vocabulary.yaml"


def event_registry() -> EventTypeRegistry:
    """The registry of every domain event type at its current schema version, with its upcasters."""
    return EventTypeRegistry(SCHEMA_VERSIONS, UPCASTERS)


@cache
def load_vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    """Parse the vocabulary file (once per path)."""
    return parse_vocabulary(yaml.safe_load(path.read_text(encoding="utf-8")))


class Wired(NamedTuple):
    """The archive on one database: its engine, log, command side and read side."""

    engine: AsyncEngine
    store: EventStore
    commands: Archive
    reads: Reads


def wire(
    engine: AsyncEngine,
    marks: Callable[[], Mapping[str, Sequence[Mark]]] | None = None,
    findings_delay: float | None = None,
) -> Wired:
    """The archive on `engine`; `marks` gives the "no fact here" marks the coverage reads check, and
    `findings_delay` when a one-trip write's findings catch up (archive/commands/follow.py)."""
    store = EventStore(engine, event_registry())
    vocabulary = load_vocabulary()
    commands = Archive(store, vocabulary, findings_delay=findings_delay)
    reads = Reads(engine, store, marks, vocabulary, settle_findings=commands.findings.settled)
    return Wired(engine, store, commands, reads)


def build(settings: Settings) -> Wired:
    """The archive `settings` describe: a new engine on its database, with its seeds folder's marks."""
    engine = create_engine(settings.database_url, settings.lock_timeout_ms)
    return wire(engine, SeedMarks(Path(settings.seeds_path)), settings.findings_delay)


def build_replica_reads(settings: Settings, primary: Reads) -> Reads | None:
    """The read side on the read-only replica `settings.read_database_url` names (None without one).

    Its event store only ever reads: the command side is wired to the primary alone, so nothing this
    returns can append (and a hot standby would refuse it). Its reads of the findings are `primary`'s:
    they catch up with the log there, before they are read (archive/commands/follow.py).
    """
    if settings.read_database_url is None:
        return None
    # A replica whose host does not answer must fail fast: every read waits for it before the primary.
    engine = create_engine(
        settings.read_database_url, settings.lock_timeout_ms, settings.read_connect_timeout_ms
    )
    store = EventStore(engine, event_registry())
    marks = SeedMarks(Path(settings.seeds_path))
    return Reads(engine, store, marks, load_vocabulary(), findings_from=primary)
