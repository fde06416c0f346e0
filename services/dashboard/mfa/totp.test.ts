// TOTP: the ±1 step window, replay protection (a step once accepted, and every earlier one, is
// refused), code shapes, and the key URI authenticator apps import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { base32Of, keyUri, matchStep, newTotpSecret, normalizeCode, stepAt, TOTP_PERIOD_SECONDS } from './totp.ts';
import { totpCode } from './testing.ts';

const T0 = new Date('2026-05-01T12:00:10Z');
const at = (steps: number) => new Date(T0.getTime() + steps * TOTP_PERIOD_SECONDS * 1000);

test('a code is accepted for the current step and one step either side, not two', () => {
  const secret = newTotpSecret();
  const key = base32Of(secret);
  assert.equal(matchStep(secret, totpCode(key, T0), T0, null), stepAt(T0));
  assert.equal(matchStep(secret, totpCode(key, at(-1)), T0, null), stepAt(T0) - 1, 'the previous code (slow typist, clock behind)');
  assert.equal(matchStep(secret, totpCode(key, at(1)), T0, null), stepAt(T0) + 1, 'the next code (clock ahead)');
  assert.equal(matchStep(secret, totpCode(key, at(-2)), T0, null), null);
  assert.equal(matchStep(secret, totpCode(key, at(2)), T0, null), null);
});

test('a step already used, or any earlier one, is refused (replay)', () => {
  const secret = newTotpSecret();
  const key = base32Of(secret);
  const used = matchStep(secret, totpCode(key, T0), T0, null)!;
  assert.equal(matchStep(secret, totpCode(key, T0), T0, used), null, 'the same code again');
  assert.equal(matchStep(secret, totpCode(key, at(-1)), T0, used), null, 'an older code still inside the window');
  assert.equal(matchStep(secret, totpCode(key, at(1)), at(1), used), used + 1, 'the next code works');
  // Used ahead of time (clock ahead): the current step's code is then refused too.
  assert.equal(matchStep(secret, totpCode(key, T0), T0, stepAt(T0) + 1), null);
});

test('another secret\'s code, and wrong codes, match nothing', () => {
  const secret = newTotpSecret();
  const other = base32Of(newTotpSecret());
  fc.assert(fc.property(fc.integer({ min: -1, max: 1 }), (delta) => {
    const code = totpCode(other, at(delta));
    const own = [-1, 0, 1].map((d) => totpCode(base32Of(secret), at(d)));
    return own.includes(code) || matchStep(secret, code, T0, null) === null;
  }), { numRuns: 50 });
});

test('codes are six digits; spaces as apps show them are ignored', () => {
  assert.equal(normalizeCode('123 456'), '123456');
  assert.equal(normalizeCode(' 123456 '), '123456');
  for (const bad of ['12345', '1234567', '12a456', '', '١٢٣٤٥٦']) assert.equal(normalizeCode(bad), null, bad);
});

test('the secret is 160 bits and the key URI names the issuer, account and parameters', () => {
  const secret = newTotpSecret();
  assert.equal(secret.length, 20);
  const uri = new URL(keyUri(secret, 'owner@shop.example'));
  assert.equal(uri.protocol, 'otpauth:');
  assert.equal(uri.host, 'totp');
  assert.equal(decodeURIComponent(uri.pathname), '/Strongroom:owner@shop.example');
  assert.equal(uri.searchParams.get('secret'), base32Of(secret));
  assert.equal(uri.searchParams.get('issuer'), 'Strongroom');
  assert.deepEqual([uri.searchParams.get('algorithm'), uri.searchParams.get('digits'), uri.searchParams.get('period')], ['SHA1', '6', '30']);
});
