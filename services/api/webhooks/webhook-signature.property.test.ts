import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { newWebhookSecret, signWebhook, verifyWebhook } from './webhook-signature.ts';

const secret = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes).toString('base64'));
const body = fc.uint8Array({ minLength: 1, maxLength: 512 });
const now = fc.integer({ min: 1_000_000_000, max: 4_000_000_000 });

test('property: verify(sign(x)) holds for any secret, body and timestamp (within the window)', () => {
  fc.assert(fc.property(secret, body, now, fc.integer({ min: -300, max: 300 }), (key, raw, at, drift) => {
    const signature = signWebhook(key, at, raw);
    assert.match(signature, /^[0-9a-f]{64}$/);
    assert.ok(verifyWebhook({ secret: key, signature, timestamp: String(at), body: raw, now: at + drift }));
  }));
});

test('property: any flipped byte of the body or of the signature, or another timestamp, fails', () => {
  fc.assert(fc.property(secret, body, now, fc.nat(), fc.integer({ min: 1, max: 255 }), (key, raw, at, where, mask) => {
    const signature = signWebhook(key, at, raw);
    const flipped = Uint8Array.from(raw);
    flipped[where % flipped.length]! ^= mask;
    assert.equal(verifyWebhook({ secret: key, signature, timestamp: String(at), body: flipped, now: at }), false, 'body byte flipped');
    const mac = Buffer.from(signature, 'hex');
    mac[where % mac.length]! ^= mask;
    assert.equal(verifyWebhook({ secret: key, signature: mac.toString('hex'), timestamp: String(at), body: raw, now: at }), false, 'signature byte flipped');
    assert.equal(verifyWebhook({ secret: key, signature, timestamp: String(at + 1), body: raw, now: at }), false, 'timestamp changed');
  }));
});

test('property: another secret never verifies', () => {
  fc.assert(fc.property(secret, secret, body, now, (key, other, raw, at) => {
    fc.pre(key !== other);
    assert.equal(verifyWebhook({ secret: other, signature: signWebhook(key, at, raw), timestamp: String(at), body: raw, now: at }), false);
  }));
});

test('the signed string is `<timestamp>.<body>`, keyed with the base64-decoded secret (Omise scheme)', () => {
  const key = newWebhookSecret();
  assert.equal(Buffer.from(key, 'base64').length, 32);
  const expected = createHmac('sha256', Buffer.from(key, 'base64')).update('1700000000.{"a":1}').digest('hex');
  assert.equal(signWebhook(key, 1_700_000_000, '{"a":1}'), expected);
});

test('stale or future timestamps, malformed headers, and a matching signature among several', () => {
  const key = newWebhookSecret();
  const raw = '{"object":"event"}';
  const signature = signWebhook(key, 1_700_000_000, raw);
  const check = { secret: key, signature, timestamp: '1700000000', body: raw };
  assert.ok(verifyWebhook({ ...check, now: 1_700_000_000 }));
  assert.equal(verifyWebhook({ ...check, now: 1_700_000_301 }), false, 'older than the window');
  assert.equal(verifyWebhook({ ...check, now: 1_699_999_699 }), false, 'from the future');
  assert.ok(verifyWebhook({ ...check, now: 1_700_000_400, toleranceSeconds: 600 }));
  for (const bad of [undefined, '', 'zz', signature.toUpperCase(), `${signature}00`, signature.slice(2)]) {
    assert.equal(verifyWebhook({ ...check, signature: bad, now: 1_700_000_000 }), false, String(bad));
  }
  for (const bad of [undefined, '', '1.5e9', '-1', ' 1700000000', '17000000000000']) {
    assert.equal(verifyWebhook({ ...check, timestamp: bad, now: 1_700_000_000 }), false, String(bad));
  }
  const rotated = `${signWebhook(newWebhookSecret(), 1_700_000_000, raw)}, ${signature}`;
  assert.ok(verifyWebhook({ ...check, signature: rotated, now: 1_700_000_000 }), 'any one of several signatures');
});
