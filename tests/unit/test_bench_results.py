"""The benchmark's results files: a partial or quick run never replaces the day's full run."""

from __future__ import annotations

from pathlib import Path

from bench.common import Results
from bench.run import ALL_CASES, results_path


def _results(**meta: object) -> Results:
    results = Results("sqlite")
    results.meta.update({"date": "2026-12-04T05:00:00+00:00", "cases": ALL_CASES, "quick": False, **meta})
    return results


def test_a_full_run_is_named_for_its_date_and_backend(tmp_path: Path) -> None:
    assert results_path(_results(), tmp_path).name == "2026-12-04-sqlite.json"


def test_a_run_of_some_cases_is_named_for_them(tmp_path: Path) -> None:
    assert results_path(_results(cases=["6", "7"]), tmp_path).name == "2026-12-04-sqlite-cases-6-7.json"


def test_the_million_tier_and_quick_runs_are_named_apart(tmp_path: Path) -> None:
    million = _results(cases=["4", "5", "6"], million_tier={"ran": True})
    assert results_path(million, tmp_path).name == "2026-12-04-sqlite-cases-4-5-6-million.json"
    assert results_path(_results(quick=True), tmp_path).name == "2026-12-04-sqlite-quick.json"


def test_all_cases_in_another_order_is_a_full_run(tmp_path: Path) -> None:
    assert results_path(_results(cases=list(reversed(ALL_CASES))), tmp_path).name == "2026-12-04-sqlite.json"


def test_a_second_run_of_the_same_kind_does_not_overwrite_the_first(tmp_path: Path) -> None:
    (tmp_path / "2026-12-04-sqlite.json").write_text("{}")
    (tmp_path / "2026-12-04-sqlite-2.json").write_text("{}")
    assert results_path(_results(), tmp_path).name == "2026-12-04-sqlite-3.json"
