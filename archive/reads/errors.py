"""The read side's one error."""

from __future__ import annotations


class NotFound(LookupError):
    """The thing asked for does not exist (or did not yet exist at `as_of`)."""
