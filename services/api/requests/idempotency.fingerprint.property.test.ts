import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { canonicalJson, requestFingerprint } from './idempotency.fingerprint.ts';

// What a parsed body can be: JSON (the official clients) or qs output (strings, arrays, objects).
const body = fc.jsonValue({ maxDepth: 5 });
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? 'null');

/** The same data with every object's keys inserted in reverse order. */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).reverse().map(([key, item]) => [key, reversed(item)]));
  }
  return value;
}

test('property: canonical JSON is JSON of the same data', () => {
  fc.assert(fc.property(body, (value) => {
    assert.deepEqual(JSON.parse(canonicalJson(value)), asJson(value));
  }), { numRuns: 500 });
});

test('property: key order never changes the fingerprint', () => {
  fc.assert(fc.property(body, fc.constantFrom('POST', 'PATCH'), (value, method) => {
    const request = { method, path: '/charges', query: {}, body: value };
    assert.equal(requestFingerprint({ ...request, body: reversed(value) }), requestFingerprint(request));
  }), { numRuns: 500 });
});

test('property: two bodies share a fingerprint exactly when they hold the same data', () => {
  // Half the pairs hold the same data (keys reordered), so both answers are exercised.
  const pair = fc.oneof(fc.tuple(body, body), body.map((a) => [a, reversed(a)] as [unknown, unknown]));
  fc.assert(fc.property(pair, ([a, b]) => {
    const same = requestFingerprint({ method: 'POST', path: '/charges', query: {}, body: a })
      === requestFingerprint({ method: 'POST', path: '/charges', query: {}, body: b });
    assert.equal(same, isDeepStrictEqual(asJson(a), asJson(b)));
  }), { numRuns: 1000 });
});
