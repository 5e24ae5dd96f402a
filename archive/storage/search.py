"""Full-text search over the read models, kept by the database itself (docs/decisions/0007).

Each dialect keeps a search document per entity and per fact version, in tables of its own
(`search_entity_documents`, `search_fact_documents`) that triggers on the read-model tables fill, so
every path that writes a read model (a command's inline projection, a batch, a COPY, a replay) keeps
them current without the projection code knowing. A fact's document holds the names (label and
aliases) of its subject and object, its literal value, its note and the quotes of its citations, as
that version has them; an entity's, its label and aliases. SQLite indexes them with FTS5 and ranks by
bm25 (`storage/sqlite/search.py`); PostgreSQL with a `tsvector` and `ts_rank`, plus `pg_trgm` for
words typed with a slip (`storage/postgres/search.py`).

No trigger body names a read-model table (only the row it fires for), so a migration that rebuilds
one of those tables (Alembic's batch mode on SQLite: copy, drop, rename) loses only the triggers on it,
never fails on them; `repair` then puts them back and refills the documents after every migration run.

What a user types becomes `Phrase`s here, once for both dialects: words are runs of letters and digits,
so no character of the user's text ever reaches a query language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Protocol

import msgspec
from sqlalchemy import Connection, TextClause, inspect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.selectable import NamedFromClause

#: Every table, index, trigger and function of the search index starts with this: Alembic's model
#: comparison leaves them out (migrations/env.py), as they are the database's, not a read model's.
SEARCH_PREFIX = "search_"

#: What a fact document holds, as the fields of a fact's answer (`FactView`) name them.
FACT_FIELDS = ("subject", "object", "value", "qualifiers.note", "citations.quote")
#: What an entity document holds, as an entity's answer names them.
ENTITY_FIELDS = ("label", "aliases")

_WORD = re.compile(r"[^\W_]+")
_QUOTED = re.compile(r'"([^"]*)"?')


class Phrase(msgspec.Struct, frozen=True):
    """Words that must stand together, in order; the last may be the start of a longer word."""

    words: tuple[str, ...]
    #: A bare word, or the last word of a hyphenated one, also matches longer words it starts
    #: (`charter` finds `chartered`); a phrase in double quotes matches as written.
    prefix: bool


def search_phrases(text: str) -> tuple[Phrase, ...]:
    """The phrases of a search: each run of text in double quotes is one phrase, each other
    whitespace-separated term another (`pan-European` is the phrase `pan european`). Punctuation only
    separates words; a term with no letter or digit is dropped, so every phrase has a word."""
    normal = unicodedata.normalize("NFC", text)
    phrases: list[Phrase] = []
    at = 0
    for quoted in _QUOTED.finditer(normal):
        phrases += _bare(normal[at : quoted.start()])
        words = tuple(_WORD.findall(quoted.group(1)))
        if words:
            phrases.append(Phrase(words, prefix=False))
        at = quoted.end()
    phrases += _bare(normal[at:])
    return tuple(phrases)


def _bare(text: str) -> list[Phrase]:
    return [Phrase(words, prefix=True) for term in text.split() if (words := tuple(_WORD.findall(term)))]


class TextSearch(Protocol):
    """A dialect's search: what matches, how well, and in which fields."""

    def facts(self, phrases: Sequence[Phrase]) -> NamedFromClause:
        """The fact versions whose document holds every phrase: `fact_id`, `version`, `score` (the higher,
        the better; comparable only within one search)."""

    def entities(self, phrases: Sequence[Phrase]) -> NamedFromClause:
        """The entities whose label or aliases hold every phrase: `entity_id`, `score`."""

    def fact_fields(self, phrases: Sequence[Phrase]) -> TextClause:
        """A statement of `fact_id`, `version` and, for each of `FACT_FIELDS`, whether some phrase matched
        in it, for the versions of the facts whose ids it binds as `ids` (a list)."""

    def entity_fields(self, phrases: Sequence[Phrase]) -> TextClause:
        """A statement of `entity_id` and, for each of `ENTITY_FIELDS`, whether some phrase matched in
        it, for the entities whose ids it binds as `ids` (a list)."""


class IndexSchema(Protocol):
    """A dialect's search tables and triggers, as the statements that make, fill and remove them.

    The migration that brought the search (0006), `repair` and each backend's rebuild run these same
    statements, so the index a rebuild leaves is the one a migration makes."""

    #: The tables (and what they need) and their indexes.
    create_tables: tuple[str, ...]
    #: The triggers (and their functions) that keep the documents current.
    create_triggers: tuple[str, ...]
    drop_triggers: tuple[str, ...]
    #: Every document made again from the read models (run without the triggers: in bulk).
    refill: tuple[str, ...]
    #: Everything `create_tables` made (run after `drop_triggers`).
    drop_tables: tuple[str, ...]
    #: The names of the triggers `create_triggers` makes.
    triggers: tuple[str, ...]
    #: The names of the triggers that exist, from the catalogue (no parameters).
    existing_triggers: str


def index_schema(dialect: str) -> IndexSchema:
    """The search index's statements for a dialect's name."""
    if dialect == "sqlite":
        from archive.storage.sqlite.search import SCHEMA as SQLITE_SCHEMA

        return SQLITE_SCHEMA
    from archive.storage.postgres.search import SCHEMA as POSTGRES_SCHEMA

    return POSTGRES_SCHEMA


def reindex_statements(schema: IndexSchema) -> tuple[str, ...]:
    """Triggers off, every document made again, triggers on: what a rebuild and a repair run."""
    return (*schema.drop_triggers, *schema.refill, *schema.create_triggers)


def repair(connection: Connection) -> bool:
    """Put back the search triggers a migration lost, and refill the documents; whether it had to.

    Nothing to do before the search's migration has run (no search tables) or when every trigger is
    there. A missing trigger means writes may have gone unindexed, so every document is made again.
    """
    schema = index_schema(connection.dialect.name)
    if not inspect(connection).has_table("search_fact_documents"):
        return False
    present = {str(name) for (name,) in connection.exec_driver_sql(schema.existing_triggers)}
    if present >= set(schema.triggers):
        return False
    for statement in reindex_statements(schema):
        connection.exec_driver_sql(statement)
    return True


async def reindex(conn: AsyncConnection) -> None:
    """Make every search document again from the read models `conn` sees (inside its transaction)."""
    await refill_documents(conn)
    await keep_current(conn)


async def refill_documents(conn: AsyncConnection) -> None:
    """The first half of `reindex`: triggers off, every document made again; `keep_current` ends it."""
    schema = index_schema(conn.dialect.name)
    for statement in (*schema.drop_triggers, *schema.refill):
        await conn.exec_driver_sql(statement)


async def keep_current(conn: AsyncConnection) -> None:
    """The triggers on again, on the read-model tables `conn` sees: the second half of `reindex`."""
    for statement in index_schema(conn.dialect.name).create_triggers:
        await conn.exec_driver_sql(statement)


async def drop_triggers(conn: AsyncConnection) -> None:
    """Stop keeping the documents current (a rebuild then calls `reindex` once its rows are in)."""
    for statement in index_schema(conn.dialect.name).drop_triggers:
        await conn.exec_driver_sql(statement)
