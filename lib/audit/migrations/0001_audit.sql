-- lib/audit: the outbox that record() writes inside the caller's transaction, and the append-only,
-- hash-chained log the chainer moves committed entries into. Applied in every service's database.

-- One index only (every record() pays for each index): the chainer reads a stream's rows in id
-- order and deletes them by (stream, id), so (stream, id) is all it needs.
CREATE TABLE audit_outbox (
  id         bigserial,
  stream     text        NOT NULL CHECK (stream <> ''),
  entry      jsonb       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream, id)
);

CREATE TABLE audit_log (
  stream      text        NOT NULL CHECK (stream <> ''),
  seq         bigint      NOT NULL CHECK (seq >= 1),
  prev_hash   bytea       NOT NULL CHECK (octet_length(prev_hash) = 32),
  hash        bytea       NOT NULL CHECK (octet_length(hash) = 32),
  entry       jsonb       NOT NULL,
  -- The entry's own time (set by the library when record() ran).
  recorded_at timestamptz NOT NULL,
  -- When the chainer appended it; the gap to recorded_at is the chainer lag.
  chained_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (stream, seq)
);
-- Dashboard queries: a tenant's entries by time, by action, by actor, by target.
CREATE INDEX audit_log_stream_time   ON audit_log (stream, recorded_at);
CREATE INDEX audit_log_stream_action ON audit_log (stream, (entry ->> 'action'), seq);
CREATE INDEX audit_log_stream_actor  ON audit_log (stream, ((entry -> 'actor') ->> 'id'), seq);
CREATE INDEX audit_log_targets       ON audit_log USING gin ((entry -> 'targets') jsonb_path_ops);

-- Defence in depth: even the owner cannot change or remove an entry without first disabling
-- these triggers, which needs ownership and shows in the DDL history.
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

REVOKE ALL ON audit_log, audit_outbox FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_log_refuse_change() FROM PUBLIC;
-- The runtime role appends and reads; it can never rewrite history.
GRANT SELECT, INSERT ON audit_log TO {{runtime_role}};
GRANT SELECT, INSERT, DELETE ON audit_outbox TO {{runtime_role}};
GRANT USAGE ON SEQUENCE audit_outbox_id_seq TO {{runtime_role}};
