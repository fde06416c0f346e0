-- Keys of the encryption module. A key (kms_keys) has numbered versions (kms_key_versions); each
-- version's KEK lives in a backend (local: sealed under the master key; pkcs11: a non-extractable
-- object on the HSM) and is referenced here only by its handle. HMAC and signing secrets are stored
-- wrapped under their version's KEK, never in clear. Nothing in these tables is key material in clear.
CREATE TABLE kms_keys (
  id                   text PRIMARY KEY,
  family               text NOT NULL,
  purpose              text NOT NULL CHECK (purpose IN ('kek', 'hmac', 'signing')),
  primary_version      integer,
  min_decrypt_version  integer NOT NULL DEFAULT 1 CHECK (min_decrypt_version >= 1),
  crypto_period_days   integer CHECK (crypto_period_days IS NULL OR crypto_period_days >= 1),
  created_at           timestamptz NOT NULL DEFAULT now(),
  rotated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE kms_key_versions (
  key_id            text NOT NULL REFERENCES kms_keys (id),
  version           integer NOT NULL CHECK (version >= 1),
  state             text NOT NULL CHECK (state IN ('active', 'decrypt-only', 'retired', 'destroyed')),
  backend           text NOT NULL CHECK (backend IN ('local', 'pkcs11')),
  -- Backend handle of the KEK (wiped when destroyed), the secret wrapped under it (hmac, signing).
  handle            text,
  wrapped_secret    text,
  public_key        text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  state_changed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (key_id, version),
  CHECK ((state = 'destroyed') = (handle IS NULL)),
  CHECK (state <> 'destroyed' OR wrapped_secret IS NULL)
);
-- At most one active (primary) version per key.
CREATE UNIQUE INDEX kms_key_versions_one_active ON kms_key_versions (key_id) WHERE state = 'active';

-- The local backend's sealed master key: encrypted under the unseal key, whose Shamir shares are held
-- by custodians and never stored here.
CREATE TABLE kms_seal (
  id           integer PRIMARY KEY CHECK (id = 1),
  install_id   text NOT NULL,
  threshold    integer NOT NULL CHECK (threshold >= 1),
  share_count  integer NOT NULL CHECK (share_count >= threshold),
  nonce        text NOT NULL,
  ciphertext   text NOT NULL,
  created_at   timestamptz NOT NULL
);

GRANT SELECT, INSERT, UPDATE ON kms_keys TO {{runtime_role}};
GRANT SELECT, INSERT, UPDATE ON kms_key_versions TO {{runtime_role}};
GRANT SELECT, INSERT ON kms_seal TO {{runtime_role}};
