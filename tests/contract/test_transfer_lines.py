"""The import's line checks, one fault at a time, on a small log of two streams with one redacted event:
each refusal names its line and says what is wrong, and the target database stays empty. Fast enough
for `make mutation` (archive/eventstore/transfer.py), on every backend.
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.eventstore import EventStore, EventTypeRegistry, NewEvent
from archive.eventstore.payload import MAX_EVENT_TYPE_LENGTH
from archive.eventstore.redaction import REDACTION_EVENT_TYPE, redaction_marker
from archive.eventstore.transfer import (
    MAX_STREAM_ID_LENGTH,
    TransferError,
    export_log,
    import_log,
    promised_events,
)
from archive.storage.engine import create_engine
from tests.conftest import _fresh_database
from tests.integration.test_export_import import joined, lines_of, relinked

#: A change made to an export's decoded lines (its value, if any, unused).
Change = Callable[[list[dict[str, Any]]], object]

LONGEST_TYPE = "t" * MAX_EVENT_TYPE_LENGTH
REGISTRY = EventTypeRegistry({"thing.happened": 1, REDACTION_EVENT_TYPE: 1, LONGEST_TYPE: 1})
#: The small log's lines: a:1, a:2 (redacted at once), b:1, a:3, then the redaction event, the end line.
REDACTED_LINE = 2


@pytest.fixture
async def source(engine: AsyncEngine) -> EventStore:
    store = EventStore(engine, REGISTRY)
    await store.append("a", 0, [NewEvent("thing.happened", {"n": 1})])
    await store.append("a", 1, [NewEvent("thing.happened", {"n": 2, "secret": "x"})])
    await store.append("b", 0, [NewEvent("thing.happened", {"n": 3})], metadata={"by": "test"})
    await store.append("a", 2, [NewEvent("thing.happened", {"n": 4})])
    async with store.transaction() as conn:
        digest = await store.redact_in(conn, REDACTED_LINE)
        await store.append_in(
            conn,
            "log",
            0,
            [NewEvent(REDACTION_EVENT_TYPE, {"position": REDACTED_LINE, "content_sha256": digest})],
        )
    return store


@pytest.fixture
def target_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A second empty database of the same backend to import into."""
    folder = tmp_path / "target"
    folder.mkdir()
    yield from _fresh_database(backend, folder, request, seeded=False)


@pytest.fixture
async def target(target_url: str) -> AsyncIterator[EventStore]:
    engine = create_engine(target_url)
    yield EventStore(engine, REGISTRY)
    await engine.dispose()


async def exported(store: EventStore, page_size: int = 2) -> bytes:
    out = io.BytesIO()
    await export_log(store, out, page_size=page_size)
    return out.getvalue()


async def refusal(target: EventStore, export: bytes) -> TransferError:
    with pytest.raises(TransferError) as caught:
        await import_log(target, io.BytesIO(export).readlines(), batch_size=2)
    assert await target.count() == 0, "a refused import wrote events"
    return caught.value


async def test_the_small_log_moves_whole_a_page_and_a_batch_at_a_time(
    source: EventStore, target: EventStore
) -> None:
    progress: list[int] = []
    out = io.BytesIO()
    report = await export_log(source, out, page_size=2, on_progress=progress.append)
    assert progress == [2, 4, 5]
    assert (report.events, report.head_hash) == (5, (await source.verify()).head_hash)
    lines = lines_of(out.getvalue())
    assert [line.get("position") for line in lines] == [1, 2, 3, 4, 5, None]
    assert lines[REDACTED_LINE - 1]["data"] == redaction_marker({"n": 2, "secret": "x"})
    assert lines[-1] == {"end_of_log": True, "events": 5, "head_hash": report.head_hash}
    loaded: list[int] = []
    imported = await import_log(target, io.BytesIO(out.getvalue()).readlines(), 2, loaded.append)
    assert (imported.events, imported.head_hash) == (5, report.head_hash)
    assert loaded == [2, 4, 5]
    assert (await target.verify()).ok
    assert await exported(target, page_size=3) == out.getvalue()
    # The next append follows the imported positions.
    appended = await target.append("b", 1, [NewEvent("thing.happened", {"n": 5})])
    assert (appended[0].position, appended[0].prev_hash) == (6, report.head_hash)


async def test_positions_may_skip_numbers(source: EventStore, target: EventStore) -> None:
    lines = lines_of(await exported(source))
    for line in lines[:-1]:
        line["position"] *= 10
    lines[-2]["data"]["position"] = REDACTED_LINE * 10
    relinked(lines, len(lines) - 2)
    report = await import_log(target, io.BytesIO(joined(lines)).readlines())
    assert report.events == 5
    assert [e.position for e in await target.read_all(0, 10, upcast=False)] == [10, 20, 30, 40, 50]
    assert (await target.append("c", 0, [NewEvent("thing.happened", {})]))[0].position == 51


