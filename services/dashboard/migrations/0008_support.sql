-- Support requests (support/): opened by a member in the dashboard (verified by the session), or
-- received by the support desk from outside (email, phone: unverified until the member it claims to
-- come from confirms it in a signed-in session, or reads a support verification code to the desk).
-- Every event on a request (opened, verified, rejected, each staff view, each failed code, each
-- reply) is a row the merchant sees on the request's page, besides the audit trail.

CREATE TABLE support_requests (
  id              text PRIMARY KEY CHECK (id ~ '^supp_[0-9a-z]{19}$'),
  account_id      text NOT NULL,
  channel         text NOT NULL CHECK (channel IN ('dashboard', 'email', 'phone')),
  -- Who it says it is from, and the member with that address in this account (null: nobody).
  claimed_email   text NOT NULL CHECK (claimed_email = lower(claimed_email) AND char_length(claimed_email) BETWEEN 3 AND 254),
  claimed_user_id text REFERENCES users (id),
  subject         text NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 200),
  body            text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 10000),
  status          text NOT NULL CHECK (status IN ('unverified', 'verified', 'rejected')),
  verification    text CHECK (verification IN ('session', 'code')),
  verified_by     text REFERENCES users (id),
  decided_at      timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'verified') = (verification IS NOT NULL AND verified_by IS NOT NULL)),
  CHECK ((status = 'unverified') = (decided_at IS NULL))
);
CREATE INDEX support_requests_account ON support_requests (account_id, created_at DESC);

CREATE TABLE support_events (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id  text NOT NULL REFERENCES support_requests (id),
  account_id  text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('opened', 'verified', 'rejected', 'staff_view', 'code_failed', 'reply')),
  actor_type  text NOT NULL CHECK (actor_type IN ('user', 'staff')),
  -- A user id, or the staff member's name.
  actor_id    text NOT NULL CHECK (char_length(actor_id) BETWEEN 1 AND 100),
  -- What happened, in words; for a reply, its text.
  detail      text NOT NULL DEFAULT '' CHECK (char_length(detail) <= 10000),
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX support_events_request ON support_events (request_id, id);
-- The throttle on support verification codes counts recent failures per account.
CREATE INDEX support_events_code_failures ON support_events (account_id, at) WHERE kind = 'code_failed';

-- Support verification codes: 10 minutes, single use, stored as SHA-256 only.
CREATE TABLE support_codes (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id  text NOT NULL,
  user_id     text NOT NULL REFERENCES users (id),
  code_hash   bytea NOT NULL CHECK (octet_length(code_hash) = 32),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL CHECK (expires_at > created_at),
  -- Spent: used for a request (used_for), or superseded by a newer code (used_for null).
  used_at     timestamptz,
  used_for    text REFERENCES support_requests (id),
  CHECK (used_for IS NULL OR used_at IS NOT NULL)
);
CREATE INDEX support_codes_live ON support_codes (account_id, user_id, expires_at) WHERE used_at IS NULL;

-- Requests change only by a decision; events and codes are history.
GRANT SELECT, INSERT ON support_requests, support_events, support_codes TO {{runtime_role}};
GRANT UPDATE (status, verification, verified_by, decided_at) ON support_requests TO {{runtime_role}};
GRANT UPDATE (used_at, used_for) ON support_codes TO {{runtime_role}};
