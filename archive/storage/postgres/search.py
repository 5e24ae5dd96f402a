"""Full-text search on PostgreSQL: a `tsvector` per search document (GIN) ranked by `ts_rank`, and
`pg_trgm` trigrams (GIN) for words typed with a slip.

Each documents table computes its `document` (the weighted `tsvector`, English stemming) and its
`words` (the text the trigrams index) as stored generated columns, so only the plain text is written.
Weights: names A, a literal value or aliases B, quotes C, the note D (`ts_rank`'s default weights).

A match holds every phrase (`to_tsquery`, each phrase's words in order, a bare word as a prefix); its
score is 1 plus its `ts_rank`. When no document holds them all, and no phrase is quoted (a quoted one
asks for its words as written), the near misses are the answer: documents near the whole text typed
(`<%`: word similarity at least `pg_trgm.word_similarity_threshold`, 0.6 unless set), scored by that
similarity (below 1).

Triggers keep the documents current (archive/storage/search.py says why no trigger names a read-model
table): statement-level ones with transition tables for inserts and deletes, so that a COPY of many rows
indexes them in one statement; row-level ones for the rare update of a name or a version's text.
`pg_trgm` is a trusted extension (PostgreSQL 13 and later): the database's owner may create it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Float,
    Text,
    TextClause,
    bindparam,
    cast,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.sql.selectable import NamedFromClause

from archive.storage.search import Phrase

#: The text search configuration: English stemming and stop words.
CONFIG = "english"

_FACT_COLUMNS = ("subject_names", "object_names", "value", "note", "quotes")
_ENTITY_COLUMNS = ("label", "aliases")


def _weighted(column_name: str, weight: str) -> str:
    return f"setweight(to_tsvector('{CONFIG}'::regconfig, {column_name}), '{weight}')"


def _aliases_text(aliases: str) -> str:
    """An entity's aliases (a JSON array) as lines of text."""
    return f"coalesce((SELECT string_agg(a, E'\\n') FROM json_array_elements_text({aliases}) AS a), '')"


def _fact_document_select(rows: str) -> str:
    """The documents of the `fact_versions` rows `rows` (a table or a transition table), their names from
    the entity documents."""
    quotes = (
        "coalesce((SELECT string_agg(c ->> 'quote', E'\\n') "
        "FROM json_array_elements(n.state -> 'citations') AS c), '')"
    )
    return (
        "SELECT n.fact_id, n.version, n.subject, n.object, "
        "coalesce(s.label || E'\\n' || s.aliases, ''), coalesce(o.label || E'\\n' || o.aliases, ''), "
        f"coalesce(n.value, ''), coalesce(n.state -> 'qualifiers' ->> 'note', ''), {quotes} "
        f"FROM {rows} AS n "
        "LEFT JOIN search_entity_documents AS s ON s.entity_id = n.subject "
        "LEFT JOIN search_entity_documents AS o ON o.entity_id = n.object"
    )


_FACT_DOCUMENT_COLUMNS = "fact_id, version, subject, object, " + ", ".join(_FACT_COLUMNS)

