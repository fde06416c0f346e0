-- Idempotency keys of merchant POST and PATCH requests (docs/omise-compat.md §11, services/api/requests/).
-- One row per (account, mode, key): claimed `running` before the handler runs, so a concurrent duplicate
-- finds it and waits; then `done` with the status and body the merchant got, replayed for 24 hours.
-- The key itself is not stored, only its SHA-256. The body is what the merchant already received (never
-- card data; routes whose answer holds a secret shown once keep no body). 5xx answers delete the row,
-- except on routes that could move money twice (charge and refund creation), where they are kept too.
CREATE TABLE idempotency_keys (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id   text NOT NULL REFERENCES accounts (id),
  livemode     boolean NOT NULL,
  key_hash     text NOT NULL CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  api_key_id   text NOT NULL,
  method       text NOT NULL CHECK (method IN ('POST', 'PATCH')),
  path         text NOT NULL CHECK (length(path) <= 2048),
  fingerprint  text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
  request_id   text NOT NULL,
  state        text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done')),
  status       integer CHECK (status BETWEEN 200 AND 599),
  body         text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  CHECK (state = 'running' OR status IS NOT NULL),
  UNIQUE (account_id, livemode, key_hash)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

GRANT SELECT, INSERT, DELETE ON idempotency_keys TO {{runtime_role}};
-- A key expired in place is claimed again by one upsert (every column of the claim), then completed.
GRANT UPDATE (id, api_key_id, method, path, fingerprint, request_id, state, status, body, created_at, expires_at)
  ON idempotency_keys TO {{runtime_role}};
