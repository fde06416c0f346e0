-- The development mail outbox: without SMTP (never in production) every email lands here, for
-- /dev/outbox and the tests to read.
CREATE TABLE mail_outbox (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  recipient   text NOT NULL,
  subject     text NOT NULL,
  body        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT ON mail_outbox TO {{runtime_role}};
