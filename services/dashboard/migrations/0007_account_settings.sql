-- Account-wide settings (account/). `require_mfa`: every member must have a second factor; one who
-- has none enrols it at their next sign-in before getting a session. No row: the defaults.
CREATE TABLE account_settings (
  account_id   text PRIMARY KEY,
  require_mfa  boolean NOT NULL DEFAULT false,
  updated_by   text NOT NULL REFERENCES users (id),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT ON account_settings TO {{runtime_role}};
GRANT UPDATE (require_mfa, updated_by, updated_at) ON account_settings TO {{runtime_role}};
