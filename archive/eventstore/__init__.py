"""The event store: an append-only, hash-chained log of events on SQLAlchemy Core."""

from archive.eventstore.errors import (
    ConcurrencyError,
    EmptyBatchError,
    EventStoreError,
    InvalidAppendError,
    LockTimeoutError,
    UnknownEventTypeError,
    UnserialisableDataError,
)
from archive.eventstore.hashing import GENESIS_HASH, chain_hash
from archive.eventstore.records import Logged, NewEvent, RecordedEvent, ReplayedEvent
from archive.eventstore.store import EventStore, StreamWrite, VerifyReport
from archive.eventstore.table import events_table
from archive.eventstore.upcasting import EventTypeRegistry

__all__ = [
    "GENESIS_HASH",
    "ConcurrencyError",
    "EmptyBatchError",
    "EventStore",
    "EventStoreError",
    "EventTypeRegistry",
    "InvalidAppendError",
    "LockTimeoutError",
    "Logged",
    "NewEvent",
    "RecordedEvent",
    "ReplayedEvent",
    "StreamWrite",
    "UnknownEventTypeError",
    "UnserialisableDataError",
    "VerifyReport",
    "chain_hash",
    "events_table",
]
