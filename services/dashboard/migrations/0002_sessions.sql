-- Dashboard sessions and the login history. A session is named by an opaque 256-bit token that only
-- the browser holds (cookie __Host-strongroom_session); the database keeps its SHA-256 alone.
CREATE TABLE sessions (
  id               text PRIMARY KEY,
  token_hash       bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  user_id          text NOT NULL REFERENCES users (id),
  account_id       text NOT NULL,
  factor           text NOT NULL CHECK (factor IN ('password', 'totp', 'webauthn', 'recovery_code')),
  mfa_verified_at  timestamptz,
  -- Synchronizer token for this session's forms (useless without the session cookie).
  csrf_token       text NOT NULL,
  ip               text NOT NULL,
  country          text NOT NULL,
  device           text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  last_seen_at     timestamptz NOT NULL DEFAULT now(),
  rotated_at       timestamptz,
  ended_at         timestamptz,
  end_reason       text
);
CREATE INDEX sessions_live_by_user ON sessions (user_id) WHERE ended_at IS NULL;
CREATE INDEX sessions_ended ON sessions (ended_at) WHERE ended_at IS NOT NULL;

-- Every sign-in attempt against a known user: what the login history page shows.
CREATE TABLE login_events (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id     text NOT NULL REFERENCES users (id),
  account_id  text,
  at          timestamptz NOT NULL DEFAULT now(),
  outcome     text NOT NULL CHECK (outcome IN ('success', 'failure')),
  reason      text,
  factor      text NOT NULL,
  ip          text NOT NULL,
  country     text NOT NULL,
  device      text NOT NULL
);
CREATE INDEX login_events_by_user ON login_events (user_id, at DESC);

GRANT SELECT, INSERT ON sessions, login_events TO {{runtime_role}};
GRANT UPDATE (token_hash, factor, mfa_verified_at, last_seen_at, rotated_at, ended_at, end_reason) ON sessions TO {{runtime_role}};
-- Retention (auth/cleanup.job.ts): ended sessions after 30 days, login history after a year.
GRANT DELETE ON sessions, login_events TO {{runtime_role}};
