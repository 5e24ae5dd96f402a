"""The read side's errors: what was asked for is not there, or is no longer shown."""

from __future__ import annotations


class NotFound(LookupError):
    """The thing asked for does not exist (or did not yet exist at `as_of`)."""


class Redacted(NotFound):
    """The thing asked for was withdrawn from the reads because a payload it was folded from was redacted
    (archive/projections/redaction.py); the log keeps its place, its hash and the redaction's reason."""
