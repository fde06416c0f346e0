import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHttpError } from '#lib/http/index.ts';
import { hashIdempotencyKey, MAX_KEY_LENGTH, readIdempotencyKey } from './idempotency.header.ts';

const refused = (headers: Record<string, string>) =>
  assert.throws(() => readIdempotencyKey(headers), (error: unknown) => isHttpError(error) && error.statusCode === 400 && error.code === 'bad_request');

test('no header: no key; either header name gives the key', () => {
  assert.equal(readIdempotencyKey({}), null);
  assert.equal(readIdempotencyKey({ 'idempotency-key': 'order-1' }), 'order-1');
  assert.equal(readIdempotencyKey({ 'omise-idempotency-key': 'order-1' }), 'order-1');
  assert.equal(readIdempotencyKey({ 'idempotency-key': 'order-1', 'omise-idempotency-key': 'order-1' }), 'order-1');
});

test(`1 to ${MAX_KEY_LENGTH} printable ASCII characters, else 400 bad_request`, () => {
  assert.equal(readIdempotencyKey({ 'idempotency-key': 'k'.repeat(MAX_KEY_LENGTH) }), 'k'.repeat(MAX_KEY_LENGTH));
  assert.equal(readIdempotencyKey({ 'idempotency-key': '~ !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}' }), '~ !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}');
  refused({ 'idempotency-key': 'k'.repeat(MAX_KEY_LENGTH + 1) });
  refused({ 'idempotency-key': '' });
  refused({ 'idempotency-key': 'tab\there' });
  refused({ 'idempotency-key': 'del\x7F' });
  refused({ 'idempotency-key': 'caf\u00e9' });
});

test('the two headers must agree', () => {
  refused({ 'idempotency-key': 'order-1', 'omise-idempotency-key': 'order-2' });
});

test('keys are stored as SHA-256, never as sent', () => {
  assert.equal(hashIdempotencyKey('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.notEqual(hashIdempotencyKey('order-1'), hashIdempotencyKey('order-2'));
});
