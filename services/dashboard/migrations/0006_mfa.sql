-- Second factors (mfa/): TOTP, WebAuthn credentials (security keys and passkeys), recovery codes;
-- the WebAuthn ceremonies' challenges, sign-ins waiting for their second factor, and per-user
-- counters of failed second-factor attempts.

-- At most one TOTP per user. The secret is sealed (AES-256-GCM, bound to the user) under a data key
-- of its own that the KMS wraps with `mfa-secret`: the row never holds the secret itself.
CREATE TABLE mfa_totp (
  user_id             text PRIMARY KEY REFERENCES users (id),
  secret_wrapped_key  text NOT NULL,
  secret_ciphertext   bytea NOT NULL,
  -- null while the enrolment waits for its first code (such a row expires after 15 minutes).
  confirmed_at        timestamptz,
  -- The highest time step ever accepted: a code of that step or an earlier one is refused (replay).
  last_step           bigint,
  created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webauthn_credentials (
  id            text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]+$' AND char_length(id) BETWEEN 16 AND 1400),
  user_id       text NOT NULL REFERENCES users (id),
  public_key    bytea NOT NULL CHECK (octet_length(public_key) BETWEEN 16 AND 4096),
  counter       bigint NOT NULL CHECK (counter >= 0),
  transports    text[] NOT NULL DEFAULT '{}',
  device_type   text NOT NULL CHECK (device_type IN ('singleDevice', 'multiDevice')),
  backed_up     boolean NOT NULL,
  name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60),
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id);

-- Single use: redeeming a challenge deletes it. `binding` ties it to whoever asked (a session, a
-- pending sign-in, or the signed-out browser's form cookie), so another browser cannot redeem it.
CREATE TABLE webauthn_challenges (
  challenge   text PRIMARY KEY CHECK (challenge ~ '^[A-Za-z0-9_-]{43}$'),
  purpose     text NOT NULL CHECK (purpose IN ('register', 'second_factor', 'step_up', 'passkey_sign_in')),
  user_id     text REFERENCES users (id),
  binding     text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges (expires_at);

-- Ten per batch; only the SHA-256 of each (bound to the user) is kept. Regenerating deletes the batch.
CREATE TABLE recovery_codes (
  user_id     text NOT NULL REFERENCES users (id),
  code_hash   bytea NOT NULL CHECK (octet_length(code_hash) = 32),
  created_at  timestamptz NOT NULL DEFAULT now(),
  used_at     timestamptz,
  PRIMARY KEY (user_id, code_hash)
);

-- A right password whose second factor (or forced enrolment) is still to come. The browser holds a
-- 256-bit token in `__Host-strongroom_mfa`; only its SHA-256 is stored. Finishing deletes the row.
CREATE TABLE mfa_pending_sign_ins (
  id             text PRIMARY KEY,
  token_hash     bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  user_id        text NOT NULL REFERENCES users (id),
  account_id     text NOT NULL,
  purpose        text NOT NULL CHECK (purpose IN ('sign_in', 'password_reset', 'sign_up')),
  next           text NOT NULL,
  stage          text NOT NULL CHECK (stage IN ('verify', 'enrol')),
  webauthn_only  boolean NOT NULL,
  -- The factor already verified before a forced WebAuthn enrolment (stage 'enrol'), if any.
  verified_factor text CHECK (verified_factor IN ('totp', 'webauthn', 'recovery_code')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL
);
CREATE INDEX mfa_pending_sign_ins_expiry ON mfa_pending_sign_ins (expires_at);

-- Failed second-factor attempts per user (only someone who knows the password gets that far).
CREATE TABLE mfa_throttle (
  user_id          text PRIMARY KEY REFERENCES users (id),
  failures         integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  last_failure_at  timestamptz,
  locked_until     timestamptz
);

GRANT SELECT, INSERT, DELETE ON mfa_totp, webauthn_credentials, webauthn_challenges, recovery_codes, mfa_pending_sign_ins, mfa_throttle TO {{runtime_role}};
GRANT UPDATE (confirmed_at, last_step) ON mfa_totp TO {{runtime_role}};
GRANT UPDATE (counter, backed_up, last_used_at) ON webauthn_credentials TO {{runtime_role}};
GRANT UPDATE (used_at) ON recovery_codes TO {{runtime_role}};
GRANT UPDATE (stage, verified_factor) ON mfa_pending_sign_ins TO {{runtime_role}};
GRANT UPDATE (failures, last_failure_at, locked_until) ON mfa_throttle TO {{runtime_role}};
