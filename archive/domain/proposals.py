"""Propose candidate facts from a document's text, by rules an archivist can read and review.

Nothing here decides what is true: a proposal is what a rule read in one sentence, with the exact words
it read (the quote and its lines, which pass the citation check of ``archive.domain.sources``), the
entities it recognised by their labels and aliases, and the names it could not match. An archivist
accepts, edits or rejects each one.

How a text is read:

- **Sentences.** The text is cut into sentences across its line breaks, as extracted text wraps
  mid-sentence: a break ends a sentence after ``.``, ``!`` or ``?``, before a blank line (unless the
  next line goes on in lower case: a page break), and around a heading (a line of capitals, or of
  capitalised words with no full stop). A quote is the sentence's words with each line break and the
  whitespace around it written as one space, as the citation check joins lines.
- **Names.** Every label and alias is searched in the whole text, longest first, so "Union Office in
  Port Town" wins over "Port Town" where both fit. A name with no lower-case letter (an acronym) matches
  only as written; any other name matches in any case. A trailing bracketed remark of a name
  (``"Name [external: where it comes from]"``) and a trailing parenthesis (``"Summit (2010)"``, a
  disambiguation) are not read as part of it. A name two entities bear is matched to neither: the
  archivist chooses. A name is tried only where its first word stands, so reading costs what the
  text's length does, whatever the size of the registry.
- **Dates.** "1994", "January 1992", "June 21, 2007", "1 December 2010", day and month ranges
  ("December 1-2, 2010", "September-December 2011") and year ranges ("2017-2019", "from June 2012 to
  August 2014") are read at the precision written (``PartialDate``), hedged ("around 1990") as circa.
  Words that are part of a name ("Games 2017") are not dates. A date stated only relative to another
  ("this year", an anniversary) is left out: the archive marks such a date "derived", an archivist's
  reading. Which date goes with a fact: the one nearest its verb, outside any parenthesis the verb is
  not in; "since"/"from" before it makes it a start, "until" an end.
- **Rules.** Each rule is a pattern of words ("became a member of", "was appointed", "chaired by",
  "was renamed") with slots for the subject, the object and sometimes a place; a slot is filled with
  the entity named there, or, when no name matches, with the text's own words, which are listed in
  ``unmatched`` so the fact cannot be accepted until an archivist edits it.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Literal

import msgspec

from archive.domain.errors import InvalidDate
from archive.domain.events import Modality, Qualifiers
from archive.domain.facts import FactContent
from archive.domain.sources import normalise_quote
from archive.domain.time import PartialDate


class KnownName(msgspec.Struct, frozen=True):
    """One label or alias of an entity, as the entities read model holds them."""

    entity_id: str
    name: str


class ProposedFact(msgspec.Struct, frozen=True):
    """A candidate fact one rule read in one sentence.

    ``content`` is what ``POST /facts`` would take; a slot no entity matched holds the text's words,
    which ``unmatched`` lists. ``quote`` is an exact substring of lines ``line_start``..``line_end``
    as the citation check joins them (one space at each line break).
    """

    rule: str
    content: FactContent
    line_start: int
    line_end: int
    quote: str
    matched: tuple[tuple[str, str], ...]
    unmatched: tuple[str, ...]


# -- names ---------------------------------------------------------------------------------------------

# A remark in square brackets at the end of a name ("[external: ...]") and a parenthesised
# disambiguation ("(2010)", "(Port Town, 2006)") are the registry's notes, not words of the name.
_NAME_REMARK = re.compile(r"\s*(?:\[[^\]]*\]|\([^)]*\))\s*$")
# Typographic variants a text and a registry may spell differently: apostrophes, quotation marks, dashes.
_CHAR_CLASSES = {
    "'": "['’‘]",
    "’": "['’‘]",
    "‘": "['’‘]",
    '"': '["“”]',
    "“": '["“”]',
    "”": '["“”]',
    "-": "[-‐‑–]",
}


class Mention(msgspec.Struct, frozen=True):
    """Where the text names an entity: characters ``start``..``end`` of the text."""

    start: int
    end: int
    words: str  # as written, with a line break or a run of spaces read as one space
    entity_id: str | None  # None when the words are the name of more than one entity


_NAME_SPACE = r"[\"“”]?\s+[\"“]?"


def _name_pattern(name: str) -> str:
    parts: list[str] = []
    for char in name:
        if char.isspace():
            # A text may quote a word of a name: '"Troika" of the Forum' names the "Troika of the Forum".
            if not parts or parts[-1] != _NAME_SPACE:
                parts.append(_NAME_SPACE)
        else:
            parts.append(_CHAR_CLASSES.get(char, re.escape(char)))
            if char == "-":
                parts.append(r"\s*")  # a hyphenated word broken at the end of a line
    return "".join(parts)


def _usable_name(name: str) -> str:
    previous = None
    while previous != name:
        previous, name = name, _NAME_REMARK.sub("", name)
    # Runs of spaces as one space, as the pattern reads them: the signs before a name's first word ("«  Port
    # Watch »") then have the length they have in a text that writes them with one space, and the name is
    # matched that far back from its first word.
    return " ".join(name.split())


def _case_blind(word: str) -> str:
    """A word as a name's case-blind pattern tells it from others: ``re.IGNORECASE`` takes the dotted and
    dotless i for i (casefolding does not), and every other pair of letters it takes for one casefolds alike.
    """
    return word.casefold().replace("i\u0307", "i").replace("\u0131", "i")


_WORD = re.compile(r"\w+")


@functools.lru_cache(maxsize=16384)
def _compiled_name(name: str) -> re.Pattern[str]:
    """The pattern of a name, kept across texts: a registry's names outlive any one document.

    A name with no lower-case letter (an acronym) matches only as written, any other in any case.
    """
    acronym = not any(char.islower() for char in name)
    return re.compile(r"(?<!\w)" + _name_pattern(name) + r"(?!\w)", 0 if acronym else re.IGNORECASE)


def find_mentions(text: str, names: Sequence[KnownName]) -> list[Mention]:
    """Every place ``text`` names a known entity, longest name first, without overlaps, in text order."""
    entities_by_name: dict[str, set[str]] = {}
    for known in names:
        usable = _usable_name(known.name)
        if usable:
            entities_by_name.setdefault(usable, set()).add(known.entity_id)
    # A name is tried only where its first word stands (case-blind), so the cost follows the text's
    # words, not the number of names times the text's length.
    # Names that share a first word (a registry of "Person 1", "Person 2", ...) are told apart by their
    # second: each place is keyed by its word and the next, and a name of two words or more is tried only
    # where both of its first two stand.
    word_starts: dict[str, list[int]] = {}
    pair_starts: dict[tuple[str, str], list[int]] = {}
    text_words = [(_case_blind(word.group(0)), word.start()) for word in _WORD.finditer(text)]
    for index, (word, start) in enumerate(text_words):
        word_starts.setdefault(word, []).append(start)
        if index + 1 < len(text_words):
            pair_starts.setdefault((word, text_words[index + 1][0]), []).append(start)
    taken = [False] * len(text)
    mentions: list[Mention] = []
    for name in sorted(entities_by_name, key=lambda item: (-len(item), item)):
        name_words = list(_WORD.finditer(name))
        if not name_words:
            continue
        first_word = name_words[0]
        pattern = _compiled_name(name)
        ids = sorted(entities_by_name[name])
        # A name that opens with a quotation mark or other sign starts that far before its first word.
        lead = first_word.start()
        if len(name_words) > 1:
            key = (_case_blind(first_word.group(0)), _case_blind(name_words[1].group(0)))
            places = pair_starts.get(key, ())
        else:
            places = word_starts.get(_case_blind(first_word.group(0)), ())
        for position in places:
            match = pattern.match(text, position - lead) if position >= lead else None
            if match is None:
                continue
            start, end = match.span()
            if any(taken[start:end]):
                continue
            for index in range(start, end):
                taken[index] = True
            words = " ".join(match.group(0).split())
            mentions.append(Mention(start, end, words, ids[0] if len(ids) == 1 else None))
    mentions.sort(key=lambda mention: mention.start)
    return mentions


# -- dates -----------------------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_DASH = r"\s*[-–—]\s*"
_YEAR = r"(?:1[0-9]{3}|2[0-9]{3})"
_DAY = r"(?:[0-3]?[0-9])"
_DATE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        # "December 1-2, 2010", "June 21, 2007"
        rf"(?P<m1>{_MONTH})\s+(?P<d1>{_DAY})(?:{_DASH}(?P<d2>{_DAY}))?,?\s+(?P<y1>{_YEAR})(?!\d)",
        # "1-2 December 2010", "1 December 2010"
        rf"(?<!\d)(?P<d1>{_DAY})(?:{_DASH}(?P<d2>{_DAY}))?\s+(?P<m1>{_MONTH}),?\s+(?P<y1>{_YEAR})(?!\d)",
        # "September-December 2011", "January 1992"
        rf"(?P<m1>{_MONTH})(?:{_DASH}(?P<m2>{_MONTH}))?,?\s+(?P<y1>{_YEAR})(?!\d)",
        # "2017-2019", "1994"
        rf"(?<![\d.,/])(?P<y1>{_YEAR})(?:{_DASH}(?P<y2>{_YEAR}))?(?![\d/]|\.\d)",
    )
)
# "from June 2012 to August 2014", "between 2009 and 2011": two dates read as one range.
_RANGE_JOIN = re.compile(r"\s*(?:to|until|till|through|and|[-–—])\s*$")
_RANGE_LEAD = re.compile(r"(?:\b(?:from|between)\s+)$", re.IGNORECASE)
_START_LEAD = re.compile(
    r"\b(?:since|from|effective|starting(?:\s+in)?|as\s+of)\s+"
    r"(?:the\s+(?:beginning|start|middle|fall|autumn|spring|summer|winter)\s+of\s+|early\s+|late\s+|mid-?\s*)?$",
    re.IGNORECASE,
)
_HEDGE = re.compile(r"\b(?:around|about|approximately|circa|roughly|c\.|ca\.)\s+(?:the\s+year\s+)?$", re.I)
_END_LEAD = re.compile(r"(?:\b(?:until|till|through|to)\s+)$", re.IGNORECASE)


class DateMention(msgspec.Struct, frozen=True):
    """A date the text states: ``first``, and ``last`` when it states a range; ``lead`` is the word before.

    ``lead`` is ``"since"`` for a date introduced as a start ("since", "from", "effective"), ``"until"``
    for one introduced as an end, and ``""`` otherwise.
    """

    start: int
    end: int
    first: PartialDate
    last: PartialDate | None
    lead: Literal["since", "until", ""]


def _bound(match: re.Match[str], second: bool) -> PartialDate | None:
    """The first date of a match, or with ``second`` the end of the range it states (``None``: none)."""
    groups = match.groupdict()
    year, month_text, day_text = groups["y1"], groups.get("m1"), groups.get("d1")
    if second:
        if groups.get("d2"):
            day_text = groups["d2"]
        elif groups.get("m2"):
            month_text, day_text = groups["m2"], None
        elif groups.get("y2"):
            year, month_text, day_text = groups["y2"], None, None
        else:
            return None
    try:
        return PartialDate(
            year=int(year),
            month=_MONTHS[month_text.lower()] if month_text else None,
            day=int(day_text) if day_text else None,
        )
    except InvalidDate:  # "February 30, 2010" names no day: not a date
        return None


def find_dates(text: str, mentions: Sequence[Mention] = ()) -> list[DateMention]:
    """The dates ``text`` states, in text order, leaving out those inside a name."""
    taken = [False] * len(text)
    for mention in mentions:
        for index in range(mention.start, mention.end):
            taken[index] = True
    found: list[tuple[int, int, PartialDate, PartialDate | None]] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(taken[start:end]):
                continue
            first = _bound(match, second=False)
            if first is None:
                continue
            last = _bound(match, second=True)
            if last is not None and last.earliest < first.earliest:
                continue
            for index in range(start, end):
                taken[index] = True
            found.append((start, end, first, last))
    found.sort(key=lambda item: item[0])
    dates: list[DateMention] = []
    for start, end, first, last in found:
        previous = dates[-1] if dates else None
        if (
            previous is not None
            and previous.last is None
            and _RANGE_JOIN.search(text[previous.end : start])
            and len(text[previous.end : start]) <= 12
            and last is None
            and first.earliest >= previous.first.earliest
            and (
                _RANGE_LEAD.search(text[max(0, previous.start - 20) : previous.start])
                or text[previous.end : start].strip() in {"-", "–", "—"}
            )
        ):
            dates[-1] = DateMention(previous.start, end, previous.first, first, "")
            continue
        before = text[max(0, start - 40) : start]
        lead: Literal["since", "until", ""] = ""
        if _START_LEAD.search(before):
            lead = "since"
        elif _END_LEAD.search(before):
            lead = "until"
        if _HEDGE.search(before):
            # "around 2010": the text hedges the date, which the archive writes "circa 2010".
            first = msgspec.structs.replace(first, circa=True)
            last = None if last is None else msgspec.structs.replace(last, circa=True)
        dates.append(DateMention(start, end, first, last, lead))
    return dates


# -- sentences -------------------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?][\"”’)]*$")
# A full stop after a single capital (an initial: "M. Surname") or a short title does not end a sentence.
_NOT_AN_END = re.compile(r"(?:\b[A-Z]|\b(?:Mr|Mrs|Ms|Dr|St|No|Nos|Art|para|p|pp|vs|etc|e\.g|i\.e))\.$")
_INNER_BREAK = re.compile(r"[.!?][\"”’)]*(?=\s+[\"“(]?[A-Z0-9])")


class Sentence(msgspec.Struct, frozen=True):
    """Characters ``start``..``end`` of the text, from its first word to its last."""

    start: int
    end: int


def _has_lowercase(line: str) -> bool:
    return any(char.islower() for char in line)


def _is_heading(line: str) -> bool:
    """A line of capitals, or of capitalised words with no closing full stop: a title, not prose."""
    if not _has_lowercase(line):
        return True
    words = [word for word in re.findall(r"[^\W\d_][\w’'-]*", line) if len(word) >= 4]
    return (
        bool(words) and all(word[0].isupper() for word in words) and not _SENTENCE_END.search(line.rstrip())
    )


def _next_text_line(lines: Sequence[str], index: int) -> str:
    """The first line after ``index`` that is not blank ("" if none)."""
    return next((line for line in lines[index + 1 :] if line.strip()), "")


def find_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text``, in order, each trimmed of surrounding whitespace."""
    lines = text.split("\n")
    blocks: list[tuple[int, int]] = []
    offset = 0
    block_start: int | None = None
    for index, line in enumerate(lines):
        line_start, line_end = offset, offset + len(line)
        offset = line_end + 1
        # A line closes its block unless the next has a lower-case letter or the sentence is carried: a
        # block is open at a blank line only when carried over it, and never at a line of capitals.
        if not line.strip():
            continue
        # A line of capitalised words is a title only where a block may begin, not inside a wrapped sentence.
        heading = not _has_lowercase(line) or (block_start is None and _is_heading(line))
        if block_start is None:
            block_start = line_start
        following = lines[index + 1] if index + 1 < len(lines) else ""
        ends = bool(_SENTENCE_END.search(line.rstrip())) and not _NOT_AN_END.search(line.rstrip())
        # A sentence cut by a page break: blank lines between a line that ends no sentence and one that
        # begins in lower case ("threats (such as" ... "terrorism and extremism").
        carried = (
            not heading
            and not ends
            and not following.strip()
            and bool(re.match(r"\s*[a-z]", _next_text_line(lines, index)))
        )
        if (heading or ends or not _has_lowercase(following)) and not carried:
            blocks.append((block_start, line_end))
            block_start = None
    # The last line closed its block: nothing follows it with a lower-case letter, or to carry it to.
    sentences: list[Sentence] = []
    for block_start, block_end in blocks:
        piece_start = block_start
        for match in _INNER_BREAK.finditer(text, block_start, block_end):
            if _NOT_AN_END.search(text[max(block_start, match.start() - 6) : match.start() + 1]):
                continue
            sentences.append(Sentence(piece_start, match.end()))
            piece_start = match.end()
        sentences.append(Sentence(piece_start, block_end))
    trimmed: list[Sentence] = []
    for sentence in sentences:
        words = text[sentence.start : sentence.end]
        if not words.strip():
            continue
        start = sentence.start + (len(words) - len(words.lstrip()))
        end = sentence.end - (len(words) - len(words.rstrip()))
        trimmed.append(Sentence(start, end))
    return trimmed


