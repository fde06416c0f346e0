-- Webhook signing secrets sealed at rest (services/api/webhooks/secrets/, docs/webhooks.md "Storage and
-- privileges"): the plaintext `secret` column of 0005 goes. Each endpoint keeps its secret AES-256-GCM
-- sealed (nonce ‖ ciphertext ‖ tag, bound to account and mode) under a data key of its own, and that
-- data key wrapped by the KMS under the merchant's KEK `webhook-secret.<account>` (the api's alone).
--
-- Existing rows are refused, not converted: SQL cannot reach the KMS, and the api would have to keep
-- reading plaintext secrets to convert them later. Before this version webhook endpoints existed only
-- in development data, so the migration stops with instructions instead.
DO $$
DECLARE
  plaintext bigint;
BEGIN
  SELECT count(*) INTO plaintext FROM webhook_endpoints;
  IF plaintext > 0 THEN
    RAISE EXCEPTION 'webhook_endpoints holds % endpoint(s) whose signing secret is stored unencrypted. This version '
      'keeps webhook secrets sealed under the KMS and cannot seal existing ones from SQL. This is development data: '
      'start from a fresh data directory, or remove them (DELETE FROM webhook_endpoints; as the api_migrator role, '
      'password in $STRONGROOM_DATA_DIR/services/api/credentials.json), then set each endpoint again with '
      'PATCH /account {webhook_uri}, which issues a new secret.', plaintext
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
END
$$;

ALTER TABLE webhook_endpoints DROP COLUMN secret;
ALTER TABLE webhook_endpoints
  -- The wrapped data key names the KMS key and version it is wrapped under: this row's own merchant's KEK.
  ADD COLUMN secret_wrapped_key text NOT NULL
    CHECK (length(secret_wrapped_key) <= 4200
      AND secret_wrapped_key ~ '^kms1:webhook-secret\.[A-Za-z0-9_]{1,64}:[1-9][0-9]{0,8}:[A-Za-z0-9_-]{16,}$'
      AND starts_with(secret_wrapped_key, 'kms1:webhook-secret.' || account_id || ':')),
  -- 12-byte nonce, the 32-byte secret encrypted, 16-byte tag.
  ADD COLUMN secret_ciphertext bytea NOT NULL CHECK (octet_length(secret_ciphertext) = 60);

GRANT UPDATE (secret_wrapped_key, secret_ciphertext) ON webhook_endpoints TO {{runtime_role}};
