"""The bench's verdicts: each case is judged against a floor doing the same work, on full runs only."""

from __future__ import annotations

import math

from bench.cases.append import append_verdicts
from bench.cases.bulk import ingest_verdicts, rebuild_verdicts
from bench.common import Results, Row, written_per_fact
from bench.run import table


def _append_stats(**rates: tuple[float, float]) -> dict[str, dict[str, float]]:
    """Case 1's statistics by implementation from (events a second, p50 latency in ms)."""
    return {name: {"ev_s": ev_s, "lat_median": p50} for name, (ev_s, p50) in rates.items()}


def _by_what(results: Results) -> dict[str, tuple[float, str, bool | None]]:
    return {v.what: (v.value, v.target, v.met) for v in results.verdicts}


def test_on_sqlite_a_single_append_is_judged_against_the_synchronous_driver() -> None:
    results = Results("sqlite")
    stats = _append_stats(ours=(720, 1.4), peer=(1000, 1.0), raw=(700, 1.3), **{"raw-sync": (1000, 0.9)})
    append_verdicts(results, "1 client", stats, ["peer"], clients=1)
    found = _by_what(results)
    assert found["ours/raw-sync ev/s"] == (0.72, ">= 0.7x", True)
    assert found["ours/raw (aiosqlite) ev/s (no target)"][:2] == (720 / 700, "-")
    assert "ours/raw ev/s" not in found


def test_without_the_synchronous_driver_raw_is_the_floor() -> None:
    results = Results("postgres")
    stats = _append_stats(ours=(600, 1.5), peer=(800, 1.2), **{"peer-dbfn": (900, 1.1)}, raw=(1000, 1.0))
    append_verdicts(results, "2 clients", stats, ["peer", "peer-dbfn"], clients=2)
    found = _by_what(results)
    assert found["ours/raw ev/s"] == (0.6, ">= 0.7x", False)
    assert found["ours/peer-dbfn (fastest peer mode) ev/s"] == (600 / 900, ">= 1.1x", False)


def test_one_client_reports_the_ratio_of_p50_latencies_beside_the_throughput() -> None:
    stats = _append_stats(ours=(500, 2.0), peer=(800, 1.25), raw=(900, 1.0), **{"raw-sync": (1000, 0.8)})
    one, two = Results("sqlite"), Results("sqlite")
    append_verdicts(one, "1 client", stats, ["peer"], clients=1)
    append_verdicts(two, "2 clients", stats, ["peer"], clients=2)
    latency = {v.what: v.value for v in one.verdicts if v.what.startswith("latency p50")}
    assert latency == {
        "latency p50 ours/peer (info: < 1 means ours commits faster)": 1.6,
        "latency p50 ours/raw-sync (info: < 1 means ours commits faster)": 2.5,
    }
    assert not [v for v in two.verdicts if v.what.startswith("latency")]


def test_ingest_is_judged_against_raw_and_the_peer_is_information() -> None:
    written = {
        name: {"rows_per_fact": rows, "bytes_per_fact": size, "rows_by_table": {}}
        for name, rows, size in (("ours", 12.0, 3000.0), ("raw", 10.0, 2500.0), ("peer", 1.0, 900.0))
    }
    results = Results("postgres")
    ingest_verdicts(results, "10,000 facts", {"ours": 690.0, "raw": 1000.0, "peer": 300.0}, written)
    found = _by_what(results)
    assert found["ours/raw facts/s"] == (0.69, ">= 0.7x", False)
    assert found["ours/peer facts/s (no target)"][1] == "-"
    assert found["ours rows written per fact (info: lower is better; raw 10.0, peer 1.0)"][:2] == (12.0, "-")
    assert found["ours bytes written per fact (info: lower is better; raw 2,500.0, peer 900.0)"][0] == 3000.0


def test_a_rebuild_is_judged_against_the_raw_rebuild_not_the_folds() -> None:
    results = Results("sqlite")
    rates = {"ours": 8000.0, "raw-rebuild": 10000.0, "peer": 40000.0, "raw": 80000.0}
    rebuild_verdicts(results, "102,320 events", rates)
    judged = [(v.what, v.value, v.met) for v in results.verdicts if v.target != "-"]
    assert judged == [("ours/raw-rebuild ev/s", 0.8, True)]
    assert {v.what for v in results.verdicts if v.target == "-"} == {
        "ours/peer ev/s (info: the peer only folds in memory)",
        "ours/raw ev/s (info: raw only reads the log)",
    }


def test_rows_and_bytes_written_per_fact_are_what_each_table_gained() -> None:
    before = {"rows": {"events": 2070, "entities": 2070, "roles": 0}, "bytes": 100_000}
    after = {"rows": {"events": 4070, "entities": 2070, "roles": 2000, "sources": 1}, "bytes": 5_100_000}
    assert written_per_fact(before, after, 2000) == {
        "rows_per_fact": 4001 / 2000,
        "bytes_per_fact": 2500.0,
        "rows_by_table": {"events": 2000, "roles": 2000, "sources": 1},
    }


def test_a_quick_run_prints_its_ratios_and_judges_none() -> None:
    quick = Results("sqlite", judged=False)
    full = Results("sqlite")
    for results in (quick, full):
        results.verdict("1", "1 client", "ours/raw ev/s", 0.5, ">= 0.7x", ">=", 0.7)
        results.verdict("1", "1 client", "ours/peer ev/s", math.nan, ">= 1.1x", ">=", 1.1)
    assert [v.met for v in quick.verdicts] == [None, None]
    assert "**no**" not in table(quick)
    assert ">= 0.7x" not in table(quick)
    assert "| 1 | 1 client | ours/raw ev/s | 0.50 |" in table(quick)
    assert "| 1 | 1 client | ours/raw ev/s | 0.50 | >= 0.7x | **no** |" in table(full)


def test_an_ingest_row_says_what_a_fact_costs_to_store() -> None:
    results = Results("sqlite")
    extra = {
        "batch_ms_median": 500.0, "batch_ms_p99": 600.0, "total_s": 5.0, "peak_rss_mb": 80.0,
        "rows_per_fact": 10.5, "bytes_per_fact": 2345.0,
    }  # fmt: skip
    results.add(Row("4", "10,000 facts", "ours", "facts/s", 2000.0, None, extra))
    assert "writes 10.50 rows, 2,345 bytes a fact" in table(results)
