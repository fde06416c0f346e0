CREATE TABLE customers (
  id            text PRIMARY KEY,
  account_id    text NOT NULL REFERENCES accounts (id),
  livemode      boolean NOT NULL,
  email         text,
  description   text,
  metadata      jsonb NOT NULL DEFAULT '{}'::jsonb,
  default_card  text,
  deleted       boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_account_created ON customers (account_id, livemode, created_at, id);

GRANT SELECT, INSERT ON customers TO {{runtime_role}};
GRANT UPDATE (email, description, metadata, default_card, deleted) ON customers TO {{runtime_role}};
