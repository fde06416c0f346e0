-- A signed-in user's change of sign-in email (profile/): a 24-hour, single-use link goes to the NEW
-- address; only the SHA-256 of its 256-bit token is kept. Confirming it switches users.email (still
-- UNIQUE: a race with a sign-up or another change gets a clear refusal), which is the only column
-- of users the email change writes.
CREATE TABLE email_changes (
  id          text PRIMARY KEY,
  user_id     text NOT NULL REFERENCES users (id),
  old_email   text NOT NULL,
  new_email   text NOT NULL,
  token_hash  bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX email_changes_by_user ON email_changes (user_id) WHERE used_at IS NULL;
CREATE INDEX email_changes_expiry ON email_changes (expires_at);

GRANT SELECT, INSERT, DELETE ON email_changes TO {{runtime_role}};
GRANT UPDATE (used_at) ON email_changes TO {{runtime_role}};
GRANT UPDATE (email) ON users TO {{runtime_role}};
