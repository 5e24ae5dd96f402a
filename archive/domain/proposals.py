"""Propose candidate facts from a document's text, by rules an archivist can read and review.

Nothing here decides what is true: a proposal is what a rule read in one sentence, with the exact words
it read (the quote and its lines, which pass the citation check of ``archive.domain.sources``), the
entities it recognised by their labels and aliases, and the names it could not match. An archivist
accepts, edits or rejects each one.

How a text is read:

- **Sentences.** The text is cut into sentences across its line breaks, as extracted text wraps
  mid-sentence: a break ends a sentence after ``.``, ``!`` or ``?``, before a blank line, and around a
  heading (a line of capitals, or of capitalised words with no full stop). A quote is the sentence's
  words with each line break and the whitespace around it written as one space, as the citation
  check joins lines.
- **Names.** Every label and alias is searched in the whole text, longest first, so "OSCE Center in
  Astana" wins over "Astana" where both fit. A name with no lower-case letter (an acronym) matches
  only as written; any other name matches in any case. A trailing bracketed remark of a name
  (``"Name [external: where it comes from]"``) and a trailing parenthesis (``"Summit (2010)"``, a
  disambiguation) are not read as part of it. A text that names two entities is matched to neither:
  the archivist chooses.
- **Dates.** "1994", "January 1992", "June 21, 2007", "1 December 2010", day and month ranges
  ("December 1-2, 2010", "September-December 2011") and year ranges ("2017-2019", "from June 2012 to
  August 2014") are read at the precision written (``PartialDate``). Words that are part of a name
  ("EXPO 2017") are not dates. A date stated only relative to another ("this year") is left out.
- **Rules.** Each rule is a pattern of words ("became a member of", "was appointed", "chaired by",
  "was renamed") with slots for the subject, the object and sometimes a place; a slot is filled with
  the entity named there, or, when no name matches, with the text's own words, which are listed in
  ``unmatched`` so the fact cannot be accepted until an archivist edits it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Literal

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
# disambiguation ("(2010)", "(Almaty, 2006)") are the registry's notes, not words of the name.
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


def _name_pattern(name: str) -> str:
    parts: list[str] = []
    for char in name:
        if char.isspace():
            if not parts or parts[-1] != r"\s+":
                parts.append(r"\s+")
        else:
            parts.append(_CHAR_CLASSES.get(char, re.escape(char)))
    return "".join(parts)


def _usable_name(name: str) -> str:
    previous = None
    while previous != name:
        previous, name = name, _NAME_REMARK.sub("", name)
    return name.strip()


def find_mentions(text: str, names: Sequence[KnownName]) -> list[Mention]:
    """Every place ``text`` names a known entity, longest name first, without overlaps, in text order."""
    entities_by_name: dict[str, set[str]] = {}
    for known in names:
        usable = _usable_name(known.name)
        if usable:
            entities_by_name.setdefault(usable, set()).add(known.entity_id)
    # Names that differ only in case are one name to a case-blind search: pool their entities.
    taken = [False] * len(text)
    mentions: list[Mention] = []
    for name in sorted(entities_by_name, key=lambda item: (-len(item), item)):
        acronym = not any(char.islower() for char in name)
        flags = 0 if acronym else re.IGNORECASE
        pattern = re.compile(r"(?<!\w)" + _name_pattern(name) + r"(?!\w)", flags)
        ids = sorted(entities_by_name[name])
        for match in pattern.finditer(text):
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
_START_LEAD = re.compile(r"(?:\b(?:since|from|effective|starting(?:\s+in)?|as\s+of)\s+)$", re.IGNORECASE)
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
                _RANGE_LEAD.search(text[: previous.start])
                or text[previous.end : start].strip() in {"-", "–", "—"}
            )
        ):
            dates[-1] = DateMention(previous.start, end, previous.first, first, "")
            continue
        before = text[max(0, start - 20) : start]
        lead: Literal["since", "until", ""] = ""
        if _START_LEAD.search(before):
            lead = "since"
        elif _END_LEAD.search(before):
            lead = "until"
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


def find_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text``, in order, each trimmed of surrounding whitespace."""
    lines = text.split("\n")
    blocks: list[tuple[int, int]] = []
    offset = 0
    block_start: int | None = None
    for index, line in enumerate(lines):
        line_start, line_end = offset, offset + len(line)
        offset = line_end + 1
        if not line.strip():
            if block_start is not None:
                blocks.append((block_start, line_start - 1))
                block_start = None
            continue
        # A line of capitalised words is a title only where a block may begin, not inside a wrapped sentence.
        heading = not _has_lowercase(line) or (block_start is None and _is_heading(line))
        if heading and block_start is not None:
            blocks.append((block_start, line_start - 1))
            block_start = None
        if block_start is None:
            block_start = line_start
        following = lines[index + 1] if index + 1 < len(lines) else ""
        ends = bool(_SENTENCE_END.search(line.rstrip())) and not _NOT_AN_END.search(line.rstrip())
        if heading or ends or not _has_lowercase(following):
            blocks.append((block_start, line_end))
            block_start = None
    if block_start is not None:
        blocks.append((block_start, len(text)))
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
    r"\b(?:will|shall|is\s+to|are\s+to|intends\s+to|intend\s+to|plans\s+to|is\s+expected\s+to|would)\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)
