"""Full-text search on SQLite: FTS5 tables over the search documents, ranked by bm25.

Each FTS5 table is external-content: it indexes the rows of a documents table, keyed by that table's
INTEGER PRIMARY KEY, which (unlike the implicit rowid of `entities` or `fact_versions`) neither VACUUM
nor a table rebuilt by a migration renumbers. The tokenizer folds case and diacritics and stems English
(porter), so `members` finds `member` and `membership`, and `Zurich` finds `Zürich`.

Triggers keep it all current (archive/storage/search.py says why no trigger names a read-model table):
a read-model row makes, changes or removes its document; an entity's document, when it changes, passes
its names on to the documents of the facts that name the entity; each document keeps its FTS5 entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Float, TextClause, bindparam, column, literal_column, select, table, text
from sqlalchemy.sql.selectable import NamedFromClause

from archive.storage.search import ENTITY_FIELDS, FACT_FIELDS, Phrase

TOKENIZER = "porter unicode61 remove_diacritics 2"

#: bm25's weight for each column of `search_facts`, in `FACT_FIELDS` order: a name of the subject or
#: object counts most, then the literal value, the quotes, and the archivist's note least.
FACT_WEIGHTS = (4.0, 4.0, 3.0, 1.0, 2.0)
ENTITY_WEIGHTS = (2.0, 1.0)

_FACT_COLUMNS = ("subject_names", "object_names", "value", "note", "quotes")
_ENTITY_COLUMNS = ("label", "aliases")


def _aliases_text(aliases: str) -> str:
    """An entity's aliases (a JSON array) as lines of text."""
    return f"(SELECT coalesce(group_concat(value, char(10)), '') FROM json_each({aliases}))"


def _names_of(entity_id: str) -> str:
    """The names an entity's document gives the facts that name it ('' for none)."""
    return (
        "coalesce((SELECT label || char(10) || aliases FROM search_entity_documents "
        f"WHERE entity_id = {entity_id}), '')"
    )


def _fact_document(row: str) -> str:
    """The columns of a fact version's document, from the `fact_versions` row `row`."""
    quotes = (
        "(SELECT coalesce(group_concat(json_extract(c.value, '$.quote'), char(10)), '') "
        f"FROM json_each({row}.state, '$.citations') AS c)"
    )
    return ", ".join(
        (
            f"{row}.fact_id",
            f"{row}.version",
            f"{row}.subject",
            f"{row}.object",
            _names_of(f"{row}.subject"),
            _names_of(f"{row}.object"),
            f"coalesce({row}.value, '')",
            f"coalesce(json_extract({row}.state, '$.qualifiers.note'), '')",
            quotes,
        )
    )


_FACT_DOCUMENT_COLUMNS = "fact_id, version, subject, object, " + ", ".join(_FACT_COLUMNS)


def _fts_entry(fts: str, columns: Sequence[str], row: str, delete: bool) -> str:
    """The statement that adds `row`'s entry to an external-content FTS5 table, or removes it (FTS5 must
    be told the values it indexed)."""
    names = ", ".join(columns)
    values = ", ".join(f"{row}.{c}" for c in columns)
    if delete:
        return f"INSERT INTO {fts} ({fts}, rowid, {names}) VALUES ('delete', {row}.search_id, {values});"
    return f"INSERT INTO {fts} (rowid, {names}) VALUES ({row}.search_id, {values});"


def _pass_names_on(row: str, names: str) -> str:
    return (
        f"UPDATE search_fact_documents SET subject_names = {names} WHERE subject = {row}.entity_id; "
        f"UPDATE search_fact_documents SET object_names = {names} WHERE object = {row}.entity_id;"
    )


_NEW_NAMES = "new.label || char(10) || new.aliases"
_NO_NAMES = "''"
_INSERT_FACT_DOCUMENT = (
    f"INSERT INTO search_fact_documents ({_FACT_DOCUMENT_COLUMNS}) SELECT {_fact_document('new')};"
)
_DELETE_FACT_DOCUMENT = (
    "DELETE FROM search_fact_documents WHERE fact_id = old.fact_id AND version = old.version;"
)