# -- reading one sentence --------------------------------------------------------------------------------

_PLANNED = re.compile(
    r"\b(?:will|shall|is\s+to|are\s+to|intends\s+to|intend\s+to|plans\s+to|is\s+expected\s+to|would|"
    r"to\s+be)\s+(?:\w+\s+){0,2}$|\bto\s+$",
    re.IGNORECASE,
)
# An intention stated by a rule's own words ("will chair", "is to chair", "a meeting to be held").
_PLANNED_VERB = re.compile(r"\b(?:will|shall|is\s+to|are\s+to|to\s+be)\b", re.IGNORECASE)
_LEADING_ARTICLE = re.compile(r"^(?:(?:the|a|an|its|their|our|his|her|this|that|all)\s+)+", re.IGNORECASE)
# Where a noun phrase of the text ends, for words no name matched.
_PHRASE_END = re.compile(
    r"[,.;:()\[\]–—]|\s(?:and|in|on|at|by|from|to|for|with|since|until|as|which|who|that|during|under|after|"
    r"before|was|were|is|are|has|have)\s",
    re.IGNORECASE,
)
# Where a clause ends, for a rule that looks further than the noun phrase ("a side event on the theme: X").
_CLAUSE_END = re.compile(r"[.;,]\s|[.;]$|\s(?:which|who|where|while)\s")
_CAPITALISED_RUN = re.compile(
    r"[A-Z][\w’'.-]*(?:\s+(?:(?:of|the|for|and|on|in|de|du|von|van)\s+)*[A-Z][\w’'.-]*)*"
)
_POSSESSIVE = re.compile(r"^['’]s\b")
_PARTICIPLE = re.compile(r"(?:[a-z]+ed|held|led|made|taken|given|known|set up|built)\b", re.IGNORECASE)
_PREPOSITION = re.compile(r"(?:in|on|at|by|from|to|for|with|during|into|under)\s", re.IGNORECASE)
_OF_PHRASE = re.compile(
    r"\b(?:of|for|on|with|about|between|through|via|by|across|into|over|at|in|from|to|under|among)\s",
    re.IGNORECASE,
)
_PARENTHETICAL = re.compile(r"\([^()]*\)")
_MAX_UNMATCHED_WORDS = 8
_PRONOUNS = frozenset({"it", "he", "she", "they", "we", "i", "this", "that", "these", "those", "our", "its"})
# Words that end the name of an institution, a meeting or a text, never of a person.
_NOT_A_PERSON = re.compile(
    r"\b(?:Council|Office|Act|Treaty|Charter|Declaration|Forum|Summit|Cent(?:er|re)|Committee|Fund|Mission|"
    r"Group|Troika|Conference|Organi[sz]ation|Assembly|Commission|Ministry|Secretariat|Force|Union|"
    r"Republic|Representation|Meeting|Congress|Memorandum|Program(?:me)?|Agency|Institute|Bank)\b"
)
_PERSON_WORD = re.compile(r"(?:[A-Z]\.|[A-Z][a-zà-ÿ’'-]+)")


def name_key(words: str) -> str:
    """How a name is looked up: its words with runs of whitespace as one space and one spelling of
    apostrophes, quotation marks and dashes; an acronym as written, any other name without case."""
    flat = " ".join(words.split())
    flat = re.sub(r"[’‘]", "'", flat)
    flat = re.sub(r"[“”]", '"', flat)
    flat = re.sub(r"-\s+", "-", re.sub(r"[‐‑–]", "-", flat))
    return "=" + flat if not any(char.islower() for char in flat) else "~" + flat.casefold()


def name_index(names: Sequence[KnownName]) -> dict[str, tuple[str, ...]]:
    """The entities each name key stands for (more than one: the name is ambiguous)."""
    index: dict[str, set[str]] = {}
    for known in names:
        usable = _usable_name(known.name)
        if usable:
            index.setdefault(name_key(usable), set()).add(known.entity_id)
    return {key: tuple(sorted(ids)) for key, ids in index.items()}


class Reading(msgspec.Struct, frozen=True):
    """One sentence with the names and dates found in it (offsets relative to the sentence)."""

    text: str
    start: int
    mentions: tuple[Mention, ...]
    dates: tuple[DateMention, ...]
    names: dict[str, tuple[str, ...]]
    # The names of the whole text and how many of them come before this sentence, for a name read back
    # ("the Center" named again); the text's tuple is shared by every sentence, not copied.
    text_mentions: tuple[Mention, ...] = ()
    mentions_before: int = 0

    def inside_parentheses(self, position: int) -> bool:
        """Whether ``position`` lies inside a parenthesis opened before it and not yet closed."""
        before = self.text[:position]
        return before.count("(") > before.count(")")

    def closed_before(self, position: int, end: int) -> bool:
        """Whether ``position`` is in a parenthesis that closes before ``end``: "Name (Country) has been"."""
        between = self.text[position:end]
        return between.count(")") > between.count("(")

    def resolve(self, words: str) -> str | None:
        """The one entity whose label or alias ``words`` is, or ``None`` (none, or more than one)."""
        ids = self.names.get(name_key(_LEADING_ARTICLE.sub("", " ".join(words.split()))), ())
        return ids[0] if len(ids) == 1 else None


