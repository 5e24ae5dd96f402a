"""A generator of a large synthetic seeds folder, in the format of seeds/README.md.

Every name is invented (syllables drawn from a fixed list), so the corpus names no real country,
organisation or person. The folder is deterministic for a given `seed`, and the generator knows how many
events a clean seed of it appends, per file, so a test can check a partial seed against every prefix a
file-by-file transactional seeder may leave behind.

Each facts file has one document. Its facts use several predicates (member_of, held_position,
took_place_in, chaired, national_of), several date precisions, quotes that span a line break, planned
facts linked by `fulfils`, and, from the second file on, one fact repeated from the previous file with a
citation into this file's document (a `fact.cited` event).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

from archive.domain.proposal_reviews import proposals_made
from archive.domain.proposals import KnownName, propose

SYLLABLES = (
    "zor", "vel", "quin", "thar", "mob", "lix", "dra", "kesh", "ulv", "fen", "yar", "brel",
    "osk", "wim", "tau", "gry", "nef", "pil", "skor", "vun",
)  # fmt: skip
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

COUNTRIES = 12
ORGANISATIONS = 10
BODIES = 6
OFFICES = 8
PLACES = 15
EVENTS = 30
PERSONS = 60


@dataclass
class SyntheticCorpus:
    """A generated seeds folder and the events a clean seed of it appends."""

    root: Path
    entity_events: int
    events_per_file: list[int] = field(default_factory=list)
    facts_per_file: list[int] = field(default_factory=list)

    @property
    def files(self) -> int:
        """How many facts files (and documents) the folder holds."""
        return len(self.events_per_file)

    @property
    def total_events(self) -> int:
        """Events a clean seed of the whole folder appends."""
        return self.entity_events + sum(self.events_per_file)

    def prefix_counts(self) -> list[int]:
        """Event counts a seed interrupted between transactions can leave: nothing, the entity registry,
        then the registry and each successive facts file (files are seeded in name order)."""
        counts = [0, self.entity_events]
        for events in self.events_per_file:
            counts.append(counts[-1] + events)
        return counts


def _name(rng: random.Random, used: set[str], syllables: int = 3) -> str:
    while True:
        name = "".join(rng.choice(SYLLABLES) for _ in range(syllables)).capitalize()
        if name not in used:
            used.add(name)
            return name


def _entities(rng: random.Random) -> dict[str, list[dict[str, object]]]:
    used: set[str] = set()
    kinds: dict[str, list[dict[str, object]]] = {
        "country": [],
        "organisation": [],
        "body": [],
        "office": [],
        "place": [],
        "event": [],
        "person": [],
    }

    def add(kind: str, index: int, label: str, aliases: list[str]) -> None:
        kinds[kind].append({"id": f"syn-{kind}-{index}", "kind": kind, "label": label, "aliases": aliases})

    for i in range(COUNTRIES):
        name = _name(rng, used)
        add("country", i, f"{name}ia", [f"Republic of {name}ia"])
    for i in range(ORGANISATIONS):
        name = _name(rng, used)
        add("organisation", i, f"{name} Accord Organisation", [f"{name[:3].upper()}AO"])
    for i in range(BODIES):
        add("body", i, f"{_name(rng, used)} Council", [])
    for i in range(OFFICES):
        add("office", i, f"Warden of {_name(rng, used, 2)}", [])
    for i in range(PLACES):
        add("place", i, f"{_name(rng, used, 2)}burg", [])
    for i in range(EVENTS):
        add("event", i, f"{_name(rng, used)} Gathering", [])
    for i in range(PERSONS):
        given, family = _name(rng, used, 2), _name(rng, used)
        add("person", i, f"{given} {family}", [f"{given[0]}. {family}"])
    return kinds


def _statement(n: int, kinds: dict[str, list[dict[str, object]]]) -> tuple[dict[str, object], list[str]]:
    """The fact number `n` of the corpus (content only) and the document lines stating it.

    Every fact has a different (year, month), so no two generated facts share a content and an id.
    """
    year, month = 1800 + n // 12, n % 12 + 1
    month_name = MONTHS[month - 1]

    def pick(kind: str, offset: int = 0) -> dict[str, object]:
        items = kinds[kind]
        return items[(n + offset) % len(items)]

    def label(entity: dict[str, object]) -> str:
        return str(entity["label"])

    shape = n % 5
    if shape == 0:
        country, org = pick("country"), pick("organisation", 3)
        line = f"In {month_name} {year}, {label(country)} joined the {label(org)}."
        fact: dict[str, object] = {
            "subject": country["id"],
            "predicate": "member_of",
            "object": org["id"],
            "valid_from": f"{year}-{month:02d}",
        }
        return fact, [line]
    if shape == 1:
        person, office, org = pick("person"), pick("office", 1), pick("organisation")
        line = (
            f"{label(person)} served as {label(office)} of the {label(org)} "
            f"from {month_name} {year} to {year + 3}."
        )
        fact = {
            "subject": person["id"],
            "predicate": "held_position",
            "object": office["id"],
            "qualifiers": {"organization": org["id"]},
            "valid_from": f"{year}-{month:02d}",
            "valid_to": str(year + 3),
        }
        return fact, [line]
    if shape == 2:
        event, place = pick("event"), pick("place", 2)
        day = n % 28 + 1
        line = f"The {label(event)} took place in {label(place)} on {day} {month_name} {year}."
        fact = {
            "subject": event["id"],
            "predicate": "took_place_in",
            "object": place["id"],
            "point_in_time": f"{year}-{month:02d}-{day:02d}",
        }
        return fact, [line]
    if shape == 3:
        country, body = pick("country", 5), pick("body")
        line = (
            f"{label(country)} chaired the {label(body)} from {month_name} {year} to {month_name} {year + 1}."
        )
        fact = {
            "subject": country["id"],
            "predicate": "chaired",
            "object": body["id"],
            "valid_from": f"{year}-{month:02d}",
            "valid_to": f"{year + 1}-{month:02d}",
        }
        return fact, [line]
    person, country = pick("person", 7), pick("country", 1)
    first = f"By {month_name} {year}, {label(person)} was a  "
    second = f"  national of {label(country)}, the register says."
    fact = {
        "subject": person["id"],
        "predicate": "national_of",
        "object": country["id"],
        "point_in_time": f"{year}-{month:02d}",
        "qualifiers": {"note": "attested at one moment only"},
    }
    return fact, [first, second]


def _quote(lines: list[str]) -> str:
    if len(lines) == 1:
        return lines[0]
    # A quote across the wrap: the words on both sides, joined by one space.
    return lines[0].rstrip() + " " + lines[1].strip().split(",")[0]


def proposal_count(text: str, names: list[KnownName]) -> int:
    """How many facts registering `text` proposes (each a `proposal.made` event of the seed)."""
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return len(proposals_made("source", 1, sha256, propose(text, names), datetime.now(UTC)))


def generate(
    root: Path, files: int = 20, facts_per_file: int = 100, seed: int = 20_240_601
) -> SyntheticCorpus:
    """Write a seeds folder at `root` (documents/, entities.yaml, facts/) and describe it."""
    rng = random.Random(seed)
    kinds = _entities(rng)
    (root / "documents").mkdir(parents=True, exist_ok=True)
    (root / "facts").mkdir(parents=True, exist_ok=True)
    entities = [entity for items in kinds.values() for entity in items]
    (root / "entities.yaml").write_text(
        yaml.safe_dump({"entities": entities}, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    corpus = SyntheticCorpus(root=root, entity_events=len(entities))
    names = [KnownName(str(e["id"]), name) for e in entities for name in (e["label"], *e["aliases"])]
    previous_repeat: tuple[dict[str, object], list[str]] | None = None
    repeated_index = min(5, facts_per_file - 1)
    for f in range(files):
        repeat: tuple[dict[str, object], list[str]] | None = None
        source_id = f"synthetic-register-{f:02d}"
        lines = [f"Synthetic register {f:02d}: a chronicle of invented affairs.", ""]
        facts: list[dict[str, object]] = []
        events = 1  # source.registered
        for k in range(facts_per_file):
            n = f * facts_per_file + k
            content, stated = _statement(n, kinds)
            start = len(lines) + 1
            lines += stated
            fact = dict(content)
            if k % 25 == 0:
                fact["ref"] = f"syn-{f:02d}-{k:03d}"
                fact["modality"] = "planned"
            if k % 25 == 1:
                fact["links"] = [{"relation": "fulfils", "ref": f"syn-{f:02d}-{k - 1:03d}"}]
                events += 1  # fact.linked
            fact["citations"] = [
                {"line_start": start, "line_end": start + len(stated) - 1, "quote": _quote(stated)}
            ]
            facts.append(fact)
            events += 1  # fact.recorded
            if k == repeated_index:
                repeat = (content, stated)
        if previous_repeat is not None:
            # The same fact as the previous file's, stated again here: one more citation (fact.cited).
            content, stated = previous_repeat
            start = len(lines) + 1
            lines += stated
            citation = {"line_start": start, "line_end": start + len(stated) - 1, "quote": _quote(stated)}
            facts.append({**content, "citations": [citation]})
            events += 1
        previous_repeat = repeat
        lines.append("")
        text = "\n".join(lines)
        (root / "documents" / f"{source_id}.txt").write_text(text, encoding="utf-8")
        events += proposal_count(text, names)  # proposal.made: what registering the text proposes
        document = {
            "source": {
                "id": source_id,
                "file": f"documents/{source_id}.txt",
                "title": f"Synthetic register {f:02d}",
                "origin": "generated by tests/reliability/synthetic.py",
                "date": str(1800 + (f * facts_per_file) // 12),
            },
            "facts": facts,
            "no_fact_here": [
                {"line_start": 1, "line_end": 1, "quote": lines[0], "reason": "the register's heading"}
            ],
        }
        (root / "facts" / f"{source_id}.yaml").write_text(
            yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
        corpus.events_per_file.append(events)
        corpus.facts_per_file.append(len(facts))
    return corpus


if __name__ == "__main__":  # pragma: no cover - a manual aid: python -m tests.reliability.synthetic DIR
    import sys

    made = generate(Path(sys.argv[1]))
    print(f"{made.files} files, {made.total_events} events expected at {made.root}")
