"""Write docs/mutation.md from the results of `mutmut run` (run by `make mutation`; see the Makefile).

Reads `mutmut results --all true` (one `name: status` line per mutant) and, for each survivor, its diff
from `mutmut show`. Scores are per module: killed (timeouts count as killed) over all mutants checked,
and the same with the survivors explained as equivalent left out of the count (the usual definition of
a mutation score: an equivalent mutant is the same program, no test can kill it).
`docs/mutation-baseline.json` holds the per-module counts of an earlier run, shown beside the new ones;
`docs/mutation-notes.yaml` says why a surviving mutant is harmless (keyed by mutant name, or by module,
a part of the mutant's name and a fragment of the changed line), and holds the report's prose (`about`).

    python docs/mutation_report.py [--baseline-out FILE] [--results FILE ...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml
from mutmut.mutation.diff_apply import find_mutant, get_diff_for_mutant

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "docs" / "mutation.md"
BASELINE = ROOT / "docs" / "mutation-baseline.json"
NOTES = ROOT / "docs" / "mutation-notes.yaml"
KILLED = {"killed", "timeout"}
NOT_RUN = {"not checked", "skipped"}


def mutmut(*args: str) -> str:
    """Run mutmut in the project and return its output."""
    return subprocess.run(
        [sys.executable, "-m", "mutmut", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def module_of(name: str) -> str:
    """The module of a mutant name such as `archive.domain.time.x_holds_at__mutmut_3`."""
    return name.split(".x")[0] if ".x" in name else name.rsplit(".", 1)[0]


def parse_results(text: str) -> dict[str, str]:
    """Mutant name -> status, from the output of `mutmut results --all true`."""
    results = {}
    for line in text.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and name.startswith("archive."):
            results[name] = status.strip()
    return results


def read_results(files: list[Path]) -> dict[str, str]:
    """This project's results; with `files` (saved outputs of `mutmut results --all true`, e.g. of runs
    split over several copies), those instead, a later file's checked mutants replacing an earlier's."""
    if not files:
        return parse_results(mutmut("results", "--all", "true"))
    results: dict[str, str] = {}
    for path in files:
        for name, status in parse_results(path.read_text(encoding="utf-8")).items():
            if status not in NOT_RUN or name not in results:
                results[name] = status
    return results


def counts(results: dict[str, str]) -> dict[str, dict[str, int]]:
    """Per module: how many mutants had each status."""
    per: dict[str, Counter[str]] = defaultdict(Counter)
    for name, status in results.items():
        per[module_of(name)][status] += 1
    return {module: dict(c) for module, c in sorted(per.items())}


def score(c: dict[str, int]) -> tuple[int, int, float | None]:
    """(killed, checked, killed/checked) for one module's counts."""
    checked = sum(n for status, n in c.items() if status not in NOT_RUN)
    killed = sum(n for status, n in c.items() if status in KILLED)
    return killed, checked, (killed / checked if checked else None)


def without_equivalents(killed: int, checked: int, equivalent: int) -> float | None:
    """The score with the mutants explained as equivalent (the same program) left out of the count."""
    return killed / (checked - equivalent) if checked > equivalent else None


_mutated_file_of_module: dict[str, Path] = {}


def changed_lines(name: str) -> list[str]:
    """The lines a mutant removes and adds: `mutmut show`'s diff, made in this process (a `mutmut show`
    per survivor takes one to two seconds, and a run with new code can leave a thousand survivors)."""
    module = module_of(name)
    if module not in _mutated_file_of_module:
        _mutated_file_of_module[module] = Path(find_mutant(name).path)
    diff = get_diff_for_mutant(name, path=_mutated_file_of_module[module]).splitlines()
    return [
        line.rstrip()
        for line in diff
        if line[:1] in "+-" and not line.startswith(("+++", "---")) and line[1:].strip()
    ]