_FUNCTIONS = {
    # Entities inserted or deleted, a statement at a time (transition tables `new_rows`, `old_rows`).
    "search_index_entities": f"""
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO search_entity_documents (entity_id, label, aliases)
        SELECT n.entity_id, n.label, {_aliases_text("n.aliases")} FROM new_rows AS n;
    ELSE
        DELETE FROM search_entity_documents AS d USING old_rows AS o WHERE d.entity_id = o.entity_id;
    END IF;
    RETURN NULL;
END""",
    # One entity's new names (a revision).
    "search_reindex_entity": f"""
BEGIN
    UPDATE search_entity_documents
    SET label = NEW.label, aliases = {_aliases_text("NEW.aliases")}
    WHERE entity_id = NEW.entity_id;
    RETURN NULL;
END""",
    # Fact versions inserted or deleted, a statement at a time.
    "search_index_fact_versions": f"""
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO search_fact_documents ({_FACT_DOCUMENT_COLUMNS}) {_fact_document_select("new_rows")};
    ELSE
        DELETE FROM search_fact_documents AS d USING old_rows AS o
        WHERE d.fact_id = o.fact_id AND d.version = o.version;
    END IF;
    RETURN NULL;
END""",
    # A version's text never changes once written (a newer version only closes it), but should a row be
    # rewritten, its document follows.
    "search_reindex_fact_version": f"""
BEGIN
    DELETE FROM search_fact_documents WHERE fact_id = OLD.fact_id AND version = OLD.version;
    INSERT INTO search_fact_documents ({_FACT_DOCUMENT_COLUMNS})
    {_fact_document_select("(SELECT NEW.*)")};
    RETURN NULL;
END""",
    # An entity document's names, passed on to the documents of the facts that name the entity.
    "search_pass_names_on": """
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE search_fact_documents AS f SET subject_names = ''
        FROM old_rows AS o WHERE f.subject = o.entity_id;
        UPDATE search_fact_documents AS f SET object_names = ''
        FROM old_rows AS o WHERE f.object = o.entity_id;
    ELSE
        UPDATE search_fact_documents AS f SET subject_names = n.label || E'\\n' || n.aliases
        FROM new_rows AS n WHERE f.subject = n.entity_id;
        UPDATE search_fact_documents AS f SET object_names = n.label || E'\\n' || n.aliases
        FROM new_rows AS n WHERE f.object = n.entity_id;
    END IF;
    RETURN NULL;
END""",
}

#: Trigger name → (table, what fires it, its function).
_TRIGGERS = {
    "search_entities_insert": (
        "entities",
        "AFTER INSERT ON entities REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT",
        "search_index_entities",
    ),
    "search_entities_update": (
        "entities",
        "AFTER UPDATE OF label, aliases ON entities FOR EACH ROW "
        "WHEN (OLD.label IS DISTINCT FROM NEW.label OR OLD.aliases::text IS DISTINCT FROM NEW.aliases::text)",
        "search_reindex_entity",
    ),
    "search_entities_delete": (
        "entities",
        "AFTER DELETE ON entities REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT",
        "search_index_entities",
    ),
    "search_fact_versions_insert": (
        "fact_versions",
        "AFTER INSERT ON fact_versions REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT",
        "search_index_fact_versions",
    ),
    "search_fact_versions_update": (
        "fact_versions",
        "AFTER UPDATE OF fact_id, version, subject, object, value, state ON fact_versions FOR EACH ROW",
        "search_reindex_fact_version",
    ),
    "search_fact_versions_delete": (
        "fact_versions",
        "AFTER DELETE ON fact_versions REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT",
        "search_index_fact_versions",
    ),
    "search_entity_documents_insert": (
        "search_entity_documents",
        "AFTER INSERT ON search_entity_documents REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT",
        "search_pass_names_on",
    ),
    "search_entity_documents_update": (
        "search_entity_documents",
        "AFTER UPDATE ON search_entity_documents REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT",
        "search_pass_names_on",
    ),
    "search_entity_documents_delete": (
        "search_entity_documents",
        "AFTER DELETE ON search_entity_documents REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT",
        "search_pass_names_on",
    ),
}

_FACT_DOCUMENT = " || ".join(
    _weighted(name, weight) for name, weight in zip(_FACT_COLUMNS, ("A", "A", "B", "D", "C"), strict=True)
)
_ENTITY_DOCUMENT = f"{_weighted('label', 'A')} || {_weighted('aliases', 'B')}"
_FACT_WORDS = " || E'\\n' || ".join(_FACT_COLUMNS)


#: The search tables' secondary indexes, by name: a GIN index of each document, `pg_trgm` trigrams of
#: the words, and the fact documents' entities.
_INDEXES = {
    name: f"CREATE INDEX {name} ON {table} {how}"
    for name, table, how in (
        ("ix_search_entity_documents_document", "search_entity_documents", "USING gin (document)"),
        ("ix_search_entity_documents_words", "search_entity_documents", "USING gin (words gin_trgm_ops)"),
        ("ix_search_fact_documents_subject", "search_fact_documents", "(subject)"),
        ("ix_search_fact_documents_object", "search_fact_documents", "(object)"),
        ("ix_search_fact_documents_document", "search_fact_documents", "USING gin (document)"),
        ("ix_search_fact_documents_words", "search_fact_documents", "USING gin (words gin_trgm_ops)"),
    )
}


