"""Every table the archive owns, registered on one metadata (what Alembic compares migrations against)."""

from archive.eventstore.table import events_table
from archive.projections.checkpoints import checkpoints_table
from archive.projections.runner import READ_MODEL_TABLES
from archive.storage.engine import metadata
from archive.tokens import tokens_table

__all__ = ["READ_MODEL_TABLES", "checkpoints_table", "events_table", "metadata", "tokens_table"]
