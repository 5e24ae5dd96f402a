"""A server-side append on PostgreSQL: lock, chain head, version check, hash chain and insert in one call.

The client still chooses `recorded_at` and builds the canonical bytes of every event (the canonical
encoding lives in Python, in `archive.eventstore.hashing`); the function links them into the chain
with the built-in `sha256()` while it holds the append lock, so an append is one round trip and the
global order stays the commit order. SQLite has no server side: there, nothing changes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The lock is re-entrant: inside a write transaction that took it at its start, this costs nothing more.
# A PL/pgSQL function runs each statement with a new snapshot under READ COMMITTED, so the head read
# after the lock sees every append committed before it.
APPEND_FUNCTION = """
CREATE FUNCTION archive_append(
    lock_key bigint,
    continuing_streams text[],
    continuing_versions integer[],
    stream_ids text[],
    stream_versions integer[],
    event_types text[],
    schema_versions smallint[],
    datas text[],
    event_metadata text,
    recorded timestamptz,
    canonical bytea[]
) RETURNS TABLE (event_position bigint, event_prev_hash text, event_hash text)
LANGUAGE plpgsql AS $$
DECLARE
    head text;
    missing_stream text;
    missing_version integer;
    prevs text[] := '{}';
    hashes text[] := '{}';
    positions bigint[];
    n integer := cardinality(stream_ids);
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    SELECT c.s, c.v INTO missing_stream, missing_version
      FROM unnest(continuing_streams, continuing_versions) WITH ORDINALITY AS c(s, v, i)
     WHERE NOT EXISTS (
           SELECT 1 FROM events AS e WHERE e.stream_id = c.s AND e.stream_version = c.v)
     ORDER BY c.i
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'stream % has no version %', missing_stream, missing_version
            USING ERRCODE = 'AR409',
                  DETAIL = json_build_object('stream_id', missing_stream, 'version', missing_version)::text;
    END IF;
    SELECT e.hash INTO head FROM events AS e ORDER BY e.position DESC LIMIT 1;
    head := coalesce(head, repeat('0', 64));
    FOR i IN 1 .. n LOOP
        prevs[i] := head;
        head := encode(sha256(convert_to(head, 'UTF8') || canonical[i]), 'hex');
        hashes[i] := head;
    END LOOP;
    positions := ARRAY(SELECT nextval('events_position_seq') AS p FROM generate_series(1, n) ORDER BY p);
    INSERT INTO events (position, stream_id, stream_version, event_type, schema_version,
                        data, metadata, recorded_at, prev_hash, hash)
    SELECT r.p, r.s, r.v, r.t, r.sv, r.d::jsonb, event_metadata::jsonb, recorded, r.ph, r.h
      FROM unnest(positions, stream_ids, stream_versions, event_types, schema_versions, datas, prevs, hashes)
           AS r(p, s, v, t, sv, d, ph, h);
    RETURN QUERY SELECT * FROM unnest(positions, prevs, hashes);
END $$
"""

APPEND_SIGNATURE = (
    "archive_append(bigint, text[], integer[], text[], integer[], text[], smallint[], text[], text, "
    "timestamptz, bytea[])"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {APPEND_SIGNATURE}")
