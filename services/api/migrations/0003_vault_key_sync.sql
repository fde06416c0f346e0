-- What the vault was last told about each account's public keys (a fingerprint of the set), so the
-- sync job pushes only accounts whose keys changed, and pushes them again after any failure.
CREATE TABLE vault_key_sync (
  account_id   text PRIMARY KEY REFERENCES accounts (id),
  fingerprint  text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
  synced_at    timestamptz NOT NULL
);
GRANT SELECT, INSERT ON vault_key_sync TO {{runtime_role}};
GRANT UPDATE (fingerprint, synced_at) ON vault_key_sync TO {{runtime_role}};
