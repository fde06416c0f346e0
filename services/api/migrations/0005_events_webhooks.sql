-- Events, webhook endpoints and webhook delivery attempts (docs/omise-compat.md §7.6, §12).
-- An event is written in the transaction of the change it records and never changes afterwards.
-- `data` is json, not jsonb, so the snapshot keeps the key order the API presented it in.
-- The delivery queue itself is pg-boss's schema (`pgboss`), installed by the migration step with the
-- owner's connection (services/api/webhooks/queue-install.ts), not by this file.
CREATE TABLE events (
  id          text PRIMARY KEY,
  account_id  text NOT NULL REFERENCES accounts (id),
  livemode    boolean NOT NULL,
  key         text NOT NULL CHECK (key ~ '^[a-z_]+(\.[a-z_]+){1,2}$'),
  data        json NOT NULL CHECK (json_typeof(data) = 'object'),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_account_created ON events (account_id, livemode, created_at, id);

-- One endpoint per account and mode (test and live apart). The signing secret is 32 random bytes,
-- base64; it is shown to the merchant once, when the endpoint is set. It is stored as it is: the KMS
-- policy gives the api no key to wrap it with (docs/threat-model.md, known gaps).
CREATE TABLE webhook_endpoints (
  account_id  text NOT NULL REFERENCES accounts (id),
  livemode    boolean NOT NULL,
  uri         text NOT NULL CHECK (uri LIKE 'https://%' AND length(uri) <= 1024),
  secret      text NOT NULL CHECK (secret ~ '^[A-Za-z0-9+/]{43}=$'),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, livemode)
);

-- Every attempt, successful or not. `status` is the endpoint's HTTP status (null when none came back,
-- with `error` saying why); `payload` is the exact body that was signed and sent.
CREATE TABLE webhook_deliveries (
  id          text PRIMARY KEY,
  event_id    text NOT NULL REFERENCES events (id),
  account_id  text NOT NULL REFERENCES accounts (id),
  livemode    boolean NOT NULL,
  uri         text NOT NULL,
  status      integer CHECK (status BETWEEN 100 AND 599),
  error       text,
  payload     text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (status IS NOT NULL OR error IS NOT NULL)
);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id, created_at, id);

GRANT SELECT, INSERT ON events TO {{runtime_role}};
GRANT SELECT, INSERT, DELETE ON webhook_endpoints TO {{runtime_role}};
GRANT UPDATE (uri, secret, updated_at) ON webhook_endpoints TO {{runtime_role}};
GRANT SELECT, INSERT ON webhook_deliveries TO {{runtime_role}};
