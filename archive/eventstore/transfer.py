"""Moving the whole log: an export as JSON Lines, and an import that reproduces it in an empty database.

An export line is one event as stored: the fields its hash covers, named as in the canonical JSON
(`archive.eventstore.hashing`) and as `GET /events` gives them under `hashed` (the stored
`schema_version`, `data` and `metadata`, `recorded_at` as hashed), plus `position`, `prev_hash` and
`hash`. The last line, `{"end_of_log": true, "events": N, "head_hash": H}`, says where the log ends, so a
file cut short at a line boundary is told from a whole one.

An import checks every line before it is written (the payload rules the store applies to an append,
increasing positions, consecutive stream versions, and the hash recomputed from the line against the
chain) and loads the whole file in one transaction holding the append lock: the first bad line refuses
it, naming the line, and nothing is written. The read models are not part of the file; they are
rebuilt from the log after it.

Positions may skip numbers: on PostgreSQL an append that fails after drawing its positions from the
sequence (a 409 on a stale version) leaves them unused, so a log written there can have gaps that hide
no event. An event missing from the file is a gap of another kind, and the chain finds it: the next
line's `prev_hash` does not link.

A redacted event (its payload a redaction marker, `archive.eventstore.redaction`) is taken with its
stored hash, as `EventStore.verify` takes it: a redaction event in the file must record each marker.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from archive.eventstore.errors import EventStoreError
from archive.eventstore.hashing import GENESIS_HASH, canonical_bytes, canonical_time, chain_hash
from archive.eventstore.payload import MAX_EVENT_TYPE_LENGTH, check_json, text_problem
from archive.eventstore.redaction import REDACTION_EVENT_TYPE, marker_digest
from archive.eventstore.store import EventStore
from archive.eventstore.table import events_table

#: The longest stream id the `events` table holds.
MAX_STREAM_ID_LENGTH: int = events_table.c.stream_id.type.length  # type: ignore[attr-defined]
#: The canonical form of `recorded_at` (`canonical_time`), which an import parses back.
_CANONICAL_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


class ExportedEvent(msgspec.Struct, forbid_unknown_fields=True):
    """One line of an export: an event as stored, with its place in the log and in the chain."""

    position: int
    stream_id: str
    stream_version: int
    event_type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    recorded_at: str
    prev_hash: str
    hash: str


class EndOfLog(msgspec.Struct, forbid_unknown_fields=True):
    """The last line of an export: how many events it holds and the hash of the last."""

    end_of_log: bool
    events: int
    head_hash: str


class TransferReport(msgspec.Struct, frozen=True):
    """What an export wrote or an import loaded."""

    events: int
    head_hash: str


class TransferError(EventStoreError):
    """An import refused: the file is not a whole, intact export, or the database is not empty.

    `line` is the 1-based line of the file at fault (None when the fault is not in the file).
    Nothing was written.
    """

    def __init__(self, detail: str, line: int | None = None) -> None:
        super().__init__(detail if line is None else f"line {line}: {detail}")
        self.line = line
        self.detail = detail


#: Objects' keys sorted (a line's own fields stay in their order): PostgreSQL's JSONB gives keys back in
#: an order of its own, and the same log exports to the same bytes from either database.
_event_encoder = msgspec.json.Encoder(order="deterministic")
_event_decoder = msgspec.json.Decoder(ExportedEvent)
_end_decoder = msgspec.json.Decoder(EndOfLog)


async def export_log(
    store: EventStore,
    out: IO[bytes],
    page_size: int = 1000,
    on_progress: Callable[[int], None] | None = None,
) -> TransferReport:
    """Write every event up to the head as it is now, a page at a time, then the end-of-log line.

    Positions follow commit order, so the pages read after one another are one consistent log; events
    appended while the export runs are left for the next one.
    """
    head = await store.head_position()
    written, head_hash, after = 0, GENESIS_HASH, 0
    while after < head:
        page = [e for e in await store.read_all(after, page_size, upcast=False) if e.position <= head]
        if not page:
            break
        for event in page:
            line = ExportedEvent(
                position=event.position,
                stream_id=event.stream_id,
                stream_version=event.stream_version,
                event_type=event.event_type,
                schema_version=event.schema_version,
                data=event.data,
                metadata=event.metadata,
                recorded_at=canonical_time(event.recorded_at),
                prev_hash=event.prev_hash,
                hash=event.hash,
            )
            out.write(_event_encoder.encode(line) + b"\n")
        written += len(page)
        head_hash, after = page[-1].hash, page[-1].position
        if on_progress is not None:
            on_progress(written)
    out.write(_event_encoder.encode(EndOfLog(end_of_log=True, events=written, head_hash=head_hash)) + b"\n")
    return TransferReport(events=written, head_hash=head_hash)


def _decode_line(raw: bytes, number: int) -> ExportedEvent | EndOfLog:
    """The line as an event or as the end-of-log line; why not, naming the field, otherwise."""
    try:
        return _event_decoder.decode(raw)
    except msgspec.ValidationError as error:
        try:
            return _end_decoder.decode(raw)
        except msgspec.MsgspecError as end_error:
            try:
                whole = msgspec.json.decode(raw)
            except msgspec.DecodeError as not_json:
                # Not JSON at all (most often a line cut short): a typed decoder stops at the first field
                # of the wrong type and would name that field, or the end-of-log line's key, instead.
                unreadable = str(not_json)
            else:
                # A line naming `end_of_log` is the end-of-log line gone wrong: say what it lacks (the
                # event decoder would only say an event has no `end_of_log` field).
                if isinstance(whole, dict) and "end_of_log" in whole:
                    raise TransferError(f"the end-of-log line is not whole: {end_error}", number) from None
                raise TransferError(f"not an exported event: {error}", number) from None
    except (msgspec.DecodeError, UnicodeDecodeError) as error:
        unreadable = str(error)
    # msgspec refuses a lone surrogate's escape as if the text were cut short; the standard library
    # reads it, so that the line is refused for what it holds, in the store's own words, below.
    try:
        loose = json.loads(raw)
    except ValueError:  # UnicodeDecodeError too
        raise TransferError(f"not valid JSON (is the file cut short?): {unreadable}", number) from None
    try:
        return msgspec.convert(loose, ExportedEvent)
    except msgspec.ValidationError as error:
        raise TransferError(f"not an exported event: {error}", number) from None


def _recorded_at(text: str, number: int) -> datetime:
    """`recorded_at` parsed back; only the canonical form, so the hash covers exactly this text."""
    try:
        moment = datetime.strptime(text, _CANONICAL_TIME).replace(tzinfo=UTC)
    except ValueError:
        moment = None
    if moment is None or canonical_time(moment) != text:
        raise TransferError(
            f"recorded_at {text[:40]!r} is not a UTC time as the log hashes it (2026-01-31T12:00:00.000000Z)",
            number,
        )
    return moment


class _Chain:
    """The checks that run across lines: the next position, the chain's head, each stream's version."""

    def __init__(self, store: EventStore) -> None:
        self.registry = store.registry
        self.position = 0
        self.events = 0
        self.head = GENESIS_HASH
        #: Each stream's last version so far: one entry per stream, not per event.
        self.versions: dict[str, int] = {}
        #: Redacted payloads met (position -> (digest, line)) and the redactions the log records
        #: (position -> digest): one entry per redaction.
        self.markers: dict[int, tuple[str, int]] = {}
        self.redactions: dict[int, str] = {}

    def check(self, event: ExportedEvent, number: int) -> datetime:
        """Refuse the line unless it is the next event of an intact log; its `recorded_at` when it is."""
        try:
            self._check_payload(event)
        except (EventStoreError, ValueError) as error:
            raise TransferError(str(error), number) from error
        if event.position <= self.position:
            raise TransferError(
                f"position {event.position} does not follow position {self.position}: positions increase",
                number,
            )
        if event.prev_hash != self.head:
            raise TransferError(
                f"prev_hash does not link to the hash of the event before it ({self.head}): an event is "
                "missing or was changed",
                number,
            )
        last_version = self.versions.get(event.stream_id, 0)
        if event.stream_version != last_version + 1:
            raise TransferError(
                f"stream {event.stream_id!r} goes from version {last_version} to {event.stream_version}: "
                "a stream's versions run 1, 2, 3 ... without a gap",
                number,
            )
        recorded_at = _recorded_at(event.recorded_at, number)
        digest = marker_digest(event.data)
        if digest is not None:
            # As `EventStore.verify`: a redacted payload cannot be hashed again, so its stored hash
            # stands (its link was checked above, the next line's hash covers it), and a redaction
            # event must record it (`unrecorded_redaction`).
            self.markers[event.position] = (digest, number)
            self._advance(event)
            return recorded_at
        if event.event_type == REDACTION_EVENT_TYPE and isinstance(event.data.get("position"), int):
            self.redactions[event.data["position"]] = str(event.data.get("content_sha256"))
        recomputed = chain_hash(
            self.head,
            canonical_bytes(
                stream_id=event.stream_id,
                stream_version=event.stream_version,
                event_type=event.event_type,
                schema_version=event.schema_version,
                data=event.data,
                metadata=event.metadata,
                recorded_at=recorded_at,
            ),
        )
        if recomputed != event.hash:
            raise TransferError(
                f"the event does not match its hash (recomputed {recomputed}): it was changed", number
            )
        self._advance(event)
        return recorded_at

    def _advance(self, event: ExportedEvent) -> None:
        self.position, self.head = event.position, event.hash
        self.events += 1
        self.versions[event.stream_id] = event.stream_version

    def unrecorded_redaction(self) -> int | None:
        """The line of the first redacted payload no redaction event records, if any."""
        lines = [
            line
            for position, (digest, line) in self.markers.items()
            if self.redactions.get(position) != digest
        ]
        return min(lines, default=None)

    def _check_payload(self, event: ExportedEvent) -> None:
        """What the store checks before an append (`EventStore._prepare`), with the same words."""
        if not event.stream_id or len(event.stream_id) > MAX_STREAM_ID_LENGTH:
            raise ValueError(f"stream_id must be 1 to {MAX_STREAM_ID_LENGTH} characters")
        problem = text_problem(event.stream_id)
        if problem is not None:
            raise ValueError(f"stream_id {event.stream_id!r} {problem}")
        if len(event.event_type) > MAX_EVENT_TYPE_LENGTH or text_problem(event.event_type) is not None:
            raise ValueError(
                f"event type {event.event_type[:120]!r} is not storable: an event type is at most "
                f"{MAX_EVENT_TYPE_LENGTH} characters of valid text without NUL"
            )
        current = self.registry.current_version(event.event_type)
        if not 1 <= event.schema_version <= current:
            raise ValueError(
                f"{event.event_type} has no schema version {event.schema_version} (current {current})"
            )
        check_json(event.data, f"{event.event_type}.data")
        check_json(event.metadata, "metadata")


def promised_events(path: Path) -> int | None:
    """The number of events an export's end-of-log line promises, for a progress bar; None when the file
    cannot be read from its end (stdin) or does not end with that line. Nothing is checked here."""
    try:
        with path.open("rb") as file:
            file.seek(max(0, file.seek(0, os.SEEK_END) - 512))
            last = file.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]
        return _end_decoder.decode(last).events
    except (OSError, msgspec.MsgspecError, UnicodeDecodeError):
        return None


async def _refuse_unless_empty(conn: AsyncConnection) -> None:
    held = int((await conn.execute(select(func.count()).select_from(events_table))).scalar_one())
    if held:
        raise TransferError(
            f"the database already holds {held} events: an import loads a log only into an empty "
            "database (make a new one and run `archive db upgrade` on it)"
        )


async def import_log(
    store: EventStore,
    lines: Iterable[bytes],
    batch_size: int = 1000,
    on_progress: Callable[[int], None] | None = None,
) -> TransferReport:
    """Load an export into the empty log of `store`'s database, in one transaction; refuse it whole, with
    `TransferError` naming the line, at the first line that is not the next event of an intact log."""
    chain = _Chain(store)
    number = 0
    end: EndOfLog | None = None
    async with store.transaction() as conn:
        await _refuse_unless_empty(conn)
        encoding = store.backend.encoding(conn)
        batch: list[tuple[Any, ...]] = []
        for number, raw in enumerate(lines, start=1):
            if end is not None:
                raise TransferError("a line after the end-of-log line", number)
            line = _decode_line(raw, number)
            if isinstance(line, EndOfLog):
                end = line
                continue
            recorded_at = chain.check(line, number)
            batch.append(
                (
                    line.position,
                    line.stream_id,
                    line.stream_version,
                    line.event_type,
                    line.schema_version,
                    encoding.json(line.data),
                    encoding.json(line.metadata),
                    encoding.moment(recorded_at),
                    line.prev_hash,
                    line.hash,
                )
            )
            if len(batch) >= batch_size:
                await store.backend.insert_rows(conn, events_table, batch)
                batch = []
                if on_progress is not None:
                    on_progress(chain.events)
        if end is None:
            raise TransferError(
                "the file ends without its end-of-log line: it was cut short (an export ends with "
                '{"end_of_log": true, ...})',
                number + 1,
            )
        if (end.events, end.head_hash) != (chain.events, chain.head):
            raise TransferError(
                f"the end-of-log line promises {end.events} events ending in {end.head_hash}, but the file "
                f"holds {chain.events} ending in {chain.head}",
                number,
            )
        unrecorded = chain.unrecorded_redaction()
        if unrecorded is not None:
            raise TransferError(
                "the payload was replaced by a redaction marker that no redaction event records (it was "
                "changed)",
                unrecorded,
            )
        await store.backend.insert_rows(conn, events_table, batch)
        await store.backend.continue_positions(conn, chain.position)
    if on_progress is not None:
        on_progress(chain.events)
    return TransferReport(events=chain.events, head_hash=chain.head)
