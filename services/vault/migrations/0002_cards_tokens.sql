-- Card data of the card data environment. The PAN is stored only sealed (AES-256-GCM under a DEK of
-- vault_data_keys, AAD = card id, merchant, DEK id, purpose); the security code lives in its own table
-- so it can be destroyed on its own once an authorization has an answer. In clear only what PCI DSS
-- allows: brand, last four digits, expiry, cardholder name and billing address.

-- Merchants' public keys, pushed by the api (which owns accounts and keys) over mTLS. Hashes only.
CREATE TABLE vault_public_keys (
  key_hash    text PRIMARY KEY CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  -- The api's id of the key (key_…), for audit entries.
  key_id      text NOT NULL CHECK (key_id ~ '^key_(test_)?[0-9a-z]{19}$'),
  account_id  text NOT NULL CHECK (account_id ~ '^acct_(test_)?[0-9a-z]{19}$'),
  livemode    boolean NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vault_public_keys_account ON vault_public_keys (account_id);

CREATE TABLE vault_cards (
  id                   text PRIMARY KEY CHECK (id ~ '^card_(test_)?[0-9a-z]{19}$'),
  account_id           text NOT NULL CHECK (account_id ~ '^acct_(test_)?[0-9a-z]{19}$'),
  livemode             boolean NOT NULL,
  -- Set when a token's card is attached to a customer of the api (its id, opaque here).
  customer_id          text CHECK (customer_id ~ '^cust_(test_)?[0-9a-z]{19}$'),
  brand                text NOT NULL,
  last_digits          text NOT NULL CHECK (last_digits ~ '^[0-9]{4}$'),
  name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
  expiration_month     smallint NOT NULL CHECK (expiration_month BETWEEN 1 AND 12),
  expiration_year      smallint NOT NULL CHECK (expiration_year BETWEEN 2000 AND 2200),
  country              text NOT NULL DEFAULT '' CHECK (country ~ '^([a-z]{2})?$'),
  city                 text CHECK (length(city) <= 255),
  state                text CHECK (length(state) <= 255),
  street1              text CHECK (length(street1) <= 255),
  street2              text CHECK (length(street2) <= 255),
  postal_code          text CHECK (length(postal_code) <= 20),
  phone_number         text CHECK (length(phone_number) <= 40),
  -- HMAC-SHA256 of the PAN under the merchant's fingerprint key at the KMS (base64), never a plain hash.
  fingerprint          text NOT NULL CHECK (fingerprint ~ '^[A-Za-z0-9+/]{43}=$'),
  security_code_check  boolean NOT NULL DEFAULT true,
  dek_id               text REFERENCES vault_data_keys (id),
  pan_nonce            bytea CHECK (octet_length(pan_nonce) = 12),
  pan_ciphertext       bytea CHECK (octet_length(pan_ciphertext) BETWEEN 29 AND 35),
  created_at           timestamptz NOT NULL DEFAULT now(),
  -- Deleted (by the merchant, an erasure, or the retention job): the sealed PAN is gone.
  deleted_at           timestamptz,
  CHECK ((deleted_at IS NULL) = (pan_ciphertext IS NOT NULL)),
  CHECK ((pan_ciphertext IS NULL) = (pan_nonce IS NULL) AND (pan_ciphertext IS NULL) = (dek_id IS NULL))
);
CREATE INDEX vault_cards_customer ON vault_cards (account_id, customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX vault_cards_dek ON vault_cards (dek_id) WHERE dek_id IS NOT NULL;

-- Single-use tokens. Random ids, never derived from card data.
CREATE TABLE vault_tokens (
  id             text PRIMARY KEY CHECK (id ~ '^tokn_(test_)?[0-9a-z]{19}$'),
  account_id     text NOT NULL,
  livemode       boolean NOT NULL,
  card_id        text NOT NULL REFERENCES vault_cards (id),
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL,
  used_at        timestamptz,
  charge_status  text NOT NULL DEFAULT 'unknown' CHECK (charge_status IN ('unknown', 'successful', 'failed', 'pending', 'reversed', 'expired'))
);
CREATE INDEX vault_tokens_expiry ON vault_tokens (expires_at);
CREATE INDEX vault_tokens_card ON vault_tokens (card_id);

-- The security code, sealed, until an authorization answers (approved or declined) or the token expires.
CREATE TABLE vault_security_codes (
  card_id     text PRIMARY KEY REFERENCES vault_cards (id) ON DELETE CASCADE,
  dek_id      text NOT NULL REFERENCES vault_data_keys (id),
  nonce       bytea NOT NULL CHECK (octet_length(nonce) = 12),
  ciphertext  bytea NOT NULL CHECK (octet_length(ciphertext) BETWEEN 19 AND 20),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX vault_security_codes_expiry ON vault_security_codes (expires_at);

-- Authorizations sent to the acquirer for the api's charges. No card data: the acquirer's reference
-- is enough to capture, reverse and refund.
CREATE TABLE vault_authorizations (
  id                  text PRIMARY KEY CHECK (id ~ '^auth_(test_)?[0-9a-z]{19}$'),
  account_id          text NOT NULL,
  livemode            boolean NOT NULL,
  -- The api's charge id: one authorization per charge (a retried call finds the first).
  charge_id           text NOT NULL CHECK (charge_id ~ '^chrg_(test_)?[0-9a-z]{19}$'),
  card_id             text NOT NULL,
  amount              bigint NOT NULL CHECK (amount > 0),
  currency            text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status              text NOT NULL CHECK (status IN ('approved', 'declined', 'authentication_required', 'reversed')),
  acquirer_reference  text,
  failure_code        text,
  failure_message     text,
  authorized_amount   bigint NOT NULL DEFAULT 0 CHECK (authorized_amount >= 0),
  captured_amount     bigint NOT NULL DEFAULT 0 CHECK (captured_amount >= 0 AND captured_amount <= authorized_amount),
  refunded_amount     bigint NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= captured_amount),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, charge_id)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON vault_public_keys TO {{runtime_role}};
-- A deleted card keeps its metadata row with its sealed PAN emptied; the retention job removes the rows
-- of expired tokens and of cards no customer holds.
GRANT SELECT, INSERT, DELETE ON vault_cards TO {{runtime_role}};
GRANT UPDATE (customer_id, security_code_check, dek_id, pan_nonce, pan_ciphertext, deleted_at) ON vault_cards TO {{runtime_role}};
GRANT SELECT, INSERT, DELETE ON vault_tokens TO {{runtime_role}};
GRANT UPDATE (used_at, charge_status) ON vault_tokens TO {{runtime_role}};
GRANT SELECT, INSERT, DELETE ON vault_security_codes TO {{runtime_role}};
GRANT SELECT, INSERT ON vault_authorizations TO {{runtime_role}};
GRANT UPDATE (status, authorized_amount, captured_amount, refunded_amount, acquirer_reference, failure_code, failure_message, updated_at) ON vault_authorizations TO {{runtime_role}};
