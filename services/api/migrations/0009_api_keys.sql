-- API key management (services/api/keys/): defence in depth below the service's own checks.
-- An allow-list belongs to a secret key only (public keys are used from browsers, at the vault) and is
-- bounded; an empty list would lock the key out silently, so NULL is the only "any address".
ALTER TABLE api_keys
  ADD CONSTRAINT api_keys_allowlist_secret_only CHECK (ip_allowlist IS NULL OR kind = 'secret'),
  ADD CONSTRAINT api_keys_allowlist_bounded CHECK (ip_allowlist IS NULL OR cardinality(ip_allowlist) BETWEEN 1 AND 20);

-- A key's expiry only ever moves earlier: a rolled or revoked key cannot be brought back, by a bug or
-- by anyone holding the runtime role. Nor can the columns that say what the key is change.
CREATE FUNCTION api_keys_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  IF OLD.expires_at IS NOT NULL AND (NEW.expires_at IS NULL OR NEW.expires_at > OLD.expires_at) THEN
    RAISE EXCEPTION 'api_keys: an expiry can only move earlier' USING ERRCODE = 'check_violation';
  END IF;
  IF (NEW.id, NEW.account_id, NEW.kind, NEW.livemode, NEW.public_value, NEW.secret_hash, NEW.created_at)
     IS DISTINCT FROM (OLD.id, OLD.account_id, OLD.kind, OLD.livemode, OLD.public_value, OLD.secret_hash, OLD.created_at) THEN
    RAISE EXCEPTION 'api_keys: a key''s identity and value never change' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER api_keys_guard BEFORE UPDATE ON api_keys FOR EACH ROW EXECUTE FUNCTION api_keys_guard();
REVOKE ALL ON FUNCTION api_keys_guard() FROM PUBLIC;
