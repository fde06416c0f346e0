import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isHttpError } from '#lib/http/index.ts';
import { canonicalJson, MAX_DEPTH, requestFingerprint } from './idempotency.fingerprint.ts';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const charge = { method: 'POST', path: '/charges', query: {}, body: { amount: 100000, currency: 'thb', card: 'tokn_test_1', metadata: { order: 'A-1', items: [1, 2] } } };

test('canonical JSON: keys sorted at every level, arrays kept in order, no spacing', () => {
  assert.equal(canonicalJson({ b: 1, a: [true, null, 'x', { d: 2, c: 1 }] }), '{"a":[true,null,"x",{"c":1,"d":2}],"b":1}');
  assert.equal(canonicalJson('é"\n'), JSON.stringify('é"\n'));
  assert.equal(canonicalJson(undefined), 'null');
  assert.equal(canonicalJson({ a: undefined, b: Number.NaN, c: [undefined] }), '{"b":null,"c":[null]}', 'as JSON does');
  assert.equal(canonicalJson(Object.assign(Object.create(null) as object, { z: '1', y: '2' })), '{"y":"2","z":"1"}', 'qs objects have no prototype');
});

test('the fingerprint is SHA-256 of the canonical request', () => {
  const expected = sha256('{"body":{"amount":100000,"card":"tokn_test_1","currency":"thb","metadata":{"items":[1,2],"order":"A-1"}},"method":"POST","path":"/charges","query":{}}');
  assert.equal(requestFingerprint(charge), expected);
});

test('field order does not matter; method, path, query, any value or field does', () => {
  const reordered = { ...charge, body: { metadata: { items: [1, 2], order: 'A-1' }, card: 'tokn_test_1', currency: 'thb', amount: 100000 } };
  assert.equal(requestFingerprint(reordered), requestFingerprint(charge));
  const variants = [
    { ...charge, method: 'PATCH' },
    { ...charge, path: '/customers' },
    { ...charge, query: { a: '1' } },
    { ...charge, body: { ...charge.body, amount: 100001 } },
    { ...charge, body: { ...charge.body, amount: '100000' } },
    { ...charge, body: { ...charge.body, description: 'x' } },
    { ...charge, body: { ...charge.body, metadata: { order: 'A-1', items: [2, 1] } } },
    { ...charge, body: null },
  ];
  const prints = new Set(variants.map(requestFingerprint));
  assert.equal(prints.size, variants.length);
  assert.ok(!prints.has(requestFingerprint(charge)));
});

test(`a body nested deeper than ${MAX_DEPTH} levels is a 400, not a stack overflow`, () => {
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.throws(() => requestFingerprint({ ...charge, body: deep }), (error: unknown) => isHttpError(error) && error.statusCode === 400 && error.code === 'bad_request');
  let fine: unknown = 1;
  for (let i = 0; i < MAX_DEPTH - 3; i++) fine = { a: fine };
  assert.match(requestFingerprint({ ...charge, body: fine }), /^[0-9a-f]{64}$/);
});