class Slot(msgspec.Struct, frozen=True):
    """A filled slot of a rule: the words in the text and the entity they name (``None``: unmatched)."""

    words: str
    entity_id: str | None
    start: int
    end: int


def _slot_of(mention: Mention) -> Slot:
    return Slot(mention.words, mention.entity_id, mention.start, mention.end)


def _is_possessive(reading: Reading, mention: Mention) -> bool:
    return bool(_POSSESSIVE.match(reading.text[mention.end :]))


def _words(text: str) -> str:
    return " ".join(text.split()).strip(" \"“”'’")


def looks_like_a_person(words: str) -> bool:
    """Two to four capitalised words or initials, none of which ends an institution's name."""
    parts = words.split()
    return (
        2 <= len(parts) <= 4
        and all(_PERSON_WORD.fullmatch(part) for part in parts)
        and not _NOT_A_PERSON.search(words)
    )


def object_slot(reading: Reading, start: int, end: int | None = None, reach: bool = False) -> Slot | None:
    """The entity named by the noun phrase that begins at ``start``, or its words when none matches.

    A name in the possessive ("the Union's governing Troika") is passed over for the name it qualifies.
    With ``reach``, a name later in the clause is taken when the noun phrase names none ("a side event
    on the theme: X"). Words no name matched are taken only when they begin with a capital, as names
    do: "one of the leading positions" names no entity.
    """
    stop = len(reading.text) if end is None else end
    region = reading.text[start:stop]
    lead = _LEADING_ARTICLE.match(region)
    head = start + (lead.end() if lead else 0)
    boundary = _PHRASE_END.search(reading.text, head, stop)
    phrase_end = boundary.start() if boundary else stop
    if reach:
        clause = _CLAUSE_END.search(reading.text, head, stop)
        limit = clause.start() if clause else stop
    else:
        limit = max(phrase_end, head + 1)
    if _PREPOSITION.match(reading.text, head):
        return None  # "held in Port Town", "chaired by X": no object follows the verb
    # A name may begin with the article a rule's words took ("a Union Summit").
    article = re.search(r"\b(?:the|an?)\s+$", reading.text[:start], re.IGNORECASE)
    lowest = article.start() if article else head
    for mention in reading.mentions:
        if lowest <= mention.start < limit and not _is_possessive(reading, mention):
            # "the first joint meeting of the Union and Forum Troikas" is a meeting, not the Union.
            if reach or not _OF_PHRASE.search(reading.text[head : max(head, mention.start)]):
                return _slot_of(mention)
            break
    words = _words(reading.text[head:phrase_end])
    if not words or not words[0].isupper() or len(words.split()) > _MAX_UNMATCHED_WORDS:
        return None
    return Slot(words, None, head, phrase_end)


def subject_slot(reading: Reading, end: int, start: int = 0) -> Slot | None:
    """The entity named last before ``end`` (outside parentheses, not possessive, and with no comma
    between it and ``end`` unless a phrase set off by commas: "Freedonia, guided by ..., intends"), or
    the last capitalised words there when none is; ``None`` when the clause names nothing (a pronoun).
    A name followed by "and" and the verb is the object of an earlier verb, whose subject is taken."""
    for mention in reversed(reading.mentions):
        if start <= mention.start and mention.end <= end:
            if reading.closed_before(mention.start, end) or _is_possessive(reading, mention):
                continue
            gap = _PARENTHETICAL.sub("", reading.text[mention.end : end])
            if re.fullmatch(r",?\s*and\s+", gap):
                # "X has chaired the Fund and intends to": the Fund is the first verb's object.
                return subject_slot(reading, mention.start, start)
            appositive = re.fullmatch(r"\s*,[^,]*\w[^,]*,\s*", gap)
            # "the Declaration X, adopted at ...", "the Meeting on A, B and C, held in ...": a participle
            # after a comma says something of the name before the words that continue it.
            reduced = (
                _PARTICIPLE.match(reading.text, end) is not None
                and gap.rstrip().endswith(",")
                and not _FINITE_VERB.search(gap)
                and len(gap.split()) <= _MAX_UNMATCHED_WORDS + 4
            )
            if "," in gap and not appositive and not reduced:
                continue  # "continuity in Union activities, intends": a name inside another phrase
            return _slot_of(mention)
    clause_start = max(
        [start, *(match.end() for match in re.finditer(r"[,;:–—]|\s-\s", reading.text[start:end]))]
    )
    runs = [
        run
        for run in _CAPITALISED_RUN.finditer(reading.text, clause_start, end)
        if not reading.closed_before(run.start(), end)
        # A capital that opens the sentence is the sentence's ("Once the country ..."), not a name's.
        and not (run.start() == 0 and " " not in run.group(0))
    ]
    if not runs:
        return None
    run = runs[-1]
    words = _LEADING_ARTICLE.sub("", _words(run.group(0)))
    if not words or words.lower() in _PRONOUNS or len(words.split()) > _MAX_UNMATCHED_WORDS:
        return None
    return Slot(words, None, run.start(), run.end())


_LAST_JOIN = re.compile(r"^,?\s+and\s+(?:the\s+)?$")
_LIST_JOIN = re.compile(r"^,\s*(?:the\s+)?$")
_FORWARD_JOIN = re.compile(r"^,?\s*(?:and\s+)?(?:the\s+|an?\s+|\w+\s+)?$")


def _gap(reading: Reading, start: int, end: int) -> str:
    return _PARENTHETICAL.sub("", reading.text[start:end])


def subject_list(reading: Reading, end: int, start: int = 0) -> list[Slot]:
    """The subject before ``end`` and, when it ends a list ("A, B and C"), the names listed before it."""
    last = subject_slot(reading, end, start)
    if last is None:
        return []
    slots = [last]
    if last.entity_id is None:
        return slots
    candidates = [
        mention
        for mention in reading.mentions
        if start <= mention.start
        and mention.end <= last.start
        and not reading.inside_parentheses(mention.start)
        and not _is_possessive(reading, mention)
    ]
    join = _LAST_JOIN
    for mention in reversed(candidates):
        if not join.match(_gap(reading, mention.end, slots[0].start)):
            break
        slots.insert(0, _slot_of(mention))
        join = _LIST_JOIN
    return slots if len(slots) == 1 or join is _LIST_JOIN else [last]


def object_list(reading: Reading, start: int) -> list[Slot]:
    """The object at ``start`` and the names listed after it ("A, B, and C")."""
    first = object_slot(reading, start)
    if first is None:
        return []
    slots = [first]
    if first.entity_id is None:
        return slots
    for mention in reading.mentions:
        if mention.start < slots[-1].end or reading.inside_parentheses(mention.start):
            continue
        if not _FORWARD_JOIN.match(_gap(reading, slots[-1].end, mention.start)):
            break
        slots.append(_slot_of(mention))
    return slots


def _in_another_parenthesis(reading: Reading, position: int, date: DateMention) -> bool:
    """Whether ``date`` stands in a parenthesis that ``position`` is not in: such a date dates something
    else ("the Congress (an event initiated in 2003)")."""
    if date.start < position:
        return reading.closed_before(date.start, position)
    between = reading.text[position : date.start]
    return between.count("(") > between.count(")")


def nearest_date(
    reading: Reading, position: int, within: tuple[int, int] | None = None
) -> DateMention | None:
    """The date stated nearest to ``position`` in the sentence (a tie goes to the earlier one), among
    those inside ``within`` (a character range of the sentence) when it is given."""
    dates = [
        date
        for date in reading.dates
        if (within is None or (within[0] <= date.start and date.end <= within[1]))
        and not _in_another_parenthesis(reading, position, date)
    ]
    if not dates:
        return None

    def distance(date: DateMention) -> int:
        if date.start <= position < date.end:
            return 0
        return date.start - position if date.start >= position else position - date.end

    return min(dates, key=lambda date: (distance(date), date.start))


def is_planned(reading: Reading, verb_start: int, verb_end: int | None = None) -> bool:
    """Whether the verb at ``verb_start`` is stated as an intention ("will", "is to", "intends to"), before
    it or, when the rule's words end at ``verb_end``, within them ("X will chair")."""
    before = _PLANNED.search(reading.text[max(0, verb_start - 40) : verb_start])
    within = verb_end is not None and _PLANNED_VERB.search(reading.text[verb_start:verb_end])
    return bool(before or within)


def modality_at(reading: Reading, verb_start: int, verb_end: int | None = None) -> Modality:
    """``planned`` for a verb stated as an intention, else ``asserted``."""
    return "planned" if is_planned(reading, verb_start, verb_end) else "asserted"


TimeShape = Literal["state", "start", "act"]


def valid_time(date: DateMention | None, shape: TimeShape) -> dict[str, str | None]:
    """The valid-time fields a date gives a fact of ``shape``, at the precision the text states.

    ``state`` (a membership, a chairmanship, a position): a range is its bounds; "since"/"from" a date
    is its start and "until" its end; a bare date is the period it held over (both bounds).
    ``start`` (a state whose verb marks its beginning: "became", "was appointed", "joined"): the date
    is its start, a range its bounds. ``act`` (an occurrence: a decision, a renaming, a meeting): a
    range is its bounds, a single date its point in time.
    """
    fields: dict[str, str | None] = {"valid_from": None, "valid_to": None, "point_in_time": None}
    if date is None:
        return fields
    first, last = str(date.first), None if date.last is None else str(date.last)
    if last is not None:
        fields["valid_from"], fields["valid_to"] = first, last
    elif shape == "act":
        fields["point_in_time"] = first
    elif date.lead == "until":
        fields["valid_to"] = first
    elif shape == "start" or date.lead == "since":
        fields["valid_from"] = first
    else:
        fields["valid_from"] = fields["valid_to"] = first
    return fields


class Statement(msgspec.Struct, frozen=True):
    """What a rule read: its slots, its valid time and its modality."""

    predicate: str
    subject: Slot
    object: Slot | None = None
    value: str | None = None
    place: Slot | None = None
    role: Slot | None = None
    time: dict[str, str | None] = msgspec.field(default_factory=dict)
    modality: Modality = "asserted"


RuleReader = Callable[[Reading], Iterable[Statement]]


