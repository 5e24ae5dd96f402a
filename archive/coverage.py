"""Which source lines state a date, a role, an appointment, a membership or a chairmanship, and are
neither cited by any fact in the archive nor explained by a "no fact here" mark in the seed files.

The detector is general: a year, a month name, or a role word. It knows nothing of any corpus.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import msgspec

from archive.domain.sources import split_lines

# Capitalised only: "may" the verb is not "May" the month.
MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
    "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
# Every inflection a role or an appointment is stated with: "appoints" and "ambassadors" state one as
# much as "appointed" and "ambassador" do.
ROLE_WORDS = (
    "chair|chairs|chaired|chairing|chairman|chairmen|chairwoman|chairwomen|chairperson|chairpersons"
    "|chairmanship|chairmanships|presidency|presidencies|president|presidents|preside|presides|presided"
    "|presiding|appoint|appoints|appointed|appointing|appointment|appointments|member|members|membership"
    "|memberships|elect|elects|elected|electing|election|elections|head|heads|headed|coordinator"
    "|coordinators|commissioner|commissioners|representative|representatives|ambassador|ambassadors"
    "|secretary|secretaries|minister|ministers|director|directors|troika|troikas|seconded|envoy|envoys"
)

DETECTORS: dict[str, re.Pattern[str]] = {
    # A year, or a decade ("the 1990s"), or a month name.
    "date": re.compile(rf"\b(?:1[89]\d\d|20\d\d)(?:'?s)?\b|\b(?:{MONTHS})\b"),
    "role": re.compile(rf"\b(?:{ROLE_WORDS})\b", re.IGNORECASE),
}


class UncoveredLine(msgspec.Struct, frozen=True):
    """A line that states something datable or a role, with nothing citing or explaining it."""

    source_id: str
    line: int
    signals: tuple[str, ...]
    text: str


def signals(text: str) -> tuple[str, ...]:
    """The kinds of statement a line seems to make ("date", "role"), in a fixed order."""
    return tuple(name for name, pattern in DETECTORS.items() if pattern.search(text))


def uncovered_lines(
    source_id: str, text: str, cited: set[int], explained: Mapping[int, str]
) -> list[UncoveredLine]:
    """The lines of one source that signal a fact but are neither cited nor explained."""
    found = []
    for number, line in enumerate(split_lines(text), start=1):
        if number in cited or number in explained:
            continue
        kinds = signals(line)
        if kinds:
            found.append(UncoveredLine(source_id, number, kinds, line.strip()))
    return found
