"""Full-text search over the read models (issue 23): search documents, their index, and the triggers
that keep them current (docs/decisions/0007-full-text-search.md).

SQLite: FTS5 tables over documents tables; PostgreSQL: documents tables with a generated `tsvector`
(GIN) and trigram index (GIN, `pg_trgm`, which the database's owner may create: it is trusted). The
statements are the storage modules' own (`archive/storage/{sqlite,postgres}/search.py`), the ones a
rebuild of the read models and `archive.storage.search.repair` run too, so the three cannot drift apart:
a later change to the search index is a new migration that drops and makes it again with them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

from archive.storage.search import index_schema, reindex_statements

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    schema = index_schema(bind.dialect.name)
    # The documents are made from the read models already there (a database seeded before the search).
    for statement in (*schema.create_tables, *reindex_statements(schema)):
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    schema = index_schema(bind.dialect.name)
    for statement in (*schema.drop_triggers, *schema.drop_tables):
        bind.exec_driver_sql(statement)