class Rule(msgspec.Struct, frozen=True):
    """A named pattern of words and how to read its slots. A rule ``once`` reads what a name itself
    says ("Union Summit in Port Town": where the summit met), so it is proposed at the name's first
    occurrence only, not wherever the name recurs."""

    name: str
    read: RuleReader
    once: bool = False


# -- the rules -------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _rule_pattern(words: str) -> re.Pattern[str]:
    # Patterns are written with single spaces; the text may wrap or double-space between any two words.
    return re.compile(words.replace(" ", r"\s+"), re.IGNORECASE)


def _different(subject: Slot, object_: Slot | None) -> bool:
    return object_ is None or subject.entity_id is None or subject.entity_id != object_.entity_id


def _is_person(slot: Slot) -> bool:
    return looks_like_a_person(slot.words)


def _relative_object(reading: Reading, subject: Slot) -> Slot | None:
    """The name a relative clause is about: "the Forum (TF), which Freedonia will chair" -> the Forum."""
    before = reading.text[: subject.start]
    match = re.search(r",\s*(?:which|that|whom)\s+$", _PARENTHETICAL.sub("", before))
    if match is None:
        return None
    stripped_end = len(before.rstrip())
    cut = re.search(r"(?:\s*\([^()]*\))?\s*,\s*(?:which|that|whom)\s+$", before)
    end = cut.start() if cut else stripped_end
    for mention in reversed(reading.mentions):
        if mention.end <= end and not reading.inside_parentheses(mention.start):
            return _slot_of(mention) if mention.end == end else None
    return None


# "was organized", "were signed": the doer is not before the verb (active rules skip a passive verb).
_PASSIVE = re.compile(r"\b(?:was|were|been|be|is|are)\s+$", re.IGNORECASE)


class VerbRule(msgspec.Struct, frozen=True):
    """A rule "SUBJECT <words> OBJECT": the subject named before the words, the object after them.

    ``person_subject``: the subject must be a person's name. ``subjects_listed``: a list of names
    ("A, B and C") before the words gives one fact each. ``relative``: "X, which SUBJECT <words>" makes
    X the object when no object follows. ``active``: the words are an active verb, so "was <words>" is
    not read (its doer is not named before it). ``date_before``: the act is dated by a date before the
    words when there is one ("December 2007 - X was elected Chair for 2010": the election's date).
    A second verb joined by "and" ("X established A and has also created B") keeps the first subject.
    """

    # A rule is data read at each call, not a closure built at import: its reading is then ordinary code
    # that a test (and a mutation run, which switches a mutant on after import) exercises.
    words: str
    predicate: str
    shape: TimeShape
    person_subject: bool = False
    subjects_listed: bool = False
    reach: bool = False
    relative: bool = False
    active: bool = False
    date_before: bool = False

    def __call__(self, reading: Reading) -> Iterator[Statement]:
        previous: list[Slot] = []
        previous_end = 0
        for match in _rule_pattern(self.words).finditer(reading.text):
            if self.active and _PASSIVE.search(reading.text[: match.start()]):
                continue
            gap = reading.text[previous_end : match.start()]
            named_between = any(previous_end <= mention.start < match.start() for mention in reading.mentions)
            if previous and not named_between and _COORDINATED.fullmatch(gap):
                subjects = previous
            elif self.subjects_listed:
                subjects = subject_list(reading, match.start())
            else:
                subjects = [slot for slot in [subject_slot(reading, match.start())] if slot is not None]
            if not subjects:
                continue
            objects = [
                slot for slot in [object_slot(reading, match.end(), reach=self.reach)] if slot is not None
            ]
            if not objects and self.relative:
                objects = [slot for slot in [_relative_object(reading, subjects[-1])] if slot is not None]
            previous, previous_end = subjects, (objects[-1].end if objects else match.end())
            date = (
                nearest_date(reading, match.start(), (0, match.start())) if self.date_before else None
            ) or (nearest_date(reading, match.start()))
            time = valid_time(date, _shape_for(reading, match, self.shape))
            modality = modality_at(reading, match.start(), match.end())
            for subject in subjects:
                if self.person_subject and not _is_person(subject):
                    continue
                for object_ in objects:
                    if _different(subject, object_):
                        yield Statement(self.predicate, subject, object_, time=time, modality=modality)


# "... in 2008 and has also created ...": a second verb of the same subject.
_COORDINATED = re.compile(r"[^,;]*?\band\s+(?:\w+\s+){0,2}", re.IGNORECASE)


_FOR_A_PERIOD = re.compile(r"\b(?:for|during|throughout)\s+$", re.IGNORECASE)


def _shape_for(reading: Reading, match: re.Match[str], shape: TimeShape) -> TimeShape:
    # "to assume the chairmanship for 2010": a period the state fills, not the day it began.
    date = nearest_date(reading, match.start())
    if shape == "start" and date is not None and _FOR_A_PERIOD.search(reading.text[: date.start]):
        return "state"
    return shape


def _membership_after_participle(reading: Reading) -> Iterable[Statement]:
    """ "By joining X, Y ..." / "Having become a member of X, Y ...": Y is the member."""
    pattern = _rule_pattern(
        r"^(?:by |after |upon |on )?(?:joining|having joined|having become (?:a |an )?(?:full )?member of) "
    )
    match = pattern.search(reading.text)
    if match is None:
        return
    group = object_slot(reading, match.end())
    if group is None:
        return
    comma = reading.text.find(",", group.end)
    if comma < 0:
        return
    after = [mention for mention in reading.mentions if mention.start > comma]
    if not after or reading.text[comma + 1 : after[0].start].strip():
        return
    yield Statement("member_of", _slot_of(after[0]), group, time=valid_time(None, "start"))


def _member_by_apposition(reading: Reading) -> Iterable[Statement]:
    """ "As a Troika member, Freedonia ...": Freedonia is a member of the Troika."""
    for match in _rule_pattern(r"\bas (?:a|an|the) ").finditer(reading.text):
        member_word = re.compile(r"\s+members?\b", re.IGNORECASE)
        for mention in reading.mentions:
            if mention.start < match.end():
                continue
            if reading.text[match.end() : mention.start].strip():
                break
            after = member_word.match(reading.text, mention.end)
            if after is None:
                break
            rest = [other for other in reading.mentions if other.start >= after.end()]
            if rest and re.fullmatch(r",?\s*", reading.text[after.end() : rest[0].start]):
                yield Statement(
                    "member_of", _slot_of(rest[0]), _slot_of(mention), time=valid_time(None, "state")
                )
            break


_GROUP_OF_PARTS = re.compile(
    r"\b(?:institutions|bodies|organs|structures|offices|units|departments|branches|parts)\s+of\s+(?:the\s+)?$",
    re.IGNORECASE,
)


def _listed_in_parentheses(reading: Reading) -> Iterable[Statement]:
    """ "X (A, B and C)": each of A, B, C is a member of X (or part of X, for "the institutions of X")."""
    for group in reading.mentions:
        opening = re.match(r"\s*\(", reading.text[group.end :])
        if opening is None:
            continue
        start = group.end + opening.end()
        close = reading.text.find(")", start)
        if close < 0:
            continue
        inside = [mention for mention in reading.mentions if start <= mention.start and mention.end <= close]
        if len(inside) < 2:
            continue
        gaps = [reading.text[left.end : right.start] for left, right in itertools.pairwise(inside)]
        if reading.text[start : inside[0].start].strip() or reading.text[inside[-1].end : close].strip(" ,"):
            continue
        if not all(re.fullmatch(r",\s*(?:and\s+)?|\s+and\s+", gap) for gap in gaps):
            continue
        predicate = "part_of" if _GROUP_OF_PARTS.search(reading.text[: group.start]) else "member_of"
        # The list explains the words just before it: in "Group for Cooperation with the Union's partners
        # (A, B)" the partners are listed, not the group, when "Union's partners" is a name.
        listed = _suffix_entity(reading, group) or _slot_of(group)
        for member in inside:
            if member.entity_id != listed.entity_id:
                yield Statement(predicate, _slot_of(member), listed, time=valid_time(None, "state"))


def _suffix_entity(reading: Reading, mention: Mention) -> Slot | None:
    """The longest run of last words of a name that is itself the name of another entity."""
    parts = mention.words.split()
    for count in range(len(parts) - 1, 0, -1):
        suffix = " ".join(parts[-count:])
        entity = reading.resolve(suffix)
        if entity is not None and entity != mention.entity_id:
            return Slot(suffix, entity, mention.start, mention.end)
    return None


def _named_in_parentheses(reading: Reading) -> Iterable[Statement]:
    """ "Name Surname (Country)": a national of it; "Place (Country)", "in Place, Country": located in it."""
    for first, second in itertools.pairwise(reading.mentions):
        if first.entity_id is not None and first.entity_id == second.entity_id:
            continue
        between = reading.text[first.end : second.start]
        in_parentheses = re.fullmatch(r"\s*\(", between) and reading.text[second.end :].startswith(")")
        after_comma = (
            between == ", "
            and re.search(r"\b(?:in|at)\s+$", reading.text[: first.start])
            and re.match(r"\s*(?:[,.;)]|$)", reading.text[second.end :])
        )
        if reading.inside_parentheses(first.start) or not (in_parentheses or after_comma):
            continue
        if in_parentheses and not any(char.islower() for char in second.words):
            continue  # "Trade Forum (TF)": an abbreviation, not a place or a country
        if in_parentheses and looks_like_a_person(first.words):
            yield Statement("national_of", _slot_of(first), _slot_of(second))
        elif not looks_like_a_person(first.words) and not _NOT_A_PERSON.search(first.words):
            # An institution's place in parentheses ("the Office (Port Town) was opened") goes with the act.
            yield Statement("located_in", _slot_of(first), _slot_of(second))


def _chaired_by(reading: Reading) -> Iterable[Statement]:
    """ "X chaired by [the Title] Name": Name chaired X, in the office of Title when one is named."""
    for match in _rule_pattern(r"\b(?:chaired|presided over|presided|headed|led) by ").finditer(reading.text):
        chaired = subject_slot(reading, match.start())
        chair = object_slot(reading, match.end())
        if chaired is None or chair is None:
            continue
        role = None
        following = [mention for mention in reading.mentions if mention.start >= chair.end]
        if (
            following
            and re.fullmatch(r"\s+", reading.text[chair.end : following[0].start])
            and looks_like_a_person(following[0].words)
            and not looks_like_a_person(chair.words)
        ):
            role, chair = chair, _slot_of(following[0])
        if _different(chair, chaired):
            time = valid_time(nearest_date(reading, match.start()), "state")
            yield Statement(
                "chaired", chair, chaired, role=role, time=time, modality=modality_at(reading, match.start())
            )


