// TOTP secrets sealed under a KMS data key: they open only for the user they were sealed for, a
// tampered blob or a key of another family is refused, the row never holds the secret, and a KMS
// that cannot serve stops everything (fails closed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatWrapped } from '#lib/contracts/index.ts';
import { KmsUnavailableError } from '#lib/kms-client/index.ts';
import { createSecretBox, MFA_SECRET_KEK, SecretBoxError } from './secret-box.ts';
import { fakeKms } from './testing.ts';

test('seal and open, for the same user only', async () => {
  const kms = fakeKms();
  const box = createSecretBox({ kms });
  const secret = Buffer.from('0123456789abcdefghij');
  const sealed = await box.seal('user_a', secret);
  assert.match(sealed.secret_wrapped_key, /^kms1:mfa-secret:1:/);
  assert.equal(sealed.secret_ciphertext.includes(secret), false, 'the secret is not in the row');
  assert.deepEqual(await box.open('user_a', sealed), secret);
  await assert.rejects(box.open('user_b', sealed), SecretBoxError, 'moved to another user');
  const tampered = Buffer.from(sealed.secret_ciphertext);
  tampered[20]! ^= 1;
  await assert.rejects(box.open('user_a', { ...sealed, secret_ciphertext: tampered }), SecretBoxError);
  assert.deepEqual(kms.calls, { dataKey: 1, decrypt: 3 }, 'one data key per seal, one unwrap per open');
});

test('a wrapped key of another family is refused before the KMS is asked', async () => {
  const kms = fakeKms();
  const box = createSecretBox({ kms });
  const sealed = await box.seal('user_a', Buffer.alloc(20, 7));
  const other = formatWrapped({ keyId: 'webhook-secret.acct_x', version: 1, ciphertext: Buffer.alloc(40, 1) });
  await assert.rejects(box.open('user_a', { ...sealed, secret_wrapped_key: other }), SecretBoxError);
  assert.equal(kms.calls.decrypt, 0);
  await assert.rejects(createSecretBox({ kms: { ...kms, dataKey: async () => ({ ...(await kms.dataKey('card-data')), key_id: 'card-data' }) } }).seal('u', Buffer.alloc(20)), SecretBoxError);
  assert.equal(MFA_SECRET_KEK, 'mfa-secret');
});

test('an unavailable KMS fails closed', async () => {
  const kms = fakeKms();
  const box = createSecretBox({ kms });
  const sealed = await box.seal('user_a', Buffer.alloc(20, 3));
  kms.available = false;
  await assert.rejects(box.seal('user_a', Buffer.alloc(20)), KmsUnavailableError);
  await assert.rejects(box.open('user_a', sealed), KmsUnavailableError);
});
