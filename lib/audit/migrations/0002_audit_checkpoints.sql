-- lib/audit: signed checkpoints. Each row is a stream head (seq, hash) signed by the KMS audit key
-- (Ed25519), over the canonical payload of checkpoint.ts. Append-only, exactly like audit_log.

CREATE TABLE audit_checkpoints (
  id          bigserial   PRIMARY KEY,
  service     text        NOT NULL CHECK (service <> ''),
  stream      text        NOT NULL CHECK (stream <> ''),
  seq         bigint      NOT NULL CHECK (seq >= 1),
  -- Same encoding as audit_log.hash (32 raw bytes), so the two compare directly.
  hash        bytea       NOT NULL CHECK (octet_length(hash) = 32),
  -- Part of the signed payload, at millisecond precision (what a JavaScript Date carries).
  signed_at   timestamptz NOT NULL,
  key_id      text        NOT NULL CHECK (key_id <> ''),
  key_version integer     NOT NULL CHECK (key_version >= 1),
  -- Base64 of the 64-byte Ed25519 signature.
  signature   text        NOT NULL CHECK (signature <> ''),
  created_at  timestamptz NOT NULL DEFAULT now(),
  -- One checkpoint per stream head; also what makes concurrent checkpointers harmless.
  UNIQUE (stream, seq)
);
-- No foreign key to audit_log on purpose: a checkpoint must outlive tampering with the log it vouches for.

-- Defence in depth, as for audit_log: even the owner must first disable these triggers.
CREATE FUNCTION audit_checkpoints_refuse_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  RAISE EXCEPTION 'audit_checkpoints is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_refuse_change();

REVOKE ALL ON audit_checkpoints FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_checkpoints_refuse_change() FROM PUBLIC;
-- The runtime role appends and reads; it can never rewrite or remove a checkpoint.
GRANT SELECT, INSERT ON audit_checkpoints TO {{runtime_role}};
GRANT USAGE ON SEQUENCE audit_checkpoints_id_seq TO {{runtime_role}};