class PostgresIndexSchema:
    """The search tables, functions and triggers on PostgreSQL (`archive.storage.search.IndexSchema`)."""

    create_tables: tuple[str, ...] = (
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "CREATE TABLE search_entity_documents ("
        "entity_id VARCHAR(200) NOT NULL, label TEXT NOT NULL, aliases TEXT NOT NULL, "
        f"document TSVECTOR GENERATED ALWAYS AS ({_ENTITY_DOCUMENT}) STORED, "
        "words TEXT GENERATED ALWAYS AS (label || E'\\n' || aliases) STORED, "
        "CONSTRAINT pk_search_entity_documents PRIMARY KEY (entity_id))",
        "CREATE TABLE search_fact_documents ("
        "fact_id VARCHAR(36) NOT NULL, version INTEGER NOT NULL, subject VARCHAR(200) NOT NULL, "
        "object VARCHAR(200), subject_names TEXT NOT NULL, object_names TEXT NOT NULL, value TEXT NOT NULL, "
        "note TEXT NOT NULL, quotes TEXT NOT NULL, "
        f"document TSVECTOR GENERATED ALWAYS AS ({_FACT_DOCUMENT}) STORED, "
        f"words TEXT GENERATED ALWAYS AS ({_FACT_WORDS}) STORED, "
        "CONSTRAINT pk_search_fact_documents PRIMARY KEY (fact_id, version))",
        *_INDEXES.values(),
    )
    create_triggers: tuple[str, ...] = (
        *(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
            f"AS $search${body}\n$search$"
            for name, body in _FUNCTIONS.items()
        ),
        *(
            f"CREATE TRIGGER {name} {event} EXECUTE FUNCTION {function}()"
            for name, (_, event, function) in _TRIGGERS.items()
        ),
    )
    drop_triggers: tuple[str, ...] = tuple(
        f"DROP TRIGGER IF EXISTS {name} ON {on}" for name, (on, _, _) in _TRIGGERS.items()
    )
    # The secondary indexes are dropped before the documents go in and built once they are all there: a
    # GIN index built in bulk takes a fraction of the time of one kept up to date row by row.
    refill: tuple[str, ...] = (
        "TRUNCATE search_fact_documents, search_entity_documents",
        *(f"DROP INDEX {name}" for name in _INDEXES),
        "INSERT INTO search_entity_documents (entity_id, label, aliases) "
        f"SELECT n.entity_id, n.label, {_aliases_text('n.aliases')} FROM entities AS n",
        f"INSERT INTO search_fact_documents ({_FACT_DOCUMENT_COLUMNS}) "
        f"{_fact_document_select('fact_versions')}",
        *_INDEXES.values(),
        "ANALYZE search_entity_documents",
        "ANALYZE search_fact_documents",
    )
    drop_tables: tuple[str, ...] = (
        *(f"DROP FUNCTION IF EXISTS {name}()" for name in _FUNCTIONS),
        "DROP TABLE search_fact_documents",
        "DROP TABLE search_entity_documents",
    )
    triggers: tuple[str, ...] = tuple(_TRIGGERS)
    existing_triggers: str = (
        "SELECT t.tgname FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal"
    )


SCHEMA = PostgresIndexSchema()


def tsquery_text(phrases: Sequence[Phrase], joiner: str) -> str:
    """`to_tsquery` text for the phrases, joined with `&` (all) or `|` (any): each word quoted, each
    phrase's words in order (`<->`), a bare word's last as a prefix (`:*`). Words are letters and digits
    only, so nothing a user typed is read as tsquery syntax."""
    return f" {joiner} ".join(
        " <-> ".join(f"'{w}'" for w in p.words) + (":*" if p.prefix else "") for p in phrases
    )


def _typed(phrases: Sequence[Phrase]) -> str:
    """The words typed, as the trigram comparison reads them."""
    return " ".join(w for p in phrases for w in p.words)


