-- Dashboard users and their membership in merchant accounts. Passwords: Argon2id, parameters in the hash.
CREATE TABLE users (
  id             text PRIMARY KEY,
  email          text NOT NULL UNIQUE,
  password_hash  text NOT NULL,
  email_verified boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
  user_id     text NOT NULL REFERENCES users (id),
  account_id  text NOT NULL,
  roles       text[] NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, account_id)
);

GRANT SELECT, INSERT ON users, memberships TO {{runtime_role}};
GRANT UPDATE (password_hash, email_verified) ON users TO {{runtime_role}};
GRANT UPDATE (roles) ON memberships TO {{runtime_role}};
GRANT DELETE ON memberships TO {{runtime_role}};