def _chairmanship_of(reading: Reading) -> Iterable[Statement]:
    """ "Chairmanship of X in Y": X chaired Y."""
    for match in _rule_pattern(r"\b(?:chairmanship|presidency) of ").finditer(reading.text):
        chair = object_slot(reading, match.end())
        if chair is None or chair.entity_id is None:
            continue
        joined = re.match(r"\s+in\s+", reading.text[chair.end :])
        if joined is None:
            continue
        chaired = object_slot(reading, chair.end + joined.end())
        if chaired is not None and _different(chair, chaired):
            time = valid_time(nearest_date(reading, match.start()), "state")
            yield Statement(
                "chaired", chair, chaired, time=time, modality=modality_at(reading, match.start())
            )


def _adjective_chairmanship(reading: Reading) -> Iterable[Statement]:
    """ "during the Sylvanian Union Chairmanship": the Sylvanian (when a name) chaired the Union, attested
    then (a point in time)."""
    for chaired in reading.mentions:
        after = re.match(r"\s+(?:Chairmanship|Presidency)\b", reading.text[chaired.end :])
        if after is None:
            continue
        before = reading.text[: chaired.start]
        word = re.search(r"(?<!^)(?<![.!?]\s)\b([A-Z][a-z]+)\s+$", before)
        adjacent = [mention for mention in reading.mentions if mention.end <= chaired.start]
        if adjacent and re.fullmatch(r"\s+", reading.text[adjacent[-1].end : chaired.start]):
            chair = _slot_of(adjacent[-1])
        elif word is not None and word.group(1).lower() not in {"the", "a", "an", "this", "its", "our"}:
            chair = Slot(word.group(1), None, word.start(1), word.end(1))
        else:
            continue
        if _different(chair, _slot_of(chaired)):
            time = valid_time(nearest_date(reading, chaired.start), "act")
            yield Statement("chaired", chair, _slot_of(chaired), time=time)


def _assumed_chair(reading: Reading) -> Iterable[Statement]:
    """ "X will assume chairmanship in Y", "X assumed the leadership of Y", "X to assume Y chairmanship"."""
    pattern = _rule_pattern(r"\b(?:assume|assumes|assumed|assuming|take over|takes over|took over) (?:the )?")
    office = re.compile(r"(?:chairmanship|leadership|presidency|chair)\b", re.IGNORECASE)
    for match in pattern.finditer(reading.text):
        chair = subject_slot(reading, match.start())
        if chair is None:
            continue
        rest = reading.text[match.end() :]
        chaired: Slot | None = None
        direct = office.match(rest)
        if direct is not None:
            linked = re.match(r"\s+(?:in|of|over)\s+", rest[direct.end() :])
            if linked is not None:
                chaired = object_slot(reading, match.end() + direct.end() + linked.end())
        else:
            for mention in reading.mentions:
                if mention.start == match.end() and re.match(
                    r"\s+" + office.pattern, reading.text[mention.end :], re.I
                ):
                    chaired = _slot_of(mention)
        if chaired is not None and _different(chair, chaired):
            time = valid_time(nearest_date(reading, match.start()), _shape_for(reading, match, "start"))
            yield Statement(
                "chaired", chair, chaired, time=time, modality=modality_at(reading, match.start())
            )


def _decision_to_chair(reading: Reading) -> Iterable[Statement]:
    """ "a decision was made for X to assume [Y] chairmanship": X was elected to chair Y, when decided."""
    pattern = _rule_pattern(
        r"\bdecision (?:was |has been |had been )?(?:made|taken) (?:for|that) (?P<who>.{1,80}?) "
        r"(?:to assume|to take over|would assume|will assume) (?:the )?(?P<what>.{0,60}?)\bchairmanship\b"
    )
    for match in pattern.finditer(reading.text):
        chair = subject_slot(reading, match.end("who"), match.start("who"))
        chaired = None
        if match.group("what").strip():
            chaired = object_slot(reading, match.start("what"), match.end("what"))
        else:
            linked = re.match(r"\s+(?:of|in)\s+", reading.text[match.end() :])
            if linked:
                chaired = object_slot(reading, match.end() + linked.end())
        if chair is not None and chaired is not None and _different(chair, chaired):
            time = valid_time(nearest_date(reading, match.start(), (0, match.start())), "act")
            yield Statement("elected_to_chair", chair, chaired, time=time)


def _title_before_name(reading: Reading) -> Iterable[Statement]:
    """ "the High Commissioner Name Surname": the person held the office the title names."""
    for title, person in itertools.pairwise(reading.mentions):
        if not re.fullmatch(r"\s+", reading.text[title.end : person.start]):
            continue
        if (
            looks_like_a_person(person.words)
            and not looks_like_a_person(title.words)
            and not _is_possessive(reading, person)
        ):
            yield Statement("held_position", _slot_of(person), _slot_of(title))


def _she_was_office(reading: Reading) -> Iterable[Statement]:
    """ "Name ... was the Office" (or "she was the Office", the person named earlier in the sentence)."""
    pattern = _rule_pattern(r"\b(?:was|has been|had been|is|became) (?:the )?")
    people = [mention for mention in reading.mentions if looks_like_a_person(mention.words)]
    for match in pattern.finditer(reading.text):
        office = [mention for mention in reading.mentions if mention.start == match.end()]
        if not office or looks_like_a_person(office[0].words):
            continue
        before = reading.text[: match.start()]
        pronoun = re.search(r"\b(?:she|he)\s+$", before, re.IGNORECASE)
        earlier = [person for person in people if person.end <= match.start()]
        if pronoun and earlier:
            holder = _slot_of(earlier[0])
        elif earlier and re.fullmatch(r"\s+", reading.text[earlier[-1].end : match.start()]):
            holder = _slot_of(earlier[-1])
        else:
            continue
        time = valid_time(nearest_date(reading, match.start()), "state")
        yield Statement("held_position", holder, _slot_of(office[0]), time=time)


_EVENT_WORD = re.compile(
    r"\b(?:summit|meeting|conference|congress|round\s*table|roundtable|session|exhibition|seminar|workshop|"
    r"forum|council|event|tours?)\b",
    re.IGNORECASE,
)
# A council or a forum is also a standing body: it is a meeting only where a place is named with it.
_STANDING_BODY_WORD = re.compile(r"\b(?:council|forum)\b", re.IGNORECASE)


def _prefix_entity(reading: Reading, words: str, other_than: str | None) -> tuple[str, str] | None:
    """The longest run of first words of ``words`` that is a known name other than ``other_than``, and
    not the name of an occasion."""
    parts = words.split()
    for count in range(len(parts), 0, -1):
        prefix = " ".join(parts[:count])
        # A prefix that names an occasion ("Union Summit") is another meeting, not the body that met.
        if _EVENT_WORD.search(_STANDING_BODY_WORD.sub("", prefix)):
            continue
        entity = reading.resolve(prefix)
        if entity is not None and entity != other_than:
            return prefix, entity
    return None


