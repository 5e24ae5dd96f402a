"""The read side's errors: what was asked for is not there, or is no longer shown."""

from __future__ import annotations


class NotFound(LookupError):
    """The thing asked for does not exist (or did not yet exist at `as_of`)."""


class Redacted(NotFound):
    """The thing asked for was withdrawn from the reads because a payload it was folded from was redacted
    (archive/projections/redaction.py); the log keeps its place, its hash and the redaction's reason.

    ``redaction_positions`` are the log positions of the redaction events that withdrew it, so that a
    page can lead to them.
    """

    def __init__(self, message: str, redaction_positions: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.redaction_positions = redaction_positions