async def test_an_empty_log_moves_as_its_end_line_alone(engine: AsyncEngine, target: EventStore) -> None:
    export = await exported(EventStore(engine, REGISTRY))
    assert lines_of(export) == [{"end_of_log": True, "events": 0, "head_hash": "0" * 64}]
    report = await import_log(target, [export])
    assert (report.events, report.head_hash) == (0, "0" * 64)


def _set(index: int, field: str, value: Any) -> Change:
    def change(lines: list[dict[str, Any]]) -> None:
        lines[index][field] = value

    return change


def _relinked_after(change: Change, index: int) -> Change:
    def both(lines: list[dict[str, Any]]) -> None:
        change(lines)
        relinked(lines, index)

    return both


def _data(index: int, data: dict[str, Any]) -> Change:
    return _set(index, "data", data)


LONG_TYPE = "t" * (MAX_EVENT_TYPE_LENGTH + 1)
#: Long enough for the message to cut it short.
VERY_LONG_TYPE = "t" * 200

# (what is changed, the line named, the exact message after "line N: "; {hashes} filled from the log).
FAULTS: dict[str, tuple[Change, int, str]] = {
    "payload changed": (
        _data(0, {"n": 9}),
        1,
        "the event does not match its hash (recomputed {other}): it was changed",
    ),
    "prev_hash changed": (
        _set(2, "prev_hash", "f" * 64),
        3,
        "prev_hash does not link to the hash of the event before it ({hash2}): an event is missing or was "
        "changed",
    ),
    "an event left out": (
        lambda lines: lines.pop(2),
        3,
        "prev_hash does not link to the hash of the event before it ({hash2}): an event is missing or was "
        "changed",
    ),
    "a position repeated": (
        _set(1, "position", 1),
        2,
        "position 1 does not follow position 1: positions increase",
    ),
    "a position going back": (
        _set(2, "position", 1),
        3,
        "position 1 does not follow position 2: positions increase",
    ),
    "a stream version skipped": (
        _relinked_after(_set(3, "stream_version", 4), 3),
        4,
        "stream 'a' goes from version 2 to 4: a stream's versions run 1, 2, 3 ... without a gap",
    ),
    "a stream version repeated": (
        _relinked_after(_set(2, "stream_id", "a"), 2),
        3,
        "stream 'a' goes from version 2 to 1: a stream's versions run 1, 2, 3 ... without a gap",
    ),
    "a new stream not starting at 1": (
        _relinked_after(_set(2, "stream_version", 2), 2),
        3,
        "stream 'b' goes from version 0 to 2: a stream's versions run 1, 2, 3 ... without a gap",
    ),
    "recorded_at with an offset": (
        lambda lines: lines[0].update(recorded_at=lines[0]["recorded_at"].replace("Z", "+00:00")),
        1,
        "recorded_at {offset_time!r} is not a UTC time as the log hashes it (2026-01-31T12:00:00.000000Z)",
    ),
    "recorded_at not a time": (
        _set(0, "recorded_at", "yesterday"),
        1,
        "recorded_at 'yesterday' is not a UTC time as the log hashes it (2026-01-31T12:00:00.000000Z)",
    ),
    "recorded_at without microseconds' zeros": (
        lambda lines: lines[0].update(recorded_at=lines[0]["recorded_at"][:-8] + ".5Z"),
        1,
        "recorded_at {short_time!r} is not a UTC time as the log hashes it (2026-01-31T12:00:00.000000Z)",
    ),
    "an empty stream id": (
        _set(0, "stream_id", ""),
        1,
        f"stream_id must be 1 to {MAX_STREAM_ID_LENGTH} characters",
    ),
    "a stream id too long": (
        _set(0, "stream_id", "s" * (MAX_STREAM_ID_LENGTH + 1)),
        1,
        f"stream_id must be 1 to {MAX_STREAM_ID_LENGTH} characters",
    ),
    "a stream id with NUL": (
        _set(0, "stream_id", "a\x00"),
        1,
        "stream_id 'a\\x00' holds a NUL character (\\u0000), which PostgreSQL cannot store",
    ),
    "an event type too long": (
        _set(0, "event_type", LONG_TYPE),
        1,
        f"event type {LONG_TYPE[:120]!r} is not storable: an event type is at most {MAX_EVENT_TYPE_LENGTH} "
        "characters of valid text without NUL",
    ),
    "an event type too long to show": (
        _set(0, "event_type", VERY_LONG_TYPE),
        1,
        f"event type {'t' * 120!r} is not storable: an event type is at most {MAX_EVENT_TYPE_LENGTH} "
        "characters of valid text without NUL",
    ),
    "recorded_at too long to show": (
        _set(0, "recorded_at", "2026-01-31T12:00:00.000000Z" + "9" * 40),
        1,
        f"recorded_at {'2026-01-31T12:00:00.000000Z' + '9' * 13!r} is not a UTC time as the log hashes it "
        "(2026-01-31T12:00:00.000000Z)",
    ),
    "a redaction's payload under another event type": (
        _relinked_after(_set(4, "event_type", "thing.happened"), 4),
        2,
        "the payload was replaced by a redaction marker that no redaction event records (it was changed)",
    ),
    "an event type with NUL": (
        _set(0, "event_type", "thing\x00"),
        1,
        "event type 'thing\\x00' is not storable: an event type is at most "
        f"{MAX_EVENT_TYPE_LENGTH} characters of valid text without NUL",
    ),
    "schema version 0": (
        _set(0, "schema_version", 0),
        1,
        "thing.happened has no schema version 0 (current 1)",
    ),
    "schema version ahead": (
        _set(0, "schema_version", 2),
        1,
        "thing.happened has no schema version 2 (current 1)",
    ),
    "data with NUL": (
        _data(0, {"n": "\x00"}),
        1,
        "thing.happened.data.n holds a NUL character (\\u0000), which PostgreSQL cannot store",
    ),
    "metadata with NUL": (
        _set(2, "metadata", {"by": "\x00"}),
        3,
        "metadata.by holds a NUL character (\\u0000), which PostgreSQL cannot store",
    ),
    "a marker no redaction event records": (
        _data(0, redaction_marker({"n": 1})),
        1,
        "the payload was replaced by a redaction marker that no redaction event records (it was changed)",
    ),
    "a redaction event recording another digest": (
        _relinked_after(_data(4, {"position": REDACTED_LINE, "content_sha256": "0" * 64}), 4),
        2,
        "the payload was replaced by a redaction marker that no redaction event records (it was changed)",
    ),
    "a redaction event recording another position": (
        _relinked_after(lambda lines: lines[4]["data"].update(position=1), 4),
        2,
        "the payload was replaced by a redaction marker that no redaction event records (it was changed)",
    ),
    "a redaction event with no position": (
        _relinked_after(lambda lines: lines[4]["data"].update(position=str(REDACTED_LINE)), 4),
        2,
        "the payload was replaced by a redaction marker that no redaction event records (it was changed)",
    ),
    "an end line promising more": (
        _set(5, "events", 6),
        6,
        "the end-of-log line promises 6 events ending in {head}, but the file holds 5 ending in {head}",
    ),
    "an end line naming another head": (
        _set(5, "head_hash", "e" * 64),
        6,
        "the end-of-log line promises 5 events ending in {e}, but the file holds 5 ending in {head}",
    ),
    "no end line": (
        lambda lines: lines.pop(),
        6,
        "the file ends without its end-of-log line: it was cut short "
        '(an export ends with {{"end_of_log": true, ...}})',
    ),
    "a line after the end line": (
        lambda lines: lines.append(lines[0]),
        7,
        "a line after the end-of-log line",
    ),
}


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_faulty_line_refuses_the_whole_file_naming_it(
    source: EventStore, target: EventStore, fault: str
) -> None:
    change, line, message = FAULTS[fault]
    lines = lines_of(await exported(source))
    hashes = [line.get("hash") for line in lines]
    time = lines[0]["recorded_at"]
    change(lines)
    error = await refusal(target, joined(lines))
    other = re.search(r"recomputed ([0-9a-f]{64})", error.detail)
    expected = message.format(
        hash2=hashes[1],
        head=hashes[4],
        e="e" * 64,
        other=other.group(1) if other else "",
        offset_time=time.replace("Z", "+00:00"),
        short_time=time[:-8] + ".5Z",
    )
    assert (error.line, error.detail) == (line, expected)
    assert str(error) == f"line {line}: {expected}"
    if fault == "payload changed":
        assert other
        assert other.group(1) != hashes[0]


