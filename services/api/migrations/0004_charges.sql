-- Charges and refunds (Omise objects, docs/omise-compat.md §7.3, §7.4). No card data here: the card is
-- a snapshot of the vault's card object (metadata PCI DSS allows in clear), the authorization is the
-- vault's id. `exchange` is where the api stands with the vault: a row is written `requested` before
-- the vault is asked (so the id exists and an unanswered request can be reconciled), then `answered`,
-- or `refused` when the vault turned the request down and nothing happened. Only `answered` rows are
-- shown to merchants.
CREATE TABLE charges (
  id                  text PRIMARY KEY,
  account_id          text NOT NULL REFERENCES accounts (id),
  livemode            boolean NOT NULL,
  exchange            text NOT NULL DEFAULT 'requested' CHECK (exchange IN ('requested', 'answered', 'refused')),
  status              text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'successful', 'failed', 'reversed', 'expired')),
  amount              bigint NOT NULL CHECK (amount > 0 AND amount < 1000000000000),
  currency            text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  description         text,
  metadata            jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
  capture             boolean NOT NULL,
  authorization_type  text CHECK (authorization_type IN ('pre_auth', 'final_auth')),
  customer_id         text,
  token_id            text,
  card_id             text,
  card                jsonb CHECK (card IS NULL OR jsonb_typeof(card) = 'object'),
  authorization_id    text UNIQUE,
  authorized          boolean NOT NULL DEFAULT false,
  authorized_amount   bigint NOT NULL DEFAULT 0 CHECK (authorized_amount >= 0),
  captured_amount     bigint NOT NULL DEFAULT 0 CHECK (captured_amount >= 0 AND captured_amount <= authorized_amount),
  refunded_amount     bigint NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= captured_amount),
  failure_code        text,
  failure_message     text,
  authorize_uri       text,
  return_uri          text,
  ip                  text,
  fee_rate_bp         integer NOT NULL CHECK (fee_rate_bp BETWEEN 0 AND 10000),
  vat_rate_bp         integer NOT NULL CHECK (vat_rate_bp BETWEEN 0 AND 10000),
  authorized_at       timestamptz,
  paid_at             timestamptz,
  reversed_at         timestamptz,
  expired_at          timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX charges_account_created ON charges (account_id, livemode, created_at, id) WHERE exchange = 'answered';

CREATE TABLE refunds (
  id           text PRIMARY KEY,
  charge_id    text NOT NULL REFERENCES charges (id),
  account_id   text NOT NULL REFERENCES accounts (id),
  livemode     boolean NOT NULL,
  exchange     text NOT NULL DEFAULT 'requested' CHECK (exchange IN ('requested', 'answered', 'refused')),
  amount       bigint NOT NULL CHECK (amount > 0 AND amount < 1000000000000),
  currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status       text NOT NULL DEFAULT 'closed',
  voided       boolean NOT NULL DEFAULT false,
  metadata     jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_charge_created ON refunds (charge_id, created_at, id) WHERE exchange = 'answered';

GRANT SELECT, INSERT ON charges TO {{runtime_role}};
GRANT UPDATE (exchange, status, description, metadata, card_id, card, authorization_id, authorized, authorized_amount,
  captured_amount, refunded_amount, failure_code, failure_message, authorize_uri, authorized_at, paid_at, reversed_at,
  expired_at, updated_at) ON charges TO {{runtime_role}};
GRANT SELECT, INSERT ON refunds TO {{runtime_role}};
GRANT UPDATE (exchange, status) ON refunds TO {{runtime_role}};