def note_for(name: str, lines: list[str], notes: dict[str, Any]) -> str | None:
    """Why a survivor is harmless, from the notes file: by exact name, or by module and line fragment."""
    if name in notes.get("mutants", {}):
        return str(notes["mutants"][name])
    for rule in notes.get("patterns", []):
        if module_of(name) != rule["module"] or rule.get("name", "") not in name:
            continue
        if any(rule.get("fragment", "") in line for line in lines):
            return str(rule["reason"])
    return None


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline-out", type=Path, help="write these counts as a baseline file and stop")
    parser.add_argument("--label", help="with --baseline-out: what run the baseline is")
    parser.add_argument("--results", type=Path, action="append", default=[], help="a saved results listing")
    args = parser.parse_args()
    os.chdir(ROOT)  # mutmut finds its mutants/ directory and configuration from the working directory
    results = read_results(args.results)
    if not results:
        sys.exit("no mutmut results: run `mutmut run` first")
    per_module = counts(results)
    if args.baseline_out:
        labelled: dict[str, Any] = {"_label": args.label} if args.label else {}
        args.baseline_out.write_text(
            json.dumps({**labelled, **per_module}, indent=1) + "\n", encoding="utf-8"
        )
        return
    baseline = json.loads(BASELINE.read_text(encoding="utf-8")) if BASELINE.is_file() else {}
    notes = yaml.safe_load(NOTES.read_text(encoding="utf-8")) if NOTES.is_file() else {}
    # REPORT_COMMIT names the commit when the run was made in an exported copy without .git.
    commit = (
        os.environ.get("REPORT_COMMIT")
        or subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
    )

    survivors = [n for n, s in sorted(results.items()) if s in {"survived", "no tests"}]
    listed: dict[str, list[str]] = defaultdict(list)
    explained_in: Counter[str] = Counter()
    for name in survivors:
        lines = changed_lines(name)
        why = note_for(name, lines, notes)
        explained_in[module_of(name)] += why is not None
        listed[module_of(name)].append(f"- `{name.removeprefix(module_of(name) + '.')}` ({results[name]})")
        listed[module_of(name)] += [f"  `{line.strip()[:150]}`" for line in lines[:2]]
        listed[module_of(name)].append(f"  - why harmless: {why}" if why else "  - not yet explained")

    out = [
        "# Mutation testing",
        "",
        f"Written by `make mutation` on {dt.date.today().isoformat()} at commit {commit} (plus any",
        "uncommitted changes in the tree). Configuration: `[tool.mutmut]` in pyproject.toml. Score: mutants",
        "killed (a timeout counts as killed) over mutants checked; one no test reaches counts as not killed.",
        "Without equivalents: the same, the survivors explained below as equivalent left out of the count.",
        f"Before: {baseline.get('_label', 'no baseline')}.",
        "",
        "| module | mutants | killed | survived | no tests | explained | score | without equivalents "
        "| before |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    totals: Counter[str] = Counter()
    for module, c in per_module.items():
        killed, checked, value = score(c)
        before = score(baseline[module])[2] if module in baseline else None
        totals.update(c)
        out.append(
            f"| `{module}` | {checked} | {killed} | {c.get('survived', 0)} | {c.get('no tests', 0)} "
            f"| {explained_in[module]} | {percent(value)} "
            f"| {percent(without_equivalents(killed, checked, explained_in[module]))} | {percent(before)} |"
        )
    killed, checked, value = score(dict(totals))
    explained = sum(explained_in.values())
    before_totals: Counter[str] = Counter()
    for module, c in baseline.items():
        if not module.startswith("_"):
            before_totals.update(c)
    before_value = score(dict(before_totals))[2] if before_totals else None
    out.append(
        f"| **all** | {checked} | {killed} | {totals.get('survived', 0)} | {totals.get('no tests', 0)} "
        f"| {explained} | {percent(value)} | {percent(without_equivalents(killed, checked, explained))} "
        f"| {percent(before_value)} |"
    )
    if notes.get("about"):
        out += ["", str(notes["about"]).rstrip()]
    out += [
        "",
        "## Surviving mutants",
        "",
        f"{len(survivors)} survive; {explained} are explained as harmless below, the rest are not yet.",
        "",
    ]
    for module in per_module:
        if listed[module]:
            out += [f"### `{module}`", "", *listed[module], ""]
    REPORT.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"wrote {REPORT.relative_to(ROOT)}: {checked} mutants checked, score {percent(value)}")


if __name__ == "__main__":
    main()
