import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHttpError } from '#lib/http/index.ts';
import { embeddedListParams, listObject, parseListParams } from './list-params.ts';

const NOW = new Date('2026-03-15T12:34:56.789Z');

function refusal(query: unknown, pattern: RegExp) {
  assert.throws(() => parseListParams(query, NOW), (error: unknown) => {
    assert.ok(isHttpError(error), 'an HttpError');
    assert.equal(error.statusCode, 400);
    assert.equal(error.code, 'bad_request');
    assert.match(error.message, pattern);
    return true;
  });
}

test('defaults: limit 20, offset 0, chronological, from the epoch to now', () => {
  for (const query of [undefined, null, {}, { limit: '', offset: '', order: '' }, { unrelated: 'x', expand: ['a', 'b'] }]) {
    assert.deepEqual(parseListParams(query, NOW), { limit: 20, offset: 0, order: 'chronological', from: new Date(0), to: NOW });
  }
});

test('values as the omise client sends them (query strings)', () => {
  assert.deepEqual(parseListParams({ limit: '5', offset: '2', order: 'reverse_chronological' }, NOW),
    { limit: 5, offset: 2, order: 'reverse_chronological', from: new Date(0), to: NOW });
  assert.equal(parseListParams({ limit: '+7' }, NOW).limit, 7);
  assert.equal(parseListParams({ limit: '007' }, NOW).limit, 7);
  assert.equal(parseListParams({ offset: '0010' }, NOW).offset, 10);
});

test('limit is clamped to 1–100', () => {
  const cases: Array<[string, number]> = [['0', 1], ['-5', 1], ['-99999999999999999999', 1], ['1', 1], ['100', 100], ['101', 100], ['1000', 100], ['99999999999999999999', 100]];
  for (const [raw, expected] of cases) assert.equal(parseListParams({ limit: raw }, NOW).limit, expected, raw);
});

test('bad values are 400 bad_request naming the parameter', () => {
  refusal({ limit: 'ten' }, /^limit must be an integer$/);
  refusal({ limit: '1.5' }, /^limit must be an integer$/);
  refusal({ limit: ['1', '2'] }, /^limit must be given once/);
  refusal({ offset: '-1' }, /^offset must not be negative$/);
  refusal({ offset: '1e3' }, /^offset must be an integer$/);
  refusal({ offset: '99999999999' }, /^offset must be at most/);
  refusal({ order: 'newest' }, /^order must be one of/);
  refusal({ order: 'CHRONOLOGICAL' }, /^order must be one of/);
  refusal({ from: 'yesterday' }, /^from must be an ISO 8601 date/);
  refusal({ to: '2025-02-29' }, /^to is not a valid date/);
  refusal({ to: '2025-13-01' }, /^to is not a valid date/);
  refusal({ from: '2025-03-20T24:00:00Z' }, /^from is not a valid date/);
  refusal({ from: '2025-03-20T10:00:00Z', to: '2025-03-20T09:00:00Z' }, /^from must not be later than to$/);
  refusal({ from: { nested: '1' } }, /^from must be given once/);
});

test('from and to: ISO 8601 dates and times, zones honoured, no zone read as UTC', () => {
  const at = (query: Record<string, string>) => parseListParams(query, NOW).from.toISOString();
  assert.equal(at({ from: '2025-03-20' }), '2025-03-20T00:00:00.000Z');
  assert.equal(at({ from: '2025-03-20T09:24:16Z' }), '2025-03-20T09:24:16.000Z');
  assert.equal(at({ from: '2025-03-20T09:24:16+07:00' }), '2025-03-20T02:24:16.000Z');
  assert.equal(at({ from: '2025-03-20T09:24:16-0130' }), '2025-03-20T10:54:16.000Z');
  assert.equal(at({ from: '2025-03-20 09:24' }), '2025-03-20T09:24:00.000Z');
  assert.equal(at({ from: '2025-03-20T09:24:16.123456789Z' }), '2025-03-20T09:24:16.123Z');
  assert.equal(at({ from: '2024-02-29' }), '2024-02-29T00:00:00.000Z');
  assert.equal(parseListParams({ from: '0050-01-01' }, NOW).from.getUTCFullYear(), 50, 'two-digit years are not 19xx');
});

test('listObject: the Omise list shape, timestamps to the second', () => {
  const params = parseListParams({ limit: '2', offset: '4', order: 'reverse_chronological', from: '2025-01-01' }, NOW);
  assert.deepEqual(listObject(params, '/charges', ['a', 'b'], 9), {
    object: 'list', data: ['a', 'b'], limit: 2, offset: 4, total: 9, order: 'reverse_chronological',
    from: '2025-01-01T00:00:00Z', to: '2026-03-15T12:34:56Z', location: '/charges',
  });
  assert.deepEqual(embeddedListParams(NOW), { limit: 20, offset: 0, order: 'chronological', from: new Date(0), to: NOW });
});
