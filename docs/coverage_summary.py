"""Write docs/coverage.md from coverage's JSON report (run by `make coverage`; see the Makefile).

Branch coverage is the measure: covered branches over all branches of `archive/`, per module and in
total, with the modules below the target first.

    python docs/coverage_summary.py var/coverage/coverage.json
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "docs" / "coverage.md"
TARGET = 0.85


def branch_share(summary: dict[str, Any]) -> float | None:
    branches = summary["num_branches"]
    return summary["covered_branches"] / branches if branches else None


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def main() -> None:
    data = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    # REPORT_COMMIT names the commit when the run was made in an exported copy without .git.
    commit = (
        os.environ.get("REPORT_COMMIT")
        or subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
    )
    totals = data["totals"]
    total_share = branch_share(totals)
    rows = []
    for path, file in data["files"].items():
        s = file["summary"]
        rows.append((branch_share(s), path, s))
    rows.sort(key=lambda r: (r[0] if r[0] is not None else 2.0, r[1]))
    verdict = "meets" if total_share is not None and total_share >= TARGET else "misses"
    out = [
        "# Coverage",
        "",
        f"Written by `make coverage` on {dt.date.today().isoformat()} at commit {commit} (plus any",
        "uncommitted changes in the tree): the whole test suite under pytest-cov with branch coverage of",
        "`archive/`, the `archive` command's subprocesses included",
        '(`patch = ["subprocess"]` in `[tool.coverage.run]`).',
        "",
        f"**Branches: {totals['covered_branches']} of {totals['num_branches']} covered, "
        f"{percent(total_share)}** ({verdict} the target of {percent(TARGET)}). "
        f"Lines and branches together, as coverage.py counts them: "
        f"{percent(totals['percent_covered'] / 100)}.",
        "",
        "| module | branches | covered | partial | branch coverage | lines missed |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for share, path, s in rows:
        flag = " ⚠" if share is not None and share < TARGET else ""
        out.append(
            f"| `{path}` | {s['num_branches']} | {s['covered_branches']} | {s['num_partial_branches']} "
            f"| {percent(share)}{flag} | {s['missing_lines']} |"
        )
    REPORT.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"wrote {REPORT.relative_to(ROOT)}: branch coverage {percent(total_share)}")


if __name__ == "__main__":
    main()
