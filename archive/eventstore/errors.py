"""What can go wrong when appending to or reading from the event store."""

from __future__ import annotations


class EventStoreError(Exception):
    """Base class of the event store's errors."""


class ConcurrencyError(EventStoreError):
    """The stream was not at the expected version: another writer got there first."""

    def __init__(self, stream_id: str, expected_version: int, current_version: int | None = None) -> None:
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.current_version = current_version
        super().__init__(stream_id, expected_version)

    def __str__(self) -> str:
        current = "a newer version" if self.current_version is None else f"version {self.current_version}"
        return (
            f"stream {self.stream_id!r} is at {current}, not at the expected version {self.expected_version}"
        )


class UnknownEventTypeError(EventStoreError):
    """An event type that is not registered: the store refuses to append or read it."""

    def __init__(self, event_type: str) -> None:
        self.event_type = event_type
        super().__init__(f"unknown event type {event_type!r}: it is not in the event type registry")


class InvalidAppendError(EventStoreError, ValueError):
    """An append the store refuses before touching the database: a stream id or event type no backend can
    hold (empty, too long, a NUL character, a lone surrogate), a negative expected version, a schema version
    the event type does not have, a stream named twice in one batch. Nothing is appended. A `ValueError`
    too, as a bad argument is."""


class UnserialisableDataError(EventStoreError):
    """Event data or metadata that cannot be stored as JSON."""


class LockTimeoutError(EventStoreError):
    """Another connection held the write lock for longer than the lock timeout: nothing was appended.

    Worth retrying later; the API answers it with 503 and Retry-After.
    """


class EmptyBatchError(EventStoreError):
    """An append with no events: nothing to record, so it is refused rather than silently ignored."""
