-- Team: custom roles (per account, from the permission catalogue in team/permissions.ts) and
-- invitations (the only way to join an account). Memberships themselves are in 0001_users.sql:
-- `memberships.roles` holds predefined role keys ('owner', 'developer', …) and custom role ids.

CREATE TABLE team_roles (
  id                     text PRIMARY KEY,
  account_id             text NOT NULL,
  name                   text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60),
  description            text NOT NULL DEFAULT '' CHECK (char_length(description) <= 200),
  permissions            text[] NOT NULL CHECK (cardinality(permissions) BETWEEN 1 AND 64),
  phishing_resistant_mfa boolean NOT NULL DEFAULT false,
  created_by             text NOT NULL,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX team_roles_account_name ON team_roles (account_id, lower(name));

-- The token is never stored: only its SHA-256 (it is 256 random bits, so a fast hash is enough).
CREATE TABLE invitations (
  id          text PRIMARY KEY,
  account_id  text NOT NULL,
  email       text NOT NULL CHECK (email = lower(email) AND char_length(email) BETWEEN 3 AND 254),
  roles       text[] NOT NULL CHECK (cardinality(roles) BETWEEN 1 AND 8),
  token_hash  bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  invited_by  text NOT NULL REFERENCES users (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_by text REFERENCES users (id),
  revoked_at  timestamptz,
  revoked_by  text,
  CHECK (expires_at > created_at),
  CHECK ((accepted_at IS NULL) = (accepted_by IS NULL)),
  CHECK ((revoked_at IS NULL) = (revoked_by IS NULL)),
  CHECK (accepted_at IS NULL OR revoked_at IS NULL)
);
-- At most one open invitation per email and account: inviting again supersedes (revokes) the old one.
CREATE UNIQUE INDEX invitations_open_email ON invitations (account_id, email) WHERE accepted_at IS NULL AND revoked_at IS NULL;
CREATE INDEX invitations_account ON invitations (account_id, created_at DESC);

-- Listing an account's members, and the team lock (every team change locks the account's rows).
CREATE INDEX memberships_account ON memberships (account_id);

GRANT SELECT, INSERT, DELETE ON team_roles TO {{runtime_role}};
GRANT UPDATE (name, description, permissions, phishing_resistant_mfa, updated_at) ON team_roles TO {{runtime_role}};
-- Invitations are history: never deleted, only accepted or revoked.
GRANT SELECT, INSERT ON invitations TO {{runtime_role}};
GRANT UPDATE (accepted_at, accepted_by, revoked_at, revoked_by) ON invitations TO {{runtime_role}};
