"""Seed files to commands: `seeds/entities.yaml` and `seeds/facts/*.yaml` (format: seeds/README.md).

Everything goes through the same command handlers as the API. The entity registry is one transaction;
each facts file (its source, its facts and their links) is another, so a broken file appends nothing and
stops the seed with a message naming the file and the entry. Ids are deterministic, so a second run
appends nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import yaml

from archive.commands import Archive, CommandMeta, FactInput, IngestError
from archive.coverage import Mark
from archive.domain.errors import DomainError
from archive.domain.events import Citation, LinkRelation, Modality, Qualifiers, Rank
from archive.domain.facts import FactContent, fact_id_for
from archive.domain.sources import sha256_hex, split_lines, verify_quote
from archive.domain.streams import entity_stream, fact_stream, source_stream
from archive.projections import sources as source_rows

SEED_ACTOR = "seed"


class SeedError(Exception):
    """A seed file that cannot be loaded; the message names the file and the entry."""

    def __init__(self, file: Path | str, entry: str, message: str) -> None:
        self.file = str(file)
        self.entry = entry
        super().__init__(f"{file}: {entry}: {message}")


class SeedEntity(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One entity of entities.yaml."""

    id: str
    kind: str
    label: str
    aliases: list[str] = []


class EntitiesFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """entities.yaml."""

    entities: list[SeedEntity]


