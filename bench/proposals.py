"""How well the proposal rules read the seed corpus: recall and precision against the curated facts.

    uv run --frozen python -m bench.proposals [--seeds seeds] [--out bench/results/proposals.json]

Nothing is registered and no database is used: for each facts file of ``seeds/facts/``, ``propose()``
(archive/domain/proposals.py) reads the file's document with every label and alias of
``seeds/entities.yaml``, and its proposals are compared with the file's curated facts.

**The match.** A proposal matches a curated fact when they have the same predicate, the same subject,
the same object (an entity id; for a predicate that takes a literal, the same value, compared without
regard to case or runs of whitespace), and the proposal's lines overlap the lines of at least one of
the fact's citations. Qualifiers, modality and valid time do not decide a match. A proposal is
**correct** when it matches some curated fact, and a curated fact is **found** when some proposal
matches it: two proposals of one fact from two of its cited passages are both correct (accepting the
second adds a citation), and the fact is found once. A proposal whose subject or object no entity
matched (``unmatched``) cannot match: the archivist has to edit it first.

**Dates.** Counted apart: ``same time`` is the number of found facts that some matching proposal
dates exactly as curated (``valid_from``, ``valid_to`` and ``point_in_time``, each at the same precision;
a ``derived`` or ``circa`` date counts as its bare date: the text states the bare date, and a proposal
never derives one). A proposal with the right fact and the wrong time still counts as matched:
the archivist edits the date, which is cheaper than finding the fact.

recall = found / curated, precision = correct / proposed, per predicate and in total.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import msgspec

from archive.domain.proposals import KnownName, ProposedFact, propose
from archive.seeding import FactsFile, SeedFact, load_entities, load_facts_file

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "proposals.json"


class PredicateScore(msgspec.Struct):
    """One row of the table: the counts of one predicate (or of all, for the total)."""

    predicate: str
    curated: int = 0
    proposed: int = 0
    correct: int = 0  # proposals that match a curated fact
    found: int = 0  # curated facts some proposal matches
    same_time: int = 0
    # proposals that match a curated fact and give its valid time too: a date taken from another clause
    # makes a proposal correct but not correct with its time
    correct_dated: int = 0
    with_unmatched_names: int = 0

    @property
    def recall(self) -> float | None:
        """found / curated, or ``None`` when nothing was curated."""
        return self.found / self.curated if self.curated else None

    @property
    def precision(self) -> float | None:
        """correct / proposed, or ``None`` when nothing was proposed."""
        return self.correct / self.proposed if self.proposed else None

    @property
    def precision_dated(self) -> float | None:
        """correct_dated / proposed, or ``None`` when nothing was proposed."""
        return self.correct_dated / self.proposed if self.proposed else None


def _literal(text: str | None) -> str | None:
    return None if text is None else " ".join(text.split()).casefold()


def _bare(date: str | None) -> str | None:
    if date is None:
        return None
    return date.removeprefix("derived ").removeprefix("circa ")


def matches(proposal: ProposedFact, fact: SeedFact) -> bool:
    """Whether ``proposal`` states ``fact``: same predicate, subject, object or value, overlapping lines."""
    content = proposal.content
    if (content.predicate, content.subject, content.object) != (fact.predicate, fact.subject, fact.object):
        return False
    if _literal(content.value) != _literal(fact.value):
        return False
    return any(
        proposal.line_start <= citation.line_end and citation.line_start <= proposal.line_end
        for citation in fact.citations
    )


def same_time(proposal: ProposedFact, fact: SeedFact) -> bool:
    """Whether the proposal's valid time is the fact's, bound by bound, a derived or circa date (on either
    side) read as its bare date."""
    content = proposal.content
    return (_bare(content.valid_from), _bare(content.valid_to), _bare(content.point_in_time)) == (
        _bare(fact.valid_from),
        _bare(fact.valid_to),
        _bare(fact.point_in_time),
    )


def score(proposals: Sequence[ProposedFact], facts: Sequence[SeedFact]) -> dict[str, PredicateScore]:
    """The counts by predicate of one document's proposals against its curated facts.

    A proposal is correct when it matches some curated fact; a curated fact is found when some
    proposal matches it. Two proposals of one fact from two of its cited passages are both correct
    (the second adds a citation), and the fact is found once.
    """
    rows: dict[str, PredicateScore] = {}

    def row(predicate: str) -> PredicateScore:
        return rows.setdefault(predicate, PredicateScore(predicate))

    for fact in facts:
        row(fact.predicate).curated += 1
    for proposal in proposals:
        predicate_row = row(proposal.content.predicate)
        predicate_row.proposed += 1
        predicate_row.with_unmatched_names += bool(proposal.unmatched)
        predicate_row.correct += any(matches(proposal, fact) for fact in facts)
        predicate_row.correct_dated += any(
            matches(proposal, fact) and same_time(proposal, fact) for fact in facts
        )
    for fact in facts:
        stating = [proposal for proposal in proposals if matches(proposal, fact)]
        if stating:
            row(fact.predicate).found += 1
            row(fact.predicate).same_time += any(same_time(proposal, fact) for proposal in stating)
    return rows


def merge(tables: Sequence[dict[str, PredicateScore]]) -> dict[str, PredicateScore]:
    """Counts summed by predicate over several documents."""
    total: dict[str, PredicateScore] = {}
    for table in tables:
        for predicate, counts in table.items():
            into = total.setdefault(predicate, PredicateScore(predicate))
            into.curated += counts.curated
            into.proposed += counts.proposed
            into.correct += counts.correct
            into.found += counts.found
            into.same_time += counts.same_time
            into.correct_dated += counts.correct_dated
            into.with_unmatched_names += counts.with_unmatched_names
    return total


def totals(table: dict[str, PredicateScore]) -> PredicateScore:
    """The counts of every predicate summed into one row."""
    return merge([{"total": counts} for counts in table.values()])["total"]


def known_names(seeds: Path) -> list[KnownName]:
    """Every label and alias of the seed entities."""
    names: list[KnownName] = []
    for entity in load_entities(seeds / "entities.yaml").entities:
        names.append(KnownName(entity.id, entity.label))
        names.extend(KnownName(entity.id, alias) for alias in entity.aliases)
    return names


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def render(table: dict[str, PredicateScore]) -> str:
    """The table as Markdown: a row per predicate (most curated first), then the total."""
    header = (
        "| predicate | curated | found | recall | proposed | correct | precision | same time "
        "| correct with its time | precision with time | with unmatched names |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    ordered = sorted(table.values(), key=lambda row: (-row.curated, -row.proposed, row.predicate))
    lines = [header]
    for row in [*ordered, totals(table)]:
        name = f"**{row.predicate}**" if row.predicate == "total" else row.predicate
        lines.append(
            f"| {name} | {row.curated} | {row.found} | {_ratio(row.recall)} | {row.proposed} | "
            f"{row.correct} | {_ratio(row.precision)} | {row.same_time} | {row.correct_dated} | "
            f"{_ratio(row.precision_dated)} | {row.with_unmatched_names} |"
        )
    return "\n".join(lines)


def _as_json(table: dict[str, PredicateScore]) -> dict[str, object]:
    def one(row: PredicateScore) -> dict[str, object]:
        return {
            "curated": row.curated,
            "found": row.found,
            "proposed": row.proposed,
            "correct": row.correct,
            "recall": row.recall,
            "precision": row.precision,
            "same_time": row.same_time,
            "correct_dated": row.correct_dated,
            "precision_dated": row.precision_dated,
            "with_unmatched_names": row.with_unmatched_names,
        }

    return {
        "by_predicate": {predicate: one(table[predicate]) for predicate in sorted(table)},
        "total": one(totals(table)),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Score every seed document and print and write the tables."""
    parser = argparse.ArgumentParser(prog="python -m bench.proposals", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    names = known_names(args.seeds)
    by_document: dict[str, dict[str, PredicateScore]] = {}
    by_rule: dict[str, dict[str, int]] = {}
    for path in sorted((args.seeds / "facts").glob("*.yaml")):
        facts_file: FactsFile = load_facts_file(path)
        text = (args.seeds / facts_file.source.file).read_text(encoding="utf-8")
        proposals = propose(text, names)
        by_document[facts_file.source.id] = score(proposals, facts_file.facts)
        for proposal in proposals:
            counts = by_rule.setdefault(proposal.rule, {"proposed": 0, "correct": 0})
            counts["proposed"] += 1
            counts["correct"] += any(matches(proposal, fact) for fact in facts_file.facts)
    corpus = merge(list(by_document.values()))
    for source_id, table in by_document.items():
        print(f"## {source_id}\n\n{render(table)}\n")
    print(f"## all three documents\n\n{render(corpus)}")
    report = {
        "command": "uv run --frozen python -m bench.proposals",
        "match": "same predicate, subject and object (or literal value), and lines overlapping a citation's",
        "recall": "found / curated: curated facts some proposal matches",
        "precision": "correct / proposed: proposals that match some curated fact",
        "corpus": _as_json(corpus),
        "by_document": {source_id: _as_json(table) for source_id, table in by_document.items()},
        "by_rule": {rule: by_rule[rule] for rule in sorted(by_rule)},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
