// The sealing of one webhook secret: round trip, and every change (key, any byte, the binding) refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { encodeAad, openSecret, SEALED_BYTES, SecretCipherError, sealSecret } from './secret-cipher.ts';

const shop = { accountId: 'acct_test_0000000000000000001', livemode: false };

test('a sealed secret opens under its key and binding only, and does not contain the secret', () => {
  const dek = randomBytes(32);
  const secret = randomBytes(32);
  const sealed = sealSecret(dek, secret, shop);
  assert.equal(sealed.length, SEALED_BYTES);
  assert.equal(sealed.includes(secret), false);
  assert.deepEqual(openSecret(dek, sealed, shop), secret);
  assert.notDeepEqual(sealSecret(dek, secret, shop), sealed, 'a fresh nonce every time');
  for (const binding of [{ ...shop, livemode: true }, { ...shop, accountId: 'acct_test_0000000000000000002' }]) {
    assert.throws(() => openSecret(dek, sealed, binding), SecretCipherError);
  }
  assert.throws(() => openSecret(randomBytes(32), sealed, shop), SecretCipherError);
  assert.throws(() => openSecret(dek, sealed.subarray(1), shop), SecretCipherError);
  assert.throws(() => sealSecret(dek, randomBytes(31), shop), SecretCipherError);
  assert.throws(() => sealSecret(randomBytes(16), secret, shop), SecretCipherError);
});

test('flipping any bit of the sealed bytes is refused', () => {
  const dek = randomBytes(32);
  const sealed = sealSecret(dek, randomBytes(32), shop);
  fc.assert(fc.property(fc.integer({ min: 0, max: SEALED_BYTES - 1 }), fc.integer({ min: 0, max: 7 }), (at, bit) => {
    const changed = Buffer.from(sealed);
    changed[at]! ^= 1 << bit;
    assert.throws(() => openSecret(dek, changed, shop), SecretCipherError);
  }));
});

test('distinct bindings give distinct AAD bytes; malformed ones are refused', () => {
  fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ minLength: 1, maxLength: 40 }), fc.boolean(), fc.boolean(), (a, b, x, y) => {
    fc.pre(a.isWellFormed() && b.isWellFormed() && (a !== b || x !== y));
    assert.notDeepEqual(encodeAad({ accountId: a, livemode: x }), encodeAad({ accountId: b, livemode: y }));
  }));
  assert.throws(() => encodeAad({ accountId: '', livemode: false }), SecretCipherError);
  assert.throws(() => encodeAad({ accountId: '\ud800', livemode: false }), SecretCipherError);
  assert.throws(() => encodeAad({ accountId: 'a'.repeat(256), livemode: false }), SecretCipherError);
});