#: Trigger name → its body after `CREATE TRIGGER name`.
_TRIGGERS = {
    "search_entities_insert": (
        "AFTER INSERT ON entities BEGIN "
        "INSERT INTO search_entity_documents (entity_id, label, aliases) "
        f"VALUES (new.entity_id, new.label, {_aliases_text('new.aliases')}); END"
    ),
    # A merge or a new version number changes neither name: only a revision's new names reindex.
    "search_entities_update": (
        "AFTER UPDATE OF label, aliases ON entities "
        "WHEN old.label IS NOT new.label OR old.aliases IS NOT new.aliases BEGIN "
        f"UPDATE search_entity_documents SET label = new.label, aliases = {_aliases_text('new.aliases')} "
        "WHERE entity_id = new.entity_id; END"
    ),
    "search_entities_delete": (
        "AFTER DELETE ON entities BEGIN "
        "DELETE FROM search_entity_documents WHERE entity_id = old.entity_id; END"
    ),
    "search_fact_versions_insert": f"AFTER INSERT ON fact_versions BEGIN {_INSERT_FACT_DOCUMENT} END",
    # A version's text never changes once written (a newer version only closes it: `recorded_to`), but
    # should a row be rewritten, its document follows.
    "search_fact_versions_update": (
        "AFTER UPDATE OF fact_id, version, subject, object, value, state ON fact_versions BEGIN "
        f"{_DELETE_FACT_DOCUMENT} {_INSERT_FACT_DOCUMENT} END"
    ),
    "search_fact_versions_delete": f"AFTER DELETE ON fact_versions BEGIN {_DELETE_FACT_DOCUMENT} END",
    "search_entity_documents_insert": (
        "AFTER INSERT ON search_entity_documents BEGIN "
        f"{_fts_entry('search_entities', _ENTITY_COLUMNS, 'new', delete=False)} "
        f"{_pass_names_on('new', _NEW_NAMES)} END"
    ),
    "search_entity_documents_update": (
        "AFTER UPDATE ON search_entity_documents BEGIN "
        f"{_fts_entry('search_entities', _ENTITY_COLUMNS, 'old', delete=True)} "
        f"{_fts_entry('search_entities', _ENTITY_COLUMNS, 'new', delete=False)} "
        f"{_pass_names_on('new', _NEW_NAMES)} END"
    ),
    "search_entity_documents_delete": (
        "AFTER DELETE ON search_entity_documents BEGIN "
        f"{_fts_entry('search_entities', _ENTITY_COLUMNS, 'old', delete=True)} "
        f"{_pass_names_on('old', _NO_NAMES)} END"
    ),
    "search_fact_documents_insert": (
        "AFTER INSERT ON search_fact_documents BEGIN "
        f"{_fts_entry('search_facts', _FACT_COLUMNS, 'new', delete=False)} END"
    ),
    "search_fact_documents_update": (
        "AFTER UPDATE ON search_fact_documents BEGIN "
        f"{_fts_entry('search_facts', _FACT_COLUMNS, 'old', delete=True)} "
        f"{_fts_entry('search_facts', _FACT_COLUMNS, 'new', delete=False)} END"
    ),
    "search_fact_documents_delete": (
        "AFTER DELETE ON search_fact_documents BEGIN "
        f"{_fts_entry('search_facts', _FACT_COLUMNS, 'old', delete=True)} END"
    ),
}


class SqliteIndexSchema:
    """The search tables and triggers on SQLite (`archive.storage.search.IndexSchema`)."""

    create_tables: tuple[str, ...] = (
        "CREATE TABLE search_entity_documents ("
        "search_id INTEGER PRIMARY KEY, entity_id VARCHAR(200) NOT NULL, label TEXT NOT NULL, "
        "aliases TEXT NOT NULL, CONSTRAINT uq_search_entity_documents_entity_id UNIQUE (entity_id))",
        "CREATE VIRTUAL TABLE search_entities USING fts5(label, aliases, content='search_entity_documents', "
        f"content_rowid='search_id', tokenize='{TOKENIZER}')",
        "CREATE TABLE search_fact_documents ("
        "search_id INTEGER PRIMARY KEY, fact_id VARCHAR(36) NOT NULL, version INTEGER NOT NULL, "
        "subject VARCHAR(200) NOT NULL, object VARCHAR(200), subject_names TEXT NOT NULL, "
        "object_names TEXT NOT NULL, value TEXT NOT NULL, note TEXT NOT NULL, quotes TEXT NOT NULL, "
        "CONSTRAINT uq_search_fact_documents_fact_id_version UNIQUE (fact_id, version))",
        "CREATE INDEX ix_search_fact_documents_subject ON search_fact_documents (subject)",
        "CREATE INDEX ix_search_fact_documents_object ON search_fact_documents (object)",
        "CREATE VIRTUAL TABLE search_facts USING fts5(subject_names, object_names, value, note, quotes, "
        f"content='search_fact_documents', content_rowid='search_id', tokenize='{TOKENIZER}')",
    )
    create_triggers: tuple[str, ...] = tuple(
        f"CREATE TRIGGER {name} {body}" for name, body in _TRIGGERS.items()
    )
    drop_triggers: tuple[str, ...] = tuple(f"DROP TRIGGER IF EXISTS {name}" for name in _TRIGGERS)
    refill: tuple[str, ...] = (
        "DELETE FROM search_fact_documents",
        "DELETE FROM search_entity_documents",
        "INSERT INTO search_entity_documents (entity_id, label, aliases) "
        f"SELECT entity_id, label, {_aliases_text('entities.aliases')} FROM entities",
        f"INSERT INTO search_fact_documents ({_FACT_DOCUMENT_COLUMNS}) "
        f"SELECT {_fact_document('fact_versions')} FROM fact_versions",
        # The FTS5 tables read their documents again, in one pass each.
        "INSERT INTO search_entities (search_entities) VALUES ('rebuild')",
        "INSERT INTO search_facts (search_facts) VALUES ('rebuild')",
    )
    drop_tables: tuple[str, ...] = (
        "DROP TABLE search_facts",
        "DROP TABLE search_fact_documents",
        "DROP TABLE search_entities",
        "DROP TABLE search_entity_documents",
    )
    triggers: tuple[str, ...] = tuple(_TRIGGERS)
    existing_triggers: str = "SELECT name FROM sqlite_master WHERE type = 'trigger'"


