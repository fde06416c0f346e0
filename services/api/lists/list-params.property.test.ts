import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isHttpError } from '#lib/http/index.ts';
import { LIST_ORDERS, MAX_LIMIT, MAX_OFFSET, parseListParams } from './list-params.ts';

const NOW = new Date('2026-03-15T12:00:00Z');
const KEYS = ['limit', 'offset', 'order', 'from', 'to', 'other'] as const;

// What a parsed query string can hold, and then some: strings of any kind, numbers written every way,
// dates, repeated keys (arrays), nested objects, non-string values.
const value = fc.oneof(
  fc.string(),
  fc.string({ unit: fc.constantFrom(...'0123456789+-.eE :TZ'), maxLength: 30 }),
  fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }).map(String),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom(...LIST_ORDERS, 'random', ''),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.constant(undefined),
  fc.constant(null),
  fc.integer(),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
);
const query = fc.oneof(fc.dictionary(fc.constantFrom(...KEYS), value), fc.anything());

test('property: parsing never throws anything but the 400 bad_request error, and what it returns is in range', () => {
  fc.assert(fc.property(query, (q) => {
    let params;
    try {
      params = parseListParams(q, NOW);
    } catch (error) {
      assert.ok(isHttpError(error), `threw something else: ${String(error)}`);
      assert.equal(error.statusCode, 400);
      assert.equal(error.code, 'bad_request');
      assert.ok(error.message.length > 0 && error.message.length < 200);
      return;
    }
    assert.ok(Number.isInteger(params.limit) && params.limit >= 1 && params.limit <= MAX_LIMIT);
    assert.ok(Number.isInteger(params.offset) && params.offset >= 0 && params.offset <= MAX_OFFSET);
    assert.ok((LIST_ORDERS as readonly string[]).includes(params.order));
    assert.ok(Number.isFinite(params.from.getTime()) && Number.isFinite(params.to.getTime()));
    assert.ok(params.from.getTime() <= params.to.getTime());
  }), { numRuns: 5_000 });
});

test('property: any integer limit is clamped to 1–100', () => {
  fc.assert(fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), (n) => {
    const expected = n < 1n ? 1 : n > 100n ? 100 : Number(n);
    assert.equal(parseListParams({ limit: String(n) }, NOW).limit, expected);
  }), { numRuns: 2_000 });
});

test('property: offsets from 0 to the maximum read back exactly; negative ones are refused', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: MAX_OFFSET }), (n) => {
    assert.equal(parseListParams({ offset: String(n) }, NOW).offset, n);
    assert.throws(() => parseListParams({ offset: String(-n - 1) }, NOW), (error: unknown) => isHttpError(error) && error.code === 'bad_request');
  }), { numRuns: 2_000 });
});

test('property: any ISO timestamp from the past reads back as the same instant', () => {
  fc.assert(fc.property(fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: NOW, noInvalidDate: true }), (date) => {
    const iso = date.toISOString();
    assert.equal(parseListParams({ from: iso }, NOW).from.getTime(), date.getTime());
  }), { numRuns: 2_000 });
});
