-- The money ledger (services/api/ledger/README.md): double-entry journal entries, one per Omise
-- transaction (docs/omise-compat.md §7.10), per merchant account, mode and currency. Each entry has
-- at least two lines on the ledger accounts below, and its debits equal its credits; a deferred
-- constraint trigger refuses at commit any entry that does not balance, whatever wrote it. Entries
-- are append-only: the runtime role may only INSERT and SELECT, and a trigger refuses UPDATE, DELETE
-- and TRUNCATE for everyone.
--
-- Ledger accounts:
--   merchant_balance     what Strongroom owes the merchant (credit = up). Its lines are the merchant's
--                        transactions; `transferable_at` on the entry says when a credit may be paid out.
--   acquirer_receivable  what the acquirer owes for captured charges, less refunds (debit = up).
--   fees                 Strongroom's fee revenue on charges (credit = up).
--   vat                  VAT collected on those fees, owed to the tax authority (credit = up).
CREATE TABLE ledger_entries (
  id               text PRIMARY KEY,
  account_id       text NOT NULL REFERENCES accounts (id),
  livemode         boolean NOT NULL,
  currency         text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- The Omise transaction key: what moved the money.
  kind             text NOT NULL CHECK (kind IN ('charge.captured.net', 'refund')),
  -- The charge or refund that moved it.
  origin           text NOT NULL,
  -- The movement of merchant_balance, as the merchant sees it; the trigger ties it to the lines.
  direction        text NOT NULL CHECK (direction IN ('credit', 'debit')),
  amount           bigint NOT NULL CHECK (amount >= 0 AND amount < 1000000000000),
  line_count       smallint NOT NULL CHECK (line_count >= 2),
  transferable_at  timestamptz NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  -- A retried change never books the same movement twice.
  CONSTRAINT ledger_entries_once UNIQUE (origin, kind)
);
CREATE INDEX ledger_entries_account_created ON ledger_entries (account_id, livemode, created_at, id);
CREATE INDEX ledger_entries_account_currency ON ledger_entries (account_id, livemode, currency);

CREATE TABLE ledger_lines (
  entry_id        text NOT NULL REFERENCES ledger_entries (id),
  line            smallint NOT NULL CHECK (line >= 1),
  ledger_account  text NOT NULL CHECK (ledger_account IN ('merchant_balance', 'acquirer_receivable', 'fees', 'vat')),
  debit           bigint NOT NULL CHECK (debit >= 0 AND debit < 1000000000000),
  credit          bigint NOT NULL CHECK (credit >= 0 AND credit < 1000000000000),
  -- One side per line, never zero: a zero movement is no line at all.
  CHECK ((debit = 0) <> (credit = 0)),
  PRIMARY KEY (entry_id, line)
);

-- At commit, for the entry of each inserted entry or line: exactly `line_count` lines (so no line can
-- be added to an entry later), debits equal credits, and the merchant_balance lines move the balance
-- by the entry's signed amount (so the transactions list and the ledger always agree).
CREATE FUNCTION ledger_entry_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
  target text;
  entry public.ledger_entries%ROWTYPE;
  lines integer;
  debits numeric;
  credits numeric;
  merchant numeric;
  signed numeric;
BEGIN
  IF TG_TABLE_NAME = 'ledger_entries' THEN
    target := NEW.id;
  ELSE
    target := NEW.entry_id;
  END IF;
  SELECT * INTO entry FROM public.ledger_entries e WHERE e.id = target;
  SELECT count(*), COALESCE(sum(l.debit), 0), COALESCE(sum(l.credit), 0),
         COALESCE(sum(l.credit - l.debit) FILTER (WHERE l.ledger_account = 'merchant_balance'), 0)
    INTO lines, debits, credits, merchant
    FROM public.ledger_lines l WHERE l.entry_id = entry.id;
  IF lines <> entry.line_count THEN
    RAISE EXCEPTION 'ledger entry % has % lines, expected %', entry.id, lines, entry.line_count USING ERRCODE = 'check_violation';
  END IF;
  IF debits <> credits THEN
    RAISE EXCEPTION 'ledger entry % does not balance: debits %, credits %', entry.id, debits, credits USING ERRCODE = 'check_violation';
  END IF;
  signed := entry.amount;
  IF entry.direction = 'debit' THEN
    signed := -entry.amount;
  END IF;
  IF merchant <> signed THEN
    RAISE EXCEPTION 'ledger entry % moves merchant_balance by %, not its % of %', entry.id, merchant, entry.direction, entry.amount
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_check();
CREATE CONSTRAINT TRIGGER ledger_lines_balanced AFTER INSERT ON ledger_lines
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_check();

-- Defence in depth, as for audit_log: even the owner must first disable these triggers.
CREATE FUNCTION ledger_refuse_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER ledger_entries_no_update_delete BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_lines_no_update_delete BEFORE UPDATE OR DELETE ON ledger_lines
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_lines_no_truncate BEFORE TRUNCATE ON ledger_lines
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

REVOKE ALL ON ledger_entries, ledger_lines FROM PUBLIC;
REVOKE ALL ON FUNCTION ledger_entry_check(), ledger_refuse_change() FROM PUBLIC;
GRANT SELECT, INSERT ON ledger_entries, ledger_lines TO {{runtime_role}};

-- The id of the transaction a charge's capture and a refund will post, chosen with the object so the
-- charge and refund views (and the events that carry them) can name it. NULL for rows written before.
ALTER TABLE charges ADD COLUMN transaction_id text UNIQUE;
ALTER TABLE refunds ADD COLUMN transaction_id text UNIQUE;
