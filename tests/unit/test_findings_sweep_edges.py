"""What `overlapping_holders` promises beyond its pairs: an office held by many people in turn costs
about one comparison a term, not one for every pair of its terms (the findings read model sweeps every
office a write touches, and an office's history can be long). The pairs themselves are checked against
an oracle in tests/unit/test_findings_sweep.py; here, how many comparisons the sweep makes to find them.
"""

from __future__ import annotations

import datetime as dt

import pytest

from archive.domain import findings
from archive.domain.findings import HolderTerm, overlapping_holders
from archive.domain.time import make_valid_time

#: An office's terms in turn: each ten days long, the next beginning the day after.
TERMS = 400
FIRST_DAY = dt.date(1900, 1, 1)


def term(n: int, holder: str, days: tuple[int, int]) -> HolderTerm:
    start, end = (FIRST_DAY + dt.timedelta(days=d) for d in days)
    return HolderTerm(f"fact-{n:04d}", holder, make_valid_time(start.isoformat(), end.isoformat(), None))


def in_turn() -> list[HolderTerm]:
    """`TERMS` terms by alternating holders, none overlapping, but for one overlap of two terms' ends."""
    terms = [term(n, "ab"[n % 2], (10 * n, 10 * n + 9)) for n in range(TERMS)]
    # The 101st holder stayed on five days into the 102nd's term.
    terms[100] = term(100, terms[100].holder, (1000, 1014))
    return terms


def count_comparisons(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    compare = findings.surely_overlap

    def counted(*args: object, **kwargs: object) -> bool:
        calls[0] += 1
        return compare(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(findings, "surely_overlap", counted)
    return calls


@pytest.mark.parametrize("order", ["in order", "reversed"])
def test_an_office_held_in_turn_compares_each_term_with_about_one_other(
    monkeypatch: pytest.MonkeyPatch, order: str
) -> None:
    terms = in_turn()
    calls = count_comparisons(monkeypatch)
    pairs = overlapping_holders(terms if order == "in order" else terms[::-1])
    assert [(a.fact_id, b.fact_id) for a, b in pairs] == [("fact-0100", "fact-0101")]
    # A term that surely ended before the next starts is compared with nothing after it; every pair
    # compared would be TERMS * (TERMS - 1) / 2 = 79,800.
    assert calls[0] <= TERMS, calls[0]


def test_a_term_still_running_is_compared_with_every_later_term(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sweep drops only terms that surely ended: one with an open end overlaps every later term."""
    terms = in_turn()
    terms[0] = HolderTerm("fact-0000", "c", make_valid_time(FIRST_DAY.isoformat(), None, None))
    calls = count_comparisons(monkeypatch)
    pairs = overlapping_holders(terms)
    assert [(a.fact_id, b.fact_id) for a, b in pairs if a.fact_id == "fact-0000"] == [
        ("fact-0000", t.fact_id) for t in terms[1:]
    ]
    assert TERMS - 1 <= calls[0] <= 2 * TERMS, calls[0]
