"""Redaction (issue 25): the `events` table accepts one UPDATE, the redaction of a payload, and nothing else.

An UPDATE passes only when it sets `data` to the redaction marker `{"redacted_sha256": <hex>}` holding
the sha256 of the old payload's canonical JSON (sorted keys, no whitespace: the bytes the event hash
covers), leaves every other column as it was, and the old payload is not a marker already. DELETE and
TRUNCATE stay refused. The database computes the digest itself, so no client can set a marker that does
not belong to the payload it replaces (archive/eventstore/redaction.py).

PostgreSQL: `archive_canonical_json(jsonb)` writes jsonb as msgspec's sorted encoder does (keys in code
point order, which is UTF-8 byte order, hence `COLLATE "C"`; jsonb prints strings and integers as msgspec
does), and `sha256()` is built in. SQLite has neither: every connection the archive opens registers
`archive_canonical_sha256(text)` (archive/storage/sqlite/engine.py); a connection without it (the sqlite3
shell) cannot redact at all, which is the safe side.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_REFUSAL = (
    "events are immutable: an UPDATE of events may only replace a payload that is not yet redacted "
    "with the redaction marker of its own canonical bytes, and change no other column"
)

# The trigger keeps its name (`events_immutable`, BEFORE UPDATE OR DELETE): only its function changes.
POSTGRES_UPGRADE = [
    """
    CREATE FUNCTION archive_canonical_json(doc jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE jsonb_typeof(doc)
        WHEN 'object' THEN '{' || coalesce((
            SELECT string_agg(to_jsonb(e.k)::text || ':' || archive_canonical_json(e.v), ','
                              ORDER BY e.k COLLATE "C")
              FROM jsonb_each(doc) AS e(k, v)), '') || '}'
        WHEN 'array' THEN '[' || coalesce((
            SELECT string_agg(archive_canonical_json(a.v), ',' ORDER BY a.i)
              FROM jsonb_array_elements(doc) WITH ORDINALITY AS a(v, i)), '') || ']'
        ELSE doc::text
    END
    $$
    """,
    f"""
    CREATE FUNCTION events_allow_only_redaction() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE'
           AND (NEW.position, NEW.stream_id, NEW.stream_version, NEW.event_type, NEW.schema_version,
                NEW.metadata, NEW.recorded_at, NEW.prev_hash, NEW.hash)
               IS NOT DISTINCT FROM
               (OLD.position, OLD.stream_id, OLD.stream_version, OLD.event_type, OLD.schema_version,
                OLD.metadata, OLD.recorded_at, OLD.prev_hash, OLD.hash)
           AND NOT jsonb_exists(OLD.data, 'redacted_sha256')
           AND NEW.data = jsonb_build_object(
               'redacted_sha256',
               encode(sha256(convert_to(archive_canonical_json(OLD.data), 'UTF8')), 'hex'))
        THEN
            RETURN NEW;
        END IF;
        IF TG_OP = 'UPDATE' THEN
            RAISE EXCEPTION '{_REFUSAL} (position %)', OLD.position
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RAISE EXCEPTION 'events are immutable: % on events is refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
    "DROP TRIGGER events_immutable ON events",
    """
    CREATE TRIGGER events_immutable BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_allow_only_redaction()
    """,
]

POSTGRES_DOWNGRADE = [
    "DROP TRIGGER events_immutable ON events",
    """
    CREATE TRIGGER events_immutable BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change()
    """,
    "DROP FUNCTION events_allow_only_redaction()",
    "DROP FUNCTION archive_canonical_json(jsonb)",
]

# `IS` compares NULL-safely; the marker is compared as text, as the archive writes it (compact JSON).
SQLITE_UPGRADE = [
    "DROP TRIGGER events_no_update",
    f"""
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    WHEN NOT (
        NEW.position IS OLD.position AND NEW.stream_id IS OLD.stream_id
        AND NEW.stream_version IS OLD.stream_version AND NEW.event_type IS OLD.event_type
        AND NEW.schema_version IS OLD.schema_version AND NEW.metadata IS OLD.metadata
        AND NEW.recorded_at IS OLD.recorded_at AND NEW.prev_hash IS OLD.prev_hash
        AND NEW.hash IS OLD.hash
        AND json_type(OLD.data, '$.redacted_sha256') IS NULL
        AND NEW.data IS json_object('redacted_sha256', archive_canonical_sha256(OLD.data))
    )
    BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END
    """,
]

SQLITE_DOWNGRADE = [
    "DROP TRIGGER events_no_update",
    """
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are immutable: UPDATE on events is refused'); END
    """,
]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_UPGRADE if postgres else SQLITE_UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_DOWNGRADE if postgres else SQLITE_DOWNGRADE:
        op.execute(statement)
