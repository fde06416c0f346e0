import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isAuditError } from './errors.ts';
import { assertWritable, containsCardNumber, findForbidden, isForbiddenKey, looksLikeSecret, luhnValid } from './guard.ts';
import { prepareEntry } from './record.ts';
import { sampleRecord } from './testing.ts';

const NOW = new Date('2025-01-02T03:04:05.000Z');

/** Runs the record path and returns the error, asserting it names a path and never the value. */
function refusal(record: unknown, secret: string): { path: string; message: string } {
  try {
    prepareEntry(record, 'api', NOW);
  } catch (error) {
    assert.ok(isAuditError(error), 'an AuditError');
    assert.equal(error.code, 'audit_refused');
    const digits = secret.replace(/\D/g, '');
    assert.ok(!error.message.includes(secret), 'the message never carries the value');
    if (digits.length >= 4) assert.ok(!error.message.replace(/\D/g, '').includes(digits.slice(-4)), 'not even the last four');
    return { path: error.path, message: error.message };
  }
  assert.fail('the record was accepted');
}

test('Luhn', () => {
  for (const pan of ['4242424242424242', '5555555555554444', '378282246310005', '4222222222222', '6011111111111117', '3530111333300000']) {
    assert.equal(luhnValid(pan), true, pan);
  }
  assert.equal(luhnValid('4242424242424241'), false);
});

test('card numbers are found plain, spaced, dashed, inside text, 13 to 19 digits', () => {
  for (const text of ['4242424242424242', '4242 4242 4242 4242', '4242-4242-4242-4242', 'card 5555555555554444 declined',
    'amex:378282246310005.', '4222222222222', '6011 0009 9013 9424', '4242  4242  4242  4242', '6250941006528591237']) {
    assert.equal(containsCardNumber(text), true, text);
  }
  // A card number glued to other digits is still found.
  assert.equal(containsCardNumber('00042424242424242420'), true);
});

test('ordinary text and ids are not card numbers', () => {
  for (const text of ['4242424242424241', '424242424242', '2025-01-02T03:04:05.000Z', 'cust_test_5xuy4w91xqz7d1w9u0t',
    '7b0e6b9c-39d6-4b7b-a6f4-0e7c7d4b5f1a', '+66 81 234 5678', 'order 12345 of 3', 'amount 100000']) {
    assert.equal(containsCardNumber(text), false, text);
  }
});

test('secrets: Omise keys, PEM blocks, bearer tokens, JWTs', () => {
  for (const text of ['skey_test_5xuy4w91xqz7d1w9u0t', 'key=pkey_5xuy4w91xqz7d1w9', '-----BEGIN PRIVATE KEY-----\nMIIE...',
    '-----BEGIN CERTIFICATE-----', 'Authorization: Bearer 8f14e45fceea167a5a36dedd4bea2543', 'bearer abcdefghijklmnopqrstu',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc']) {
    assert.equal(looksLikeSecret(text), true, text);
  }
  for (const text of ['skey_short', 'the skey_ prefix', 'Bearer token missing', 'BEGIN here', 'key_test_5xuy4w91xqz7d1w9u0t']) {
    assert.equal(looksLikeSecret(text), false, text);
  }
});

test('secret-named keys are refused in any spelling; keys about them are not', () => {
  for (const key of ['password', 'Password', 'new_password', 'clientSecret', 'secret', 'cvv', 'CVV2', 'security_code',
    'securityCode', 'cardNumber', 'card-number', 'card_number', 'token_value', 'tokenValue', 'pan', 'pin', 'privateKey']) {
    assert.equal(isForbiddenKey(key), true, key);
  }
  for (const key of ['passwordChangedAt', 'secretName', 'tokenId', 'token', 'last4', 'company', 'spinner', 'cardBrand']) {
    assert.equal(isForbiddenKey(key), false, key);
  }
});

test('record() refuses a PAN anywhere: metadata (spaced), nested, as a number, in a key, in a target, in the reason', () => {
  const pan = '4242 4242 4242 4242';
  assert.equal(refusal(sampleRecord({ metadata: { note: `card ${pan}` } }), pan).path, 'metadata.note');
  assert.equal(refusal(sampleRecord({ metadata: { a: { b: ['x', pan] } } }), pan).path, 'metadata.a.b[1]');
  assert.equal(refusal(sampleRecord({ metadata: { n: 4242424242424242 } }), '4242424242424242').path, 'metadata.n');
  assert.equal(refusal(sampleRecord({ metadata: { [`k${pan.replaceAll(' ', '')}`]: 1 } }), pan).path, 'metadata.{key}');
  assert.equal(refusal(sampleRecord({ targets: [{ type: 'card', id: '5555555555554444' }] }), '5555555555554444').path, 'targets[0].id');
  assert.equal(refusal(sampleRecord({ outcome: { result: 'failure', reason: `bad card ${pan}` } }), pan).path, 'outcome.reason');
  const message = refusal(sampleRecord({ metadata: { note: pan } }), pan).message;
  assert.match(message, /metadata\.note .*card number/);
});

test('record() refuses secrets and secret-named metadata keys', () => {
  const key = 'skey_test_5xuy4w91xqz7d1w9u0t';
  assert.equal(refusal(sampleRecord({ metadata: { used: key } }), key).path, 'metadata.used');
  assert.equal(refusal(sampleRecord({ actor: { type: 'api_key', id: key } }), key).path, 'actor.id');
  const bearer = 'Bearer 8f14e45fceea167a5a36dedd4bea2543';
  assert.equal(refusal(sampleRecord({ origin: { certIdentity: bearer } }), bearer).path, 'origin.certIdentity');
  // The client's User-Agent is withheld instead (user-agent.test.ts): never stored, never a refused change.
  assert.equal(prepareEntry(sampleRecord({ origin: { userAgent: bearer } }), 'api', NOW).origin.userAgent, '[withheld: held a card number or a secret]');
  const found = refusal(sampleRecord({ metadata: { password: 'hunter2hunter2' } }), 'hunter2hunter2');
  assert.equal(found.path, 'metadata.password');
  assert.equal(refusal(sampleRecord({ metadata: { user: { card_number: 'zz-value-zz' } } }), 'zz-value-zz').path, 'metadata.user.card_number');
});

test('findForbidden is pure and reports the first finding only', () => {
  assert.equal(findForbidden({ a: 'fine', b: ['fine', { c: 1 }] }), undefined);
  assert.deepEqual(findForbidden({ a: { cvv: '123' } }), { path: 'a.cvv', kind: 'forbidden_key' });
  assert.doesNotThrow(() => assertWritable(sampleRecord()));
});

// A random card number of 13–19 digits with a valid check digit.
const cardNumber = fc.integer({ min: 12, max: 18 }).chain((n) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }))
  .map((body) => {
    for (let check = 0; check <= 9; check++) {
      const candidate = [...body, check].join('');
      if (luhnValid(candidate)) return candidate;
    }
    throw new Error('unreachable');
  });
const words = fc.stringMatching(/^[a-z ]{0,20}$/);
const separator = fc.constantFrom('', ' ', '-');

test('property: a Luhn-valid card number in any text, spaced or not, is refused and never echoed', () => {
  fc.assert(fc.property(cardNumber, words, words, separator, (pan, before, after, sep) => {
    const written = pan.match(/.{1,4}/g)!.join(sep);
    const text = `${before}${before ? ' ' : ''}${written}${after ? ' ' : ''}${after}`;
    refusal(sampleRecord({ metadata: { note: text } }), pan);
  }), { numRuns: 300 });
});
