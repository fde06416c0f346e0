// Recovery codes: shape and entropy, forgiving input (case, spaces, dashes), and a hash bound to the
// user. Single use against the database is in mfa.pages.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashRecoveryCode, newRecoveryCodes, normalizeRecoveryCode, RECOVERY_CODE_COUNT } from './recovery-codes.ts';

test('a batch is ten distinct codes of four groups of four from the unambiguous alphabet', () => {
  const codes = newRecoveryCodes();
  assert.equal(codes.length, RECOVERY_CODE_COUNT);
  assert.equal(new Set(codes).size, codes.length);
  for (const code of codes) assert.match(code, /^[2-9a-hjkmnp-tv-z]{4}(-[2-9a-hjkmnp-tv-z]{4}){3}$/);
  // 1,000 codes: every character of the alphabet shows up, none outside it (no 0, 1, i, l, o, u).
  const seen = new Set(newRecoveryCodes(1000).join('').replaceAll('-', ''));
  assert.equal(seen.size, 30);
  for (const banned of '01ilou') assert.equal(seen.has(banned), false, banned);
});

test('typed codes are normalised; anything else is refused', () => {
  const [code] = newRecoveryCodes(1);
  assert.equal(normalizeRecoveryCode(code!.toUpperCase().replaceAll('-', ' ')), code!.replaceAll('-', ''));
  assert.equal(normalizeRecoveryCode(` ${code} `), code!.replaceAll('-', ''));
  for (const bad of ['', 'abcd-efgh-jkmn', 'abcd-efgh-jkmn-pqrs-t', 'abcd-efgh-jkmn-pqr0', '123456']) assert.equal(normalizeRecoveryCode(bad), null, bad);
});

test('the stored hash is SHA-256 bound to the user: the same code of two users hashes apart', () => {
  const [code] = newRecoveryCodes(1);
  const a = hashRecoveryCode('user_a', code!);
  assert.equal(a.length, 32);
  assert.deepEqual(hashRecoveryCode('user_a', code!.toUpperCase()), a, 'case does not matter');
  assert.notDeepEqual(hashRecoveryCode('user_b', code!), a);
  assert.throws(() => hashRecoveryCode('user_a', 'nope'), /not a recovery code/);
});