_LEADING_ARTICLE = re.compile(r"^(?:(?:the|a|an|its|their|our|his|her|this|that|all)\s+)+", re.IGNORECASE)
# Where a noun phrase of the text ends, for words no name matched.
_PHRASE_END = re.compile(
    r"[,.;:()\[\]–—]|\s(?:and|in|on|at|by|from|to|for|with|since|until|as|which|who|that|during|under|after|before|was|were|is|are|has|have)\s",
    re.IGNORECASE,
)
_CAPITALISED_RUN = re.compile(
    r"[A-Z][\w’'.-]*(?:\s+(?:(?:of|the|for|and|on|in|de|du|von|van)\s+)*[A-Z][\w’'.-]*)*"
)
_POSSESSIVE = re.compile(r"^['’]s\b")
_MAX_UNMATCHED_WORDS = 8


class Reading(msgspec.Struct, frozen=True):
    """One sentence with the names and dates found in it (offsets relative to the sentence)."""

    text: str
    start: int
    mentions: tuple[Mention, ...]
    dates: tuple[DateMention, ...]

    def inside_parentheses(self, position: int) -> bool:
        """Whether ``position`` lies inside a parenthesis opened before it and not yet closed."""
        before = self.text[:position]
        return before.count("(") > before.count(")")


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


def object_slot(reading: Reading, start: int, end: int | None = None) -> Slot | None:
    """The entity named by the noun phrase that begins at ``start``, or its words when none matches.

    A name in the possessive ("OSCE's governing Troika") is passed over for the name it qualifies.
    """
    stop = len(reading.text) if end is None else end
    region = reading.text[start:stop]
    lead = _LEADING_ARTICLE.match(region)
    head = start + (lead.end() if lead else 0)
    boundary = _PHRASE_END.search(reading.text, head, stop)
    phrase_end = boundary.start() if boundary else stop
    for mention in reading.mentions:
        if head <= mention.start < max(phrase_end, head + 1) and not _is_possessive(reading, mention):
            return _slot_of(mention)
    words = reading.text[head:phrase_end].strip(" \n\t\"“”'’")
    words = " ".join(words.split())
    if not words or len(words.split()) > _MAX_UNMATCHED_WORDS:
        return None
    return Slot(words, None, head, phrase_end)


def subject_slot(reading: Reading, end: int, start: int = 0) -> Slot | None:
    """The entity named last before ``end`` (outside parentheses, not possessive), or the last
    capitalised words there when none is; ``None`` when the clause names nothing (a pronoun)."""
    for mention in reversed(reading.mentions):
        if start <= mention.start and mention.end <= end:
            if reading.inside_parentheses(mention.start) or _is_possessive(reading, mention):
                continue
            return _slot_of(mention)
    clause_start = max(
        start,
        *(
            match.end()
            for match in re.finditer(r"[,;:–—]|\s-\s", reading.text[:end])
            if match.end() <= end and match.end() >= start
        ),
        0,
    )
    runs = [
        run
        for run in _CAPITALISED_RUN.finditer(reading.text, clause_start, end)
        if not reading.inside_parentheses(run.start())
    ]
    if not runs:
        return None
    run = runs[-1]
    words = _LEADING_ARTICLE.sub("", " ".join(run.group(0).split()))
    if not words or words.lower() in _PRONOUNS or len(words.split()) > _MAX_UNMATCHED_WORDS:
        return None
    return Slot(words, None, run.start(), run.end())


_PRONOUNS = frozenset({"it", "he", "she", "they", "we", "i", "this", "that", "these", "those", "our", "its"})


