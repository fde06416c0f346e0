-- Merchant accounts and their API keys. Secret keys are stored only as SHA-256 hashes.
CREATE TABLE accounts (
  id          text PRIMARY KEY,
  email       text NOT NULL,
  name        text NOT NULL,
  country     text NOT NULL DEFAULT 'TH',
  currency    text NOT NULL DEFAULT 'thb',
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id            text PRIMARY KEY,
  account_id    text NOT NULL REFERENCES accounts (id),
  kind          text NOT NULL CHECK (kind IN ('public', 'secret')),
  livemode      boolean NOT NULL,
  public_value  text UNIQUE,
  secret_hash   text UNIQUE,
  hint          text NOT NULL,
  ip_allowlist  cidr[],
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz,
  last_used_at  timestamptz,
  last_used_ip  inet,
  CHECK ((kind = 'public') = (public_value IS NOT NULL)),
  CHECK ((kind = 'secret') = (secret_hash IS NOT NULL))
);
CREATE INDEX api_keys_account ON api_keys (account_id);

GRANT SELECT, INSERT ON accounts TO {{runtime_role}};
GRANT SELECT, INSERT ON api_keys TO {{runtime_role}};
GRANT UPDATE (expires_at, last_used_at, last_used_ip, ip_allowlist) ON api_keys TO {{runtime_role}};
