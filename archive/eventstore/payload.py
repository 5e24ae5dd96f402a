"""What the log can store: JSON's own types, and text every backend can hold.

A payload is checked before any database is touched, so a refused append appends nothing, the same way
on every backend, and a log written on one backend can always be moved to the other.
"""

from __future__ import annotations

import enum
from typing import Any

from archive.eventstore.errors import UnserialisableDataError

#: The exact types the quick walk of `check_json` accepts without a second look (strings are looked into).
_JSON_LEAVES = frozenset({int, bool, type(None)})
#: The longest event type the `events` table holds.
MAX_EVENT_TYPE_LENGTH = 100


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored on every backend, or None when it can.

    PostgreSQL refuses the NUL character in text and JSON, and no driver can encode a lone surrogate
    as UTF-8; SQLite would store the first, so a log written there could not be moved to PostgreSQL.
    """
    if "\x00" in text:
        return "holds a NUL character (\\u0000), which PostgreSQL cannot store"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            return f"holds a lone surrogate at character {error.start}, which is not valid Unicode text"
    return None


def _storable_text(text: str) -> bool:
    return "\x00" not in text and (text.isascii() or text_problem(text) is None)


def check_json(value: Any, path: str = "data") -> None:
    """Refuse anything but JSON's own types, and text no backend can store (NUL, a lone surrogate).

    Floats are refused too: their text form differs by database. A quick walk over the exact built-in
    types comes first; only a value it is unsure of (a float, a subclass, another type, a key that is
    not a string, a string with a NUL or outside ASCII) is walked again, with paths, to name the problem.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind in _JSON_LEAVES:
            continue
        if kind is str and _storable_text(item):
            continue
        if kind is dict and all(type(key) is str and _storable_text(key) for key in item):
            pending.extend(item.values())
        elif kind is list or kind is tuple:
            pending.extend(item)
        else:
            _check_json_at(value, path)
            return


def _check_json_at(value: Any, path: str) -> None:
    # An enumeration of strings or integers is stored as its value; other subclasses are not.
    if type(value) is str or (isinstance(value, enum.Enum) and isinstance(value, str)):
        problem = text_problem(value)
        if problem is not None:
            raise UnserialisableDataError(f"{path} {problem}")
        return
    if type(value) in _JSON_LEAVES or (isinstance(value, enum.Enum) and isinstance(value, int)):
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_json_at(item, f"{path}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise UnserialisableDataError(f"{path} has a key {key!r} that is not a string")
            problem = text_problem(key)
            if problem is not None:
                raise UnserialisableDataError(f"{path} has a key {key!r} that {problem}")
            _check_json_at(item, f"{path}.{key}")
        return
    kind = "a float" if isinstance(value, float) else f"a {type(value).__name__}"
    raise UnserialisableDataError(
        f"{path} is {kind}, which the log cannot store: "
        "use strings, integers, booleans, null, lists and objects"
    )
