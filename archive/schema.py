"""Every table the archive owns, registered on one metadata (what Alembic compares migrations against)."""

from archive.db import metadata
from archive.eventstore.table import events_table

__all__ = ["events_table", "metadata"]
