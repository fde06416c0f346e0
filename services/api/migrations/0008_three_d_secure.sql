-- 3-D Secure (docs/omise-compat.md §10.4, services/api/three-d-secure) and the charge lifecycle jobs
-- (services/api/charges/charge-expiry.job.ts, charge-reconciliation.job.ts).
--
-- One authentication page per charge waiting for 3-D Secure. Its address holds a random 256-bit id
-- that is never stored: only its SHA-256 (hex) is, so a copy of this table opens no page. `form_value`
-- is the random value the page's form carries and its POST must send back (CSRF); on its own it opens
-- nothing. `used_at` makes the page single use.
CREATE TABLE three_d_secure_pages (
  charge_id    text PRIMARY KEY REFERENCES charges (id),
  account_id   text NOT NULL REFERENCES accounts (id),
  livemode     boolean NOT NULL,
  secret_hash  text NOT NULL UNIQUE CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
  form_value   text NOT NULL CHECK (form_value ~ '^[A-Za-z0-9_-]{43}$'),
  created_at   timestamptz NOT NULL DEFAULT now(),
  used_at      timestamptz
);

-- `authenticated_by` of the Omise charge: '3DS' once the payer authenticated.
ALTER TABLE charges ADD COLUMN authenticated_by text CHECK (authenticated_by IN ('3DS'));

-- What the jobs look for: charges waiting for the payer (expiry) and charges the vault never answered
-- (reconciliation). Both sets are small; the partial indexes keep each run one index scan.
CREATE INDEX charges_awaiting_payer ON charges (created_at) WHERE exchange = 'answered' AND status = 'pending' AND authorized = false;
CREATE INDEX charges_unanswered ON charges (updated_at) WHERE exchange = 'requested';

GRANT SELECT, INSERT ON three_d_secure_pages TO {{runtime_role}};
GRANT UPDATE (used_at) ON three_d_secure_pages TO {{runtime_role}};
GRANT UPDATE (authenticated_by) ON charges TO {{runtime_role}};
