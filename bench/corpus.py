"""A synthetic corpus of any size, generated batch by batch (never held whole in memory).

Fact `n` says that person `n % PERSONS` held office `(n // PERSONS) % OFFICES` in organisation
`(person + office) % ORGANISATIONS` from a month of a year until a later year (predicate `held_position`,
which feeds `fact_versions`, `relations`, `roles`, `timeline`, `citations` and `citations_by_line`).
(person, office, year) is different for every `n`, so every fact has its own id. The holders of an
office in an organisation take turns (the vocabulary says the office has one holder at a time); one turn
in `OVERLAP` runs into the next, so the findings read model has the few findings a real archive has.
Until 2026-12-05 the terms of one office overlapped almost all the others (about 38 findings a fact):
results before then were measured on that corpus.

Facts come in batches of `BATCH` (2000): batch `b` is stated by its own source document
`bench-register-<b>`, one line per fact after a heading line, and each fact cites its own line with the
whole line as its quote, so every quote verifies. Names are invented ("Person 0042").
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

PERSONS = 2000
OFFICES = 50
ORGANISATIONS = 20
BATCH = 2000
#: One turn in this many overlaps the next holder's (a finding for the archivist).
OVERLAP = 50
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def person_id(p: int) -> str:
    return f"bench-person-{p:05d}"


def office_id(o: int) -> str:
    return f"bench-office-{o:03d}"


def org_id(g: int) -> str:
    return f"bench-org-{g:03d}"


def source_id(b: int) -> str:
    return f"bench-register-{b:05d}"


def entities() -> list[tuple[str, str, str]]:
    """(entity id, kind, label) of every entity the corpus names."""
    found = [(person_id(p), "person", f"Person {p:05d}") for p in range(PERSONS)]
    found += [(office_id(o), "office", f"Warden of Ward {o:03d}") for o in range(OFFICES)]
    found += [(org_id(g), "organisation", f"Accord Organisation {g:03d}") for g in range(ORGANISATIONS)]
    return found


@dataclass(frozen=True)
class Fact:
    n: int
    person: str
    office: str
    org: str
    valid_from: str
    valid_to: str
    line: int  # 1-based line in its batch's source
    text: str  # the whole line (also the quote)

    @property
    def batch(self) -> int:
        return self.n // BATCH


def fact(n: int) -> Fact:
    p = n % PERSONS
    k = n // PERSONS
    o = k % OFFICES
    d = k // OFFICES
    g = (p + o) % ORGANISATIONS
    # The office is single-holder (held_position), so the PERSONS / ORGANISATIONS holders of one office
    # in one organisation take turns: each has a six-year window of its own and ends within it, but one
    # turn in OVERLAP runs on into the next holder's, as an archive's occasional contradiction does.
    turn = p // ORGANISATIONS
    year = 1000 + d * 6 * (PERSONS // ORGANISATIONS) + 6 * turn
    month = (p + o) % 12 + 1
    until = year + 1 + n % 5 + (6 if turn % OVERLAP == OVERLAP - 1 else 0)
    text = (
        f"Person {p:05d} served as Warden of Ward {o:03d} of the Accord Organisation {g:03d} "
        f"from {MONTHS[month - 1]} {year} to {until}."
    )
    return Fact(
        n, person_id(p), office_id(o), org_id(g), f"{year}-{month:02d}", str(until), n % BATCH + 2, text
    )


def source_text(b: int) -> str:
    """The document stating batch `b`: a heading line, then one line per fact."""
    lines = [f"Bench register {b:05d}: who held which ward, and when."]
    lines += [fact(n).text for n in range(b * BATCH, (b + 1) * BATCH)]
    return "\n".join(lines) + "\n"


def source_sha(b: int) -> str:
    return hashlib.sha256(source_text(b).encode("utf-8")).hexdigest()


def batches(total: int) -> Iterator[range]:
    """The fact numbers of each batch, up to `total` facts."""
    for start in range(0, total, BATCH):
        yield range(start, min(start + BATCH, total))


# -- our inputs --------------------------------------------------------------------------------------------


def _fact_content(f: Fact) -> Any:
    """The archive's `FactContent` of corpus fact `f`."""
    from archive.domain.events import Qualifiers
    from archive.domain.facts import FactContent

    return FactContent(
        subject=f.person,
        predicate="held_position",
        object=f.office,
        qualifiers=Qualifiers(organization=f.org),
        valid_from=f.valid_from,
        valid_to=f.valid_to,
    )


