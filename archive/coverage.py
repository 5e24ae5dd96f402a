"""Coverage by sentence: every sentence of a source is cited by a fact or explained by a "no fact here" mark.

A sentence is covered when a citation's quote or a mark's quote overlaps it. Sentences are found by
general rules (terminal punctuation, abbreviations, headings, bullets, wrapped lines); nothing here knows
any corpus. Pure code: the caller reads the texts, citations and marks.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence

import msgspec

from archive.domain.events import CitationState
from archive.domain.sources import follow_quote, normalise_quote

# Words whose final period is not a sentence end. Single letters (initials, "M.") and words with an inner
# period ("U.S.", "i.e.") are recognised by shape, so they are not listed.
ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "jr",
        "sr",
        "no",
        "nos",
        "vs",
        "cf",
        "approx",
        "dept",
        "gen",
        "col",
        "lt",
        "gov",
        "sen",
        "rep",
        "inc",
        "ltd",
        "co",
        "corp",
        "art",
        "para",
        "fig",
        "vol",
        "ed",
        "est",
        "mt",
        "ft",
        "rev",
        "hon",
        "amb",
    ]
)
_TERMINAL = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)")
_ENDS_TERMINAL = re.compile(r"[.!?…][\"'”’»)\]]*$")
_OPENERS = "\"'“‘«([¿¡"
_BULLETS = "•◦▪▫●○■□‣⁃∙·*–—-"
# Below this share of lines ending a sentence, a text is wrapped (extracted from a PDF, say): a line break
# there is usually inside a sentence. A text with one paragraph a line ends almost every line with a stop.
_WRAPPED_BELOW = 0.5
# In a wrapped text, a line this much shorter than the widest line ended where its writer ended it.
_SHORT_LINE = 0.7


class Sentence(msgspec.Struct, frozen=True):
    """A sentence: its first and last line (1-based), its offsets in the flattened text, and its words."""

    line_start: int
    line_end: int
    start: int
    end: int
    text: str


class FlatText:
    """A source's lines joined with one space at each line break, as quotes are compared.

    Remembers where each line's words begin and end, so that a quote found in lines ``a..b`` and a
    sentence can be compared as ranges of the same string.
    """

    def __init__(self, lines: Sequence[str]) -> None:
        parts: list[str] = []
        self.spans: list[tuple[int, int]] = []
        length = 0
        for line in lines:
            words = line.strip()
            if words:
                if parts:
                    parts.append(" ")
                    length += 1
                self.spans.append((length, length + len(words)))
                parts.append(words)
                length += len(words)
            else:
                self.spans.append((length, length))
        self.text = "".join(parts)

    def line_of(self, offset: int) -> int:
        """The 1-based line holding the character at ``offset``."""
        for number, (start, end) in enumerate(self.spans, start=1):
            if start <= offset < end:
                return number
        return len(self.spans)

    def find(self, quote: str, line_start: int, line_end: int) -> tuple[int, int] | None:
        """The offsets of ``quote`` within lines ``line_start..line_end``, or ``None``."""
        wanted = normalise_quote(quote).strip()
        if not wanted or not 1 <= line_start <= line_end <= len(self.spans):
            return None
        low, high = self.spans[line_start - 1][0], self.spans[line_end - 1][1]
        at = self.text.find(wanted, low, high)
        return None if at < 0 else (at, at + len(wanted))


def _is_bullet(char: str) -> bool:
    # PDF extraction turns list bullets into private-use glyphs.
    return char in _BULLETS or unicodedata.category(char) == "Co"


def _starts_sentence(char: str) -> bool:
    return char.isupper() or char.isdigit() or char in _OPENERS or _is_bullet(char)


def _is_heading(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) > 1 and all(c.isupper() for c in letters)


def _abbreviation_ends_at(flat: FlatText, stop: int, line_starts: set[int]) -> bool:
    """Whether the period at ``stop`` closes an abbreviation, an initial or an enumerator, not a sentence."""
    begin = flat.text.rfind(" ", 0, stop) + 1
    word = flat.text[begin:stop].lstrip(_OPENERS)
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "M. Dzharbusynova"
    if "." in word or word.lower() in ABBREVIATIONS:
        return True  # "U.S.", "i.e.", "Dr."
    # "1." opening a line numbers a heading; it does not end one.
    return word.isdigit() and begin in line_starts


def _breaks_between(lines: Sequence[str], flat: FlatText) -> set[int]:
    """Offsets where a sentence starts because of how the lines are laid out."""
    filled = [(number, line.rstrip()) for number, line in enumerate(lines, start=1) if line.strip()]
    if not filled:
        return set()
    ending = sum(1 for _, line in filled if _ENDS_TERMINAL.search(line))
    wrapped = ending < _WRAPPED_BELOW * len(filled)
    width = max(len(line) for _, line in filled)
    starts = set()
    for (_, before), (number, after) in itertools.pairwise(filled):
        first = after.lstrip()[0]
        if (
            not wrapped
            or _is_bullet(first)
            or _is_heading(before)
            or _is_heading(after)
            or (len(before) < _SHORT_LINE * width and _starts_sentence(first))
        ):
            starts.add(flat.spans[number - 1][0])
    return starts


def split_sentences(lines: Sequence[str]) -> list[Sentence]:
    """The sentences of a text given as its lines, in order, each with the lines it spans."""
    flat = FlatText(lines)
    line_starts = {start for start, end in flat.spans if end > start}
    starts = {0} | _breaks_between(lines, flat)
    for match in _TERMINAL.finditer(flat.text):
        after = match.end() + 1  # one space follows: whitespace was normalised at breaks, not inside lines
        while after < len(flat.text) and flat.text[after].isspace():
            after += 1
        if after >= len(flat.text) or not _starts_sentence(flat.text[after]):
            continue
        only_a_period = match.group()[0] == "." and len(match.group().rstrip("\"'”’»)]")) == 1
        if only_a_period and _abbreviation_ends_at(flat, match.start(), line_starts):
            continue
        starts.add(after)
    bounds = [*sorted(starts), len(flat.text)]
    sentences = []
    for begin, end in itertools.pairwise(bounds):
        words = flat.text[begin:end].rstrip()
        if words.strip():
            stop = begin + len(words)
            sentences.append(Sentence(flat.line_of(begin), flat.line_of(stop - 1), begin, stop, words))
    return sentences


class QuotedSpan(msgspec.Struct, frozen=True):
    """Words quoted from a source at lines ``line_start..line_end``: a citation's or a mark's."""

    line_start: int
    line_end: int
    quote: str


class Mark(msgspec.Struct, frozen=True):
    """A "no fact here" mark: the words it explains, quoted like a citation, and why they state no fact."""

    source_id: str
    line_start: int
    line_end: int
    quote: str
    reason: str


class FollowedMark(msgspec.Struct, frozen=True):
    """A mark checked against the current text: where its words are now, or ``orphaned``."""

    mark: Mark
    state: CitationState
    line_start: int | None
    line_end: int | None


def follow_mark(lines: Sequence[str], mark: Mark) -> FollowedMark:
    """Verified where it was, drifted where its words are now, orphaned when they are gone: as a citation."""
    state, start, end = follow_quote(mark.source_id, lines, mark.line_start, mark.line_end, mark.quote)
    return FollowedMark(mark, state, start, end)


class UncoveredSentence(msgspec.Struct, frozen=True):
    """A sentence no citation quotes and no mark explains."""

    source_id: str
    line_start: int
    line_end: int
    text: str


class SourceCoverage(msgspec.Struct, frozen=True):
    """How much of a source the archive accounts for, sentence by sentence."""

    source_id: str
    sentences: int
    covered: int
    uncovered: list[UncoveredSentence]
    orphaned_marks: list[Mark]


def coverage_of(
    source_id: str, lines: Sequence[str], cited: Iterable[QuotedSpan], marks: Sequence[FollowedMark]
) -> SourceCoverage:
    """Which sentences of ``lines`` no citation (at its current lines) and no live mark overlaps."""
    flat = FlatText(lines)
    ranges = []
    live = [
        QuotedSpan(m.line_start, m.line_end, m.mark.quote)
        for m in marks
        if m.line_start is not None and m.line_end is not None
    ]
    for span in [*cited, *live]:
        found = flat.find(span.quote, span.line_start, span.line_end)
        if found is not None:
            ranges.append(found)
    sentences = split_sentences(lines)
    uncovered = [
        UncoveredSentence(source_id, s.line_start, s.line_end, s.text)
        for s in sentences
        if not any(start < s.end and s.start < end for start, end in ranges)
    ]
    return SourceCoverage(
        source_id=source_id,
        sentences=len(sentences),
        covered=len(sentences) - len(uncovered),
        uncovered=uncovered,
        orphaned_marks=[m.mark for m in marks if m.state == "orphaned"],
    )