RAW_FAULTS: dict[str, tuple[bytes, str]] = {
    "not JSON": (
        b'{"position": 1, "stream',
        "not valid JSON (is the file cut short?): JSON is malformed: invalid character (byte 23)",
    ),
    "an unknown field": (
        b'{"position": 1, "colour": "red"}',
        "not an exported event: Object contains unknown field `colour`",
    ),
    # An end line cut short is refused as the end line it is, naming the key it lacks.
    "a field missing": (
        b'{"end_of_log": true, "events": 0}',
        "the end-of-log line is not whole: Object missing required field `head_hash`",
    ),
    "not an object": (b"[1, 2]", "not an exported event: Expected `object`, got `array`"),
    "a lone surrogate, then a field missing": (
        b'{"stream_id": "\\ud800"}',
        "not an exported event: Object missing required field `position`",
    ),
}


@pytest.mark.parametrize("fault", RAW_FAULTS)
async def test_a_line_that_is_no_event_is_refused_for_what_it_is(
    source: EventStore, target: EventStore, fault: str
) -> None:
    raw, start = RAW_FAULTS[fault]
    export = await exported(source)
    error = await refusal(target, export.splitlines(keepends=True)[0] + raw + b"\n" + export)
    assert error.line == 2
    assert error.detail.startswith(start), error.detail


