"""Identifier rules: slugs for curated ids, and the namespace for derived (uuid5) ids.

Ids are deterministic so that replaying the same seed files yields the same streams.
"""

from __future__ import annotations

import re
import uuid

from archive.domain.errors import InvalidCommand
from archive.domain.streams import MAX_NAMED_ID_LENGTH

SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

# Fixed forever: changing it would give every existing fact a new id.
ARCHIVE_NAMESPACE = uuid.UUID("6f1d3c0e-5b8a-5c52-9a57-2f4f0e3c7b10")


def is_slug(value: str) -> bool:
    """True for lowercase ascii words joined by single hyphens, e.g. ``example-country``."""
    return SLUG_PATTERN.fullmatch(value) is not None


def require_slug(value: str, what: str, field: str | None = None) -> str:
    """Return ``value`` if it is a slug of at most `MAX_NAMED_ID_LENGTH` characters, else raise
    ``InvalidCommand`` naming ``what`` it identifies."""
    if len(value) > MAX_NAMED_ID_LENGTH:
        raise InvalidCommand(
            f"{what} is {len(value)} characters long: at most {MAX_NAMED_ID_LENGTH} are accepted",
            field=field,
        )
    if not is_slug(value):
        raise InvalidCommand(
            f"{what} {value!r} is not a slug: use lowercase letters and digits joined by single hyphens, "
            "e.g. 'example-country'",
            field=field,
        )
    return value


def derived_id(kind: str, natural_key: str) -> str:
    """A uuid5 (as text) of ``kind`` and a canonical natural key, stable across runs and machines."""
    return str(uuid.uuid5(ARCHIVE_NAMESPACE, f"{kind}:{natural_key}"))