SCHEMA = SqliteIndexSchema()


def match_expression(phrases: Sequence[Phrase]) -> str:
    """An FTS5 query holding every phrase (FTS5 joins them with AND): each a string of letters, digits
    and spaces only, so nothing a user typed is read as FTS5 syntax."""
    return " ".join(f'"{" ".join(p.words)}"' + ("*" if p.prefix else "") for p in phrases)


_fact_documents = table("search_fact_documents", column("search_id"), column("fact_id"), column("version"))
_entity_documents = table("search_entity_documents", column("search_id"), column("entity_id"))


def _ranked(
    fts: str, weights: Sequence[float], documents: Any, keys: Sequence[str], match: str
) -> NamedFromClause:
    index = table(fts, column("rowid"))
    # bm25 is lower for a better match; the score is its negation, so that higher is better everywhere.
    score = -literal_column(f"bm25({fts}, {', '.join(map(str, weights))})", Float)
    return (
        select(*(documents.c[k] for k in keys), score.label("score"))
        .select_from(index.join(documents, documents.c.search_id == index.c.rowid))
        .where(literal_column(fts).op("MATCH")(match))
        # Materialized: flattened into an outer query that groups (the registry's merged entities), bm25
        # would be asked for outside its MATCH ("unable to use function bm25 in the requested context").
        .cte(f"{fts}_matches")
        .prefix_with("MATERIALIZED")
    )


class SqliteTextSearch:
    """FTS5 MATCH, ranked by bm25 (`archive.storage.search.TextSearch`)."""

    def facts(self, phrases: Sequence[Phrase]) -> NamedFromClause:
        """Matching fact versions: fact_id, version, score."""
        return _ranked(
            "search_facts", FACT_WEIGHTS, _fact_documents, ("fact_id", "version"), match_expression(phrases)
        )

    def entities(self, phrases: Sequence[Phrase]) -> NamedFromClause:
        """Matching entities: entity_id, score."""
        return _ranked(
            "search_entities", ENTITY_WEIGHTS, _entity_documents, ("entity_id",), match_expression(phrases)
        )

    def fact_fields(self, phrases: Sequence[Phrase]) -> TextClause:
        """Which fields of the versions of the facts `:ids` a phrase matched in."""
        return _fields_statement(
            "search_facts", "search_fact_documents", ("fact_id", "version"), FACT_FIELDS, phrases
        )

    def entity_fields(self, phrases: Sequence[Phrase]) -> TextClause:
        """Which fields of the entities `:ids` a phrase matched in."""
        return _fields_statement(
            "search_entities", "search_entity_documents", ("entity_id",), ENTITY_FIELDS, phrases
        )


def _fields_statement(
    fts: str, documents: str, keys: Sequence[str], fields: Sequence[str], phrases: Sequence[Phrase]
) -> TextClause:
    # `highlight` marks every match in a column with char(1): a column holds a match when it has one.
    flags = ", ".join(f"instr(highlight({fts}, {i}, char(1), ''), char(1)) > 0" for i in range(len(fields)))
    selected = ", ".join(f"d.{k}" for k in keys)
    return text(
        f"SELECT {selected}, {flags} FROM {fts} JOIN {documents} AS d ON d.search_id = {fts}.rowid "
        f"WHERE {fts} MATCH :match AND d.{keys[0]} IN :ids"
    ).bindparams(bindparam("ids", expanding=True), match=match_expression(phrases))