_ORDINAL = re.compile(
    r"^(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th))\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
_FOR_BODY = re.compile(r"^.+?\s+(?:for|of)\s+(?:the\s+)?(?P<body>[^()]+)$")


def _meeting_name(reading: Reading) -> Iterable[Statement]:
    """What a meeting's own name says: "Union Summit in Port Town" met in Port Town and is a meeting of
    the Union; "Port Town Ministerial Council" met in Port Town and is a meeting of the Ministerial
    Council; "Second Preparatory Meeting for the Forum" is part of the Forum; "Third Congress of X" is an
    edition of the Congress of X, when that is a known name."""
    for mention in reading.mentions:
        if mention.entity_id is None:
            continue
        itself = _slot_of(mention)
        place: Slot | None = None
        head = mention.words
        located = re.fullmatch(r"(?P<head>.+?)\s+(?:in|at)\s+(?P<place>[^()]+)", mention.words)
        place_id = reading.resolve(located.group("place")) if located else None
        if located is not None and place_id is not None and place_id != mention.entity_id:
            head = located.group("head")
            place = Slot(located.group("place"), place_id, mention.start, mention.end)
        occasion = bool(_EVENT_WORD.search(_STANDING_BODY_WORD.sub("", head)))
        if not _EVENT_WORD.search(head):
            continue
        body: Slot | None = None
        prefix = _prefix_entity(reading, head, mention.entity_id)
        if prefix is not None:
            rest = head[len(prefix[0]) :].strip()
            rest_entity = reading.resolve(rest) if rest else None
            if rest_entity is not None and rest_entity != mention.entity_id:
                # "Port Town Ministerial Council": the first words name the place, the rest the body that met.
                body = Slot(rest, rest_entity, mention.start, mention.end)
                place = place or Slot(prefix[0], prefix[1], mention.start, mention.end)
            elif not rest or _EVENT_WORD.search(_STANDING_BODY_WORD.sub("", rest)):
                body = Slot(prefix[0], prefix[1], mention.start, mention.end)
        if not occasion and place is None:
            continue  # a council or a forum named with no place is the standing body, not one of its meetings
        if place is not None:
            time = valid_time(nearest_date(reading, mention.start), "act")
            yield Statement("took_place_in", itself, place, time=time)
        if body is not None:
            yield Statement("meeting_of", itself, body)
        edition = _ORDINAL.match(head)
        series = reading.resolve(edition.group("rest")) if edition else None
        if edition is not None and series is not None and series != mention.entity_id:
            yield Statement(
                "part_of", itself, Slot(edition.group("rest"), series, mention.start, mention.end)
            )
        for_body = _FOR_BODY.match(head)
        larger = reading.resolve(for_body.group("body")) if for_body else None
        if for_body is not None and larger is not None and larger != mention.entity_id and body is None:
            yield Statement(
                "part_of", itself, Slot(for_body.group("body"), larger, mention.start, mention.end)
            )
    for owner, meeting in itertools.pairwise(reading.mentions):
        # "the Union's Fisheries Implementation Meeting": a meeting of the Union.
        if (
            re.fullmatch(r"['’]s\s+", reading.text[owner.end : meeting.start])
            and _EVENT_WORD.search(_STANDING_BODY_WORD.sub("", meeting.words))
            and _different(_slot_of(meeting), _slot_of(owner))
        ):
            yield Statement("meeting_of", _slot_of(meeting), _slot_of(owner))


_HELD = _rule_pattern(
    r"\b(?P<passive>was |were |is |are |will be |to be |been )?"
    r"(?P<verb>held|convened|took place|takes place|organized|organised) "
)
_DATE_THEN_PLACE = re.compile(r"(?:in|on|during)\s+$", re.IGNORECASE)
_MEETING_NOUN = re.compile(r"\b(?:meeting|session|summit|conference|congress)\b", re.IGNORECASE)
_FINITE_VERB = re.compile(r"\b(?:was|were|is|are|has|have|had|which|who|that|will)\b", re.IGNORECASE)
_ALONGSIDE = re.compile(r"\s+(?:on the (?:sidelines|margins) of|within the framework of) (?:the )?", re.I)


def _meeting_subject(reading: Reading, verb_start: int) -> tuple[Slot, Slot | None] | None:
    """The meeting a "held" verb is about, and the body named in its description, if any.

    "the Union Ministerial Council meeting held in ...": the meeting is the body's, described in the
    text's words; "the Tolerance Implementation Meeting on Promoting ..., held in": the name's own
    continuation may stand between the name and the verb.
    """
    meeting = subject_slot(reading, verb_start)
    if meeting is None:
        return None
    gap = reading.text[meeting.end : verb_start]
    described = re.fullmatch(r"\s+(?P<noun>[a-z][a-z -]{0,30}?)\s+", gap)
    if described is not None and meeting.entity_id is not None and _EVENT_WORD.search(described["noun"]):
        # "the Council meeting" is a meeting of the Council; "Union bicycle tours" are no meetings of it.
        words = f"{meeting.words} {' '.join(described['noun'].split())}"
        of_body = meeting if _MEETING_NOUN.search(described["noun"]) else None
        return Slot(words, None, meeting.start, verb_start - 1), of_body
    named_between = any(
        meeting.end <= mention.start < verb_start and not reading.closed_before(mention.start, verb_start)
        for mention in reading.mentions
    )
    gap = _PARENTHETICAL.sub("", gap)
    if named_between or _FINITE_VERB.search(gap) or len(gap.split()) > 12:
        return None
    return meeting, None


def _meeting_held(reading: Reading) -> Iterable[Statement]:
    """ "X was held in Place [on Date]", "X, held in June 2006 in Place", "X were organized from A to B":
    where it met (and, when the text describes it as a body's meeting that a known name fits, which
    meeting it was); with no place, when it was held."""
    for match in _HELD.finditer(reading.text):
        if match["verb"].lower().startswith("organi") and not match["passive"]:
            continue  # "X organized Y" is read by the rule for organisers
        found = _meeting_subject(reading, match.start())
        if found is None:
            continue
        meeting, body = found
        position = match.end()
        skipped = [date for date in reading.dates if date.start >= position]
        if (
            skipped
            and _DATE_THEN_PLACE.search(reading.text[position : skipped[0].start])
            and not reading.text[position : skipped[0].start].strip().count(" ")
        ):
            position = skipped[0].end
        places: list[Slot] = []
        route = re.match(r"\s*from\s+", reading.text[position:])
        place_word = re.match(r"\s*(?:in|at)\s+", reading.text[position:])
        if route is not None:
            start = object_slot(reading, position + route.end())
            to = re.match(r"\s+to\s+", reading.text[start.end :]) if start is not None else None
            end = object_slot(reading, start.end + to.end()) if start is not None and to is not None else None
            if start is not None and end is not None and start.entity_id and end.entity_id:
                places = [start, end]
        elif place_word is not None:
            place = object_slot(reading, position + place_word.end())
            if place is not None and not any(date.start == place.start for date in reading.dates):
                places = [place]
        if places:
            meeting = _meeting_by_name(reading, meeting, body, places)
        time = valid_time(nearest_date(reading, match.start()), "act")
        # "will be held": the rule's own words state the intention.
        modality = modality_at(reading, match.start(), match.end())
        for place in places:
            if _different(meeting, place):
                yield Statement("took_place_in", meeting, place, time=time, modality=modality)
        if not places and any(time.values()):
            yield Statement("held", meeting, time=time, modality=modality)
        if body is not None and meeting.entity_id is not None:
            yield Statement("meeting_of", meeting, body)
        after = places[-1].end if places else position
        alongside = _ALONGSIDE.match(reading.text, after)
        larger = object_slot(reading, alongside.end()) if alongside else None
        if larger is not None and larger.entity_id is not None and _different(meeting, larger):
            yield Statement("part_of", meeting, larger)


def _meeting_by_name(reading: Reading, meeting: Slot, body: Slot | None, places: list[Slot]) -> Slot:
    """A meeting the text describes ("the Council meeting held in Port Town", "tours organized from A
    to B"), or a known body said to be held somewhere ("the Ministerial Council was held in Capitol City"),
    is the known meeting whose name says as much ("Council in Port Town", "tours from A to B"), if any."""
    where = (
        [f"in {places[0].words}", f"at {places[0].words}"]
        if len(places) == 1
        else [f"from {places[0].words} to {places[1].words}"]
    )
    described = [meeting.words] + ([body.words] if body is not None else [])
    for words in described:
        for place in where:
            entity = reading.resolve(f"{words} {place}")
            if entity is not None:
                return Slot(meeting.words, entity, meeting.start, meeting.end)
    return meeting


def _meeting_dated(reading: Reading) -> Iterable[Statement]:
    """ "the Third Congress of ... on July 1-2, 2009": the meeting was held then."""
    for mention in reading.mentions:
        if not _EVENT_WORD.search(_STANDING_BODY_WORD.sub("", mention.words)) or " in " in mention.words:
            continue
        on = re.match(r"\s+on\s+", reading.text[mention.end :])
        if on is None:
            continue
        dates = [date for date in reading.dates if date.start == mention.end + on.end()]
        if dates:
            yield Statement("held", _slot_of(mention), time=valid_time(dates[0], "act"))


def _state_behind_office(reading: Reading, slot: Slot) -> tuple[Slot, Slot | None]:
    """ "The President of the Republic of X took part": X took part, in the office of its President."""
    office = re.fullmatch(
        r"(?:the\s+)?[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*\s+of\s+(?:the\s+)?(?P<state>.+)", slot.words, re.I
    )
    if slot.entity_id is None or office is None:
        return slot, None
    state = reading.resolve(office.group("state"))
    if state is None or state == slot.entity_id:
        return slot, None
    return Slot(office.group("state"), state, slot.start, slot.end), slot


def _participated(reading: Reading) -> Iterable[Statement]:
    """ "X took part in Y", "X participated in Y"; a state acting through its head: the state, in the role."""
    pattern = _rule_pattern(
        r"\b(?:took part|take part|takes part|taking part|participated|participates|participating) "
        r"in (?:the )?"
    )
    for match in pattern.finditer(reading.text):
        if re.match(r"\s*work\s+of\b", reading.text[match.end() :], re.IGNORECASE):
            continue  # "took part in the work of a body": a membership
        participant = subject_slot(reading, match.start())
        event = object_slot(reading, match.end())
        if participant is None or event is None:
            continue
        participant, role = _state_behind_office(reading, participant)
        if _different(participant, event):
            time = valid_time(nearest_date(reading, match.start()), "act")
            yield Statement(
                "participated_in",
                participant,
                event,
                role=role,
                time=time,
                modality=modality_at(reading, match.start()),
            )


def _attended_by(reading: Reading) -> Iterable[Statement]:
    """ "X (to be) attended by A, B, and C": each took part in X."""
    for match in _rule_pattern(r"\battended by (?:the )?").finditer(reading.text):
        event = subject_slot(reading, match.start())
        if event is None:
            continue
        time = valid_time(nearest_date(reading, match.start()), "act")
        modality = modality_at(reading, match.start())
        for participant in object_list(reading, match.end()):
            if _different(participant, event):
                yield Statement("participated_in", participant, event, time=time, modality=modality)


def _antecedent(reading: Reading, slot: Slot, other: Slot) -> Slot:
    """ "the Center was renamed the Union Center in Port Town": "the Center" is the last center named before,
    not the new name it shares a word with."""
    if slot.entity_id is None or slot.entity_id != other.entity_id or " " in slot.words:
        return slot
    for index in range(reading.mentions_before - 1, -1, -1):
        mention = reading.text_mentions[index]
        if mention.entity_id not in {None, other.entity_id} and re.search(
            rf"\b{re.escape(slot.words)}\b", mention.words, re.IGNORECASE
        ):
            return Slot(mention.words, mention.entity_id, slot.start, slot.end)
    return Slot(slot.words, None, slot.start, slot.end)


class Renaming(msgspec.Struct, frozen=True):
    """A rule "OLD <words> NEW": the name before the words became the name after them (a bare "the
    Center" read back as the last center named before)."""

    words: str
    predicate: str

    def __call__(self, reading: Reading) -> Iterator[Statement]:
        for match in _rule_pattern(self.words).finditer(reading.text):
            old = subject_slot(reading, match.start())
            new = object_slot(reading, match.end())
            if old is None or new is None:
                continue
            old = _antecedent(reading, old, new)
            if _different(old, new):
                time = valid_time(nearest_date(reading, match.start()), "act")
                modality = modality_at(reading, match.start(), match.end())  # "will be renamed"
                yield Statement(self.predicate, old, new, time=time, modality=modality)


def _opened(reading: Reading) -> Iterable[Statement]:
    """ "A (Place) and B were opened": each was opened, at the place named beside it or in its name."""
    pattern = _rule_pattern(
        r"\b(?:was|were|has been|have been|had been|will be|is to be) (?:officially )?opened\b"
    )
    for match in pattern.finditer(reading.text):
        time = valid_time(nearest_date(reading, match.start()), "act")
        modality = modality_at(reading, match.start(), match.end())  # "will be opened"
        for opened in subject_list(reading, match.start()):
            place: Slot | None = None
            beside = [mention for mention in reading.mentions if mention.start > opened.end]
            if beside and re.fullmatch(r"\s*\(", reading.text[opened.end : beside[0].start]):
                place = _slot_of(beside[0])
            else:
                located = re.fullmatch(r".+?\s+(?:in|at)\s+(?P<place>[^()]+)", opened.words)
                place_id = reading.resolve(located.group("place")) if located else None
                if located and place_id:
                    place = Slot(located.group("place"), place_id, opened.start, opened.end)
            yield Statement("opened", opened, place=place, time=time, modality=modality)


def _initiated_by(reading: Reading) -> Iterable[Statement]:
    """ "X initiated by Y": Y initiated X."""
    for match in _rule_pattern(r"\b(?:initiated|launched) by (?:the )?").finditer(reading.text):
        initiative = subject_slot(reading, match.start())
        initiator = object_slot(reading, match.end())
        if initiative is not None and initiator is not None and _different(initiator, initiative):
            time = valid_time(nearest_date(reading, match.start()), "act")
            yield Statement(
                "initiated", initiator, initiative, time=time, modality=modality_at(reading, match.start())
            )


_DOCUMENT_WORD = re.compile(
    r"\b(?:Act|Charter|Treaty|Declaration|Memorandum|Convention|Agreement|Accord|Protocol|Resolution|Decision)\b"
)


def _document_of_a_date(reading: Reading) -> Iterable[Statement]:
    """ "the Final Act of 1975": the document was adopted then."""
    for mention in reading.mentions:
        if not _DOCUMENT_WORD.search(mention.words):
            continue
        of = re.match(r"\s+of\s+", reading.text[mention.end :])
        dates = [date for date in reading.dates if of and date.start == mention.end + of.end()]
        if dates:
            yield Statement("adopted", _slot_of(mention), time=valid_time(dates[0], "act"))


def _adoption_of(reading: Reading) -> Iterable[Statement]:
    """ "the adoption [by the Council] of the decision X": X was adopted."""
    for match in _rule_pattern(r"\badoption (?:by (?:the )?[^,;]{1,60}? )?of (?:the )?").finditer(
        reading.text
    ):
        document = object_slot(reading, match.end())
        if document is not None and document.entity_id is not None:
            time = valid_time(nearest_date(reading, match.start()), "act")
            yield Statement("adopted", document, time=time, modality=modality_at(reading, match.start()))


# The acts a decision brings about to a named thing ("X was renamed"), not to a state ("X was elected").
_PASSIVE_ACT = re.compile(
    r"\s+(?:was|were|has been|have been|had been)\s+"
    r"(?P<verb>renamed|transformed|established|opened|closed|created|abolished|dissolved|reorganized|"
    r"reorganised|appointed|merged|moved|relocated)(?:\s+(?:to|as|into))?\s+(?:the\s+)?",
    re.IGNORECASE,
)


def _decision_of(reading: Reading) -> Iterable[Statement]:
    """ "By the decision of Body, X was renamed ...": Body decided on X; "... appointed as Office by decision
    of Body": Body decided on the Office."""
    for match in _rule_pattern(r"\b(?:by|following|upon|under) (?:the )?decision of (?:the )?").finditer(
        reading.text
    ):
        body = object_slot(reading, match.end())
        if body is None or body.entity_id is None:
            continue
        decided: Slot | None = None
        comma = re.match(r"\s*,\s*", reading.text[body.end :])
        following = [mention for mention in reading.mentions if mention.start >= body.end]
        if comma is not None and following:
            passive = _PASSIVE_ACT.match(reading.text, following[0].end)
            if passive is not None and not reading.text[body.end + comma.end() : following[0].start].strip(
                " the"
            ):
                decided = _slot_of(following[0])
                changed_to = object_slot(reading, passive.end())
                if changed_to is not None:
                    decided = _antecedent(reading, decided, changed_to)
        else:
            before = [mention for mention in reading.mentions if mention.end <= match.start()]
            if before and re.search(
                r"\bappointed\s+(?:as\s+)?(?:the\s+)?$", reading.text[: before[-1].start]
            ):
                decided = _slot_of(before[-1])
        if decided is not None and _different(body, decided):
            yield Statement("decided_on", body, decided)


def _decision_to(reading: Reading) -> Iterable[Statement]:
    """ "the Summit in X, at which a decision was made to rename A": the Summit decided on A."""
    pattern = _rule_pattern(
        r",\s*(?:at which |where )?(?:a |the )?decision (?:was (?:made|taken) )?to \w+ (?:the )?"
    )
    for match in pattern.finditer(reading.text):
        meeting = subject_slot(reading, match.start())
        if meeting is None or meeting.entity_id is None or meeting.end != match.start():
            continue
        decided = object_slot(reading, match.end())
        if decided is not None and decided.entity_id is not None and _different(meeting, decided):
            time = valid_time(nearest_date(reading, match.start()), "act")
            yield Statement("decided_on", meeting, decided, time=time)


def _holding(reading: Reading) -> Iterable[Statement]:
    """ "X intends to hold a roundtable", "the issue of holding a Summit", "to convene a 2010 Conference":
    the meeting is (to be) held, and X organises it when named."""
    pattern = _rule_pattern(
        r"\b(?P<verb>hold|holds|holding|convene|convenes|convening|host|hosts|hosting) (?:an? |the )?"
    )
    for match in pattern.finditer(reading.text):
        meeting = object_slot(reading, match.end())
        if meeting is None or meeting.entity_id is None or not _EVENT_WORD.search(meeting.words):
            continue
        prospective = match["verb"].lower().endswith("ing") or bool(
            re.search(r"\bto\s+$", reading.text[: match.start()])
        )
        modality: Modality = "planned" if prospective else modality_at(reading, match.start())
        time = valid_time(nearest_date(reading, match.start()), "act")
        yield Statement("held", meeting, time=time, modality=modality)
        host = subject_slot(reading, match.start())
        if (
            host is not None
            and host.entity_id is not None
            and not match["verb"].lower().endswith("ing")
            and _different(host, meeting)
        ):
            yield Statement("organised", host, meeting, time=time, modality=modality)


def _planned_meeting(reading: Reading) -> Iterable[Statement]:
    """ "A conference on X is contemplated for 2010", "training courses have been planned": to be held."""
    pattern = _rule_pattern(
        r"\s(?:has been|have been|is|are|was|were) (?:being )?"
        r"(?:planned|scheduled|contemplated|envisaged|foreseen) "
    )
    for match in pattern.finditer(reading.text):
        meeting = subject_slot(reading, match.start() + 1)
        if meeting is None or meeting.entity_id is None or reading.text[meeting.end : match.start()].strip():
            continue
        time = valid_time(nearest_date(reading, match.start()), "act")
        yield Statement("held", meeting, time=time, modality="planned")


_NUMBER_WORDS = {
    word: number
    for number, word in enumerate(
        (
            *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
            *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen"),
            *("nineteen", "twenty"),
        )
    )
}


def _rest_of_clause(reading: Reading, start: int) -> tuple[str, int]:
    """The words from ``start`` to the end of the sentence, or of the parenthesis ``start`` is in, without
    the closing full stop; with where they end."""
    end = len(reading.text)
    if reading.inside_parentheses(start):
        close = reading.text.find(")", start)
        end = close if close >= 0 else end
    words = reading.text[start:end].rstrip()
    words = re.sub(r"[.;:]+$", "", words).rstrip()
    return " ".join(words.split()), start + len(words)


class StatedAim(msgspec.Struct, frozen=True):
    """ "X intends to <do something>." / "X supports <something>.": X's stated aim or position, in the
    text's own words (the rest of the sentence)."""

    words: str
    predicate: str

    def __call__(self, reading: Reading) -> Iterator[Statement]:
        for match in _rule_pattern(self.words).finditer(reading.text):
            actor = subject_slot(reading, match.start())
            value, _ = _rest_of_clause(reading, match.end())
            if actor is None or actor.entity_id is None or not value or value[0] in ",;":
                continue
            planned = self.predicate == "aims_to"
            modality: Modality = "planned" if planned else modality_at(reading, match.start())
            yield Statement(self.predicate, actor, value=value, modality=modality)


_COUNT = re.compile(
    r"(?P<hedge>(?:roughly|about|some|over|nearly|almost|more than|at least) )?"
    r"(?P<number>\d+|" + "|".join(_NUMBER_WORDS) + r")\s+(?=[^\W\d])",
    re.IGNORECASE,
)
_CLAUSE_START = re.compile(r",\s+(?:and\s+)?|;\s+")
_COUNT_VERB = re.compile(r"\b(?:was|were|is|are|has|have|had|took|take|takes)\b", re.IGNORECASE)


def _counted(reading: Reading) -> Iterable[Statement]:
    """ "Roughly 80 diplomats ... have completed training", "18 Forum meetings were held ...": a clause that
    opens with a number and says something of what it counts, as the number in digits and the text's
    words; of the first entity named in it."""
    starts = [0, *(match.end() for match in _CLAUSE_START.finditer(reading.text))]
    for start in starts:
        match = _COUNT.match(reading.text, start)
        if match is None:
            continue
        following = _CLAUSE_START.search(reading.text, match.end())
        words, end = _rest_of_clause(reading, match.end())
        if following is not None and following.start() < end:
            words = " ".join(reading.text[match.end() : following.start()].split())
            end = following.start()
        if not _COUNT_VERB.search(words):
            continue  # a number opening a clause that says nothing of what it counts
        if any(match.start() <= mention.start < match.end() for mention in reading.mentions):
            continue  # a number that opens a name ("Twelve Harbours Forum") counts nothing
        counted = [mention for mention in reading.mentions if match.start() <= mention.start < end]
        if not counted or counted[0].entity_id is None:
            continue
        number = match["number"].lower()
        digits = str(_NUMBER_WORDS[number]) if number in _NUMBER_WORDS else number
        value = f"{(match['hedge'] or '').lower()}{digits} {words}"
        time = valid_time(nearest_date(reading, match.start()), "act")
        yield Statement("counted", _slot_of(counted[0]), value=value, time=time)


_SIGNED = _rule_pattern(
    r"\b(?P<verb>signed|has signed|have signed|signing|"
    r"put (?:their|its|his|her) signatures? (?:under|to|on)) "
)
# "the document", "the treaty": a text named just before.
_DOCUMENT_BACK = re.compile(
    r"(?:the|this|that)\s+(?:document|treaty|agreement|memorandum|declaration|charter|convention|accord)\b",
    re.IGNORECASE,
)


def _last_document_before(reading: Reading, position: int) -> Slot | None:
    """The document named last before ``position``, in this sentence or before it."""
    here = [mention for mention in reading.mentions if mention.end <= position]
    for mention in reversed(here):
        if mention.entity_id is not None and _DOCUMENT_WORD.search(mention.words):
            return _slot_of(mention)
    for index in range(reading.mentions_before - 1, -1, -1):
        mention = reading.text_mentions[index]
        if mention.entity_id is not None and _DOCUMENT_WORD.search(mention.words):
            return Slot(mention.words, mention.entity_id, 0, 0)
    return None


def _signed(reading: Reading) -> Iterable[Statement]:
    """ "A, B and C signed X", "A ... put their signatures under the document" (the one named before),
    "X has assumed its obligations, signing the Act and the Charter" (each document named after it)."""
    for match in _SIGNED.finditer(reading.text):
        if _PASSIVE.search(reading.text[: match.start()]):
            continue
        participle = match["verb"].lower() == "signing"
        clause = re.search(r",\s*$", reading.text[: match.start()]) if participle else None
        signatories = subject_list(reading, clause.start() if clause else match.start())
        if participle and clause is not None:
            documents = [
                _slot_of(mention)
                for mention in reading.mentions
                if mention.start >= match.end() and mention.entity_id and _DOCUMENT_WORD.search(mention.words)
            ]
        else:
            found = object_slot(reading, match.end())
            # "signed the document": the one named before; "signed the Charter of X" names its own.
            if _DOCUMENT_BACK.match(reading.text, match.end()) and (found is None or found.entity_id is None):
                found = _last_document_before(reading, match.start())
            documents = [found] if found is not None else []
        time = valid_time(nearest_date(reading, match.start()), "act")
        for signatory in signatories:
            for document in documents:
                if _different(signatory, document):
                    yield Statement("signed", signatory, document, time=time)


_ORGANISED = VerbRule(
    r"\b(?:organized|organised|co-organized|co-organised|hosted) (?:an? |the )?",
    "organised",
    "act",
    subjects_listed=True,
    reach=True,
    active=True,
)


def _organised_and_held(reading: Reading) -> Iterable[Statement]:
    """ "A, B and C organized X in May 2019": each organised X, and X was held (then)."""
    for statement in _ORGANISED(reading):
        yield statement
        if statement.object is not None and statement.object.entity_id is not None:
            yield Statement("held", statement.object, time=statement.time, modality=statement.modality)


RULES: tuple[Rule, ...] = (
    Rule(
        "membership.became_member",
        VerbRule(
            r"\b(?:became|has become|had become|becomes|become) (?:a |an |the )?"
            r"(?:full |full-fledged |founding )?member (?:state )?of ",
            "member_of",
            "start",
        ),
    ),
    Rule(
        "membership.is_member",
        VerbRule(
            r"\b(?:has been|had been|have been|is|was|were|are) (?:a |an |the )?"
            r"(?:full |full-fledged |founding |permanent )?member (?:state )?of ",
            "member_of",
            "state",
        ),
    ),
    Rule(
        "membership.joined",
        VerbRule(r"\b(?:joined|joins|has joined|have joined|acceded to) (?:the )?", "member_of", "start"),
    ),
    Rule("membership.joining_first", _membership_after_participle),
    Rule("membership.as_part_of", VerbRule(r"\bas (?:a )?part of (?:the )?", "member_of", "state")),
    Rule(
        "membership.in_the_work_of",
        VerbRule(
            r"\b(?:participated|participates|took part|takes part)(?: actively)? in the work of (?:the )?",
            "member_of",
            "state",
        ),
    ),
    Rule("membership.as_a_member", _member_by_apposition),
    Rule("membership.listed_in_parentheses", _listed_in_parentheses),
    Rule(
        "chair.chaired",
        VerbRule(
            r"\b(?:has |have |had )?"
            r"(?:chaired|chairs|will chair|is to chair|are to chair|to chair|presided over) (?:the )?",
            "chaired",
            "state",
            relative=True,
        ),
    ),
    Rule("chair.chaired_by", _chaired_by),
    Rule("chair.chairmanship_of", _chairmanship_of),
    Rule("chair.named_chairmanship", _adjective_chairmanship),
    Rule("chair.assumed", _assumed_chair),
    Rule(
        "chair.elected",
        VerbRule(
            r"\b(?:was|were|has been|is|had been) elected (?:as )?(?:the )?"
            r"(?:Chair|Chairman|Chairperson|Chairwoman|President|Head)(?:-in-Office)? (?:of )?(?:the )?",
            "elected_to_chair",
            "act",
            date_before=True,
        ),
    ),
    Rule("chair.decision_to_chair", _decision_to_chair),
    Rule(
        "position.appointed",
        VerbRule(
            r"\b(?:has been |have been |had been |was |were |is |been )?appointed (?:as )?(?:the )?",
            "held_position",
            "start",
            person_subject=True,
        ),
    ),
    Rule(
        "position.served_as",
        VerbRule(r"\b(?:has )?served as (?:the )?", "held_position", "state", person_subject=True),
    ),
    Rule("position.was_office", _she_was_office),
    Rule("position.title_before_name", _title_before_name),
    Rule(
        "secondment.seconded",
        VerbRule(
            r"\b(?:has been |have been |had been |was |were |is |been )?seconded (?:as \w+ )?to (?:the )?",
            "seconded_to",
            "start",
            person_subject=True,
        ),
    ),
    Rule("origin.named_in_parentheses", _named_in_parentheses),
    Rule("meeting.named_place", _meeting_name, once=True),
    Rule("meeting.held", _meeting_held),
    Rule("meeting.dated", _meeting_dated),
    Rule("meeting.took_part", _participated),
    Rule("meeting.attended_by", _attended_by),
    Rule("event.organised", _organised_and_held),
    Rule(
        "renaming.renamed",
        Renaming(
            r"\b(?:was |were |has been |had been |is |will be )?renamed (?:to |as |into )?(?:the )?",
            "renamed_to",
        ),
    ),
    Rule(
        "renaming.transformed",
        Renaming(
            r"\b(?:was |were |has been |had been |is |will be )?transformed into (?:the |an? )?",
            "transformed_into",
        ),
    ),
    Rule("institution.opened", _opened),
    Rule(
        "institution.established",
        VerbRule(
            r"\b(?:has |have |had |is |are )?(?:also )?"
            r"(?:established|created|founded|set up|establishing|creating) (?:an? |the )?",
            "established",
            "act",
            active=True,
        ),
    ),
    Rule(
        "document.authored",
        VerbRule(
            r"\b(?:has |have |had |is |are )?(?:also )?"
            r"(?:drafted|authored|written|wrote|drawn up|drew up|preparing|prepared) (?:an? |the )?",
            "authored",
            "act",
            active=True,
        ),
    ),
    Rule(
        "document.adopted_at",
        VerbRule(
            r"\b(?:was |were |been )?adopted (?:at|during) (?:the (?:end|close|conclusion) of )?(?:the )?",
            "adopted_at",
            "act",
        ),
    ),
    Rule("document.signed", _signed),
    Rule("initiative.initiated_by", _initiated_by),
    Rule("document.of_a_date", _document_of_a_date),
    Rule("document.adoption_of", _adoption_of),
    Rule("decision.by_decision_of", _decision_of),
    Rule("decision.decision_to", _decision_to),
    Rule("meeting.holding", _holding),
    Rule("meeting.planned", _planned_meeting),
    Rule(
        "aim.intends_to",
        StatedAim(
            r"\b(?:intends|intend|aspires|aspire|plans|aims|aim|seeks|seek|strives|strive|"
            r"is willing|are willing|is determined|are determined|wishes) to ",
            "aims_to",
        ),
    ),
    Rule(
        "position.supports",
        StatedAim(
            r"\b(?:supports|advocates|(?:continues|continue) to (?:support|advocate))\s+",
            "supports",
        ),
    ),
    Rule("count.number_of", _counted),
)


# -- putting it together ---------------------------------------------------------------------------------


def _proposal(
    rule: str, statement: Statement, reading: Reading, line_of: Callable[[int], int]
) -> ProposedFact:
    matched: list[tuple[str, str]] = []
    unmatched: list[str] = []

    def entity_or_words(slot: Slot | None) -> str | None:
        if slot is None:
            return None
        if slot.entity_id is None:
            if slot.words not in unmatched:
                unmatched.append(slot.words)
            return slot.words
        pair = (slot.words, slot.entity_id)
        if pair not in matched:
            matched.append(pair)
        return slot.entity_id

    subject = entity_or_words(statement.subject) or statement.subject.words
    object_ = entity_or_words(statement.object)
    place = entity_or_words(statement.place)
    role = entity_or_words(statement.role)
    time = statement.time
    content = FactContent(
        subject=subject,
        predicate=statement.predicate,
        object=object_,
        value=statement.value,
        qualifiers=Qualifiers(role=role, place=place),
        valid_from=time.get("valid_from"),
        valid_to=time.get("valid_to"),
        point_in_time=time.get("point_in_time"),
        modality=statement.modality,
    )
    return ProposedFact(
        rule=rule,
        content=content,
        line_start=line_of(reading.start),
        line_end=line_of(reading.start + len(reading.text) - 1),
        quote=normalise_quote(reading.text),
        matched=tuple(matched),
        unmatched=tuple(unmatched),
    )


def _shifted(mention: Mention | DateMention, by: int) -> Any:
    return msgspec.structs.replace(mention, start=mention.start - by, end=mention.end - by)


def propose(text: str, names: Sequence[KnownName]) -> list[ProposedFact]:
    """Candidate facts stated by ``text``, in text order, each with its quote; deterministic.

    ``names`` are the labels and aliases of the known entities; a fact whose slot no name matches
    carries the text's words there and lists them in ``unmatched``. The same fact read twice from one
    sentence is proposed once; what a name itself says (where a named meeting met) is proposed at the
    name's first occurrence only.
    """
    line_starts = [0, *(index + 1 for index, char in enumerate(text) if char == "\n")]

    def line_of(offset: int) -> int:
        return bisect.bisect_right(line_starts, offset)

    index = name_index(names)
    mentions = find_mentions(text, names)
    dates = find_dates(text, mentions)
    proposals: list[ProposedFact] = []
    said_by_names: set[bytes] = set()
    all_mentions = tuple(mentions)
    mention_starts = [mention.start for mention in mentions]
    date_starts = [date.start for date in dates]
    for sentence in find_sentences(text):
        first_mention = bisect.bisect_left(mention_starts, sentence.start)
        last_mention = bisect.bisect_left(mention_starts, sentence.end)
        first_date = bisect.bisect_left(date_starts, sentence.start)
        last_date = bisect.bisect_left(date_starts, sentence.end)
        reading = Reading(
            text=text[sentence.start : sentence.end],
            start=sentence.start,
            mentions=tuple(
                _shifted(mention, sentence.start)
                for mention in mentions[first_mention:last_mention]
                if mention.end <= sentence.end
            ),
            dates=tuple(
                _shifted(date, sentence.start)
                for date in dates[first_date:last_date]
                if date.end <= sentence.end
            ),
            names=index,
            text_mentions=all_mentions,
            mentions_before=first_mention,
        )
        found: list[tuple[int, ProposedFact]] = []
        seen: set[bytes] = set()
        for rule in RULES:
            for statement in rule.read(reading):
                proposal = _proposal(rule.name, statement, reading, line_of)
                key = msgspec.json.encode(proposal.content)
                if key in seen or (rule.once and key in said_by_names):
                    continue
                seen.add(key)
                if rule.once:
                    said_by_names.add(key)
                # Within a sentence, in the order of the first words each fact was read from.
                first = min(slot.start for slot in (statement.subject, statement.object) if slot is not None)
                found.append((first, proposal))
        found.sort(key=lambda item: item[0])
        proposals.extend(proposal for _, proposal in found)
    return proposals
