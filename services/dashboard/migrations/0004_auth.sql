-- Sign-up requests, password resets and sign-in throttling. Emailed links carry a 256-bit token;
-- only its SHA-256 is stored. A sign-up becomes a merchant account and its owner when its link is used.
CREATE TABLE signups (
  id             text PRIMARY KEY,
  email          text NOT NULL,
  business_name  text NOT NULL,
  password_hash  text NOT NULL,
  token_hash     bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL,
  used_at        timestamptz
);
CREATE INDEX signups_expiry ON signups (expires_at);

CREATE TABLE password_resets (
  id          text PRIMARY KEY,
  user_id     text NOT NULL REFERENCES users (id),
  token_hash  bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX password_resets_expiry ON password_resets (expires_at);

-- Failure counters per scope: 'account' (SHA-256 of the normalised email, known or not), 'ip', and
-- 'mail' (emails sent per address or network). Attempts are counted before the check, so parallel
-- requests cannot slip past the delay.
CREATE TABLE auth_throttle (
  scope            text NOT NULL CHECK (scope IN ('account', 'ip', 'mail_address', 'mail_ip')),
  key              text NOT NULL,
  failures         integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  last_failure_at  timestamptz,
  locked_until     timestamptz,
  PRIMARY KEY (scope, key)
);

-- Previous password hashes (Argon2id), for PCI DSS 8.3.7: a new password may not be one of the last four.
CREATE TABLE password_history (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id        text NOT NULL REFERENCES users (id),
  password_hash  text NOT NULL,
  replaced_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_history_by_user ON password_history (user_id, id DESC);

GRANT SELECT, INSERT, DELETE ON signups, password_resets, auth_throttle, password_history TO {{runtime_role}};
GRANT UPDATE (used_at) ON signups, password_resets TO {{runtime_role}};
GRANT UPDATE (failures, last_failure_at, locked_until) ON auth_throttle TO {{runtime_role}};
