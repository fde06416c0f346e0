-- Data-encryption keys (DEKs) of the vault's envelope encryption: card data is encrypted with
-- AES-256-GCM under a DEK, and the DEK is stored here only wrapped by the KMS under a KEK version of
-- `key_id` (`kms1:<key_id>:<kek_version>:<base64url>`). The plaintext DEK lives in vault memory only,
-- for a bounded time. Nothing in this table is key material in clear.
CREATE TABLE vault_data_keys (
  id           text PRIMARY KEY CHECK (id ~ '^dek_[0-9a-z]{24}$'),
  key_id       text NOT NULL,
  kek_version  integer NOT NULL CHECK (kek_version >= 1),
  wrapped      text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  -- No new encryptions under the DEK after this; it keeps decrypting what it encrypted.
  retired_at   timestamptz,
  -- Records encrypted under the DEK (an upper bound: a rolled-back encryption may have been counted).
  records      integer NOT NULL DEFAULT 0 CHECK (records >= 0),
  -- The blob names the key and version the row claims (the re-wrap job relies on kek_version).
  CHECK (starts_with(wrapped, 'kms1:' || key_id || ':' || kek_version || ':'))
);
-- The DEK for new records: newest open one per KMS key.
CREATE INDEX vault_data_keys_open ON vault_data_keys (key_id, created_at DESC) WHERE retired_at IS NULL;
-- The re-wrap job: DEKs under an older KEK version.
CREATE INDEX vault_data_keys_kek_version ON vault_data_keys (key_id, kek_version);

-- Defence in depth: a retired DEK is never reopened, its count never goes down, and a re-wrap only
-- ever moves it to a newer KEK version of the same key.
CREATE FUNCTION vault_data_keys_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  IF OLD.retired_at IS NOT NULL AND NEW.retired_at IS DISTINCT FROM OLD.retired_at THEN
    RAISE EXCEPTION 'vault_data_keys: a retired data key cannot be reopened' USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.records < OLD.records THEN
    RAISE EXCEPTION 'vault_data_keys: the record count cannot go down' USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.kek_version < OLD.kek_version THEN
    RAISE EXCEPTION 'vault_data_keys: a data key cannot move to an older KEK version' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER vault_data_keys_guard BEFORE UPDATE ON vault_data_keys
  FOR EACH ROW EXECUTE FUNCTION vault_data_keys_guard();
REVOKE ALL ON FUNCTION vault_data_keys_guard() FROM PUBLIC;

-- No DELETE: a DEK row is needed as long as any record encrypted under it exists. id, key_id and
-- created_at never change.
GRANT SELECT, INSERT ON vault_data_keys TO {{runtime_role}};
GRANT UPDATE (kek_version, wrapped, retired_at, records) ON vault_data_keys TO {{runtime_role}};