async def test_a_lone_surrogate_in_a_stream_id_is_refused_in_the_stores_words(
    source: EventStore, target: EventStore
) -> None:
    first = (await exported(source)).splitlines()[0]
    # msgspec reads the escape as a cut-short text; the line is read by the standard library instead.
    error = await refusal(target, first.replace(b'"stream_id":"a"', b'"stream_id":"a\\udc00"') + b"\n")
    assert (error.line, error.detail) == (
        1,
        "stream_id 'a\\udc00' holds a lone surrogate at character 1, which is not valid Unicode text",
    )


async def test_bytes_that_are_not_utf8_are_no_json(target: EventStore) -> None:
    error = await refusal(target, b'\xff{"position": 1}\n')
    assert (error.line, error.detail.startswith("not valid JSON (is the file cut short?): ")) == (1, True)


async def test_a_database_holding_events_takes_no_import(source: EventStore) -> None:
    export = await exported(source)
    with pytest.raises(TransferError) as caught:
        await import_log(source, io.BytesIO(export).readlines())
    assert caught.value.line is None
    assert str(caught.value) == (
        "the database already holds 5 events: an import loads a log only into an empty database (make a new "
        "one and run `archive db upgrade` on it)"
    )
    assert await source.count() == 5


async def test_promised_events_reads_the_end_line_alone(source: EventStore, tmp_path: Path) -> None:
    export = await exported(source)
    whole = tmp_path / "log.jsonl"
    # Longer than the 512 bytes read from the end: the end line is found after a seek.
    whole.write_bytes(export * 3)
    assert len(export) * 2 > 512
    assert promised_events(whole) == 5
    short = tmp_path / "short.jsonl"
    short.write_bytes(b"\n".join(export.splitlines()[:-1]) + b"\n")
    assert promised_events(short) is None
    tiny = tmp_path / "tiny.jsonl"
    tiny.write_bytes(b'{"end_of_log": true, "events": 7, "head_hash": "x"}')
    assert promised_events(tiny) == 7
    assert promised_events(tmp_path / "absent.jsonl") is None
    tmp_path.joinpath("bad.jsonl").write_bytes(b"\xff\xfe")
    assert promised_events(tmp_path / "bad.jsonl") is None


async def test_a_stream_id_and_an_event_type_of_the_longest_length_move(
    source: EventStore, target: EventStore
) -> None:
    lines = lines_of(await exported(source))
    lines[2]["stream_id"] = "s" * MAX_STREAM_ID_LENGTH
    lines[3]["event_type"] = LONGEST_TYPE
    relinked(lines, 2)
    report = await import_log(target, io.BytesIO(joined(lines)).readlines())
    assert report.events == 5
    assert (await target.read_stream("s" * MAX_STREAM_ID_LENGTH))[0].event_type == "thing.happened"


async def test_an_empty_file_is_cut_short_at_its_first_line(target: EventStore) -> None:
    error = await refusal(target, b"")
    assert (error.line, error.detail) == (
        1,
        'the file ends without its end-of-log line: it was cut short (an export ends with {"end_of_log": '
        "true, ...})",
    )


async def test_an_export_keeps_each_payload_at_its_stored_schema_version(engine: AsyncEngine) -> None:
    registry = EventTypeRegistry({"thing.happened": 2}, {("thing.happened", 1): lambda d: {**d, "v2": True}})
    store = EventStore(engine, registry)
    await store.append("a", 0, [NewEvent("thing.happened", {"n": 1}, schema_version=1)])
    (line, _) = lines_of(await exported(store))
    assert (line["schema_version"], line["data"]) == (1, {"n": 1})


def test_promised_events_finds_the_end_line_after_many_short_ones(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"{}\n" * 300 + b'{"end_of_log": true, "events": 300, "head_hash": "x"}\n')
    assert promised_events(path) == 300
