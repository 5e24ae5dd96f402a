"""Decide and evolve a source document: registration, new versions, and citation re-checks.

Lines are 1-based and split on ``"\\n"`` exactly as stored. A quote may span lines: whitespace at each
line break is normalised to one space, and nothing else is normalised.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

import msgspec

from archive.domain.errors import (
    CitationMismatch,
    InvalidCommand,
    InvalidDate,
    SourceHashMismatch,
    UnknownSource,
)
from archive.domain.events import (
    Citation,
    CitationRecheck,
    CitationState,
    Event,
    SourceDescribed,
    SourceRegistered,
    SourceRevised,
    citation_id,
)
from archive.domain.ids import require_slug
from archive.domain.time import as_utc, parse_partial_date
from archive.domain.versions import require_expected_version

#: What one source may hold. A source is read, cited and re-checked line by line, and its page shows
#: its lines: a text of hundreds of thousands of lines or of a line of megabytes is not a document
#: someone cites by line, and every re-check of it would cost as much as the text is long.
MAX_SOURCE_LINES = 50_000
MAX_LINE_CHARS = 20_000


def split_lines(text: str) -> tuple[str, ...]:
    """The lines of ``text``, split on ``"\\n"`` exactly: line n is index n - 1."""
    return tuple(text.split("\n"))


def _join_at_breaks(parts: Sequence[str]) -> str:
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.rstrip() + " " + part.lstrip()
    return joined


def normalise_quote_span(lines: Sequence[str], line_start: int, line_end: int) -> str:
    """Lines ``line_start``..``line_end`` (1-based, inclusive) joined with one space at each break.

    Trailing whitespace of a line and leading whitespace of the next collapse into that one space;
    whitespace inside a line is kept as it is.
    """
    return _join_at_breaks(lines[line_start - 1 : line_end])


def normalise_quote(quote: str) -> str:
    """A quote with its own line breaks (and the whitespace around them) collapsed to one space."""
    return _join_at_breaks(quote.split("\n"))


def verify_quote(source_id: str, lines: Sequence[str], line_start: int, line_end: int, quote: str) -> None:
    """Raise ``CitationMismatch`` unless ``quote`` is found within lines ``line_start``..``line_end``.

    The quote may have been copied across a wrap, with a ``"\\n"`` or a single space at the break.
    """
    if not quote.strip():
        raise InvalidCommand(
            f"the quote citing {source_id!r} is empty: copy the exact words from the source", field="quote"
        )
    if line_start < 1 or line_end < line_start or line_end > len(lines):
        raise CitationMismatch(
            source_id,
            line_start,
            line_end,
            quote,
            "",
            message=(
                f"lines {line_start}-{line_end} do not exist in source {source_id!r}, which has "
                f"{len(lines)} lines: line_start must be >= 1 and <= line_end <= {len(lines)}"
            ),
            field="line_start" if line_start < 1 or line_end < line_start else "line_end",
        )
    found = normalise_quote_span(lines, line_start, line_end)
    if normalise_quote(quote) not in found:
        raise CitationMismatch(source_id, line_start, line_end, quote, found)


def locate_quote(lines: Sequence[str], quote: str, span: int, near: int = 1) -> tuple[int, int] | None:
    """Where ``quote`` is now, as ``(line_start, line_end)``; ``None`` if it is absent.

    Windows of ``span`` lines are tried first, since an unchanged quote keeps its shape; failing
    that, windows of 1..span+2 lines, since a re-wrapped paragraph may spread it over more or fewer
    lines. Among the windows of one width that hold the quote, the one starting nearest ``near`` (the
    citation's old first line) wins, so a quote that occurs twice is not moved to its other
    occurrence. The window found is trimmed to the lines the quote covers.
    """
    wanted = normalise_quote(quote)
    widths = [span] + [width for width in range(1, span + 3) if width != span]
    for width in widths:
        starts = [
            start
            for start in range(1, len(lines) - width + 2)
            if wanted in normalise_quote_span(lines, start, start + width - 1)
        ]
        if starts:
            start = min(starts, key=lambda candidate: (abs(candidate - near), candidate))
            return _trimmed(lines, wanted, start, start + width - 1)
    return None


def _trimmed(lines: Sequence[str], quote: str, start: int, end: int) -> tuple[int, int]:
    while start < end and quote in normalise_quote_span(lines, start + 1, end):
        start += 1
    while end > start and quote in normalise_quote_span(lines, start, end - 1):
        end -= 1
    return start, end


def check_text_limits(source_id: str, lines: Sequence[str]) -> None:
    """Refuse a text of more than MAX_SOURCE_LINES lines, or with a line over MAX_LINE_CHARS characters."""
    if len(lines) > MAX_SOURCE_LINES:
        raise InvalidCommand(
            f"the text of source {source_id!r} has {len(lines)} lines; a source may have at most "
            f"{MAX_SOURCE_LINES}: split the document into several sources",
            field="text",
        )
    longest = max(range(len(lines)), key=lambda index: len(lines[index]))
    if len(lines[longest]) > MAX_LINE_CHARS:
        raise InvalidCommand(
            f"line {longest + 1} of source {source_id!r} has {len(lines[longest])} characters; a line may "
            f"have at most {MAX_LINE_CHARS}: break the text into lines as the document does",
            field="text",
        )


def sha256_hex(text: str) -> str:
    """The sha256 of the text's UTF-8 bytes, in hex: a source's ``content_sha256``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class SourceSnapshot(msgspec.Struct, frozen=True):
    """The current version of a source, as the fact decider needs it to check citations."""

    source_id: str
    content_sha256: str
    lines: tuple[str, ...]
    version: int
    title: str


class SourceState(msgspec.Struct, frozen=True):
    """A source stream folded from its events; ``exists`` is False before registration."""

    exists: bool = False
    source_id: str = ""
    title: str = ""
    origin: str = ""
    source_date: str = ""
    content_sha256: str = ""
    lines: tuple[str, ...] = ()
    version: int = 0


def initial_source_state() -> SourceState:
    """The state of a source stream with no events."""
    return SourceState()


class CitationRef(msgspec.Struct, frozen=True):
    """A citation currently pointing into a source, and the fact it supports."""

    fact_id: str
    citation: Citation


class RegisterSource(msgspec.Struct, frozen=True):
    """Register a source, or a new version of its text.

    ``citations`` are the citations currently pointing into the source, supplied by the service so a
    new version can re-check them.
    """

    source_id: str
    title: str
    origin: str
    source_date: str
    text: str
    content_sha256: str
    recorded_at: dt.datetime
    citations: tuple[CitationRef, ...] = ()
    expected_version: int | None = None


def decide_source(cmd: RegisterSource, state: SourceState) -> list[Event]:
    """Register a new source, do nothing for the same bytes, or revise it and re-check citations.

    Raises ``InvalidCommand`` (bad slug, empty title, foreign citation, a text over the limits),
    ``InvalidDate``, ``SourceHashMismatch`` (the text does not hash to ``content_sha256``), and the
    version rule's ``StaleVersion`` and ``VersionRequired`` (a new text for an existing source needs
    ``expected_version``).
    """
    require_slug(cmd.source_id, "source id", field="source_id")
    if not cmd.title.strip():
        raise InvalidCommand(f"source {cmd.source_id!r} needs a title", field="title")
    try:
        source_date = str(parse_partial_date(cmd.source_date))
    except InvalidDate as error:
        raise InvalidDate(f"source_date: {error.message}", field="source_date") from None
    actual = sha256_hex(cmd.text)
    if actual != cmd.content_sha256:
        raise SourceHashMismatch(
            f"the text of source {cmd.source_id!r} hashes to {actual}, "
            f"not the declared {cmd.content_sha256}: "
            "the bytes changed in transit or the hash belongs to another file",
            field="text",
        )
    recorded_at = as_utc(cmd.recorded_at)
    lines = split_lines(cmd.text)
    check_text_limits(cmd.source_id, lines)
    new_text = cmd.content_sha256 != state.content_sha256
    described = (cmd.title, cmd.origin, source_date) != (state.title, state.origin, state.source_date)
    change = None
    if state.exists and (new_text or described):
        change = " and ".join(
            part
            for part, happens in (
                ("replace its text with a new version", new_text),
                ("change its title, origin or date", described),
            )
            if happens
        )
    require_expected_version(f"source {cmd.source_id}", state.version, cmd.expected_version, change)
    if not state.exists:
        return [
            SourceRegistered(
                source_id=cmd.source_id,
                title=cmd.title,
                origin=cmd.origin,
                source_date=source_date,
                content_sha256=cmd.content_sha256,
                text=cmd.text,
                line_count=len(lines),
                version=1,
                recorded_at=recorded_at,
            )
        ]
    events: list[Event] = []
    if new_text:
        events.append(
            SourceRevised(
                source_id=cmd.source_id,
                content_sha256=cmd.content_sha256,
                text=cmd.text,
                line_count=len(lines),
                version=state.version + 1,
                rechecks=tuple(_recheck(cmd.source_id, lines, ref) for ref in cmd.citations),
                recorded_at=recorded_at,
            )
        )
    if described:
        # A record's change is recorded, never dropped: the title, origin and date a citation was made
        # under stay readable in the source's versions.
        events.append(
            SourceDescribed(
                source_id=cmd.source_id,
                title=cmd.title,
                origin=cmd.origin,
                source_date=source_date,
                version=state.version + len(events) + 1,
                recorded_at=recorded_at,
            )
        )
    return events


def _recheck(source_id: str, lines: tuple[str, ...], ref: CitationRef) -> CitationRecheck:
    """Verified where it was, drifted where it is found now, orphaned otherwise; never fuzzy."""
    citation = ref.citation
    if citation.source_id != source_id:
        raise InvalidCommand(
            f"citation {citation_id(citation)} of fact {ref.fact_id} points into {citation.source_id!r}, "
            f"not {source_id!r}"
        )
    state, start, end = follow_quote(source_id, lines, citation.line_start, citation.line_end, citation.quote)
    return CitationRecheck(ref.fact_id, citation_id(citation), state, start, end)


def follow_quote(
    source_id: str, lines: Sequence[str], line_start: int, line_end: int, quote: str
) -> tuple[CitationState, int | None, int | None]:
    """Where quoted words are in a (new) text: verified at their lines, drifted to the lines where they
    are found now, or orphaned (no lines); never fuzzy. Citations and "no fact here" marks share it."""
    try:
        verify_quote(source_id, lines, line_start, line_end, quote)
    except CitationMismatch:
        pass
    else:
        return "verified", line_start, line_end
    located = locate_quote(lines, quote, line_end - line_start + 1, near=line_start)
    if located is None:
        return "orphaned", None, None
    return "drifted", located[0], located[1]


def evolve_source(state: SourceState, event: Event) -> SourceState:
    """Apply a source event; events of other streams leave the state as it is."""
    if isinstance(event, SourceRegistered):
        return SourceState(
            exists=True,
            source_id=event.source_id,
            title=event.title,
            origin=event.origin,
            source_date=event.source_date,
            content_sha256=event.content_sha256,
            lines=split_lines(event.text),
            version=event.version,
        )
    if isinstance(event, SourceRevised):
        return msgspec.structs.replace(
            state,
            content_sha256=event.content_sha256,
            lines=split_lines(event.text),
            version=event.version,
        )
    if isinstance(event, SourceDescribed):
        return msgspec.structs.replace(
            state,
            title=event.title,
            origin=event.origin,
            source_date=event.source_date,
            version=event.version,
        )
    return state


def snapshot(state: SourceState) -> SourceSnapshot:
    """The current version of a registered source; ``UnknownSource`` before registration."""
    if not state.exists:
        raise UnknownSource("the source is not registered")
    return SourceSnapshot(
        source_id=state.source_id,
        content_sha256=state.content_sha256,
        lines=state.lines,
        version=state.version,
        title=state.title,
    )