class SeedSource(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The source a facts file is about."""

    id: str
    file: str
    title: str
    origin: str
    date: str


class SeedCitation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A citation into the file's own source."""

    line_start: int
    line_end: int
    quote: str


class SeedLink(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A link to another seed fact, by its ref."""

    relation: LinkRelation
    ref: str


class SeedQualifiers(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Optional qualifiers of a seed fact."""

    role: str | None = None
    place: str | None = None
    organization: str | None = None
    note: str | None = None


class SeedFact(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One fact of a facts file."""

    subject: str
    predicate: str
    citations: list[SeedCitation]
    ref: str | None = None
    object: str | None = None
    value: str | None = None
    qualifiers: SeedQualifiers = SeedQualifiers()
    valid_from: str | None = None
    valid_to: str | None = None
    point_in_time: str | None = None
    modality: Modality = "asserted"
    rank: Rank = "normal"
    links: list[SeedLink] = []

    def content(self) -> FactContent:
        """The fact's content, which determines its id."""
        q = self.qualifiers
        return FactContent(
            subject=self.subject,
            predicate=self.predicate,
            object=self.object,
            value=self.value,
            qualifiers=Qualifiers(role=q.role, place=q.place, organization=q.organization, note=q.note),
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            point_in_time=self.point_in_time,
            modality=self.modality,
        )


class NoFactHere(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Words of the source that state no fact, quoted like a citation (so they follow a new version of the
    source as a citation does), with the reason."""

    line_start: int
    line_end: int
    quote: str
    reason: str


class FactsFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """seeds/facts/<document>.yaml."""

    source: SeedSource
    facts: list[SeedFact] = []
    no_fact_here: list[NoFactHere] = []


class _TextLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML without implicit timestamps: "2010-12-01" stays the text of a partial date."""


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_TextLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise SeedError(path, "file", f"cannot be read as YAML: {error}") from None


def _as_text_dates(raw: Any) -> Any:
    """Let a bare year (`2010`, an int to YAML) stand for the partial date "2010"."""
    if isinstance(raw, dict):
        return {
            k: str(v)
            if k in ("valid_from", "valid_to", "point_in_time", "date") and isinstance(v, int)
            else _as_text_dates(v)
            for k, v in raw.items()
        }
    if isinstance(raw, list):
        return [_as_text_dates(item) for item in raw]
    return raw


def load_entities(path: Path) -> EntitiesFile:
    """Parse entities.yaml, naming the entry at fault."""
    try:
        return msgspec.convert(_read_yaml(path), EntitiesFile)
    except msgspec.ValidationError as error:
        raise SeedError(path, "structure", str(error)) from None


def load_facts_file(path: Path) -> FactsFile:
    """Parse one facts file, naming the entry at fault."""
    try:
        return msgspec.convert(_as_text_dates(_read_yaml(path)), FactsFile)
    except msgspec.ValidationError as error:
        raise SeedError(path, "structure", str(error)) from None


def fact_entry(index: int, fact: SeedFact) -> str:
    """How a message names a fact entry: its index and, when it has one, its ref."""
    return f"facts[{index}]" + (f" (ref {fact.ref})" if fact.ref else "")


class SeedReport(msgspec.Struct):
    """What a seed run did."""

    entities: int = 0
    sources: int = 0
    facts: int = 0
    citations: int = 0
    no_fact_here: int = 0
    events_appended: int = 0


class Seeder:
    """Loads a seeds/ folder through the archive's command handlers."""

    def __init__(
        self, archive: Archive, root: Path, on_progress: Callable[[int], None] | None = None
    ) -> None:
        self.archive = archive
        self.root = root
        self.on_progress = on_progress or (lambda done: None)
        self._done = 0
        self._planned: tuple[EntitiesFile, list[tuple[Path, FactsFile]], dict[str, str]] | None = None

    def facts_files(self) -> list[Path]:
        """The facts files, in name order."""
        return sorted((self.root / "facts").glob("*.yaml"))

    def plan(self) -> tuple[EntitiesFile, list[tuple[Path, FactsFile]], dict[str, str]]:
        """Every file parsed and every ref resolved (once: the progress bar and the run share it)."""
        if self._planned is None:
            self._planned = self._plan()
        return self._planned

    def _plan(self) -> tuple[EntitiesFile, list[tuple[Path, FactsFile]], dict[str, str]]:
        """Parse every file and resolve refs to fact ids before anything is appended."""
        entities_path = self.root / "entities.yaml"
        entities = load_entities(entities_path)
        files = [(path, load_facts_file(path)) for path in self.facts_files()]
        # An id listed twice would be registered from one entry and revised from the other on every
        # run (and a source id in two files would turn one document into a new version of the other):
        # the seed would never settle.
        entity_at: dict[str, int] = {}
        for index, entity in enumerate(entities.entities):
            if entity.id in entity_at:
                raise SeedError(
                    entities_path,
                    f"entities[{index}] ({entity.id})",
                    f"entity id {entity.id!r} is already used by entities[{entity_at[entity.id]}]",
                )
            entity_at[entity.id] = index
        source_in: dict[str, Path] = {}
        for path, parsed in files:
            source_id = parsed.source.id
            if source_id in source_in:
                raise SeedError(
                    path,
                    f"source ({source_id})",
                    f"source id {source_id!r} is already used by {source_in[source_id].name}: "
                    "each document has one facts file",
                )
            source_in[source_id] = path
        refs: dict[str, str] = {}
        for path, parsed in files:
            for index, fact in enumerate(parsed.facts):
                if fact.ref is None:
                    continue
                if fact.ref in refs:
                    raise SeedError(path, fact_entry(index, fact), f"ref {fact.ref!r} is used twice")
                try:
                    refs[fact.ref] = fact_id_for(fact.content())
                except DomainError as error:
                    raise SeedError(path, fact_entry(index, fact), str(error)) from None
        for path, parsed in files:
            for index, fact in enumerate(parsed.facts):
                for link in fact.links:
                    if link.ref not in refs:
                        raise SeedError(path, fact_entry(index, fact), f"links to unknown ref {link.ref!r}")
        return entities, files, refs

    def total_entries(self) -> int:
        """Entities plus facts: the length of the progress bar."""
        entities, files, _ = self.plan()
        return len(entities.entities) + sum(len(parsed.facts) for _, parsed in files)

    async def run(self) -> SeedReport:
        """Seed everything; stop at the first broken file (earlier files stay seeded)."""
        entities, files, refs = self.plan()
        report = SeedReport()
        report.events_appended += await self._seed_entities(self.root / "entities.yaml", entities)
        report.entities = len(entities.entities)
        for path, parsed in files:
            report.events_appended += await self._seed_facts_file(path, parsed, refs)
            report.sources += 1
            report.facts += len(parsed.facts)
            report.citations += sum(len(f.citations) for f in parsed.facts)
            report.no_fact_here += len(parsed.no_fact_here)
        return report

    def _advance(self) -> None:
        self._done += 1
        self.on_progress(self._done)

    async def _seed_entities(self, path: Path, parsed: EntitiesFile) -> int:
        appended = 0
        meta = CommandMeta(actor=SEED_ACTOR, reason=f"seed {path.name}")
        async with self.archive.transaction() as conn:
            for index, entity in enumerate(parsed.entities):
                try:
                    # The seed file is the registry's record: it revises whatever version this
                    # transaction (which holds the append lock) finds, and says so.
                    written = await self.archive.register_entity(
                        entity_id=entity.id,
                        kind=entity.kind,
                        label=entity.label,
                        aliases=entity.aliases,
                        meta=meta,
                        expected_version=await self.archive.store.stream_version(
                            entity_stream(entity.id), conn=conn
                        ),
                        conn=conn,
                    )
                except DomainError as error:
                    raise SeedError(path, f"entities[{index}] ({entity.id})", str(error)) from None
                appended += len(written.events)
                self._advance()
        return appended

    async def _seed_facts_file(self, path: Path, parsed: FactsFile, refs: dict[str, str]) -> int:
        source = parsed.source
        document = self.root / source.file
        try:
            content = document.read_bytes()
            text = content.decode("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise SeedError(path, "source.file", f"cannot read {document}: {error}") from None
        lines = split_lines(text)
        for index, mark in enumerate(parsed.no_fact_here):
            if not mark.reason.strip():
                raise SeedError(path, f"no_fact_here[{index}]", "a mark needs a reason")
            try:
                verify_quote(source.id, lines, mark.line_start, mark.line_end, mark.quote)
            except DomainError as error:
                raise SeedError(path, f"no_fact_here[{index}] (line {mark.line_start})", str(error)) from None
        meta = CommandMeta(actor=SEED_ACTOR, reason=f"seed {path.name}")
        appended = 0
        async with self.archive.transaction() as conn:
            try:
                # As for entities: the document in seeds/ is the one to hold, at whatever version.
                written = await self.archive.register_source(
                    source_id=source.id,
                    title=source.title,
                    origin=source.origin,
                    source_date=source.date,
                    content=content,
                    meta=meta,
                    expected_version=await self.archive.store.stream_version(
                        source_stream(source.id), conn=conn
                    ),
                    conn=conn,
                )
            except DomainError as error:
                raise SeedError(path, f"source ({source.id})", str(error)) from None
            appended += len(written.events) + len(written.proposals)
            current = await source_rows.get(conn, source.id)
            sha = current.content_sha256 if current is not None else sha256_hex(text)
            items = [
                FactInput(
                    fact.content(),
                    fact.rank,
                    tuple(
                        Citation(source.id, sha, c.line_start, c.line_end, c.quote) for c in fact.citations
                    ),
                )
                for fact in parsed.facts
            ]
            try:
                ingested = await self.archive.ingest_facts(items, meta, conn=conn)
            except IngestError as error:
                entry = fact_entry(error.index, parsed.facts[error.index])
                raise SeedError(path, entry, str(error.error)) from None
            appended += len(ingested.events)
            for index, fact in enumerate(parsed.facts):
                for link in fact.links:
                    fact_id = ingested.fact_ids[index]
                    try:
                        linked = await self.archive.link_fact(
                            fact_id=fact_id,
                            relation=link.relation,
                            target_fact_id=refs[link.ref],
                            meta=meta,
                            expected_version=await self.archive.store.stream_version(
                                fact_stream(fact_id), conn=conn
                            ),
                            conn=conn,
                        )
                    except DomainError as error:
                        raise SeedError(path, fact_entry(index, fact), str(error)) from None
                    appended += len(linked.events)
                self._advance()
        return appended


def marks_in(facts_files: list[FactsFile]) -> dict[str, list[Mark]]:
    """The "no fact here" marks of parsed facts files, by source id."""
    marks: dict[str, list[Mark]] = {}
    for parsed in facts_files:
        marks.setdefault(parsed.source.id, []).extend(
            Mark(parsed.source.id, m.line_start, m.line_end, m.quote, m.reason) for m in parsed.no_fact_here
        )
    return marks


class SeedMarks:
    """The marks of a seeds folder, read again only when a facts file changes (they are curation data)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._seen: tuple[tuple[str, int], ...] | None = None
        self._marks: dict[str, list[Mark]] = {}

    def __call__(self) -> dict[str, list[Mark]]:
        """Marks by source id; none when the folder holds no facts files."""
        paths = sorted((self.root / "facts").glob("*.yaml"))
        seen = tuple((str(path), path.stat().st_mtime_ns) for path in paths)
        if seen != self._seen:
            self._marks = marks_in([load_facts_file(path) for path in paths])
            self._seen = seen
        return self._marks
