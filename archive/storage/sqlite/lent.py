"""The driver thread's SQLite connection, lent to a synchronous SQLAlchemy engine for one function.

A write of many small statements costs a trip to the driver's thread each (`dbapi`): most of its time
on a busy machine. Run as one function in that thread, over a synchronous `Connection` on the same
`sqlite3` connection, it is one trip. The outer transaction (`immediate_transaction`) begins and ends
it: the lent connection's commit, rollback and close do nothing, so the engine's own transaction and
pool handling cannot end it early.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from archive.storage.engine import json_text

T = TypeVar("T")

_lent = threading.local()
_engine: Engine | None = None


class _Lent:
    """A sqlite3 connection whose transaction and life belong to someone else."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    def commit(self) -> None:
        """The outer transaction commits."""

    def rollback(self) -> None:
        """The outer transaction rolls back (on any error the work raises)."""

    def close(self) -> None:
        """The connection stays the driver's."""


def _borrowed() -> _Lent:
    db = getattr(_lent, "db", None)
    if db is None:
        raise RuntimeError("no SQLite connection is lent to this thread")
    return _Lent(db)


def _lending_engine() -> Engine:
    """One synchronous engine for every lent connection (its dialect compiles as the async one does)."""
    global _engine
    if _engine is None:
        _engine = create_engine(
            "sqlite://",
            creator=_borrowed,
            poolclass=NullPool,
            json_serializer=json_text,
            json_deserializer=msgspec.json.decode,
        )
    return _engine


def on_lent_connection(db: sqlite3.Connection, work: Callable[[Connection], T]) -> T:
    """`work` on a synchronous connection over `db`, in `db`'s own thread (for `run_in_sqlite_thread`)."""
    _lent.db = db
    try:
        with _lending_engine().connect() as conn:
            return work(conn)
    finally:
        _lent.db = None
