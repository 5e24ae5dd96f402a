"""How an import tells the end-of-log line gone wrong from a line that is no event, and from a line that is
no JSON at all: each refusal must send the reader to the right fault. Both databases.

The import decodes a line as an event first, then as the end-of-log line; when both fail, a line that is
a JSON object naming `end_of_log` is the end line missing something, a line that is not JSON at all is
a file cut short (whichever field a typed decoder stopped at first), and anything else is no event.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.eventstore import EventStore
from archive.eventstore.transfer import export_log
from tests.contract.test_transfer_lines import REGISTRY, refusal

CUT_SHORT = "not valid JSON (is the file cut short?): Input data was truncated"

# (the line, the exact refusal after "line 1: ").
LINES: dict[str, tuple[bytes, str]] = {
    "an end line with a value of the wrong type": (
        b'{"end_of_log": 1, "events": 0, "head_hash": "0"}',
        "the end-of-log line is not whole: Expected `bool`, got `int` - at `$.end_of_log`",
    ),
    "an end line with an unknown key": (
        b'{"end_of_log": true, "events": 0, "head_hash": "0", "colour": "red"}',
        "the end-of-log line is not whole: Object contains unknown field `colour`",
    ),
    "an event with an unknown key, naming no end": (
        b'{"position": 1, "end": true}',
        "not an exported event: Object contains unknown field `end`",
    ),
    "a number": (b"5", "not an exported event: Expected `object`, got `int`"),
    "the key's name as text": (b'"end_of_log"', "not an exported event: Expected `object`, got `str`"),
    "a list holding the key's name": (
        b'["end_of_log"]',
        "not an exported event: Expected `object`, got `array`",
    ),
    # Cut short after a field of the wrong type: the typed decoders stop at that field, before the cut.
    "an event cut short after a wrong field": (b'{"position": "1", "stream_id": "a"', CUT_SHORT),
    "an end line cut short": (b'{"end_of_log": true, "events": 0', CUT_SHORT),
}


@pytest.fixture
def empty(engine: AsyncEngine) -> EventStore:
    return EventStore(engine, REGISTRY)


@pytest.mark.parametrize("case", LINES)
async def test_a_line_is_refused_for_the_fault_it_has(empty: EventStore, case: str) -> None:
    line, detail = LINES[case]
    error = await refusal(empty, line + b"\n")
    assert (error.line, error.detail) == (1, detail)


async def test_an_export_cut_short_in_its_end_line_is_refused_as_cut_short(empty: EventStore) -> None:
    out = io.BytesIO()
    await export_log(empty, out)
    whole = out.getvalue()
    assert whole.startswith(b'{"end_of_log":true,')
    for cut in (len(b'{"end_of_log":true,'), len(whole) - 3):
        error = await refusal(empty, whole[:cut])
        assert (error.line, error.detail) == (1, CUT_SHORT)
