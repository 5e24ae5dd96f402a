"""`archive_append` also checks the streams a decision read without writing to them.

A command now loads and decides before it takes the append lock (optimistic commands, issue 24 §1), so
the lock holder must confirm that what the decision read is still current: the cited sources of a fact
command are read, not written, and a source revised in between would have its new text ignored (and
the revision's re-check of every citation into it would miss the new one). The new overload takes
those streams with the version each was read at, and refuses the append (SQLSTATE AR409, as for a
missing expected version) when any of them has moved on. Everything else is migration 0004's function;
the old overload stays for a database that is downgraded.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The read streams are checked after the lock is taken: every write that could move them commits
# before this call sees the head, and none can commit after it until this transaction ends.
APPEND_FUNCTION = """
CREATE FUNCTION archive_append(
    lock_key bigint,
    continuing_streams text[],
    continuing_versions integer[],
    read_streams text[],
    read_versions integer[],
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
    stale_stream text;
    stale_version integer;
    prevs text[] := '{}';
    hashes text[] := '{}';
    positions bigint[];
    n integer := cardinality(stream_ids);
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    SELECT c.s, c.v INTO stale_stream, stale_version
      FROM unnest(continuing_streams, continuing_versions) WITH ORDINALITY AS c(s, v, i)
     WHERE NOT EXISTS (
           SELECT 1 FROM events AS e WHERE e.stream_id = c.s AND e.stream_version = c.v)
     ORDER BY c.i
     LIMIT 1;
    IF NOT FOUND THEN
        SELECT r.s, r.v INTO stale_stream, stale_version
          FROM unnest(read_streams, read_versions) WITH ORDINALITY AS r(s, v, i)
         WHERE EXISTS (
               SELECT 1 FROM events AS e WHERE e.stream_id = r.s AND e.stream_version = r.v + 1)
         ORDER BY r.i
         LIMIT 1;
    END IF;
    IF FOUND THEN
        RAISE EXCEPTION 'stream % is not at version %', stale_stream, stale_version
            USING ERRCODE = 'AR409',
                  DETAIL = json_build_object('stream_id', stale_stream, 'version', stale_version)::text;
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
    "archive_append(bigint, text[], integer[], text[], integer[], text[], integer[], text[], smallint[], "
    "text[], text, timestamptz, bytea[])"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {APPEND_SIGNATURE}")
