// Envelope sealing of webhook secrets against an in-memory KMS (the real one: test/api.webhook-secrets.test.ts):
// the KMS key per merchant, the data-key cache (one unwrap per endpoint while cached, zeroised when it
// leaves), refusals before any KMS call, unexpected KMS answers, and an outage surfacing as such.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { KmsUnavailableError } from '#lib/kms-client/index.ts';
import { createTestKms, secretFormsIn } from '../testing.ts';
import { createDekCache } from './dek-cache.ts';
import { createWebhookSecrets, WebhookSecretError } from './webhook-secrets.ts';

const shop = { accountId: 'acct_test_0000000000000000001', livemode: false };
const rowOf = async (secrets: ReturnType<typeof createWebhookSecrets>, secret: Buffer, binding = shop) =>
  ({ account_id: binding.accountId, livemode: binding.livemode, ...await secrets.seal(binding, secret) });

test('sealed under a data key of the merchant\'s own KEK; opens to the secret; no form of it is stored', async () => {
  const kms = createTestKms();
  const secrets = createWebhookSecrets({ kms });
  const secret = randomBytes(32);
  const row = await rowOf(secrets, secret);
  assert.match(row.secret_wrapped_key, /^kms1:webhook-secret\.acct_test_0000000000000000001:1:/);
  assert.deepEqual(secretFormsIn(row, secret.toString('base64')), []);
  assert.deepEqual(await secrets.open(row), secret);
  // The helper that checks stored rows does find each form of a secret (this one has `+` and `/`, so its forms differ).
  const known = Buffer.alloc(32, 0xfb);
  assert.deepEqual(secretFormsIn({ a: known, b: known.toString('base64url'), c: known.toString('hex').toUpperCase() }, known.toString('base64')).sort(),
    ['base64', 'base64url', 'bytes', 'hex']);
  assert.deepEqual(secretFormsIn({ b: `x${known.toString('base64')}` }, known.toString('base64')), ['base64']);
  secrets.close();
});

test('one unwrap per endpoint while cached, shared by concurrent opens; again after the cache time', async () => {
  const kms = createTestKms();
  let clock = 1_000;
  const secrets = createWebhookSecrets({ kms, cacheTtlMs: 60_000, now: () => clock });
  const secret = randomBytes(32);
  const row = await rowOf(secrets, secret);
  const opened = await Promise.all(Array.from({ length: 10 }, () => secrets.open(row)));
  assert.ok(opened.every((each) => each.equals(secret)));
  assert.equal(kms.state.decrypts, 1);
  await secrets.open(row);
  assert.equal(kms.state.decrypts, 1);
  clock += 60_000;
  await secrets.open(row);
  assert.equal(kms.state.decrypts, 2, 'an expired data key is unwrapped again');
  opened[0]!.fill(0);
  assert.deepEqual(await secrets.open(row), secret, 'callers get copies: zeroising one does not touch the cache');
  secrets.close();
});

test('refused before the KMS is asked: another merchant\'s wrapped key; refused after: altered or moved ciphertext', async () => {
  const kms = createTestKms();
  const secrets = createWebhookSecrets({ kms });
  const row = await rowOf(secrets, randomBytes(32));
  const other = await rowOf(secrets, randomBytes(32), { accountId: 'acct_test_0000000000000000002', livemode: false });
  await assert.rejects(secrets.open({ ...row, account_id: other.account_id }), WebhookSecretError);
  await assert.rejects(secrets.open({ ...other, secret_wrapped_key: row.secret_wrapped_key }), WebhookSecretError);
  assert.equal(kms.state.decrypts, 0);
  const flipped = Buffer.from(row.secret_ciphertext);
  flipped[30]! ^= 4;
  await assert.rejects(secrets.open({ ...row, secret_ciphertext: flipped }), (error: unknown) => error instanceof WebhookSecretError && error.code === 'unreadable');
  await assert.rejects(secrets.open({ ...row, livemode: true }), WebhookSecretError);
  await assert.rejects(secrets.open({ ...other, secret_ciphertext: row.secret_ciphertext }), WebhookSecretError);
  secrets.close();
});

test('a KMS answering for another key, or with a key of the wrong size, is refused', async () => {
  const kms = createTestKms();
  const secrets = createWebhookSecrets({
    kms: {
      dataKey: async (keyId) => ({ ...await kms.dataKey(keyId), key_id: 'webhook-secret.acct_test_0000000000000000009' }),
      decrypt: async (wrapped) => ({ ...await kms.decrypt(wrapped), key_id: 'webhook-secret.acct_test_0000000000000000009' }),
    },
  });
  await assert.rejects(secrets.seal(shop, randomBytes(32)), (error: unknown) => error instanceof WebhookSecretError && error.code === 'invalid_kms_answer');
  const honest = createWebhookSecrets({ kms });
  const row = await rowOf(honest, randomBytes(32));
  await assert.rejects(secrets.open(row), (error: unknown) => error instanceof WebhookSecretError && error.code === 'invalid_kms_answer');
  const short = createWebhookSecrets({ kms: { dataKey: kms.dataKey, decrypt: async (wrapped) => ({ ...await kms.decrypt(wrapped), plaintext: 'AAAA' }) } });
  await assert.rejects(short.open(row), (error: unknown) => error instanceof WebhookSecretError && error.code === 'invalid_kms_answer');
  for (const each of [secrets, honest, short]) each.close();
});

test('an unreachable KMS surfaces as KmsUnavailableError, for sealing and for opening an uncached key', async () => {
  const kms = createTestKms();
  const secrets = createWebhookSecrets({ kms });
  const row = await rowOf(secrets, randomBytes(32));
  kms.state.down = true;
  await assert.rejects(secrets.seal(shop, randomBytes(32)), KmsUnavailableError);
  await assert.rejects(secrets.open(row), KmsUnavailableError);
  kms.state.down = false;
  assert.equal((await secrets.open(row)).length, 32);
  secrets.close();
});

test('the data-key cache zeroises what leaves it: expiry, eviction, sweep and clear', () => {
  let clock = 0;
  const cache = createDekCache({ maxEntries: 2, ttlMs: 100, now: () => clock });
  const [a, b, c, d] = [1, 2, 3, 4].map((fill) => Buffer.alloc(32, fill)) as [Buffer, Buffer, Buffer, Buffer];
  cache.set('a', a);
  cache.set('b', b);
  assert.equal(cache.get('a'), a); // a is now the most recently used
  cache.set('c', c);
  assert.equal(cache.get('b'), undefined, 'the least recently used is evicted');
  assert.ok(b.every((byte) => byte === 0));
  clock = 100;
  assert.equal(cache.get('a'), undefined, 'expired');
  assert.ok(a.every((byte) => byte === 0));
  cache.sweep();
  assert.ok(c.every((byte) => byte === 0));
  assert.equal(cache.size, 0);
  cache.set('d', d);
  cache.clear();
  assert.ok(d.every((byte) => byte === 0));
  assert.throws(() => createDekCache({ maxEntries: 0, ttlMs: 1 }));
});