def fact_inputs(numbers: range, sha: str) -> list[Any]:
    """`FactInput`s for Archive.ingest_facts."""
    from archive.commands import FactInput
    from archive.domain.events import Citation

    items = []
    for n in numbers:
        f = fact(n)
        items.append(
            FactInput(
                content=_fact_content(f),
                rank="normal",
                citations=(Citation(source_id(f.batch), sha, f.line, f.line, f.text),),
            )
        )
    return items


def fact_id(n: int) -> str:
    """The id the archive derives for fact `n` (uuid5 of its natural key)."""
    from archive.domain.facts import fact_id_for

    return fact_id_for(_fact_content(fact(n)))


# -- payloads for the append cases and the peer ----------------------------------------------------------


def fact_json(n: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(content, citations) of corpus fact `n` as plain JSON, for payloads built without the archive."""
    f = fact(n)
    content = {
        "subject": f.person,
        "predicate": "held_position",
        "object": f.office,
        "value": None,
        "qualifiers": {"role": None, "place": None, "organization": f.org, "note": None},
        "valid_from": f.valid_from,
        "valid_to": f.valid_to,
        "point_in_time": None,
        "modality": "asserted",
    }
    citations = [
        {
            "source_id": source_id(f.batch),
            "content_sha256": "0" * 64,
            "line_start": f.line,
            "line_end": f.line,
            "quote": f.text,
        }
    ]
    return content, citations


def append_payload(n: int) -> dict[str, Any]:
    """A fact.recorded-shaped JSON object (about 600 bytes), the same for ours, the peer and raw."""
    content, citations = fact_json(n)
    return {
        "fact_id": str(uuid.uuid4()),
        **content,
        "rank": "normal",
        "citations": citations,
        "recorded_at": "2024-01-01T00:00:00.000000Z",
    }


# -- raw rows: what ingest writes, built without the archive's code ----------------------------------------


def _bounds(f: Fact) -> tuple[date, date]:
    year, month = (int(x) for x in f.valid_from.split("-"))
    return date(year, month, 1), date(int(f.valid_to), 12, 31)


RAW_TABLES = (
    "events",
    "fact_versions",
    "relations",
    "roles",
    "timeline",
    "citations",
    "citations_by_line",
)

RAW_COLUMNS: dict[str, tuple[str, ...]] = {
    "events": (
        "stream_id", "stream_version", "event_type", "schema_version", "data", "metadata",
        "recorded_at", "prev_hash", "hash",
    ),
    "fact_versions": (
        "fact_id", "version", "event_type", "subject", "predicate", "object", "value", "valid_from",
        "valid_to", "point_in_time", "valid_earliest", "valid_latest", "modality", "rank", "status",
        "state", "recorded_from", "recorded_to", "position_from", "position_to",
    ),
    "relations": (
        "fact_id", "version", "entity_id", "direction", "other_entity_id", "predicate", "rank", "status",
        "valid_earliest", "valid_latest", "recorded_from", "recorded_to", "position_from", "position_to",
    ),
    "roles": (
        "fact_id", "version", "holder", "office_id", "office_label", "organization_id",
        "organization_label", "predicate", "valid_from", "valid_to", "point_in_time", "valid_earliest",
        "valid_latest", "modality", "rank", "status", "recorded_from", "recorded_to", "position_from",
        "position_to",
    ),
    "timeline": (
        "fact_id", "version", "entity_id", "involvement", "predicate", "sort_start", "sort_end",
        "valid_earliest", "valid_latest", "rank", "status", "recorded_from", "recorded_to",
        "position_from", "position_to",
    ),
    "citations": (
        "fact_id", "citation_id", "source_id", "content_sha256", "line_start", "line_end", "quote", "state",
        "current_line_start", "current_line_end",
    ),
    "citations_by_line": ("source_id", "line", "fact_id", "citation_id"),
}  # fmt: skip


def raw_rows(
    numbers: range, sha: str, recorded_at: Any, first_position: int, encode: Any, sqlite: bool
) -> dict[str, list[tuple[Any, ...]]]:
    """The rows ingest writes for these facts, one tuple per row in RAW_COLUMNS order.

    `encode` turns a JSON object into what the driver wants (text). Dates and times are Python objects
    for asyncpg and text for SQLite (as SQLAlchemy stores them there). Fact ids are uuid4: the raw peer
    does no derivation.
    """
    out: dict[str, list[tuple[Any, ...]]] = {table: [] for table in RAW_TABLES}
    meta = encode({"actor": "bench"})
    when = recorded_at.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else recorded_at
    position = first_position
    for n in numbers:
        f = fact(n)
        fid = str(uuid.uuid4())
        earliest, latest = _bounds(f)
        e, l_ = (earliest.isoformat(), latest.isoformat()) if sqlite else (earliest, latest)
        citation = {
            "source_id": source_id(f.batch), "content_sha256": sha, "line_start": f.line,
            "line_end": f.line, "quote": f.text,
        }  # fmt: skip
        data = {
            "fact_id": fid, "subject": f.person, "predicate": "held_position", "object": f.office,
            "value": None, "qualifiers": {"role": None, "place": None, "organization": f.org, "note": None},
            "valid_from": f.valid_from, "valid_to": f.valid_to, "point_in_time": None,
            "modality": "asserted", "rank": "normal", "citations": [citation],
            "recorded_at": "2024-01-01T00:00:00.000000Z",
        }  # fmt: skip
        state = {**data, "exists": True, "version": 1, "status": "active", "links": []}
        out["events"].append(
            (f"fact:{fid}", 1, "fact.recorded", 1, encode(data), meta, when, "0" * 64, "f" * 64)
        )
        out["fact_versions"].append(
            (fid, 1, "fact.recorded", f.person, "held_position", f.office, None, f.valid_from, f.valid_to,
             None, e, l_, "asserted", "normal", "active", encode(state), when, None, position, None)
        )  # fmt: skip
        for entity, direction, other in ((f.person, "subject", f.office), (f.office, "object", f.person)):
            out["relations"].append(
                (fid, 1, entity, direction, other, "held_position", "normal", "active", e, l_, when, None,
                 position, None)
            )  # fmt: skip
        out["roles"].append(
            (fid, 1, f.person, f.office, None, f.org, None, "held_position", f.valid_from, f.valid_to, None,
             e, l_, "asserted", "normal", "active", when, None, position, None)
        )  # fmt: skip
        for entity, part in ((f.org, "organization"), (f.office, "object"), (f.person, "subject")):
            out["timeline"].append(
                (fid, 1, entity, part, "held_position", e, l_, e, l_, "normal", "active", when, None,
                 position, None)
            )  # fmt: skip
        cid = hashlib.sha256(
            f"{citation['source_id']}\x1f{f.line}\x1f{f.line}\x1f{f.text}".encode()
        ).hexdigest()
        out["citations"].append(
            (fid, cid, citation["source_id"], sha, f.line, f.line, f.text, "verified", f.line, f.line)
        )
        out["citations_by_line"].append((citation["source_id"], f.line, fid, cid))
        position += 1
    return out
