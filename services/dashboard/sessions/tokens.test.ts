import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hashToken, isWellFormedToken, newToken, sameToken, TOKEN_BYTES } from './tokens.ts';

test('tokens carry 256 random bits, base64url, and never repeat', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2_000; i++) {
    const token = newToken();
    assert.ok(isWellFormedToken(token), token);
    assert.equal(Buffer.from(token, 'base64url').length, TOKEN_BYTES);
    assert.ok(!seen.has(token));
    seen.add(token);
  }
});

test('the stored form is the SHA-256, 32 bytes, and differs from the token', () => {
  const token = newToken();
  const hash = hashToken(token);
  assert.equal(hash.length, 32);
  assert.ok(!hash.toString('base64url').includes(token));
  assert.deepEqual(hashToken(token), hash);
  assert.notDeepEqual(hashToken(newToken()), hash);
});

test('only the exact shape is well formed', () => {
  fc.assert(fc.property(fc.string({ maxLength: 60 }), (text) => {
    assert.equal(isWellFormedToken(text), /^[A-Za-z0-9_-]{43}$/.test(text));
  }));
  assert.equal(isWellFormedToken(undefined), false);
  assert.equal(isWellFormedToken(newToken() + 'x'), false);
});

test('sameToken is equality of well-formed tokens, and false for anything else', () => {
  const token = newToken();
  assert.equal(sameToken(token, `${token}`), true);
  assert.equal(sameToken(token, newToken()), false);
  assert.equal(sameToken('', ''), false, 'an empty field never matches an empty secret');
  assert.equal(sameToken(undefined, undefined), false);
  fc.assert(fc.property(fc.string({ maxLength: 50 }), fc.string({ maxLength: 50 }), (a, b) => {
    assert.equal(sameToken(a, b), isWellFormedToken(a) && a === b);
  }));
  fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), (a) => assert.equal(sameToken(a, a), true)));
});
