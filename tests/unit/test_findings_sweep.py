"""`overlapping_holders` finds its pairs by a sweep over the terms' starts; an independent oracle (every
pair of terms compared, as the definition reads) must give the same pairs, in the same order."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from archive.domain.findings import HolderTerm, overlapping_holders, surely_overlap
from archive.domain.time import make_valid_time

# Dates at every precision, in a few years so that terms meet, touch and overlap often.
DATES = st.one_of(
    st.none(),
    st.integers(2000, 2004).map(str),
    st.tuples(st.integers(2000, 2004), st.integers(1, 12)).map(lambda ym: f"{ym[0]}-{ym[1]:02d}"),
    st.tuples(st.integers(2000, 2004), st.integers(1, 12), st.integers(1, 28)).map(
        lambda ymd: f"{ymd[0]}-{ymd[1]:02d}-{ymd[2]:02d}"
    ),
)


@st.composite
def terms(draw: st.DrawFn) -> list[HolderTerm]:
    made = []
    for n in range(draw(st.integers(0, 12))):
        if draw(st.booleans()):
            start, end = draw(DATES), draw(DATES)
            if start is not None and end is not None and end < start:
                start, end = end, start
            valid_time = make_valid_time(start, end, None)
        else:
            valid_time = make_valid_time(None, None, draw(DATES))
        made.append(
            HolderTerm(
                f"fact-{draw(st.integers(0, 10**6)):07d}-{n}", draw(st.sampled_from("abc")), valid_time
            )
        )
    return made


def every_pair(found: list[HolderTerm], focus: set[str] | None) -> list[tuple[HolderTerm, HolderTerm]]:
    ordered = sorted(found, key=lambda term: term.fact_id)
    return [
        (a, b)
        for a, b in combinations(ordered, 2)
        if (focus is None or a.fact_id in focus or b.fact_id in focus)
        and a.holder != b.holder
        and surely_overlap(a.valid_time, b.valid_time)
    ]


@settings(max_examples=400, deadline=None)
@given(terms(), st.data())
def test_the_sweep_finds_exactly_the_pairs_every_pair_compared_finds(
    found: list[HolderTerm], data: st.DataObject
) -> None:
    focus = data.draw(st.none() | st.sets(st.sampled_from([t.fact_id for t in found] or ["none"])))
    assert overlapping_holders(found, focus) == every_pair(found, focus)