_fact_documents = table(
    "search_fact_documents",
    column("fact_id"),
    column("version"),
    column("document", TSVECTOR),
    column("words", Text),
)
_entity_documents = table(
    "search_entity_documents", column("entity_id"), column("document", TSVECTOR), column("words", Text)
)


def _ranked(documents: Any, keys: Sequence[str], phrases: Sequence[Phrase]) -> NamedFromClause:
    query = func.to_tsquery(
        literal_column(f"'{CONFIG}'::regconfig"), bindparam(None, tsquery_text(phrases, "&"), Text)
    )
    hit = documents.c.document.bool_op("@@")(query)
    # 1 + ts_rank: every full-text match scores above every near miss.
    full_text = select(
        *(documents.c[k] for k in keys),
        cast(1 + func.ts_rank(documents.c.document, query), Float).label("score"),
    ).where(hit)
    if not _near_misses(phrases):
        return full_text.subquery(f"{documents.name}_matches")
    # Near misses only where the words match nowhere. The full-text matches are a materialized CTE, read
    # through the GIN index once; asked "does any document match?" on the table instead, the planner
    # expected an early row and scanned the whole table when none did (42 of 50 ms, 26,600 documents).
    found = full_text.cte(f"{documents.name}_found").prefix_with("MATERIALIZED")
    typed = bindparam(None, _typed(phrases), Text)
    similarity = cast(func.word_similarity(typed, documents.c.words), Float)
    near = select(*(documents.c[k] for k in keys), similarity.label("score")).where(
        typed.bool_op("<%")(documents.c.words), ~select(found.c[keys[0]]).exists()
    )
    return select(found).union_all(near).subquery(f"{documents.name}_matches")


def _near_misses(phrases: Sequence[Phrase]) -> bool:
    """Whether near misses count: not when a phrase is quoted, which asks for its words as written."""
    return all(p.prefix for p in phrases)


class PostgresTextSearch:
    """`tsvector` @@ `tsquery` and trigram word similarity (`archive.storage.search.TextSearch`)."""

    def facts(self, phrases: Sequence[Phrase]) -> NamedFromClause:
        """Matching fact versions: fact_id, version, score."""
        return _ranked(_fact_documents, ("fact_id", "version"), phrases)

    def entities(self, phrases: Sequence[Phrase]) -> NamedFromClause:
        """Matching entities: entity_id, score."""
        return _ranked(_entity_documents, ("entity_id",), phrases)

    def fact_fields(self, phrases: Sequence[Phrase]) -> TextClause:
        """Which fields of the versions of the facts `:ids` a phrase matched in."""
        return _fields_statement("search_fact_documents", ("fact_id", "version"), _FACT_COLUMNS, phrases)

    def entity_fields(self, phrases: Sequence[Phrase]) -> TextClause:
        """Which fields of the entities `:ids` a phrase matched in."""
        return _fields_statement("search_entity_documents", ("entity_id",), _ENTITY_COLUMNS, phrases)


def _fields_statement(
    documents: str, keys: Sequence[str], columns: Sequence[str], phrases: Sequence[Phrase]
) -> TextClause:
    # A column holds a match when some phrase matches its words; in a near miss (where those count), when
    # the words typed are near its text.
    near = _near_misses(phrases)
    missed = f"NOT d.document @@ to_tsquery('{CONFIG}'::regconfig, :all) AND :typed <% d.{{c}}"
    flags = ", ".join(
        f"to_tsvector('{CONFIG}'::regconfig, d.{c}) @@ to_tsquery('{CONFIG}'::regconfig, :any)"
        + (" OR (" + missed.format(c=c) + ")" if near else "")
        for c in columns
    )
    selected = ", ".join(f"d.{k}" for k in keys)
    values = {"any": tsquery_text(phrases, "|")}
    if near:
        values |= {"all": tsquery_text(phrases, "&"), "typed": _typed(phrases)}
    return text(f"SELECT {selected}, {flags} FROM {documents} AS d WHERE d.{keys[0]} IN :ids").bindparams(
        bindparam("ids", expanding=True), **values
    )
