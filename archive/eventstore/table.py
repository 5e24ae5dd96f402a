"""The `events` table. Nothing updates or deletes its rows; on both databases a trigger refuses it."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

from archive.storage.engine import metadata

JSON_DOCUMENT = JSON().with_variant(JSONB(), "postgresql")

events_table = Table(
    "events",
    metadata,
    Column("position", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("stream_id", String(200), nullable=False),
    Column("stream_version", Integer, nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("schema_version", SmallInteger, nullable=False),
    Column("data", JSON_DOCUMENT, nullable=False),
    Column("metadata", JSON_DOCUMENT, nullable=False, key="event_metadata"),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("stream_id", "stream_version"),
    Index("ix_events_recorded_at", "recorded_at"),
    sqlite_autoincrement=True,
)