def nearest_date(reading: Reading, position: int) -> DateMention | None:
    """The date stated nearest to ``position`` in the sentence (a tie goes to the earlier one)."""
    if not reading.dates:
        return None

    def distance(date: DateMention) -> int:
        if date.start <= position < date.end:
            return 0
        return date.start - position if date.start >= position else position - date.end

    return min(reading.dates, key=lambda date: (distance(date), date.start))


def is_planned(reading: Reading, verb_start: int) -> bool:
    """Whether the verb at ``verb_start`` is stated as an intention ("will", "is to", "intends to")."""
    return bool(_PLANNED.search(reading.text[max(0, verb_start - 40) : verb_start]))


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
    """What a rule read, before it is placed in the text: slots, time and the span it covers."""

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
    """A named pattern of words and how to read its slots."""

    name: str
    read: RuleReader


# -- the rules -------------------------------------------------------------------------------------------


def _rule_pattern(words: str) -> re.Pattern[str]:
    # Patterns are written with single spaces; the text may wrap or double-space between any two words.
    return re.compile(words.replace(" ", r"\s+"), re.IGNORECASE)


_BECAME_MEMBER = _rule_pattern(
    r"\b(?:became|has become|had become|having become|becomes|become|has been|had been|is|was|were|are) "
    r"(?:a |an |the )?(?:full |full-fledged |founding |permanent )?member (?:state )?of "
)
_JOINED = _rule_pattern(r"\b(?:joined|joins|has joined|acceded to|entered) ")


def _membership(reading: Reading) -> Iterable[Statement]:
    patterns: tuple[tuple[re.Pattern[str], TimeShape], ...] = ((_BECAME_MEMBER, "start"), (_JOINED, "start"))
    for pattern, shape in patterns:
        for match in pattern.finditer(reading.text):
            subject = subject_slot(reading, match.start())
            member_of = object_slot(reading, match.end())
            if subject is None or member_of is None:
                continue
            verb = match.group(0).split()[0].lower()
            time_shape: TimeShape = shape
            if verb in {"is", "was", "were", "are", "has", "had"}:
                time_shape = "state"
            yield Statement(
                "member_of",
                subject,
                member_of,
                time=valid_time(nearest_date(reading, match.start()), time_shape),
                modality="planned" if is_planned(reading, match.start()) else "asserted",
            )


RULES: tuple[Rule, ...] = (Rule("membership.became_member", _membership),)


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
    start = reading.start
    end = reading.start + len(reading.text)
    return ProposedFact(
        rule=rule,
        content=content,
        line_start=line_of(start),
        line_end=line_of(end - 1),
        quote=normalise_quote(reading.text),
        matched=tuple(matched),
        unmatched=tuple(unmatched),
    )


def propose(text: str, names: Sequence[KnownName]) -> list[ProposedFact]:
    """Candidate facts stated by ``text``, in text order, each with its quote; deterministic.

    ``names`` are the labels and aliases of the known entities; a fact whose slot no name matches
    carries the text's words there and lists them in ``unmatched``.
    """
    line_starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            line_starts.append(index + 1)

    def line_of(offset: int) -> int:
        return bisect.bisect_right(line_starts, offset)

    mentions = find_mentions(text, names)
    dates = find_dates(text, mentions)
    proposals: list[ProposedFact] = []
    seen: set[tuple[str, int, int, bytes]] = set()
    for sentence in find_sentences(text):
        reading = Reading(
            text=text[sentence.start : sentence.end],
            start=sentence.start,
            mentions=tuple(
                msgspec.structs.replace(
                    mention, start=mention.start - sentence.start, end=mention.end - sentence.start
                )
                for mention in mentions
                if sentence.start <= mention.start and mention.end <= sentence.end
            ),
            dates=tuple(
                msgspec.structs.replace(
                    date, start=date.start - sentence.start, end=date.end - sentence.start
                )
                for date in dates
                if sentence.start <= date.start and date.end <= sentence.end
            ),
        )
        found: list[tuple[int, ProposedFact]] = []
        for rule in RULES:
            for statement in rule.read(reading):
                proposal = _proposal(rule.name, statement, reading, line_of)
                key = (
                    proposal.rule,
                    proposal.line_start,
                    proposal.line_end,
                    msgspec.json.encode(proposal.content),
                )
                if key in seen:
                    continue
                seen.add(key)
                found.append((statement.subject.start, proposal))
        found.sort(key=lambda item: item[0])
        proposals.extend(proposal for _, proposal in found)
    return proposals
